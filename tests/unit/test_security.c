/* Unit tests for security/: each sandbox step applied in a forked child. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"
#include "sandbox.h"

/* Runs fn in a child with stderr captured; returns the wait status. */
static int run_child(void (*fn)(void), char *out, size_t outlen)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		fn();
		_exit(0);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	while (n + 1 < outlen && (r = read(p[0], out + n, outlen - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static const struct sandbox_syscall tiny[] = {
	{ "write", -1, 0, {0}, "report" },
	{ "exit_group", -1, 0, {0}, "end" },
	{ "getpid", -1, 0, {0}, "allowed probe" },
};

static void child_blocked_call(void)
{
	char err[256];
	if (sandbox_seccomp("test-sandbox", tiny, 3, err, sizeof(err))) {
		fprintf(stderr, "setup failed: %s\n", err);
		_exit(3);
	}
	syscall(SYS_getpid);          /* allowed: must not stop us */
	syscall(SYS_getppid);         /* not allowed */
	syscall(SYS_exit_group, 0);   /* never reached */
}

static void test_seccomp_stops_with_clear_line(void **state)
{
	(void)state;
	char out[512];
	int st = run_child(child_blocked_call, out, sizeof(out));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), SANDBOX_SECCOMP_EXIT);
	assert_non_null(strstr(out, "test-sandbox: seccomp: system call"));
	assert_non_null(strstr(out, "(getppid) is not allowed"));
}

static void child_allowed_only(void)
{
	char err[256];
	if (sandbox_seccomp("test-sandbox", tiny, 3, err, sizeof(err)))
		_exit(3);
	syscall(SYS_getpid);
	syscall(SYS_exit_group, 7);
}

static void test_seccomp_allows_listed(void **state)
{
	(void)state;
	char out[256];
	int st = run_child(child_allowed_only, out, sizeof(out));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
}

static const struct sandbox_syscall bad_name[] = { { "no_such_call", -1, 0, {0}, "" } };

static void test_seccomp_refuses_unknown_name(void **state)
{
	(void)state;
	char err[256] = "";
	/* Fails before anything is loaded, so it is safe in this process. */
	assert_int_equal(sandbox_seccomp("t", bad_name, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no_such_call"));
}

static const struct sandbox_syscall filtered[] = {
	{ "write", -1, 0, {0}, "" },
	{ "exit_group", -1, 0, {0}, "" },
	{ "fcntl", 1, 1, { F_GETFD }, "only F_GETFD" },
};

static void child_arg_filter(void)
{
	char err[256];
	if (sandbox_seccomp("test-sandbox", filtered, 3, err, sizeof(err)))
		_exit(3);
	syscall(SYS_fcntl, 1, F_GETFD);      /* allowed value */
	syscall(SYS_fcntl, 1, F_GETFL);      /* other value: stopped */
	syscall(SYS_exit_group, 0);
}

static void test_seccomp_argument_filter(void **state)
{
	(void)state;
	char out[512];
	int st = run_child(child_arg_filter, out, sizeof(out));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), SANDBOX_SECCOMP_EXIT);
	assert_non_null(strstr(out, "(fcntl)"));
}

static void test_vmm_policy_resolves(void **state)
{
	(void)state;
	/* Every name in the real allowlist must exist, and the list stays
	 * short: a growing list is attack surface and should be noticed. */
	assert_true(policy_vmm_len > 10);
	assert_true(policy_vmm_len <= 40);
	for (size_t i = 0; i < policy_vmm_len; i++) {
		assert_non_null(policy_vmm[i].why);
		assert_true(strlen(policy_vmm[i].why) > 0);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(policy_vmm[i].name, policy_vmm[j].name);
	}
}

static void child_limits(void)
{
	char err[256];
	struct sandbox_limits l = { .max_open_files = 16, .address_space = 0 };
	if (sandbox_limits(&l, err, sizeof(err)))
		_exit(3);
	struct rlimit rl;
	getrlimit(RLIMIT_CORE, &rl);
	if (rl.rlim_cur != 0)
		_exit(4);
	int fds[32], n = 0;
	for (; n < 32; n++)
		if ((fds[n] = open("/dev/null", O_RDONLY)) < 0)
			break;
	_exit(n < 16 && errno == EMFILE ? 0 : 5);
}

static void test_limits(void **state)
{
	(void)state;
	char out[256];
	int st = run_child(child_limits, out, sizeof(out));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void child_isolate(void)
{
	char err[256];
	int keep = open("/proc/self/status", O_RDONLY); /* opened before: stays usable */
	int proc = open("/proc", O_PATH | O_DIRECTORY);
	struct stat host_net, our_net;
	if (proc < 0 || fstatat(proc, "self/ns/net", &host_net, 0))
		_exit(7);
	int r = sandbox_isolate(err, sizeof(err));
	if (r == 1)
		_exit(42); /* not root: nothing to check */
	if (r)
		_exit(3);
	if (open("/etc/passwd", O_RDONLY) >= 0 || errno != ENOENT)
		_exit(4);
	char b[8];
	if (read(keep, b, sizeof(b)) != sizeof(b))
		_exit(5);
	if (mkdir("/x", 0700) == 0)
		_exit(6); /* the new root is read-only */
	if (fstatat(proc, "self/ns/net", &our_net, 0) || our_net.st_ino == host_net.st_ino)
		_exit(8); /* not in a network namespace of its own */
	_exit(0);
}

static void test_isolate_hides_host_files(void **state)
{
	(void)state;
	char out[256];
	int st = run_child(child_isolate, out, sizeof(out));
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 42)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void child_drop(void)
{
	char err[256];
	int r = sandbox_drop_user(65534, 65534, err, sizeof(err));
	if (r == 1)
		_exit(42);
	if (r)
		_exit(3);
	if (getuid() != 65534 || getgid() != 65534 || geteuid() != 65534)
		_exit(4);
	if (setuid(0) == 0)
		_exit(5);
	_exit(0);
}

static void test_drop_user(void **state)
{
	(void)state;
	char out[256];
	int st = run_child(child_drop, out, sizeof(out));
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 42)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_parse_user(void **state)
{
	(void)state;
	uid_t u;
	gid_t g;
	char err[256];
	assert_int_equal(sandbox_parse_user("1234:99", &u, &g, err, sizeof(err)), 0);
	assert_int_equal(u, 1234);
	assert_int_equal(g, 99);
	assert_int_equal(sandbox_parse_user("77", &u, &g, err, sizeof(err)), 0);
	assert_int_equal(u, 77);
	assert_int_equal(g, 77);
	assert_int_equal(sandbox_parse_user(NULL, &u, &g, err, sizeof(err)), 0);
	assert_int_equal(u, 65534); /* nobody */
	assert_int_equal(sandbox_parse_user("no-such-user-x", &u, &g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-such-user-x"));
	assert_int_equal(sandbox_parse_user("root:no-such-group-x", &u, &g, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seccomp_stops_with_clear_line),
		cmocka_unit_test(test_seccomp_allows_listed),
		cmocka_unit_test(test_seccomp_refuses_unknown_name),
		cmocka_unit_test(test_seccomp_argument_filter),
		cmocka_unit_test(test_vmm_policy_resolves),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_isolate_hides_host_files),
		cmocka_unit_test(test_drop_user),
		cmocka_unit_test(test_parse_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
