/*
 * test_sched_cgroup_v2.c - the cgroup v2 file protocol of cgroup_cpu.c.
 *
 * This host's v2 hierarchy has no cpu controller (v1 is tested for real in
 * tests/integration/sched_cpu.sh), so the v2 path is checked against a
 * directory laid out like a v2 cgroup (AIVISOR_CGROUP_ROOT): what is written
 * to cpu.weight, cpu.max, cpuset.cpus, cgroup.procs, cgroup.subtree_control,
 * and how cpu.stat is read.  A real v2 kernel creates the group's files on
 * mkdir; here the test makes them first.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup_cpu.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void get(const char *rel, char *buf, size_t len)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static int setup(void **state)
{
	char dir[128];
	static const char *const files[] = { "cpu.weight", "cpu.max", "cpuset.cpus",
					     "cgroup.procs", "cgroup.subtree_control" };
	(void)state;

	snprintf(root, sizeof root, "/tmp/aivisor-cgv2.XXXXXX");
	assert_non_null(mkdtemp(root));
	put("cgroup.controllers", "cpuset cpu io memory pids\n");
	put("cgroup.subtree_control", "");
	put("cgroup.procs", "");
	snprintf(dir, sizeof dir, "%s/aivisor", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	put("aivisor/cgroup.subtree_control", "");
	snprintf(dir, sizeof dir, "%s/aivisor/t1", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
		char rel[64];

		snprintf(rel, sizeof rel, "aivisor/t1/%s", files[i]);
		put(rel, "");
	}
	put("aivisor/t1/cpu.stat", "usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\n");
	setenv("AIVISOR_CGROUP_ROOT", root, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;

	unsetenv("AIVISOR_CGROUP_ROOT");
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_v2_protocol(void **state)
{
	struct cgroup_cpu_host host;
	struct cgroup_cpu *cg;
	char err[300], buf[128];
	uint64_t ns = 0;
	(void)state;

	assert_int_equal(cgroup_cpu_detect(&host, err, sizeof err), 0);
	assert_int_equal(host.version, CGROUP_CPU_V2);
	assert_string_equal(host.cpu_root, root);
	assert_string_equal(host.cpuset_root, root);
	assert_int_equal(cgroup_cpu_create(&host, "t1", &cg, err, sizeof err), 0);
	get("cgroup.subtree_control", buf, sizeof buf);
	assert_string_equal(buf, "+cpu +cpuset");
	get("aivisor/cgroup.subtree_control", buf, sizeof buf);
	assert_string_equal(buf, "+cpu +cpuset");

	assert_int_equal(cgroup_cpu_set_weight(cg, 300, err, sizeof err), 0);
	get("aivisor/t1/cpu.weight", buf, sizeof buf);
	assert_string_equal(buf, "300");
	assert_int_equal(cgroup_cpu_set_weight(cg, 0, err, sizeof err), -EINVAL);

	assert_int_equal(cgroup_cpu_set_cap(cg, 150, err, sizeof err), 0);
	get("aivisor/t1/cpu.max", buf, sizeof buf);
	assert_string_equal(buf, "150000 100000");
	assert_int_equal(cgroup_cpu_set_cap(cg, 0, err, sizeof err), 0);
	get("aivisor/t1/cpu.max", buf, sizeof buf);
	assert_string_equal(buf, "max 100000");

	assert_int_equal(cgroup_cpu_set_cpus(cg, "0-1", err, sizeof err), 0);
	get("aivisor/t1/cpuset.cpus", buf, sizeof buf);
	assert_string_equal(buf, "0-1");
	assert_int_equal(cgroup_cpu_set_cpus(cg, "1-0", err, sizeof err), -EINVAL);

	/* A live change to "weight 200, nothing else" lifts cap and pinning. */
	{
		struct cgroup_cpu_limits lim;

		cgroup_cpu_limits_init(&lim);
		lim.weight = 200;
		lim.cap_pct = 50;
		snprintf(lim.cpus, sizeof lim.cpus, "1");
		assert_int_equal(cgroup_cpu_set_limits(cg, &lim, err, sizeof err), 0);
		get("aivisor/t1/cpu.max", buf, sizeof buf);
		assert_string_equal(buf, "50000 100000");
		get("aivisor/t1/cpuset.cpus", buf, sizeof buf);
		assert_string_equal(buf, "1");
		lim.cap_pct = 0;
		lim.cpus[0] = '\0';
		assert_int_equal(cgroup_cpu_set_limits(cg, &lim, err, sizeof err), 0);
		get("aivisor/t1/cpu.weight", buf, sizeof buf);
		assert_string_equal(buf, "200");
		get("aivisor/t1/cpu.max", buf, sizeof buf);
		assert_string_equal(buf, "max 100000");
		get("aivisor/t1/cpuset.cpus", buf, sizeof buf);
		assert_string_equal(buf, "");
		lim.weight = 0;
		assert_int_equal(cgroup_cpu_set_limits(cg, &lim, err, sizeof err), 0);
		get("aivisor/t1/cpu.weight", buf, sizeof buf);
		assert_string_equal(buf, "100");
	}

	assert_int_equal(cgroup_cpu_attach_thread(cg, 4242, err, sizeof err), 0);
	get("aivisor/t1/cgroup.procs", buf, sizeof buf);
	assert_string_equal(buf, "4242");
	assert_int_equal(cgroup_cpu_attach_thread(cg, 0, err, sizeof err), -EINVAL);

	assert_int_equal(cgroup_cpu_usage_ns(cg, &ns, err, sizeof err), 0);
	assert_int_equal(ns, 1234567000ull);
	assert_non_null(strstr(cgroup_cpu_path(cg), "/aivisor/t1"));

	/* The fake group's files keep rmdir from succeeding: the error names
	 * the directory, and cg is freed all the same (ASan checks). */
	assert_int_not_equal(cgroup_cpu_destroy(cg, err, sizeof err), 0);
	assert_non_null(strstr(err, "rmdir"));
	assert_non_null(strstr(err, "aivisor/t1"));
}

