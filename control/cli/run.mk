# `aivisor run`'s CPU slice (control/cli/cmd_run.c) uses the scheduler's
# cgroup code; these objects join the CLI's link line.
$(BUILD)/bin/aivisor: $(BUILD)/obj/control/cli/cmd_run.o \
	$(addprefix $(BUILD)/obj/scheduler/,cgroup_cpu.o cgroup_cpu_detect.o cgroup_cpu_limits.o)
