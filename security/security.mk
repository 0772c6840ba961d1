# security/: sandboxing (limits, namespaces, uid switch, seccomp allowlists).
SECURITY_SRCS := security/sandbox.c security/seccomp.c security/policy_vmm.c security/policy_print.c
SECURITY_LIBS := -lseccomp

UNIT_TESTS += $(BUILD)/test/test_security
$(BUILD)/test/test_security: $(BUILD)/obj-san/tests/unit/test_security.o $(SECURITY_SRCS:%.c=$(BUILD)/obj-san/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(SECURITY_LIBS) -lcmocka
