/*
 * vm_process.c - spawning and identifying VMM processes.
 *
 * posix_spawn (not fork) because the daemon is multi-threaded: nothing runs
 * in the child between fork and exec but the spawn machinery itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm_process.h"

/* --memory, --vcpus, --name, 4 vGPU flags, 2 per share, program, args, NULL */
#define VMM_ARGV_MAX (1 + 2 * 3 + 2 * 4 + 2 * TENANT_SHARES_MAX + 1 + TENANT_ARGS_MAX + 1)

struct argv_buf {
	char *argv[VMM_ARGV_MAX];
	int argc;
	char nums[8][24];
	char shares[TENANT_SHARES_MAX][2 * TENANT_PATH_MAX + 8];
};

static void push(struct argv_buf *b, const char *s)
{
	b->argv[b->argc++] = (char *)s;
}

static const char *num(struct argv_buf *b, int slot, uint64_t v)
{
	snprintf(b->nums[slot], sizeof(b->nums[slot]), "%" PRIu64, v);
	return b->nums[slot];
}

static void build_argv(struct argv_buf *b, const struct tenant_def *d, const struct vm_spawn_opts *o)
{
	b->argc = 0;
	push(b, o->vmm_path);
	push(b, "--memory");
	push(b, num(b, 0, d->memory_mib));
	push(b, "--vcpus");
	push(b, num(b, 1, d->vcpus));
	push(b, "--name");
	push(b, d->name);
	if (o->vgpu_socket && d->vgpu_memory_mib) {
		push(b, "--vgpu-socket");
		push(b, o->vgpu_socket);
		push(b, "--vgpu-memory");
		push(b, num(b, 2, d->vgpu_memory_mib));
		push(b, "--vgpu-weight");
		push(b, num(b, 3, d->vgpu_weight));
		push(b, "--priority");
		push(b, tenant_priority_name(d->vgpu_priority));
	}
	for (unsigned i = 0; i < d->nshares && i < TENANT_SHARES_MAX; i++) {
		const struct tenant_share *s = &d->shares[i];
		snprintf(b->shares[i], sizeof(b->shares[i]), "%s:%s%s", s->host_dir,
			 s->guest_dir[0] ? s->guest_dir : s->host_dir, s->rw ? ":rw" : "");
		push(b, "--share");
		push(b, b->shares[i]);
	}
	push(b, d->program);
	for (unsigned i = 0; i < d->nargs && i < TENANT_ARGS_MAX; i++)
		push(b, d->args[i]);
	b->argv[b->argc] = NULL;
}

/* Reads /proc/PID/stat past the command name (which may hold spaces and
 * parentheses): returns a pointer to field 3, the state letter. */
static char *stat_fields(pid_t pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

struct proc_stat {
	char state;
	unsigned long long utime, stime, start_ticks;
	long rss_pages;
};

static int read_stat(pid_t pid, struct proc_stat *st)
{
	char buf[1024];
	const char *p = stat_fields(pid, buf, sizeof(buf));
	if (!p)
		return errno == ENOENT ? -ESRCH : -EIO;
	/* Fields 3..: state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime(14) stime(15) cutime cstime priority nice
	 * num_threads itrealvalue starttime(22) vsize rss(24) */
	if (sscanf(p, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %*u %ld",
		   &st->state, &st->utime, &st->stime, &st->start_ticks, &st->rss_pages) != 5)
		return -EIO;
	return 0;
}

int vm_process_start_ticks(pid_t pid, uint64_t *ticks)
{
	struct proc_stat st;
	int rc = read_stat(pid, &st);
	if (!rc)
		*ticks = st.start_ticks;
	return rc;
}

int vm_process_spawn_argv(char *const argv[], char *const envp[], const char *stdin_path, const char *log_path,
			  struct vm_proc *out, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc;

	if (stdin_path && stdin_path[0] && access(stdin_path, R_OK)) {
		rc = -errno;
		snprintf(err, errlen, "stdin %s: %s", stdin_path, strerror(-rc));
		return rc;
	}
	if (access(argv[0], X_OK)) {
		rc = -errno;
		snprintf(err, errlen, "%s is not executable: %s", argv[0], strerror(-rc));
		return rc;
	}
	int logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (logfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "log %s: %s", log_path, strerror(-rc));
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, stdin_path && stdin_path[0] ? stdin_path : "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, logfd, 1);
	posix_spawn_file_actions_adddup2(&fa, logfd, 2);
	/* Own session: a signal to the daemon's group never reaches a VM, and
	 * VMs outlive a daemon restart. Default signal dispositions and an
	 * empty mask, whatever the daemon blocked for its signalfd. */
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	extern char **environ;
	pid_t pid;
	rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(logfd);
	if (rc) {
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(rc));
		return -rc;
	}
	out->pid = pid;
	/* Our unreaped child cannot vanish, so these cannot race its exit. */
	out->pidfd = pidfd_open(pid, 0);
	if (out->pidfd < 0 || vm_process_start_ticks(pid, &out->start_ticks)) {
		rc = errno ? -errno : -EIO;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snprintf(err, errlen, "cannot watch process %d: %s", (int)pid, strerror(-rc));
		if (out->pidfd >= 0)
			close(out->pidfd);
		out->pidfd = -1;
		return rc;
	}
	return 0;
}