static void test_v2_errors_name_the_file(void **state)
{
	struct cgroup_cpu_host host;
	struct cgroup_cpu *cg;
	char err[300];
	(void)state;

	assert_int_equal(cgroup_cpu_detect(&host, err, sizeof err), 0);
	/* A group whose files the "kernel" did not make: the write fails and
	 * the message names the file. */
	assert_int_equal(cgroup_cpu_create(&host, "t2", &cg, err, sizeof err), 0);
	assert_int_equal(cgroup_cpu_set_weight(cg, 100, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "aivisor/t2/cpu.weight"));
	assert_int_equal(cgroup_cpu_destroy(cg, err, sizeof err), 0);
	assert_int_equal(cgroup_cpu_create(&host, "../evil", &cg, err, sizeof err), -EINVAL);
	assert_null(cg);
	assert_int_equal(cgroup_cpu_create(&host, "", &cg, err, sizeof err), -EINVAL);
	/* open: only an existing group; close leaves it in place. */
	assert_int_equal(cgroup_cpu_open(&host, "t1", &cg, err, sizeof err), 0);
	assert_int_equal(cgroup_cpu_set_weight(cg, 700, err, sizeof err), 0);
	cgroup_cpu_close(cg);
	{
		char buf[32], dir[128];
		struct stat st;

		get("aivisor/t1/cpu.weight", buf, sizeof buf);
		assert_string_equal(buf, "700");
		snprintf(dir, sizeof dir, "%s/aivisor/t1", root);
		assert_int_equal(stat(dir, &st), 0);
	}
	assert_int_equal(cgroup_cpu_open(&host, "t3", &cg, err, sizeof err), -ENOENT);
	assert_null(cg);
	assert_non_null(strstr(err, "no CPU slice"));
	/* A root without the cpu controller is refused with the reason. */
	put("cgroup.controllers", "io memory\n");
	assert_int_equal(cgroup_cpu_detect(&host, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "does not list cpu"));
	put("cgroup.controllers", "cpuset cpu io memory pids\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_protocol),
		cmocka_unit_test(test_v2_errors_name_the_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
