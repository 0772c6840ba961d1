/*
 * server.c - starting and stopping a vGPU server: backend, scheduler,
 * socket, and the executor thread.  Used by aivisor-vgpud and embedded in
 * any process (vgpu_host.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sched.h"
#include "server_internal.h"
#include "../common/vgpu_err.h"

/* Polling after work: long enough to catch the next command of a tenant
 * that runs a tight submit/wait loop, short enough not to burn a core. */
#define DEFAULT_POLL_NS 200000ull
/* First guesses of the GEMM and int8 GEMM rates (flops per ns) until
 * measured. */
#define INITIAL_FLOPS_PER_NS 50.0
#define INITIAL_I8_FLOPS_PER_NS 5.0

int vgpu_server_start(const struct vgpu_server_config *c, struct vgpu_server **out,
		      char *err, size_t errlen)
{
	*out = NULL;
	const char *path = c && c->socket_path ? c->socket_path : VGPU_DEFAULT_SOCKET;
	char why[160] = "";
	const struct vgpu_backend *be = vgpu_backend_find(c ? c->backend : NULL, why, sizeof(why));
	if (!be)
		return vgpu_err(err, errlen, -EINVAL, "%s", why);
	struct vgpu_server *s = calloc(1, sizeof(*s));
	if (!s)
		return vgpu_err(err, errlen, -ENOMEM, "out of memory");
	s->listen_fd = s->epoll_fd = s->stop_fd = s->lane.done_fd = -1;
	s->sock_dir_fd = s->fd_dir_fd = -1;
	if (strlen(path) >= sizeof(s->socket_path)) {
		free(s);
		return vgpu_err(err, errlen, -ENAMETOOLONG, "socket path too long: %s", path);
	}
	strcpy(s->socket_path, path);
	s->backend = be;
	snprintf(s->backend_reason, sizeof(s->backend_reason), "%s", why);
	s->poll_ns = DEFAULT_POLL_NS;
	s->flops_per_ns[0] = INITIAL_FLOPS_PER_NS;
	s->flops_per_ns[1] = INITIAL_I8_FLOPS_PER_NS;
	int rc = be->init(c ? c->threads : 0, err, errlen);
	if (rc) {
		free(s);
		return rc;
	}
	struct sched_config sc = { .slice_ns = c && c->slice_us ? (uint64_t)c->slice_us * 1000 : 0 };
	if (sched_config_check(&sc, why, sizeof(why))) {
		rc = vgpu_err(err, errlen, -EINVAL, "bad slice: %s", why);
		goto fail;
	}
	s->sched = sched_create(&sc);
	if (!s->sched) {
		rc = vgpu_err(err, errlen, -errno, "creating the scheduler: %s", strerror(errno));
		goto fail;
	}
	s->slice_ns = sched_chunk_ns(s->sched);
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->epoll_fd < 0 || s->stop_fd < 0) {
		rc = vgpu_err(err, errlen, -errno, "epoll/eventfd: %s", strerror(errno));
		goto fail;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = s->stop_fd };
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->stop_fd, &ev)) {
		rc = vgpu_err(err, errlen, -errno, "epoll: %s", strerror(errno));
		goto fail;
	}
	stats_init();
	s->fd_dir_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->fd_dir_fd < 0) {
		rc = vgpu_err(err, errlen, -errno, "/proc/self/fd: %s", strerror(errno));
		goto fail;
	}
	if ((rc = listener_open(s, err, errlen)))
		goto fail;
	if (c && c->before_threads && (rc = c->before_threads(c->before_threads_arg, err, errlen)))
		goto fail;
	if ((rc = lane_start(s, err, errlen)))
		goto fail;
	if ((rc = -pthread_create(&s->thread, NULL, executor_main, s))) {
		vgpu_err(err, errlen, rc, "starting the executor thread: %s", strerror(-rc));
		goto fail;
	}
	s->thread_started = true;
	*out = s;
	return 0;
fail:
	vgpu_server_stop(s);
	return rc;
}

const char *vgpu_server_backend(const struct vgpu_server *s)
{
	return s->backend->name;
}

const char *vgpu_server_backend_reason(const struct vgpu_server *s)
{
	return s->backend_reason;
}

void vgpu_server_stop(struct vgpu_server *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		uint64_t one = 1;
		ssize_t r = write(s->stop_fd, &one, sizeof(one));
		(void)r; /* a fresh eventfd cannot be saturated */
		pthread_join(s->thread, NULL);
	}
	while (s->ntenants)
		tenant_detach(s, s->tenants[s->ntenants - 1]);
	lane_stop(s);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		/* Through the directory fd: the path may be out of reach. */
		unlinkat(s->sock_dir_fd, s->sock_base, 0);
	}
	if (s->sock_dir_fd >= 0)
		close(s->sock_dir_fd);
	if (s->fd_dir_fd >= 0)
		close(s->fd_dir_fd);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->sched)
		sched_destroy(s->sched);
	s->backend->fini();
	free(s);
}
