/*
 * lifecycle.c - starting and stopping tenants' VMM processes, noticing
 * their end at once, and restarting them per policy.
 *
 * One monitor thread waits in epoll on a pidfd per running VM: a pidfd
 * becomes readable the moment its process ends, for children and for VMs
 * re-attached after a daemon restart alike (SIGCHLD only covers children).
 * Only the monitor moves a tenant out of RUNNING/STOPPING, so a tenant with
 * a live pidfd is never freed under it.
 */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "registry_internal.h"

#define MONITOR_TICK_MS   200
#define RESTART_BACKOFF_MAX_MS 5000
#define STOP_KILL_WAIT_MS 5000

int64_t lifecycle__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lifecycle__watch(struct registry *r, struct tenant *t)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = t };
	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, t->proc.pidfd, &ev) ? -errno : 0;
}

void lifecycle__record_start(struct tenant *t, const struct vm_proc *p)
{
	t->proc = *p;
	t->our_child = true;
	t->stop_requested = false;
	t->state = TENANT_STATE_RUNNING;
	t->started_at = time(NULL);
	t->last_exit = TENANT_EXIT_NONE;
	t->restart_due_ms = 0;
}

/* Spawns the VMM and records it durably; on a failed save the fresh
 * process is killed again, so disk and reality never disagree. Locked. */
int lifecycle__spawn(struct registry *r, struct tenant *t, char *err, size_t errlen)
{
	char log_path[PATH_MAX];
	registry__log_path(r, &t->def, log_path, sizeof(log_path));
	struct vm_spawn_opts o = {
		.vmm_path = r->cfg.vmm_path,
		.log_path = log_path,
		.vgpu_socket = r->cfg.vgpu_socket[0] ? r->cfg.vgpu_socket : NULL,
		.tenant_uuid = t->def.uuid,
	};
	struct vm_proc p;
	int rc = tenant_admit(r, t, false, err, errlen);
	if (rc)
		return rc;
	rc = vm_process_spawn(&t->def, &o, &p, err, errlen);
	if (rc) {
		tenant_admission_release(r, t);
		return rc;
	}
	struct tenant saved = *t;
	lifecycle__record_start(t, &p);
	rc = registry__persist(r, t, err, errlen);
	if (!rc)
		rc = lifecycle__watch(r, t);
	if (rc) {
		vm_process_signal(&p, SIGKILL);
		waitpid(p.pid, NULL, 0);
		close(p.pidfd);
		*t = saved;
		tenant_admission_release(r, t);
		if (err && errlen && !err[0])
			registry__set_err(err, errlen, rc, "cannot watch VMM: %s", strerror(-rc));
		return rc;
	}
	tenant_cgroup_attach(r, t);
	log_info("tenant '%s' started: pid %d", t->def.name, (int)p.pid);
	return 0;
}

