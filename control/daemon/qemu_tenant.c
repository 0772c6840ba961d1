/*
 * qemu_tenant.c - tenants of kind qemu: a libvirt/QEMU domain booting the
 * aivisor image (docs/QEMU.md), its vGPU window served by the tenant's
 * aivisor-ivshmem bridge process.
 *
 * The bridge plays the part a microVM's VMM process plays: it is t->proc
 * (pid, start time, pidfd), recorded in the state file so a restarted
 * daemon re-attaches to it; the domain is named after the tenant. The
 * domain is defined when the tenant starts and undefined when it stops, so
 * `virsh list` shows exactly the running tenants beside the user's VMs.
 *
 * libvirt calls block (a connection each, domain start takes seconds), so
 * they run with the registry lock dropped and the tenant marked busy, and
 * the end of a domain is found by a watcher thread polling its state
 * every QEMU_POLL_MS (a domain has no pidfd the daemon could wait on).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "qemu_bridge.h"
#include "qemu_domain.h"
#include "registry_internal.h"

#define QEMU_POLL_MS            500
#define BRIDGE_READY_MS         10000
#define BRIDGE_STOP_MS          5000
#define JOB_EXIT_TAIL           4096   /* bytes of the serial log searched for the job's exit line */
#define JOB_EXIT_LINE           "aivisor-init: job exit "

static const char *uri_of(const struct registry *r)
{
	return r->cfg.qemu_uri[0] ? r->cfg.qemu_uri : QEMU_DEFAULT_URI;
}

/* Fills the image defaults and checks that both files are there, so a
 * missing image is refused when the tenant is defined, naming the file. */
int qemu_tenant__complete_def(const struct registry *r, struct tenant_def *d, char *err, size_t errlen)
{
	if (d->kind != TENANT_KIND_QEMU)
		return 0;
	if (!d->kernel[0] &&
	    snprintf(d->kernel, sizeof(d->kernel), "%s/vmlinuz", r->cfg.images_dir) >= (int)sizeof(d->kernel))
		return registry__set_err(err, errlen, -EINVAL, "kernel: the images directory path is too long");
	if (!d->initrd[0] && snprintf(d->initrd, sizeof(d->initrd), "%s/initramfs.cpio.gz", r->cfg.images_dir) >=
				     (int)sizeof(d->initrd))
		return registry__set_err(err, errlen, -EINVAL, "initrd: the images directory path is too long");
	const char *what[2] = { "kernel", "initrd" };
	const char *path[2] = { d->kernel, d->initrd };
	for (int i = 0; i < 2; i++) {
		struct stat st;
		const char *why = stat(path[i], &st) ? strerror(errno) : S_ISREG(st.st_mode) ? NULL : "not a file";
		if (why)
			return registry__set_err(err, errlen, -EINVAL,
						 "%s: guest image %s is missing (%s; run `make images`)", what[i],
						 path[i], why);
	}
	return 0;
}

void qemu_tenant__log_path(const struct registry *r, const struct tenant_def *d, char *out, size_t size)
{
	if (d->console_log[0])
		snprintf(out, size, "%s", d->console_log);
	else if (snprintf(out, size, "%s/%s.serial", r->cfg.qemu_dir, d->name) >= (int)size)
		out[0] = '\0'; /* qemu_dir is bounded at start-up; an empty path fails visibly */
}

/* The directory of bridge sockets and serial logs belongs to QEMU's user
 * and only it may search it: every QEMU runs as that one user, but a
 * process of any other user cannot reach a tenant's socket. Its parent
 * must let QEMU's user pass (search only, no listing). */
static int prepare_dir(const struct registry *r, char *err, size_t errlen)
{
	char owner[64], parent[PATH_MAX];
	unsigned uid = 0, gid = 0;
	qemu_bridge_qemu_owner(owner, sizeof(owner));
	if (owner[0] && sscanf(owner, "%u:%u", &uid, &gid) != 2)
		return registry__set_err(err, errlen, -EINVAL, "cannot parse QEMU's user '%s'", owner);
	if (mkdir(r->cfg.qemu_dir, 0700) && errno != EEXIST)
		return registry__set_err(err, errlen, -errno, "cannot create %s: %s", r->cfg.qemu_dir, strerror(errno));
	if ((owner[0] && chown(r->cfg.qemu_dir, uid, gid)) || chmod(r->cfg.qemu_dir, 0700))
		return registry__set_err(err, errlen, -errno, "cannot give %s to QEMU's user: %s", r->cfg.qemu_dir,
					 strerror(errno));
	snprintf(parent, sizeof(parent), "%s", r->cfg.qemu_dir);
	char *dir = dirname(parent);
	struct stat st;
	if (owner[0] && !stat(dir, &st) && (st.st_mode & 0011) != 0011 && chmod(dir, (st.st_mode & 07777) | 0011))
		return registry__set_err(err, errlen, -errno, "cannot let QEMU's user search %s: %s", dir,
					 strerror(errno));
	return 0;
}

