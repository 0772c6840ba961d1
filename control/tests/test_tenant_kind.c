/*
 * test_tenant_kind.c - tenants of kind qemu: what their definition must
 * hold and refuse, and that JSON and YAML carry kind, kernel, initrd and
 * job (docs/CONFIG.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tenant_json.h"
#include "tenant_yaml.h"

static void qemu_def(struct tenant_def *d)
{
	tenant_def_init(d);
	strcpy(d->name, "q1");
	d->kind = TENANT_KIND_QEMU;
	d->vgpu_memory_mib = 64;
	strcpy(d->job, "train --data digits.csv --epochs 3");
}

static void expect_invalid(const struct tenant_def *d, const char *needle)
{
	char err[300] = "";
	assert_int_equal(tenant_def_validate(d, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_qemu_needs_no_program(void **state)
{
	(void)state;
	struct tenant_def d;
	char err[300];
	qemu_def(&d);
	assert_int_equal(tenant_def_validate(&d, err, sizeof(err)), 0);
	strcpy(d.kernel, "/images/vmlinuz");
	strcpy(d.initrd, "/images/initramfs.cpio.gz");
	assert_int_equal(tenant_def_validate(&d, err, sizeof(err)), 0);
}

static void test_qemu_refuses_microvm_fields(void **state)
{
	(void)state;
	struct tenant_def d;
	qemu_def(&d);
	strcpy(d.program, "/bin/true");
	expect_invalid(&d, "program: not used by kind qemu");
	qemu_def(&d);
	d.nargs = 1;
	expect_invalid(&d, "args: not used by kind qemu");
	qemu_def(&d);
	d.nshares = 1;
	strcpy(d.shares[0].host_dir, "/data");
	expect_invalid(&d, "shares: not used by kind qemu");
	qemu_def(&d);
	strcpy(d.stdin_path, "/dev/zero");
	expect_invalid(&d, "stdin: not used by kind qemu");
	qemu_def(&d);
	d.cpu_cap_percent = 50;
	expect_invalid(&d, "cpu.cap_percent: not supported for kind qemu");
	qemu_def(&d);
	strcpy(d.cpu_pinning, "0");
	expect_invalid(&d, "cpu.pinning: not supported for kind qemu");
}

static void test_qemu_window_power_of_two(void **state)
{
	(void)state;
	struct tenant_def d;
	char err[300];
	qemu_def(&d);
	d.vgpu_memory_mib = 0;
	expect_invalid(&d, "power of two");
	d.vgpu_memory_mib = 48;
	expect_invalid(&d, "vgpu.memory_mib: 48");
	for (uint64_t m = 1; m <= 1024; m *= 2) {
		d.vgpu_memory_mib = m;
		assert_int_equal(tenant_def_validate(&d, err, sizeof(err)), 0);
	}
	d.vgpu_memory_mib = 64;
	d.memory_mib = 32;
	expect_invalid(&d, "memory_mib: 32 is below 64");
}

static void test_qemu_job_and_paths(void **state)
{
	(void)state;
	struct tenant_def d;
	qemu_def(&d);
	strcpy(d.job, "train \"x");
	expect_invalid(&d, "job: may not contain");
	strcpy(d.job, "train\nx");
	expect_invalid(&d, "job: may not contain");
	strcpy(d.job, "train \x7f");
	expect_invalid(&d, "job: may not contain");
	qemu_def(&d);
	strcpy(d.kernel, "vmlinuz");
	expect_invalid(&d, "kernel: 'vmlinuz' must be an absolute path");
	qemu_def(&d);
	strcpy(d.initrd, "/images/../etc/x");
	expect_invalid(&d, "initrd:");
	qemu_def(&d);
	memset(d.job, 'a', sizeof(d.job)); /* no terminator */
	expect_invalid(&d, "job: longer than 1024 bytes");
}

static void test_microvm_refuses_image_fields(void **state)
{
	(void)state;
	struct tenant_def d;
	tenant_def_init(&d);
	strcpy(d.name, "m1");
	strcpy(d.program, "/bin/prog");
	strcpy(d.kernel, "/boot/vmlinuz");
	expect_invalid(&d, "kernel: only for kind qemu");
	d.kernel[0] = '\0';
	strcpy(d.job, "x");
	expect_invalid(&d, "job: only for kind qemu");
	d.job[0] = '\0';
	d.kind = (enum tenant_kind)7;
	expect_invalid(&d, "kind: unknown");
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct tenant_def d, back;
	char err[300];
	qemu_def(&d);
	strcpy(d.kernel, "/k/vmlinuz");
	strcpy(d.initrd, "/k/initramfs.cpio.gz");
	json_t *j = tenant_def_to_json(&d);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "qemu");
	assert_int_equal(tenant_def_from_json(j, &back, err, sizeof(err), NULL), 0);
	json_decref(j);
	assert_int_equal(back.kind, TENANT_KIND_QEMU);
	assert_string_equal(back.kernel, d.kernel);
	assert_string_equal(back.initrd, d.initrd);
	assert_string_equal(back.job, d.job);
	assert_int_equal(back.vgpu_memory_mib, 64);
}

static void test_yaml(void **state)
{
	(void)state;
	struct tenant_def *defs = NULL;
	size_t n = 0;
	char err[400] = "";
	const char *ok = "name: q1\nkind: qemu\nvgpu:\n  memory_mib: 32\nkernel: img/vmlinuz\n"
			 "job: \"train --epochs 3\"\n";
	assert_int_equal(tenant_yaml_load_buffer(ok, strlen(ok), "q.yaml", "/cfg", &defs, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(defs[0].kind, TENANT_KIND_QEMU);
	assert_string_equal(defs[0].kernel, "/cfg/img/vmlinuz"); /* relative to the file */
	assert_string_equal(defs[0].initrd, "");                 /* the daemon fills it */
	assert_string_equal(defs[0].job, "train --epochs 3");
	free(defs);
	const char *bad_kind = "name: q1\nkind: xen\n";
	assert_int_equal(tenant_yaml_load_buffer(bad_kind, strlen(bad_kind), "q.yaml", NULL, &defs, &n, err,
						 sizeof(err)), -1);
	assert_string_equal(err, "q.yaml:2: kind: must be microvm or qemu");
	const char *no_prog = "name: m1\nmemory_mib: 32\n";
	assert_int_equal(tenant_yaml_load_buffer(no_prog, strlen(no_prog), "m.yaml", NULL, &defs, &n, err,
						 sizeof(err)), -1);
	assert_non_null(strstr(err, "program: missing"));
	const char *pow = "name: q1\nkind: qemu\nvgpu:\n  memory_mib: 48\n";
	assert_int_equal(tenant_yaml_load_buffer(pow, strlen(pow), "q.yaml", NULL, &defs, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "power of two"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_needs_no_program),
		cmocka_unit_test(test_qemu_refuses_microvm_fields),
		cmocka_unit_test(test_qemu_window_power_of_two),
		cmocka_unit_test(test_qemu_job_and_paths),
		cmocka_unit_test(test_microvm_refuses_image_fields),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_yaml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
