/*
 * test_control_yaml.c - YAML tenant configs: what parses, and that every
 * bad file is refused with the right line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tenant_yaml.h"

static int load(const char *text, struct tenant_def **defs, size_t *n, char *err, size_t errlen)
{
	return tenant_yaml_load_buffer(text, strlen(text), "t.yaml", "/cfg", defs, n, err, errlen);
}

static void expect_error(const char *text, const char *where_what)
{
	struct tenant_def *defs = NULL;
	size_t n = 0;
	char err[400] = "";
	assert_int_equal(load(text, &defs, &n, err, sizeof(err)), -1);
	assert_null(defs);
	if (!strstr(err, where_what))
		fail_msg("error '%s' does not contain '%s'", err, where_what);
}

static void test_full_config(void **state)
{
	(void)state;
	const char *text = "name: trainer-a\n"
			   "vcpus: 2\n"
			   "memory_mib: 128\n"
			   "cpu:\n  weight: 400\n  cap_percent: 150\n  pinning: \"0-1\"\n"
			   "vgpu: {priority: high, weight: 4, memory_mib: 64}\n"
			   "program: ../build/agent\n"
			   "args: [train, --epochs, 20]\n"
			   "shares:\n  - host: ../datasets\n    guest: /data\n  - {host: /out, rw: true}\n"
			   "restart: on-failure\nmax_restarts: 2\n"
			   "stdin: in.csv\n";
	struct tenant_def *defs;
	size_t n;
	char err[400];
	assert_int_equal(load(text, &defs, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	struct tenant_def *d = &defs[0];
	assert_string_equal(d->name, "trainer-a");
	assert_int_equal(d->vcpus, 2);
	assert_int_equal(d->memory_mib, 128);
	assert_int_equal(d->cpu_weight, 400);
	assert_int_equal(d->cpu_cap_percent, 150);
	assert_string_equal(d->cpu_pinning, "0-1");
	assert_int_equal(d->vgpu_priority, TENANT_PRIORITY_HIGH);
	assert_int_equal(d->vgpu_weight, 4);
	assert_int_equal(d->vgpu_memory_mib, 64);
	assert_string_equal(d->program, "/build/agent");
	assert_int_equal(d->nargs, 3);
	assert_string_equal(d->args[2], "20"); /* numbers in args stay text */
	assert_int_equal(d->nshares, 2);
	assert_string_equal(d->shares[0].host_dir, "/datasets");
	assert_string_equal(d->shares[0].guest_dir, "/data");
	assert_false(d->shares[0].rw);
	assert_true(d->shares[1].rw);
	assert_int_equal(d->restart, TENANT_RESTART_ON_FAILURE);
	assert_int_equal(d->max_restarts, 2);
	assert_string_equal(d->stdin_path, "/cfg/in.csv");
	free(defs);
}

static void test_several_documents(void **state)
{
	(void)state;
	struct tenant_def *defs;
	size_t n;
	char err[400];
	assert_int_equal(load("name: a\nprogram: /p\n---\nname: b\nprogram: /p\n---\n", &defs, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(defs[1].name, "b");
	free(defs);
}

static void test_errors_with_lines(void **state)
{
	(void)state;
	expect_error("name: a\nprogram: /p\nmemroy_mib: 3\n", "t.yaml:3: unknown key 'memroy_mib'");
	expect_error("name: a\nmemory_mib: -64\nprogram: /p\n", "t.yaml:2: memory_mib: -64 is negative");
	expect_error("name: a\nprogram: /p\nvgpu:\n  memory_mib: -1\n", "t.yaml:4: vgpu.memory_mib: -1 is negative");
	expect_error("name: a\nprogram: /p\nname: b\n", "t.yaml:3: duplicate key 'name'");
	expect_error("name: a\nprogram: /p\n---\nprogram: /q\nname: a\n", "t.yaml:5: duplicate tenant name 'a'");
	expect_error("name: a\nvcpus: 1\n", "t.yaml:1: program: missing");
	expect_error("name: a\nprogram: /p\nvcpus: 2\ncpu: {cap_percent: 300}\n", "t.yaml:4: cpu.cap_percent");
	expect_error("name: a\nprogram: /p\nmax_restarts: 1\n", "restart policy is 'no'");
	expect_error("name: [a\nprogram: /p\n", "t.yaml:2: YAML syntax error");
	expect_error("name: &x a\nprogram: *x\n", "aliases");
	expect_error("name: a\nprogram: /p\nvcpus: 99999999999999999999\n", "t.yaml:3: number");
	expect_error("", "no tenant definition");
	expect_error("- a\n- b\n", "must be a mapping");
	expect_error("name: a\nprogram: /p\nargs: [[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]\n", "nesting");
	expect_error("name: a\nprogram: /p\nrestart: sometimes\n", "t.yaml:3: restart");
}

static void test_missing_file(void **state)
{
	(void)state;
	struct tenant_def *defs;
	size_t n;
	char err[400];
	assert_int_equal(tenant_yaml_load_file("/nonexistent/x.yaml", &defs, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(tenant_yaml_load_file("/proc/self", &defs, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_several_documents),
		cmocka_unit_test(test_errors_with_lines),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
