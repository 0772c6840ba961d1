# tests/: fuzz targets owned by no single part (configs and the JSON API).
FUZZERS += $(BUILD)/fuzz/config
$(BUILD)/obj-fuzz/tests/fuzz/fuzz_config.o: FUZZFLAGS += -Icontrol/daemon
$(BUILD)/fuzz/config: $(BUILD)/obj-fuzz/tests/fuzz/fuzz_config.o $(CONTROL_COMMON_SRCS:%.c=$(BUILD)/obj-fuzz/%.o)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -o $@ $^ -ljansson -lyaml
