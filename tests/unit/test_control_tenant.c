/*
 * test_control_tenant.c - tenant definition validation and its JSON form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tenant_json.h"

static void valid_def(struct tenant_def *d)
{
	tenant_def_init(d);
	strcpy(d->name, "t1");
	strcpy(d->program, "/bin/prog");
}

static void expect_invalid(const struct tenant_def *d, const char *needle)
{
	char err[300] = "";
	assert_int_equal(tenant_def_validate(d, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_defaults_need_name_and_program(void **state)
{
	(void)state;
	struct tenant_def d;
	char err[300];
	tenant_def_init(&d);
	expect_invalid(&d, "name");
	strcpy(d.name, "t1");
	expect_invalid(&d, "program: missing");
	strcpy(d.program, "/bin/prog");
	assert_int_equal(tenant_def_validate(&d, err, sizeof(err)), 0);
	assert_int_equal(d.vcpus, 1);
	assert_int_equal(d.cpu_weight, 100);
	assert_int_equal(d.vgpu_weight, 100);
}

static void test_ranges(void **state)
{
	(void)state;
	struct tenant_def d;
	valid_def(&d);
	d.vcpus = 0;
	expect_invalid(&d, "vcpus");
	valid_def(&d);
	d.memory_mib = 8;
	expect_invalid(&d, "memory_mib");
	valid_def(&d);
	d.cpu_weight = 10001;
	expect_invalid(&d, "cpu.weight");
	valid_def(&d);
	d.vgpu_weight = 0;
	expect_invalid(&d, "vgpu.weight");
	valid_def(&d);
	d.vcpus = 2;
	d.cpu_cap_percent = 201;
	expect_invalid(&d, "cpu.cap_percent");
	d.cpu_cap_percent = 200;
	assert_int_equal(tenant_def_validate(&d, NULL, 0), 0);
}

static void test_names_and_paths(void **state)
{
	(void)state;
	struct tenant_def d;
	const char *bad_names[] = { "", "-x", "a b", "a/b", "..", "x\n" };
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		valid_def(&d);
		strcpy(d.name, bad_names[i]);
		expect_invalid(&d, "name");
	}
	valid_def(&d);
	memset(d.name, 'a', sizeof(d.name)); /* unterminated */
	expect_invalid(&d, "name");
	valid_def(&d);
	strcpy(d.program, "relative/prog");
	expect_invalid(&d, "absolute");
	valid_def(&d);
	d.nshares = 1;
	strcpy(d.shares[0].host_dir, "/data/../etc");
	expect_invalid(&d, "'..'");
	strcpy(d.shares[0].host_dir, "/data/..");
	expect_invalid(&d, "'..'");
	strcpy(d.shares[0].host_dir, "/data/..x");
	assert_int_equal(tenant_def_validate(&d, NULL, 0), 0);
	strcpy(d.shares[0].host_dir, "/a:b");
	expect_invalid(&d, "':'");
}

static void test_contradictions(void **state)
{
	(void)state;
	struct tenant_def d;
	valid_def(&d);
	d.max_restarts = 2;
	expect_invalid(&d, "restart policy is 'no'");
	d.restart = TENANT_RESTART_ON_FAILURE;
	assert_int_equal(tenant_def_validate(&d, NULL, 0), 0);
	valid_def(&d);
	d.nshares = 2;
	strcpy(d.shares[0].host_dir, "/a");
	strcpy(d.shares[0].guest_dir, "/data");
	strcpy(d.shares[1].host_dir, "/data");
	expect_invalid(&d, "also shares[0]");
	valid_def(&d);
	d.nargs = TENANT_ARGS_MAX + 1;
	expect_invalid(&d, "args");
}

