/*
 * qemu_bridge.c - the aivisor-ivshmem process of a QEMU tenant (see
 * qemu_bridge.h).
 */
#include "qemu_bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qemu_err.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reaps pid within timeout_ms; returns 1 and *status when it ended. */
static int reap(pid_t pid, unsigned timeout_ms, int *status)
{
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return 1;
		if (now_ms() >= deadline)
			return 0;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

void qemu_bridge_qemu_owner(char *buf, size_t len)
{
	static const char *const users[] = { "libvirt-qemu", "qemu" };
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
		struct passwd *pw = getpwnam(users[i]);
		if (pw) {
			snprintf(buf, len, "%u:%u", (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
			return;
		}
	}
}

/* The child's stdout is the pipe; "ready PATH" on it means listening. */
static void exec_bridge(const struct qemu_bridge_opts *o, int out_fd)
{
	char mem[32], weight[16];
	snprintf(mem, sizeof mem, "%llu", (unsigned long long)o->memory_mib);
	snprintf(weight, sizeof weight, "%u", o->weight);
	const char *argv[24];
	int n = 0;
	argv[n++] = o->program;
	argv[n++] = "--socket";
	argv[n++] = o->socket;
	argv[n++] = "--memory-mib";
	argv[n++] = mem;
	if (o->vgpu_socket) {
		argv[n++] = "--vgpu-socket";
		argv[n++] = o->vgpu_socket;
	}
	if (o->name) {
		argv[n++] = "--name";
		argv[n++] = o->name;
	}
	if (o->prio) {
		argv[n++] = "--prio";
		argv[n++] = o->prio;
	}
	if (o->weight) {
		argv[n++] = "--weight";
		argv[n++] = weight;
	}
	/* QEMU connects as its own user: the socket (mode 0600) must be its. */
	char owner[64];
	if (o->socket_owner)
		snprintf(owner, sizeof owner, "%s", o->socket_owner);
	else
		qemu_bridge_qemu_owner(owner, sizeof owner);
	if (owner[0]) {
		argv[n++] = "--socket-owner";
		argv[n++] = owner;
	}
	argv[n] = NULL;
	/* Its own session, as a tenant's VMM: a signal to the caller's
	 * process group (Ctrl-C on a foreground daemon) must not take the
	 * tenant's vGPU away. */
	if (setsid() < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	if (o->log_path) {
		int fd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd >= 0 && dup2(fd, STDERR_FILENO) < 0)
			_exit(127);
	}
	execv(o->program, (char *const *)argv);
	fprintf(stderr, "cannot run %s: %s\n", o->program, strerror(errno));
	_exit(127);
}

int qemu_bridge_start(const struct qemu_bridge_opts *o, unsigned timeout_ms, pid_t *pid,
		      char *err, size_t errlen)
{
	*pid = -1;
	if (!o->program || !o->socket || !o->memory_mib)
		return qemu_err(err, errlen, -EINVAL, "bridge: program, socket and memory are required");
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return qemu_err(err, errlen, -errno, "bridge: pipe: %s", strerror(errno));
	pid_t child = fork();
	if (child < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return qemu_err(err, errlen, -e, "bridge: fork: %s", strerror(e));
	}
	if (child == 0)
		exec_bridge(o, p[1]);
	close(p[1]);

	char line[512];
	size_t len = 0;
	long long deadline = now_ms() + timeout_ms;
	int rc = -ETIMEDOUT;
	while (len < sizeof line - 1) {
		long long left = deadline - now_ms();
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		if (left <= 0 || poll(&pf, 1, (int)left) == 0)
			break;
		ssize_t r = read(p[0], line + len, sizeof line - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = -ECHILD;  /* it exited before becoming ready */
			break;
		}
		len += (size_t)r;
		line[len] = '\0';
		if (strchr(line, '\n')) {
			rc = strncmp(line, "ready ", 6) == 0 ? 0 : -EPROTO;
			break;
		}
	}
	close(p[0]);
	if (rc == 0) {
		*pid = child;
		return 0;
	}
	int status;
	if (!reap(child, 0, &status)) {
		kill(child, SIGKILL);
		reap(child, 1000, &status);
	}
	if (rc == -ETIMEDOUT)
		return qemu_err(err, errlen, rc, "bridge %s: not ready within %u ms", o->socket,
				timeout_ms);
	return qemu_err(err, errlen, rc, "bridge %s failed to start (exit status %d%s%s)",
			o->socket, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			o->log_path ? "; see " : "", o->log_path ? o->log_path : "");
}

int qemu_bridge_stop(pid_t pid, unsigned timeout_ms, char *err, size_t errlen)
{
	if (pid <= 0)
		return qemu_err(err, errlen, -EINVAL, "bridge: bad pid %d", (int)pid);
	int status = 0;
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return qemu_err(err, errlen, -errno, "bridge %d: kill: %s", (int)pid, strerror(errno));
	if (!reap(pid, timeout_ms, &status)) {
		kill(pid, SIGKILL);
		reap(pid, 1000, &status);
		return qemu_err(err, errlen, -ECHILD, "bridge %d ignored SIGTERM; killed", (int)pid);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return qemu_err(err, errlen, -ECHILD, "bridge %d ended with status 0x%x", (int)pid,
				status);
	return 0;
}