int vm_process_spawn(const struct tenant_def *d, const struct vm_spawn_opts *o, struct vm_proc *out, char *err,
		     size_t errlen)
{
	static struct argv_buf b; /* large; callers hold the registry lock */
	if (access(d->program, R_OK)) {
		int rc = -errno;
		snprintf(err, errlen, "program %s: %s", d->program, strerror(-rc));
		return rc;
	}
	build_argv(&b, d, o);
	/* Our environment minus any inherited marker, plus this tenant's. */
	extern char **environ;
	size_t n = 0;
	while (environ[n])
		n++;
	char **envp = calloc(n + 2, sizeof(*envp));
	char marker[sizeof(VM_TENANT_ENV) + TENANT_UUID_LEN + 1];
	if (!envp) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], VM_TENANT_ENV, sizeof(VM_TENANT_ENV) - 1))
			envp[k++] = environ[i];
	snprintf(marker, sizeof(marker), VM_TENANT_ENV "%s", o->tenant_uuid ? o->tenant_uuid : "");
	envp[k++] = marker;
	envp[k] = NULL;
	int rc = vm_process_spawn_argv(b.argv, envp, d->stdin_path, o->log_path, out, err, errlen);
	free(envp);
	return rc;
}

int vm_process_tenant_uuid(pid_t pid, char *out, size_t size)
{
	char path[64];
	static char buf[65536]; /* only the recovery at daemon start calls this */
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
		if (!strncmp(buf + i, VM_TENANT_ENV, sizeof(VM_TENANT_ENV) - 1)) {
			snprintf(out, size, "%s", buf + i + sizeof(VM_TENANT_ENV) - 1);
			return 0;
		}
	return -1;
}

int vm_process_reattach(pid_t pid, uint64_t start_ticks, struct vm_proc *out)
{
	if (pid <= 0)
		return -ESRCH;
	int fd = pidfd_open(pid, 0);
	if (fd < 0)
		return -errno;
	/* Checked after opening the pidfd: if the start time matches now, the
	 * pidfd refers to the recorded process, even if it exits later. */
	/* A zombie has ended: whoever adopted it has not reaped it yet. */
	struct proc_stat st;
	if (read_stat(pid, &st) || st.start_ticks != start_ticks || st.state == 'Z' || st.state == 'X') {
		close(fd);
		return -ESRCH;
	}
	out->pid = pid;
	out->start_ticks = start_ticks;
	out->pidfd = fd;
	return 0;
}

int vm_process_signal(const struct vm_proc *p, int sig)
{
	if (p->pidfd < 0)
		return -EBADF;
	return pidfd_send_signal(p->pidfd, sig, NULL, 0) ? -errno : 0;
}

int vm_process_usage(pid_t pid, uint64_t *cpu_ns, uint64_t *rss_kib)
{
	struct proc_stat st;
	int rc = read_stat(pid, &st);
	if (rc)
		return rc;
	long hz = sysconf(_SC_CLK_TCK);
	long page = sysconf(_SC_PAGESIZE);
	*cpu_ns = (st.utime + st.stime) * (1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100));
	*rss_kib = (uint64_t)(st.rss_pages > 0 ? st.rss_pages : 0) * (uint64_t)(page > 0 ? page : 4096) / 1024;
	return 0;
}
