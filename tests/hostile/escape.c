/*
 * escape: a hostile guest that tries to leave its microVM through system
 * calls: new processes and threads, host devices and kernel files through
 * a share of the host's root, and other users' files.  Every attempt must
 * fail; prints "refused NAME: errno" per attempt, exits 0 only if all did.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;

static void expect_fail(const char *name, long rc)
{
	if (rc >= 0) {
		printf("NOT refused %s: returned %ld\n", name, rc);
		failures++;
	} else {
		printf("refused %s: %s\n", name, strerror(errno));
	}
}

int main(int argc, char **argv)
{
	/* argv[1]: where the host's root is shared in the guest (read-only). */
	const char *root = argc > 1 ? argv[1] : "/host";
	char path[512];

	expect_fail("fork", syscall(SYS_fork));
	expect_fail("vfork", syscall(SYS_vfork));
	expect_fail("clone-thread", syscall(SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 0, 0, 0));
	char *const av[] = { "/bin/sh", NULL };
	expect_fail("execve", syscall(SYS_execve, "/bin/sh", av, NULL));
	expect_fail("ptrace", syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0));
	expect_fail("socket", syscall(SYS_socket, AF_INET, SOCK_STREAM, 0));
	expect_fail("kill-host-init", syscall(SYS_kill, 1, SIGKILL));
	expect_fail("mount", syscall(SYS_mount, "none", "/", "tmpfs", 0, 0));
	expect_fail("open-absolute-host-path", open("/etc/passwd", O_RDONLY));

	static const char *inside[] = {
		"proc/self/environ", "proc/1/mem", "sys/kernel/notes", "dev/kvm", "dev/mem", "etc/shadow",
	};
	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, inside[i]);
		char name[64];
		snprintf(name, sizeof(name), "open-%s", inside[i]);
		expect_fail(name, open(path, O_RDONLY));
	}
	snprintf(path, sizeof(path), "%s/tmp/aivisor-escape-probe", root);
	expect_fail("create-in-read-only-share", open(path, O_WRONLY | O_CREAT, 0600));

	printf("%d escape(s) not refused\n", failures);
	return failures ? 1 : 0;
}
