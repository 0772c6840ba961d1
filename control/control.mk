# control/: the aivisor CLI (and, later, aivisord and its endpoints).
AIVISOR_CLI_SRCS := control/cli/aivisor.c
BINS += $(BUILD)/bin/aivisor

$(BUILD)/bin/aivisor: $(AIVISOR_CLI_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^