int registry_start(struct registry *r, const char *name, char *err, size_t errlen)
{
	pthread_mutex_lock(&r->lock);
	int rc;
	struct tenant *t = registry__find(r, name);
	if (!t)
		rc = registry__set_err(err, errlen, -ENOENT, "no tenant named '%s'", name);
	else if (t->state == TENANT_STATE_RUNNING || t->state == TENANT_STATE_STOPPING)
		rc = registry__set_err(err, errlen, -EBUSY, "tenant '%s' is already %s (pid %d)", name,
				       tenant_state_name(t->state), (int)t->proc.pid);
	else if (t->busy)
		rc = registry__set_err(err, errlen, -EBUSY, "tenant '%s' is busy with another request", name);
	else {
		if (err && errlen)
			err[0] = '\0';
		t->restarts = 0; /* a user start begins a new restart budget */
		rc = t->def.kind == TENANT_KIND_QEMU ? qemu_tenant__start(r, t, err, errlen)
						     : lifecycle__spawn(r, t, err, errlen);
	}
	if (!rc)
		pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* Waits, locked, until the tenant is no longer live or the deadline
 * passes. Returns true if it ended. */
bool lifecycle__wait_ended(struct registry *r, struct tenant *t, int64_t deadline_ms)
{
	while (t->state == TENANT_STATE_RUNNING || t->state == TENANT_STATE_STOPPING) {
		int64_t left = deadline_ms - lifecycle__now_ms();
		if (left <= 0)
			return false;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += left / 1000;
		ts.tv_nsec += (left % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->changed, &r->lock, &ts);
	}
	return true;
}

int registry_stop(struct registry *r, const char *name, bool force, unsigned timeout_s, char *err, size_t errlen)
{
	pthread_mutex_lock(&r->lock);
	int rc = 0;
	struct tenant *t = registry__find(r, name);
	if (!t) {
		rc = registry__set_err(err, errlen, -ENOENT, "no tenant named '%s'", name);
		goto out;
	}
	if (t->state != TENANT_STATE_RUNNING && t->state != TENANT_STATE_STOPPING) {
		if (t->restart_due_ms) { /* stopping a tenant between restarts */
			t->restart_due_ms = 0;
			t->state = TENANT_STATE_SHUTOFF;
			rc = registry__persist(r, t, err, errlen);
			log_info("tenant '%s': pending restart cancelled", name);
			goto out;
		}
		rc = registry__set_err(err, errlen, -ESRCH, "tenant '%s' is not running", name);
		goto out;
	}
	if (t->def.kind == TENANT_KIND_QEMU) {
		rc = qemu_tenant__stop(r, t, force, timeout_s, err, errlen);
		goto out;
	}
	if (t->busy && !force) {
		rc = registry__set_err(err, errlen, -EBUSY, "tenant '%s' is already being shut down", name);
		goto out;
	}
	bool owner = !t->busy;
	t->busy = true;
	t->users++;
	t->stop_requested = true;
	t->state = TENANT_STATE_STOPPING;
	pthread_cond_broadcast(&r->changed);
	int sig = force ? SIGKILL : SIGTERM;
	log_info("tenant '%s': %s (pid %d)", name, force ? "destroy" : "shutdown", (int)t->proc.pid);
	if (vm_process_signal(&t->proc, sig) && errno != ESRCH)
		log_warn("tenant '%s': signal %d: %s", name, sig, strerror(errno));
	if (!force && !lifecycle__wait_ended(r, t, lifecycle__now_ms() + (int64_t)timeout_s * 1000)) {
		log_warn("tenant '%s': no exit within %us of SIGTERM; killing", name, timeout_s);
		if (t->proc.pidfd >= 0)
			vm_process_signal(&t->proc, SIGKILL);
	}
	if (!lifecycle__wait_ended(r, t, lifecycle__now_ms() + STOP_KILL_WAIT_MS))
		rc = registry__set_err(err, errlen, -ETIMEDOUT, "tenant '%s' (pid %d) did not die after SIGKILL", name,
				       (int)t->proc.pid);
	t->users--;
	if (owner)
		t->busy = false;
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int64_t lifecycle__backoff_ms(unsigned restarts)
{
	int64_t ms = 100;
	for (unsigned i = 0; i < restarts && ms < RESTART_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < RESTART_BACKOFF_MAX_MS ? ms : RESTART_BACKOFF_MAX_MS;
}

/* Records how a tenant's process ended and applies its restart policy.
 * Locked; called by the monitor only. */
void lifecycle__record_end(struct registry *r, struct tenant *t, enum tenant_exit_kind kind, int code, int sig)
{
	t->last_exit = kind;
	t->exit_code = code;
	t->exit_signal = sig;
	t->ended_at = time(NULL);
	if (t->proc.pidfd >= 0) {
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, t->proc.pidfd, NULL);
		close(t->proc.pidfd);
	}
	t->proc.pidfd = -1;
	tenant_cgroup_release(t);
	tenant_admission_release(r, t);
	bool failed = kind == TENANT_EXIT_SIGNAL || (kind == TENANT_EXIT_CODE && code != 0);
	const char *how = kind == TENANT_EXIT_SIGNAL ? "killed by signal" : kind == TENANT_EXIT_CODE ? "exited with"
									: "ended (status unknown)";
	int what = kind == TENANT_EXIT_SIGNAL ? sig : code;
	if (t->stop_requested) {
		t->state = TENANT_STATE_SHUTOFF;
		t->stop_requested = false;
		log_info("tenant '%s' stopped: %s %d", t->def.name, how, what);
	} else {
		if (failed)
			t->crashes++;
		t->state = failed ? TENANT_STATE_CRASHED : TENANT_STATE_SHUTOFF;
		bool want = t->def.restart == TENANT_RESTART_ALWAYS ||
			    (t->def.restart == TENANT_RESTART_ON_FAILURE && failed);
		bool budget = !t->def.max_restarts || t->restarts < t->def.max_restarts;
		if (want && budget)
			t->restart_due_ms = lifecycle__now_ms() + lifecycle__backoff_ms(t->restarts);
		log_msg(failed ? LOG_WARN : LOG_INFO, "tenant '%s' %s %d%s", t->def.name, how, what,
					       want ? (budget ? "; restarting per policy"
							      : "; restart budget exhausted")
						    : "");
	}
	char err[300];
	if (registry__persist(r, t, err, sizeof(err)))
		log_error("tenant '%s': %s", t->def.name, err);
	pthread_cond_broadcast(&r->changed);
}

static void reap(struct registry *r, struct tenant *t)
{
	if (!t->our_child) {
		lifecycle__record_end(r, t, TENANT_EXIT_UNKNOWN, 0, 0);
		return;
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)t->proc.pidfd, &si, WEXITED | WNOHANG)) {
		log_warn("tenant '%s': waitid: %s", t->def.name, strerror(errno));
		lifecycle__record_end(r, t, TENANT_EXIT_UNKNOWN, 0, 0);
	} else if (si.si_pid == 0) {
		return; /* spurious wake-up: still running */
	} else if (si.si_code == CLD_EXITED) {
		lifecycle__record_end(r, t, TENANT_EXIT_CODE, si.si_status, 0);
	} else {
		lifecycle__record_end(r, t, TENANT_EXIT_SIGNAL, 0, si.si_status);
	}
}