/* The exit code the image's /init printed last in this run's serial log,
 * or -1 when there is none (destroyed, crashed, no job). */
static int job_exit_code(const char *log)
{
	char buf[JOB_EXIT_TAIL + 1];
	int fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > JOB_EXIT_TAIL ? size - JOB_EXIT_TAIL : 0;
	ssize_t n = size < 0 ? -1 : pread(fd, buf, JOB_EXIT_TAIL, from);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	int code = -1;
	for (const char *p = buf; (p = strstr(p, JOB_EXIT_LINE)) != NULL; p += sizeof(JOB_EXIT_LINE) - 1) {
		int c;
		if (sscanf(p + sizeof(JOB_EXIT_LINE) - 1, "%d", &c) == 1 && c >= 0 && c <= 255)
			code = c;
	}
	return code;
}

/* The previous run's serial log is kept as NAME.serial.1, so the exit line
 * found at the end is this run's. */
static void rotate_log(const char *log)
{
	char old[PATH_MAX + 4];
	snprintf(old, sizeof(old), "%s.1", log);
	if (rename(log, old) && errno != ENOENT)
		log_warn("cannot rotate %s: %s", log, strerror(errno));
}

static int bridge_identify(pid_t pid, struct vm_proc *out, char *err, size_t errlen)
{
	uint64_t ticks;
	int rc = vm_process_start_ticks(pid, &ticks);
	if (!rc)
		rc = vm_process_reattach(pid, ticks, out);
	return rc ? registry__set_err(err, errlen, rc, "bridge pid %d vanished right after it started", (int)pid) : 0;
}

/* Domain first (so QEMU lets go of the socket), then the bridge. Runs
 * unlocked; failures are logged, the tenant ends regardless. */
static void tear_down(const struct registry *r, const char *name, const struct vm_proc *bridge, bool our_child,
		      bool bridge_alive, bool force, unsigned timeout_s)
{
	char err[512];
	int rc = qemu_domain_stop(uri_of(r), name, force, timeout_s, err, sizeof(err));
	if (rc && rc != -ENOENT)
		log_warn("tenant '%s': %s", name, err);
	rc = qemu_domain_undefine(uri_of(r), name, err, sizeof(err));
	if (rc && rc != -ENOENT)
		log_warn("tenant '%s': %s", name, err);
	if (!bridge_alive)
		return;
	if (our_child) {
		if (qemu_bridge_stop(bridge->pid, BRIDGE_STOP_MS, err, sizeof(err)))
			log_warn("tenant '%s': %s", name, err);
		return;
	}
	/* Re-attached after a daemon restart: not our child, so signal and
	 * wait through the pidfd, which a reused pid cannot fool. */
	if (bridge->pidfd < 0)
		return;
	struct pollfd pf = { .fd = bridge->pidfd, .events = POLLIN };
	if (vm_process_signal(bridge, SIGTERM) == 0 && poll(&pf, 1, BRIDGE_STOP_MS) == 1)
		return;
	log_warn("tenant '%s': bridge pid %d ignored SIGTERM; killed", name, (int)bridge->pid);
	vm_process_signal(bridge, SIGKILL);
}

/* Bridge, domain definition, domain start; undone in reverse on failure.
 * Unlocked: works on a copy of the definition. */
