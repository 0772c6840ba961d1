/*
 * vgpud.c - running and watching the vGPU server.
 *
 * A thread waits on the server's pidfd; when the server dies it is logged
 * and restarted with a growing delay (so a server that cannot start does
 * not spin). VMs attached to the dead server see their attachment fail and
 * report an error to the guest; VMs started after the restart attach anew.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tenant.h"
#include "vgpu_host.h"
#include "vgpud.h"
#include "vm_process.h"

#define VGPUD_READY_MS      3000
#define VGPUD_BACKOFF_MAX_MS 5000

struct vgpud {
	pthread_mutex_t lock;
	char binary[TENANT_PATH_MAX];
	char socket[TENANT_PATH_MAX];
	char log[TENANT_PATH_MAX];
	char threads[16];     /* --threads for the server; "" = its default */
	char record[TENANT_PATH_MAX]; /* <socket>.pid: "PID START_TICKS" of the server we run */
	bool present;     /* a server is (meant to be) on socket */
	bool owned;       /* we run it */
	bool child;       /* ... and it is our child (else adopted after a daemon restart) */
	bool up;
	unsigned restarts;
	struct vm_proc proc;
	int stop_pipe[2];
	void (*on_death)(void *ctx);
	void *on_death_ctx;
	pthread_t thread;
	bool thread_running;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static int spawn(struct vgpud *v, char *err, size_t errlen)
{
	char *argv[] = { v->binary, "--socket", v->socket, v->threads[0] ? "--threads" : NULL, v->threads, NULL };
	int rc = vm_process_spawn_argv(argv, NULL, NULL, v->log, &v->proc, err, errlen);
	if (rc)
		return rc;
	/* Ready when it answers on its socket. */
	for (int waited = 0; waited < VGPUD_READY_MS; waited += 20) {
		if (vgpu_server_alive(v->socket))
			return 0;
		if (waitpid(v->proc.pid, NULL, WNOHANG) == v->proc.pid) {
			close(v->proc.pidfd);
			v->proc.pidfd = -1;
			snprintf(err, errlen, "%s exited at start; see %s", v->binary, v->log);
			return -EIO;
		}
		sleep_ms(20);
	}
	snprintf(err, errlen, "%s did not answer on %s within %d ms", v->binary, v->socket, VGPUD_READY_MS);
	vm_process_signal(&v->proc, SIGKILL);
	waitpid(v->proc.pid, NULL, 0);
	close(v->proc.pidfd);
	v->proc.pidfd = -1;
	return -ETIMEDOUT;
}

/* Remembers the server we run, so the next daemon adopts it instead of
 * treating it as someone else's. */
