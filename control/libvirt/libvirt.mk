# control/libvirt/: the libvirt remote-protocol endpoint (virsh support).
#
# aivisord links $(LV_DAEMON_OBJS) and $(LV_LIBS) and compiles the file
# that calls lv_endpoint_start with $(LV_INC) (see docs/LIBVIRT.md).
# aivisor-lvtestd serves the same endpoint over an in-memory registry for
# tests and benchmarks.
LV_CORE_SRCS := control/libvirt/lv_xdr.c control/libvirt/lv_rpc.c control/libvirt/lv_dispatch.c \
	control/libvirt/lv_proc_conn.c control/libvirt/lv_proc_dom.c control/libvirt/lv_proc_life.c \
	control/libvirt/lv_proc_sched.c control/libvirt/lv_proc_event.c control/libvirt/lv_domxml_parse.c control/libvirt/lv_domxml_format.c \
	control/libvirt/lv_uuid.c control/libvirt/lv_cmdline.c \
	control/libvirt/lv_hostinfo.c control/libvirt/lv_dom_list.c
# tenant_def_init/validate (the daemon's, shared): the mapper validates with them
LV_TENANT_SRC := control/common/tenant.c
LV_SRCS  := $(LV_CORE_SRCS) control/libvirt/lv_events.c control/libvirt/lv_endpoint.c
LV_OBJS  := $(LV_SRCS:%.c=$(BUILD)/obj/%.o)
LV_DAEMON_OBJS := $(LV_OBJS) $(BUILD)/obj/control/libvirt/lv_registry.o
LV_XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
LV_XML_LIBS   := $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)
LV_LIBS  := $(LV_XML_LIBS) -lpthread
LV_INC   := -Icontrol/libvirt $(LV_XML_CFLAGS)

# every flavour of our objects needs libxml2's headers
$(BUILD)/obj/control/libvirt/%.o $(BUILD)/obj-san/control/libvirt/%.o $(BUILD)/obj-san/tests/unit/test_libvirt_%.o: CFLAGS += $(LV_INC)
$(BUILD)/obj-fuzz/control/libvirt/%.o $(BUILD)/obj-fuzz/tests/fuzz/fuzz_xdr.o $(BUILD)/obj-fuzz/tests/fuzz/fuzz_domxml.o: FUZZFLAGS += $(LV_INC)

BINS += $(BUILD)/bin/aivisor-lvtestd
$(BUILD)/bin/aivisor-lvtestd: $(LV_OBJS) $(BUILD)/obj/$(LV_TENANT_SRC:.c=.o) $(BUILD)/obj/control/libvirt/lv_memstore.o $(BUILD)/obj/control/libvirt/lv_testd.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LV_LIBS)

# unit tests (cmocka, ASan+UBSan)
LV_SAN_OBJS := $(LV_SRCS:%.c=$(BUILD)/obj-san/%.o) $(BUILD)/obj-san/$(LV_TENANT_SRC:.c=.o) \
	$(BUILD)/obj-san/control/libvirt/lv_memstore.o
LV_UNIT := xdr domxml dispatch endpoint
UNIT_TESTS += $(LV_UNIT:%=$(BUILD)/test/test_libvirt_%)
$(BUILD)/test/test_libvirt_%: $(BUILD)/obj-san/tests/unit/test_libvirt_%.o $(LV_SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LV_LIBS) -lcmocka

# fuzz targets: build/fuzz/xdr (packets through the dispatcher) and build/fuzz/domxml
LV_FUZZ_OBJS := $(LV_CORE_SRCS:%.c=$(BUILD)/obj-fuzz/%.o) $(BUILD)/obj-fuzz/$(LV_TENANT_SRC:.c=.o) \
	$(BUILD)/obj-fuzz/control/libvirt/lv_memstore.o
FUZZERS += $(BUILD)/fuzz/xdr $(BUILD)/fuzz/domxml
$(BUILD)/fuzz/xdr: $(BUILD)/obj-fuzz/tests/fuzz/fuzz_xdr.o $(LV_FUZZ_OBJS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -o $@ $^ $(LV_LIBS)
$(BUILD)/fuzz/domxml: $(BUILD)/obj-fuzz/tests/fuzz/fuzz_domxml.o $(LV_FUZZ_OBJS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -o $@ $^ $(LV_LIBS)

# keep the objects the pattern rules chain through (make would delete them)
.SECONDARY: $(LV_SAN_OBJS) $(LV_FUZZ_OBJS) $(LV_UNIT:%=$(BUILD)/obj-san/tests/unit/test_libvirt_%.o) \
	$(BUILD)/obj-fuzz/tests/fuzz/fuzz_xdr.o $(BUILD)/obj-fuzz/tests/fuzz/fuzz_domxml.o

BENCHES += bench/virsh.sh

# aivisord serves the endpoint: control/daemon/main.c calls lv_registry_new,
# lv_endpoint_start and lv_endpoint_stop (docs/LIBVIRT.md).  Its link line
# uses $^, so adding our objects here is all the build needs.
$(BUILD)/bin/aivisord: $(LV_DAEMON_OBJS)
$(BUILD)/bin/aivisord: CONTROL_LIBS += $(LV_LIBS)
$(BUILD)/obj/control/daemon/main.o: CFLAGS += $(LV_INC)