static int bring_up(const struct registry *r, const struct tenant_def *d, const char *log, pid_t *bridge, char *err,
		    size_t errlen)
{
	char sock[PATH_MAX + 80], blog[PATH_MAX + 80];
	*bridge = -1;
	if (!r->cfg.vgpu_socket[0])
		return registry__set_err(err, errlen, -EINVAL,
					 "tenant '%s' is kind qemu but the daemon has no vGPU server (--no-vgpud)",
					 d->name);
	int rc = prepare_dir(r, err, errlen);
	if (rc)
		return rc;
	snprintf(sock, sizeof(sock), "%s/%s.sock", r->cfg.qemu_dir, d->name);
	snprintf(blog, sizeof(blog), "%s/%s.bridge.log", r->cfg.qemu_dir, d->name);
	struct qemu_domain_spec spec = {
		.name = d->name, .uuid = d->uuid, .vcpus = d->vcpus, .memory_mib = d->memory_mib,
		.kernel = d->kernel, .initrd = d->initrd, .job = d->job[0] ? d->job : NULL,
		.vgpu_socket = sock, .vgpu_memory_mib = d->vgpu_memory_mib, .serial_log = log,
	};
	/* The XML (and so every path and the job) is checked before anything runs. */
	char *xml;
	rc = qemu_domain_xml(&spec, &xml, err, errlen);
	if (rc)
		return rc;
	free(xml);
	struct qemu_bridge_opts o = {
		.program = r->cfg.ivshmem_path, .socket = sock, .vgpu_socket = r->cfg.vgpu_socket, .name = d->name,
		.memory_mib = d->vgpu_memory_mib, .prio = tenant_priority_name(d->vgpu_priority),
		.weight = d->vgpu_weight, .log_path = blog,
	};
	rc = qemu_bridge_start(&o, BRIDGE_READY_MS, bridge, err, errlen);
	if (rc)
		return rc;
	rotate_log(log);
	rc = qemu_domain_define(uri_of(r), &spec, err, errlen);
	if (!rc) {
		rc = qemu_domain_start(uri_of(r), d->name, err, errlen);
		char why[512];
		if (rc && qemu_domain_undefine(uri_of(r), d->name, why, sizeof(why)))
			log_warn("tenant '%s': %s", d->name, why);
	}
	if (rc) {
		char why[512];
		if (qemu_bridge_stop(*bridge, BRIDGE_STOP_MS, why, sizeof(why)))
			log_warn("tenant '%s': %s", d->name, why);
		*bridge = -1;
	}
	return rc;
}

int qemu_tenant__start(struct registry *r, struct tenant *t, char *err, size_t errlen)
{
	int rc = tenant_admit(r, t, false, err, errlen);
	if (rc)
		return rc;
	struct tenant_def d = t->def;
	char log[PATH_MAX];
	qemu_tenant__log_path(r, &d, log, sizeof(log));
	t->busy = true;
	t->users++;
	pthread_mutex_unlock(&r->lock);

	pid_t bridge;
	struct vm_proc p = { .pid = -1, .pidfd = -1 };
	rc = bring_up(r, &d, log, &bridge, err, errlen);
	if (!rc && (rc = bridge_identify(bridge, &p, err, errlen)))
		tear_down(r, d.name, &(struct vm_proc){ .pid = bridge, .pidfd = -1 }, true, true, true, 0);

	pthread_mutex_lock(&r->lock);
	if (!rc) {
		struct tenant saved = *t;
		lifecycle__record_start(t, &p);
		rc = registry__persist(r, t, err, errlen);
		if (rc) { /* disk and reality must agree: undo the start */
			*t = saved;
			pthread_mutex_unlock(&r->lock);
			tear_down(r, d.name, &p, true, true, true, 0);
			close(p.pidfd);
			pthread_mutex_lock(&r->lock);
		}
	}
	t->users--;
	t->busy = false;
	if (rc) {
		tenant_admission_release(r, t);
		log_warn("tenant '%s': start failed: %s", d.name, err);
	} else {
		log_info("tenant '%s' started: libvirt domain on %s, bridge pid %d", d.name, uri_of(r), (int)p.pid);
	}
	pthread_cond_broadcast(&r->changed);
	return rc;
}

/* Whether the bridge still runs; when it ended and is our child, reaps it
 * and fills kind, code and sig with how. Locked. */
static bool bridge_alive(struct tenant *t, enum tenant_exit_kind *kind, int *code, int *sig)
{
	struct pollfd pf = { .fd = t->proc.pidfd, .events = POLLIN };
	if (t->proc.pidfd >= 0 && poll(&pf, 1, 0) == 0)
		return true;
	*kind = TENANT_EXIT_UNKNOWN;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (t->proc.pidfd >= 0 && t->our_child &&
	    !waitid(P_PIDFD, (id_t)t->proc.pidfd, &si, WEXITED | WNOHANG) && si.si_pid) {
		*kind = si.si_code == CLD_EXITED ? TENANT_EXIT_CODE : TENANT_EXIT_SIGNAL;
		*code = si.si_code == CLD_EXITED ? si.si_status : 0;
		*sig = si.si_code == CLD_EXITED ? 0 : si.si_status;
	}
	return false;
}