/* Keeps a running tenant's console log under the cap: the full file is
 * moved to <log>.1 by copying (the VMM keeps its O_APPEND descriptor to the
 * original inode) and the original is truncated. */
static void cap_log(struct registry *r, struct tenant *t)
{
	char path[PATH_MAX], old[PATH_MAX + 4];
	registry__log_path(r, &t->def, path, sizeof(path));
	struct stat st;
	if (stat(path, &st) || (uint64_t)st.st_size <= r->cfg.log_cap_bytes)
		return;
	snprintf(old, sizeof(old), "%s.1", path);
	int in = open(path, O_RDWR | O_CLOEXEC);
	int out = open(old, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (in < 0 || out < 0) {
		log_warn("tenant '%s': cannot rotate %s: %s", t->def.name, path, strerror(errno));
	} else {
		char buf[65536];
		ssize_t n;
		bool ok = true;
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n) {
				ok = false;
				break;
			}
		if (n < 0 || !ok || ftruncate(in, 0))
			log_warn("tenant '%s': rotating %s failed: %s", t->def.name, path, strerror(errno));
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

static void tick(struct registry *r)
{
	int64_t now = lifecycle__now_ms();
	for (size_t i = 0; i < r->n; i++) {
		struct tenant *t = r->t[i];
		/* QEMU tenants: the watcher restarts them (a start blocks on
		 * libvirt), and QEMU writes its serial file at its own offset,
		 * so truncating it under QEMU would leave a hole. */
		if (t->def.kind == TENANT_KIND_QEMU)
			continue;
		if (t->state == TENANT_STATE_RUNNING || t->state == TENANT_STATE_STOPPING)
			cap_log(r, t);
		if (t->restart_due_ms && t->restart_due_ms <= now && !t->busy) {
			char err[300] = "";
			t->restarts++;
			if (lifecycle__spawn(r, t, err, sizeof(err))) {
				log_error("tenant '%s': restart %u failed: %s", t->def.name, t->restarts, err);
				t->crashes++;
				t->state = TENANT_STATE_CRASHED;
				bool budget = !t->def.max_restarts || t->restarts < t->def.max_restarts;
				t->restart_due_ms = budget ? now + lifecycle__backoff_ms(t->restarts) : 0;
			}
			pthread_cond_broadcast(&r->changed);
		}
	}
}

static void *monitor_main(void *arg)
{
	struct registry *r = arg;
	struct epoll_event evs[32];
	for (;;) {
		int n = epoll_wait(r->epfd, evs, 32, MONITOR_TICK_MS);
		if (n < 0 && errno != EINTR) {
			log_error("monitor: epoll_wait: %s", strerror(errno));
			continue;
		}
		pthread_mutex_lock(&r->lock);
		if (r->closing) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.ptr)
				reap(r, evs[i].data.ptr);
		tick(r);
		pthread_mutex_unlock(&r->lock);
	}
}

int lifecycle__monitor_start(struct registry *r, char *err, size_t errlen)
{
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->epfd < 0 || r->wakefd < 0)
		goto fail;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->wakefd, &ev))
		goto fail;
	int rc = pthread_create(&r->monitor, NULL, monitor_main, r);
	if (rc) {
		errno = rc;
		goto fail;
	}
	r->monitor_running = true;
	return 0;
fail:
	registry__set_err(err, errlen, -errno, "cannot start the VM monitor: %s", strerror(errno));
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->wakefd >= 0)
		close(r->wakefd);
	r->epfd = r->wakefd = -1;
	return -1;
}

void lifecycle__monitor_stop(struct registry *r)
{
	if (r->monitor_running) {
		pthread_mutex_lock(&r->lock);
		r->closing = true;
		pthread_mutex_unlock(&r->lock);
		uint64_t one = 1;
		if (write(r->wakefd, &one, sizeof(one)) != sizeof(one))
			log_warn("monitor: wake-up failed: %s", strerror(errno));
		pthread_join(r->monitor, NULL);
		r->monitor_running = false;
	}
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->wakefd >= 0)
		close(r->wakefd);
}

void registry_vgpu_lost(void *arg)
{
	struct registry *r = arg;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++) {
		struct tenant *t = r->t[i];
		if (t->state != TENANT_STATE_RUNNING || !t->def.vgpu_memory_mib || t->proc.pidfd < 0)
			continue;
		log_error("tenant '%s': the vGPU server died under it; killing its VM (restart per policy)",
			  t->def.name);
		if (vm_process_signal(&t->proc, SIGKILL))
			log_warn("tenant '%s': kill: %s", t->def.name, strerror(errno));
	}
	pthread_mutex_unlock(&r->lock);
}
