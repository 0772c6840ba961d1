# security/: sandboxing (limits, namespaces, uid switch, seccomp allowlists).
SECURITY_SRCS := security/sandbox.c security/seccomp.c security/policy_vmm.c security/policy_vgpud.c \
	security/policy_print.c \
	$(BUILD)/gen/syscall_names.c

# The SIGSYS report's name table, generated from libseccomp at build time.
$(BUILD)/gen/gen_syscall_names: security/gen_syscall_names.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lseccomp
$(BUILD)/gen/syscall_names.c: $(BUILD)/gen/gen_syscall_names
	$< > $@.tmp && mv $@.tmp $@
SECURITY_LIBS := -lseccomp

UNIT_TESTS += $(BUILD)/test/test_security
$(BUILD)/test/test_security: $(BUILD)/obj-san/tests/unit/test_security.o $(SECURITY_SRCS:%.c=$(BUILD)/obj-san/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(SECURITY_LIBS) -lcmocka