/* Ends a running tenant: tears down the domain and the bridge (unlocked,
 * the tenant busy) and records how it ended:
 *   the domain ended by itself: the job's exit code from the serial log,
 *     or killed (signal 9) when there is no such line (destroyed, crashed);
 *   the bridge ended first: its own status (unknown if not our child);
 *   a user shutdown: the job's code if it printed one, else 0; destroy: 9.
 * Locked on entry and return. */
static void end_tenant(struct registry *r, struct tenant *t, bool user_stop, bool force, unsigned timeout_s,
		       bool domain_gone)
{
	enum tenant_exit_kind kind = TENANT_EXIT_UNKNOWN;
	int code = 0, sig = 0;
	bool alive = bridge_alive(t, &kind, &code, &sig);
	struct vm_proc bridge = t->proc;
	bool our_child = t->our_child;
	char name[TENANT_NAME_MAX + 1], log[PATH_MAX];
	snprintf(name, sizeof(name), "%s", t->def.name);
	qemu_tenant__log_path(r, &t->def, log, sizeof(log));
	t->busy = true;
	t->users++;
	pthread_mutex_unlock(&r->lock);
	tear_down(r, name, &bridge, our_child, alive, force, timeout_s);
	int job = job_exit_code(log);
	pthread_mutex_lock(&r->lock);
	t->users--;
	t->busy = false;
	if ((domain_gone || (user_stop && !force)) && job >= 0) {
		kind = TENANT_EXIT_CODE;
		code = job;
		sig = 0;
	} else if (domain_gone || (user_stop && force)) {
		kind = TENANT_EXIT_SIGNAL;
		code = 0;
		sig = SIGKILL;
	} else if (user_stop) {
		kind = TENANT_EXIT_CODE;
		code = sig = 0;
	} /* else the bridge ended first: its status, as bridge_alive found it */
	lifecycle__record_end(r, t, kind, code, sig);
}

int qemu_tenant__stop(struct registry *r, struct tenant *t, bool force, unsigned timeout_s, char *err,
		      size_t errlen)
{
	char name[TENANT_NAME_MAX + 1];
	snprintf(name, sizeof(name), "%s", t->def.name);
	if (t->busy) {
		if (!force)
			return registry__set_err(err, errlen, -EBUSY, "tenant '%s' is already being shut down", name);
		/* destroy during a graceful shutdown: end the domain now; the
		 * shutdown in progress then finishes at once. */
		t->users++;
		pthread_mutex_unlock(&r->lock);
		char why[512];
		int rc = qemu_domain_stop(uri_of(r), name, true, 0, why, sizeof(why));
		pthread_mutex_lock(&r->lock);
		t->users--;
		if (rc && rc != -ENOENT)
			return registry__set_err(err, errlen, -EIO, "tenant '%s': %s", name, why);
		t->users++;
		bool ended = lifecycle__wait_ended(r, t, lifecycle__now_ms() + 30000);
		t->users--;
		return ended ? 0 : registry__set_err(err, errlen, -ETIMEDOUT,
						     "tenant '%s': its shutdown did not finish", name);
	}
	log_info("tenant '%s': %s (libvirt domain)", name, force ? "destroy" : "shutdown");
	t->stop_requested = true;
	t->state = TENANT_STATE_STOPPING;
	pthread_cond_broadcast(&r->changed);
	end_tenant(r, t, true, force, timeout_s, false);
	return 0;
}

void qemu_tenant__recover(struct registry *r, struct tenant *t, pid_t pid, uint64_t start_ticks,
			  const char *boot_id)
{
	struct vm_proc p = { .pid = pid, .pidfd = -1 };
	if (strcmp(boot_id, r->boot_id) || vm_process_reattach(pid, start_ticks, &p)) {
		/* The bridge is gone: the watcher's first pass tears the domain
		 * down and records the end as unknown. */
		p.pidfd = -1;
		log_warn("tenant '%s': its bridge pid %d ended while the daemon was not running", t->def.name,
			 (int)pid);
	} else {
		log_info("tenant '%s': re-attached to bridge pid %d and libvirt domain '%s'", t->def.name, (int)pid,
			 t->def.name);
	}
	t->proc = p;
	t->our_child = false;
	t->state = TENANT_STATE_RUNNING;
	tenant_admit(r, t, true, NULL, 0);
}

/* One pass: asks libvirt (unlocked) about every running qemu tenant and
 * ends those whose domain or bridge is gone. Locked on entry and return. */