static void write_record(struct vgpud *v)
{
	char tmp[TENANT_PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", v->record);
	FILE *f = fopen(tmp, "we");
	if (!f || fprintf(f, "%d %llu\n", (int)v->proc.pid, (unsigned long long)v->proc.start_ticks) < 0 ||
	    fclose(f) || rename(tmp, v->record)) {
		log_warn("cannot record the vGPU server in %s: %s", v->record, strerror(errno));
		unlink(tmp);
	}
}

/* Adopts the server a previous daemon started, if the record names a live
 * process. */
static bool adopt(struct vgpud *v)
{
	int pid = 0;
	unsigned long long ticks = 0;
	FILE *f = fopen(v->record, "re");
	if (!f)
		return false;
	int ok = fscanf(f, "%d %llu", &pid, &ticks) == 2;
	fclose(f);
	return ok && vm_process_reattach((pid_t)pid, ticks, &v->proc) == 0;
}

static void *watch_main(void *arg)
{
	struct vgpud *v = arg;
	int backoff = 100;
	for (;;) {
		struct pollfd p[2] = { { v->stop_pipe[0], POLLIN, 0 }, { v->proc.pidfd, POLLIN, 0 } };
		int n = poll(p, v->proc.pidfd >= 0 ? 2 : 1, v->proc.pidfd >= 0 ? -1 : backoff);
		if (n < 0 && errno != EINTR)
			log_error("vgpud watch: poll: %s", strerror(errno));
		if (p[0].revents)
			return NULL;
		if (v->proc.pidfd >= 0 && p[1].revents) {
			int status = 0;
			if (v->child && waitpid(v->proc.pid, &status, 0) == v->proc.pid)
				log_error("vGPU server pid %d died (%s %d); restarting", (int)v->proc.pid,
					  WIFSIGNALED(status) ? "signal" : "exit",
					  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			else
				log_error("vGPU server pid %d died; restarting", (int)v->proc.pid);
			close(v->proc.pidfd);
			pthread_mutex_lock(&v->lock);
			v->proc.pidfd = -1;
			v->up = false;
			/* Called under our lock, so vgpud_on_death(NULL) waits for a
			 * call in progress before its context may be freed. */
			if (v->on_death)
				v->on_death(v->on_death_ctx);
			pthread_mutex_unlock(&v->lock);
			/* Respawned at once (below): the tenants just killed are
			 * restarted 100 ms later and should find it back. */
		}
		if (v->proc.pidfd < 0) {
			char err[300];
			int rc = spawn(v, err, sizeof(err));
			pthread_mutex_lock(&v->lock);
			if (!rc) {
				v->up = true;
				v->child = true;
				v->restarts++;
				write_record(v);
				backoff = 100;
				log_info("vGPU server restarted: pid %d", (int)v->proc.pid);
			} else {
				log_error("vGPU server restart failed: %s", err);
				backoff = backoff * 2 > VGPUD_BACKOFF_MAX_MS ? VGPUD_BACKOFF_MAX_MS : backoff * 2;
			}
			pthread_mutex_unlock(&v->lock);
		}
	}
}

struct vgpud *vgpud_start(const char *binary, const char *socket_path, const char *log_path, unsigned threads,
			  char *err, size_t errlen)
{
	struct vgpud *v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&v->lock, NULL);
	v->proc.pidfd = -1;
	v->stop_pipe[0] = v->stop_pipe[1] = -1;
	snprintf(v->socket, sizeof(v->socket), "%s", socket_path);
	snprintf(v->log, sizeof(v->log), "%s", log_path);
	if (snprintf(v->record, sizeof(v->record), "%s.pid", socket_path) >= (int)sizeof(v->record)) {
		snprintf(err, errlen, "vGPU socket path too long");
		free(v);
		return NULL;
	}
	if (threads)
		snprintf(v->threads, sizeof(v->threads), "%u", threads);
	bool usable = binary && !access(binary, X_OK);
	if (usable)
		snprintf(v->binary, sizeof(v->binary), "%s", binary);
	int rc = 0;
	if (vgpu_server_alive(socket_path)) {
		if (!usable || !adopt(v)) {
			v->present = v->up = true;
			log_info("using the vGPU server already answering on %s", socket_path);
			return v;
		}
		log_info("vGPU server pid %d (started by a previous daemon) adopted", (int)v->proc.pid);
	} else if (!usable) {
		log_warn("no vGPU server (%s not executable): tenants run without a vGPU",
			 binary ? binary : "aivisor-vgpud");
		return v;
	} else {
		rc = spawn(v, err, errlen);
		if (rc)
			goto fail;
		v->child = true;
		write_record(v);
	}
	if (pipe2(v->stop_pipe, O_CLOEXEC) || (rc = pthread_create(&v->thread, NULL, watch_main, v))) {
		snprintf(err, errlen, "cannot watch the vGPU server: %s", strerror(rc ? rc : errno));
		vm_process_signal(&v->proc, SIGKILL);
		if (v->child)
			waitpid(v->proc.pid, NULL, 0);
		goto fail;
	}
	v->thread_running = true;
	v->present = v->owned = v->up = true;
	log_info("vGPU server watched: pid %d, socket %s", (int)v->proc.pid, socket_path);
	return v;
fail:
	if (v->proc.pidfd >= 0)
		close(v->proc.pidfd);
	if (v->stop_pipe[0] >= 0) {
		close(v->stop_pipe[0]);
		close(v->stop_pipe[1]);
	}
	free(v);
	return NULL;
}

void vgpud_stop(struct vgpud *v, bool terminate)
{
	if (v->thread_running) {
		if (write(v->stop_pipe[1], "x", 1) != 1)
			log_warn("vgpud: cannot wake the watcher: %s", strerror(errno));
		pthread_join(v->thread, NULL);
		close(v->stop_pipe[0]);
		close(v->stop_pipe[1]);
	}
	if (v->owned && v->proc.pidfd >= 0) {
		if (terminate) {
			vm_process_signal(&v->proc, SIGTERM);
			if (v->child)
				waitpid(v->proc.pid, NULL, 0);
			else
				poll(&(struct pollfd){ v->proc.pidfd, POLLIN, 0 }, 1, 2000);
			if (unlink(v->record) && errno != ENOENT)
				log_warn("cannot remove %s: %s", v->record, strerror(errno));
		} else {
			log_info("vGPU server pid %d left running for the running tenants", (int)v->proc.pid);
		}
		close(v->proc.pidfd);
	}
	pthread_mutex_destroy(&v->lock);
	free(v);
}

void vgpud_on_death(struct vgpud *v, void (*fn)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&v->lock);
	v->on_death = fn;
	v->on_death_ctx = ctx;
	pthread_mutex_unlock(&v->lock);
}

const char *vgpud_socket(const struct vgpud *v)
{
	return v->present ? v->socket : NULL;
}

const char *vgpud_status(struct vgpud *v)
{
	if (!v->present)
		return "absent";
	if (!v->owned)
		return "external";
	pthread_mutex_lock(&v->lock);
	bool up = v->up;
	pthread_mutex_unlock(&v->lock);
	return up ? "running" : "restarting";
}

unsigned vgpud_restarts(struct vgpud *v)
{
	pthread_mutex_lock(&v->lock);
	unsigned n = v->restarts;
	pthread_mutex_unlock(&v->lock);
	return n;
}

json_t *vgpud_stats(struct vgpud *v, char *err, size_t errlen)
{
	if (!v->present) {
		snprintf(err, errlen, "no vGPU server");
		return NULL;
	}
	char *text = NULL;
	if (vgpu_stats(v->socket, &text, err, errlen))
		return NULL;
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	free(text);
	if (!j)
		snprintf(err, errlen, "vGPU stats are not JSON: %s", jerr.text);
	return j;
}
