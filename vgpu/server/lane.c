/*
 * lane.c - the second executor lane: a thread that runs one long GEMM
 * piece of a lower-class tenant while the executor thread stays free to
 * run a higher class's commands at once.
 *
 * Why: a GEMM piece cannot be interrupted, so with one thread a
 * high-priority command waited for the piece in progress (up to a slice),
 * and thinner pieces cost the trainers their BLAS efficiency (each piece
 * repacks B).  With the lane, pieces keep their efficient size and an
 * arriving high-priority command only waits for the executor to notice it.
 *
 * Ownership: the executor owns every tenant's state, as before.  While a
 * piece is in flight (s->inflight), the lane reads that tenant's validated
 * command copy and computes into its arena; the executor does not touch
 * that tenant's execution state, and a detach waits for the piece
 * (lane_wait) before the arena is unmapped.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server_internal.h"
#include "../common/vgpu_err.h"

#define LANE_NICE 19

static void *lane_main(void *arg)
{
	struct vgpu_server *s = arg;
	struct lane *l = &s->lane;
	/* The lane runs lower-class work only while a higher class is
	 * attached: it must not take a CPU from that tenant's own threads
	 * (its vCPU, the executor serving it) on a small host, just as a GPU
	 * kernel would not.  The lowest nice value lets them preempt it at
	 * once; failure only costs latency, so it is not fatal. */
	int nice_errno = setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), LANE_NICE) ? errno : 0;
	pthread_mutex_lock(&l->mu);
	/* lane_start waits for this: the thread's own set-up calls are done
	 * before the server returns (and a seccomp filter goes on). */
	l->nice_errno = nice_errno;
	l->ready = true;
	pthread_cond_broadcast(&l->cv);
	for (;;) {
		while (!l->job && !l->quit)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->quit)
			break;
		pthread_mutex_unlock(&l->mu);
		l->t0 = vgpu_now_ns();
		l->rc = s->backend->run(l->arena, l->arena_size, &l->cmd, l->rb, l->re);
		l->t1 = vgpu_now_ns();
		pthread_mutex_lock(&l->mu);
		l->job = false;
		__atomic_store_n(&l->finished, true, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&l->cv);
		uint64_t one = 1;
		ssize_t r = write(l->done_fd, &one, sizeof(one));
		(void)r; /* a saturated counter is a signal already */
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

int lane_start(struct vgpu_server *s, char *err, size_t errlen)
{
	struct lane *l = &s->lane;
	l->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->done_fd < 0)
		return vgpu_err(err, errlen, -errno, "lane eventfd: %s", strerror(errno));
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = l->done_fd };
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, l->done_fd, &ev))
		return vgpu_err(err, errlen, -errno, "epoll: %s", strerror(errno));
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	int rc = pthread_create(&l->thread, NULL, lane_main, s);
	if (rc)
		return vgpu_err(err, errlen, -rc, "starting the lane thread: %s", strerror(rc));
	l->started = true;
	pthread_mutex_lock(&l->mu);
	while (!l->ready)
		pthread_cond_wait(&l->cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
	return 0;
}

void lane_stop(struct vgpu_server *s)
{
	struct lane *l = &s->lane;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->quit = true;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->thread, NULL);
		pthread_mutex_destroy(&l->mu);
		pthread_cond_destroy(&l->cv);
		l->started = false;
	}
	if (l->done_fd >= 0)
		close(l->done_fd);
	l->done_fd = -1;
}

void lane_submit(struct vgpu_server *s, struct tenant *t, uint32_t rb, uint32_t re)
{
	struct lane *l = &s->lane;
	pthread_mutex_lock(&l->mu);
	l->arena = t->arena;
	l->arena_size = t->lay.arena_size;
	l->cmd = t->ex.cur;
	l->rb = rb;
	l->re = re;
	l->job = true;
	__atomic_store_n(&l->finished, false, __ATOMIC_RELAXED);
	s->inflight = t;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

bool lane_finished(struct vgpu_server *s)
{
	return __atomic_load_n(&s->lane.finished, __ATOMIC_ACQUIRE);
}

void lane_wait(struct vgpu_server *s)
{
	struct lane *l = &s->lane;
	pthread_mutex_lock(&l->mu);
	while (l->job)
		pthread_cond_wait(&l->cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
}

void lane_drain(struct vgpu_server *s)
{
	uint64_t v;
	ssize_t r = read(s->lane.done_fd, &v, sizeof(v));
	(void)r; /* EAGAIN: nothing to drain; lane_finished() decides */
}