static void poll_domains(struct registry *r)
{
	size_t n = 0;
	struct check {
		struct tenant *t;
		pid_t pid;
		char name[TENANT_NAME_MAX + 1];
		bool gone;
	} *c = calloc(r->n ? r->n : 1, sizeof(*c));
	if (!c)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct tenant *t = r->t[i];
		if (t->def.kind != TENANT_KIND_QEMU || t->state != TENANT_STATE_RUNNING || t->busy)
			continue;
		c[n].t = t;
		c[n].pid = t->proc.pid;
		snprintf(c[n].name, sizeof(c[n].name), "%s", t->def.name);
		t->users++; /* not freed while unlocked */
		n++;
	}
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		enum qemu_domain_state st;
		char err[512];
		int rc = qemu_domain_state(uri_of(r), c[i].name, &st, err, sizeof(err));
		c[i].gone = rc == -ENOENT || (!rc && st != QEMU_DOMAIN_RUNNING);
		if (rc && rc != -ENOENT)
			log_debug("tenant '%s': %s", c[i].name, err); /* libvirt away: ask again next pass */
	}
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		struct tenant *t = c[i].t;
		t->users--;
		if (t->state != TENANT_STATE_RUNNING || t->busy || t->proc.pid != c[i].pid)
			continue; /* stopped or restarted meanwhile */
		struct pollfd pf = { .fd = t->proc.pidfd, .events = POLLIN };
		bool bridge_gone = t->proc.pidfd < 0 || poll(&pf, 1, 0) != 0;
		if (!c[i].gone && !bridge_gone)
			continue;
		log_info("tenant '%s': %s", t->def.name,
			 c[i].gone ? "its libvirt domain ended" : "its ivshmem bridge ended; destroying the domain");
		end_tenant(r, t, false, true, 0, c[i].gone);
	}
	free(c);
}

/* Restarts per policy, as the monitor does for microVMs, but here since a
 * start blocks on libvirt. One at a time: the lock is dropped meanwhile. */
static void restart_due(struct registry *r)
{
	for (;;) {
		int64_t now = lifecycle__now_ms();
		struct tenant *t = NULL;
		for (size_t i = 0; i < r->n && !t; i++)
			if (r->t[i]->def.kind == TENANT_KIND_QEMU && r->t[i]->restart_due_ms &&
			    r->t[i]->restart_due_ms <= now && !r->t[i]->busy)
				t = r->t[i];
		if (!t || r->closing)
			return;
		char err[512] = "";
		t->restart_due_ms = 0;
		t->restarts++;
		if (qemu_tenant__start(r, t, err, sizeof(err))) {
			log_error("tenant '%s': restart %u failed: %s", t->def.name, t->restarts, err);
			t->crashes++;
			t->state = TENANT_STATE_CRASHED;
			bool budget = !t->def.max_restarts || t->restarts < t->def.max_restarts;
			t->restart_due_ms = budget ? lifecycle__now_ms() + lifecycle__backoff_ms(t->restarts) : 0;
			if (registry__persist(r, t, err, sizeof(err)))
				log_error("tenant '%s': %s", t->def.name, err);
			pthread_cond_broadcast(&r->changed);
		}
	}
}

static void *watcher_main(void *arg)
{
	struct registry *r = arg;
	pthread_mutex_lock(&r->lock);
	int64_t next = lifecycle__now_ms();
	while (!r->closing) {
		int64_t now = lifecycle__now_ms();
		if (now < next) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t ns = ts.tv_nsec + (next - now) * 1000000;
			ts.tv_sec += ns / 1000000000;
			ts.tv_nsec = ns % 1000000000;
			pthread_cond_timedwait(&r->changed, &r->lock, &ts);
			continue;
		}
		next = now + QEMU_POLL_MS;
		poll_domains(r);
		restart_due(r);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int qemu_tenant__watcher_start(struct registry *r, char *err, size_t errlen)
{
	int rc = pthread_create(&r->qemu_watcher, NULL, watcher_main, r);
	if (rc)
		return registry__set_err(err, errlen, -rc, "cannot start the QEMU domain watcher: %s", strerror(rc));
	r->qemu_watcher_running = true;
	return 0;
}

void qemu_tenant__watcher_stop(struct registry *r)
{
	if (!r->qemu_watcher_running)
		return;
	pthread_mutex_lock(&r->lock);
	r->closing = true;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->qemu_watcher, NULL);
	r->qemu_watcher_running = false;
}
