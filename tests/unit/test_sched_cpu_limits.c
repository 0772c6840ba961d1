/*
 * test_sched_cpu_limits.c - parsing of --cpu-weight, --cpu-cap, --cpus.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup_cpu.h"

static void test_weight(void **state)
{
	struct cgroup_cpu_limits l;
	char err[200];
	(void)state;

	cgroup_cpu_limits_init(&l);
	assert_false(cgroup_cpu_limits_any(&l));
	assert_int_equal(cgroup_cpu_limits_parse(&l, "--cpu-weight", "300", err, sizeof err), 0);
	assert_int_equal(l.weight, 300);
	assert_true(cgroup_cpu_limits_any(&l));
	static const char *const bad[] = { "0", "10001", "", "-5", "12x", "99999999999999999999" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(cgroup_cpu_limits_parse(&l, "--cpu-weight", bad[i], err, sizeof err),
				 -EINVAL);
		assert_non_null(strstr(err, "--cpu-weight"));
	}
	assert_int_equal(l.weight, 300);
	assert_int_equal(cgroup_cpu_limits_parse(&l, "--memory", "1", err, sizeof err), -ENOENT);
}

static void test_cap(void **state)
{
	struct cgroup_cpu_limits l;
	char err[200], v[32];
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	(void)state;

	cgroup_cpu_limits_init(&l);
	assert_int_equal(cgroup_cpu_limits_parse(&l, "--cpu-cap", "50", err, sizeof err), 0);
	assert_int_equal(l.cap_pct, 50);
	snprintf(v, sizeof v, "%ld", 100 * n);
	assert_int_equal(cgroup_cpu_limits_parse(&l, "--cpu-cap", v, err, sizeof err), 0);
	snprintf(v, sizeof v, "%ld", 100 * n + 1);
	assert_int_equal(cgroup_cpu_limits_parse(&l, "--cpu-cap", v, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "CPUs online"));
	assert_int_equal(cgroup_cpu_limits_parse(&l, "--cpu-cap", "0", err, sizeof err), -EINVAL);
}

static void test_cpus(void **state)
{
	struct cgroup_cpu_limits l;
	char err[200], v[32];
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	(void)state;

	cgroup_cpu_limits_init(&l);
	assert_int_equal(cgroup_cpu_limits_max_cpu(&l), UINT32_MAX);
	assert_int_equal(cgroup_cpu_limits_parse(&l, "--cpus", "0", err, sizeof err), 0);
	assert_string_equal(l.cpus, "0");
	assert_int_equal(cgroup_cpu_limits_max_cpu(&l), 0);
	snprintf(v, sizeof v, "0-%ld", n - 1);
	assert_int_equal(cgroup_cpu_limits_parse(&l, "--cpus", v, err, sizeof err), 0);
	assert_int_equal(cgroup_cpu_limits_max_cpu(&l), n - 1);
	snprintf(v, sizeof v, "0,%ld", n);
	assert_int_equal(cgroup_cpu_limits_parse(&l, "--cpus", v, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "is not online"));
	static const char *const bad[] = { "", "a", "1-0", "0-", "-1", "0,,1", "0 1", "5000",
					   "0-99999999999999999999" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(cgroup_cpu_limits_parse(&l, "--cpus", bad[i], err, sizeof err),
				 -EINVAL);
		assert_non_null(strstr(err, "--cpus"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weight),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_cpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
