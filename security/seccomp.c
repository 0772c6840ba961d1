/*
 * seccomp.c - install a system-call allowlist with libseccomp.
 *
 * Default action is SCMP_ACT_TRAP rather than KILL_PROCESS: the kernel then
 * delivers SIGSYS to the offending thread, and our handler can say which
 * call was refused before ending the process.  A silent kill would leave
 * the operator guessing; the daemon logs this line with the tenant's exit.
 */
#include "sandbox.h"
#include "syscall_names.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char report_prefix[64];

static size_t fmt_uint(char *p, unsigned long v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

static size_t append(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at < cap)
		buf[at++] = *s++;
	return at;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	char line[256];
	size_t n = 0, cap = sizeof(line) - 1;
	int nr = si->si_syscall;
	n = append(line, n, cap, report_prefix);
	n = append(line, n, cap, ": seccomp: system call ");
	if (n + 24 < cap)
		n += fmt_uint(line + n, (unsigned long)nr);
	if (nr >= 0 && nr < SYSCALL_NAMES_MAX && syscall_names[nr]) {
		n = append(line, n, cap, " (");
		n = append(line, n, cap, syscall_names[nr]);
		n = append(line, n, cap, ")");
	}
	n = append(line, n, cap, " is not allowed; stopping\n");
	/* write and exit_group are on every allowlist. */
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
	syscall(SYS_exit_group, SANDBOX_SECCOMP_EXIT);
}

int sandbox_seccomp(const char *who, const struct sandbox_syscall *allow, size_t n,
		    char *err, size_t errlen)
{
	snprintf(report_prefix, sizeof(report_prefix), "%s", who);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL)) {
		snprintf(err, errlen, "sigaction(SIGSYS): %s", strerror(errno));
		return -1;
	}

	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc) {
		snprintf(err, errlen, "seccomp: thread sync unsupported: %s", strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(allow[i].name);
		if (nr == __NR_SCMP_ERROR) {
			snprintf(err, errlen, "seccomp: unknown system call '%s' in the allowlist", allow[i].name);
			rc = -EINVAL;
			goto out;
		}
		if (allow[i].arg_index < 0) {
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		} else {
			for (size_t v = 0; v < allow[i].nvalues && !rc; v++)
				rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
						      SCMP_CMP((unsigned)allow[i].arg_index, SCMP_CMP_EQ,
							       allow[i].values[v]));
		}
		if (rc) {
			snprintf(err, errlen, "seccomp: rule for %s: %s", allow[i].name, strerror(-rc));
			goto out;
		}
	}
	rc = seccomp_load(ctx);
	if (rc)
		snprintf(err, errlen, "seccomp_load: %s", strerror(-rc));
out:
	seccomp_release(ctx);
	return rc ? -1 : 0;
}