static void test_cpulist(void **state)
{
	(void)state;
	struct tenant_def d;
	const char *good[] = { "", "0", "0-3", "0-3,6,8-9", "4095" };
	const char *bad[] = { ",", "0,", "3-1", "a", "0-", "4096", "1--2", "0 1" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		valid_def(&d);
		strcpy(d.cpu_pinning, good[i]);
		assert_int_equal(tenant_def_validate(&d, NULL, 0), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		valid_def(&d);
		strcpy(d.cpu_pinning, bad[i]);
		expect_invalid(&d, "cpu.pinning");
	}
}

static void test_uuid(void **state)
{
	(void)state;
	char u[TENANT_UUID_LEN + 1];
	assert_int_equal(tenant_uuid_generate(u), 0);
	assert_true(tenant_uuid_valid(u));
	assert_int_equal(u[14], '4');
	assert_false(tenant_uuid_valid("not-a-uuid"));
	assert_false(tenant_uuid_valid("5F0C0000-0000-4000-8000-000000000000"));
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct tenant_def d, back;
	valid_def(&d);
	d.vcpus = 2;
	d.memory_mib = 512;
	d.cpu_weight = 300;
	d.cpu_cap_percent = 150;
	strcpy(d.cpu_pinning, "0-1");
	d.vgpu_priority = TENANT_PRIORITY_HIGH;
	d.vgpu_weight = 7;
	d.vgpu_memory_mib = 64;
	d.nargs = 2;
	strcpy(d.args[0], "serve");
	strcpy(d.args[1], "--x");
	d.nshares = 1;
	strcpy(d.shares[0].host_dir, "/data");
	d.shares[0].rw = true;
	d.restart = TENANT_RESTART_ALWAYS;
	d.max_restarts = 3;
	strcpy(d.stdin_path, "/in.csv");
	assert_int_equal(tenant_uuid_generate(d.uuid), 0);
	json_t *j = tenant_def_to_json(&d);
	assert_non_null(j);
	char err[300];
	assert_int_equal(tenant_def_from_json(j, &back, err, sizeof(err), NULL), 0);
	json_decref(j);
	assert_memory_equal(&d, &back, sizeof(d));
}

static void test_json_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *json, *needle;
	} cases[] = {
		{ "{\"name\":\"a\",\"program\":\"/p\",\"vcpus\":-1}", "negative" },
		{ "{\"name\":\"a\",\"program\":\"/p\",\"vcpus\":1.5}", "integer" },
		{ "{\"name\":\"a\",\"program\":\"/p\",\"vcpus\":99999999999}", "exceeds" },
		{ "{\"name\":\"a\",\"program\":\"/p\",\"bogus\":1}", "unknown key 'bogus'" },
		{ "{\"name\":\"a\",\"program\":\"/p\",\"cpu\":{\"shares\":1}}", "cpu: unknown key" },
		{ "{\"name\":\"a\",\"program\":\"/p\",\"args\":[{}]}", "args[0]" },
		{ "{\"name\":\"a\",\"program\":\"/p\",\"shares\":[{\"guest\":\"/x\"}]}", "missing host" },
		{ "{\"name\":\"a\",\"program\":\"/p\",\"restart\":\"never\"}", "restart" },
		{ "{\"name\":\"a\"}", "program: missing" },
		{ "[]", "mapping" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_error_t je;
		json_t *j = json_loads(cases[i].json, 0, &je);
		assert_non_null(j);
		struct tenant_def d;
		char err[300] = "";
		const json_t *bad = NULL;
		assert_int_equal(tenant_def_from_json(j, &d, err, sizeof(err), &bad), -1);
		assert_non_null(bad);
		if (!strstr(err, cases[i].needle))
			fail_msg("case %zu: '%s' does not mention '%s'", i, err, cases[i].needle);
		json_decref(j);
	}
}

static void test_relative_paths_resolved(void **state)
{
	(void)state;
	json_error_t je;
	json_t *j = json_loads("{\"name\":\"a\",\"program\":\"../bin/p\",\"shares\":[{\"host\":\"./d/../data\"}]}", 0,
			       &je);
	struct tenant_def d;
	char err[300];
	assert_int_equal(tenant_def_from_json_at(j, "/etc/aivisor/configs", &d, err, sizeof(err), NULL), 0);
	assert_string_equal(d.program, "/etc/aivisor/bin/p");
	assert_string_equal(d.shares[0].host_dir, "/etc/aivisor/configs/data");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_need_name_and_program),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_names_and_paths),
		cmocka_unit_test(test_contradictions),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_rejects),
		cmocka_unit_test(test_relative_paths_resolved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
