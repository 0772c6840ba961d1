/*
 * executor.c - the server's one thread.  The device is one resource, so
 * one thread runs every command; it also serves the socket between steps.
 *
 *   work queued  -> run one step of the tenant the scheduler picks; look at
 *                   the socket and doorbells every few steps;
 *   no work      -> keep polling the rings for poll_ns, telling tenants
 *                   (server_polling) that the doorbell is optional, so a
 *                   small command round trip needs no wake-up at all;
 *   still none   -> clear server_polling, scan once more (no lost
 *                   doorbell), sleep in epoll on doorbells and sockets.
 *
 * While the second lane (lane.c) runs a lower-class GEMM piece, this
 * thread runs only the commands of higher classes, polling and sleeping
 * the same way, and takes the piece's result when the lane signals.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "server_internal.h"

#define EVENTS_PER_WAIT 32
#define STEPS_BETWEEN_EVENT_CHECKS 64
/* ...and at least this often while busy, so attaches, hang-ups and stats
 * are served during long runs of big chunks. */
#define EVENT_CHECK_NS 2000000ull

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Returns false when the stop eventfd fired. */
static bool handle_events(struct vgpu_server *s, int timeout_ms)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	int n = epoll_wait(s->epoll_fd, ev, EVENTS_PER_WAIT, timeout_ms);
	for (int i = 0; i < n; i++) {
		if (ev[i].data.fd == s->stop_fd)
			return false;
		if (ev[i].data.fd == s->lane.done_fd) {
			lane_drain(s);
			continue;
		}
		listener_event(s, ev[i].data.fd, ev[i].events);
	}
	return true;
}

void *executor_main(void *arg)
{
	struct vgpu_server *s = arg;
	uint64_t idle_since = vgpu_now_ns(), last_events = idle_since;
	unsigned steps = 0;
	for (;;) {
		uint64_t now = vgpu_now_ns();
		if (s->inflight) {
			if (lane_finished(s)) {
				exec_lane_done(s);
				continue;
			}
			exec_scan(s, now);
			struct tenant *h = exec_pick_above(s, now, s->inflight->prio);
			if (h) {
				exec_step(s, h);
				idle_since = 0;
			} else if (!idle_since) {
				idle_since = now;
			} else if (now - idle_since < s->poll_ns) {
				if (!s->polling)
					exec_set_polling(s, true);
				for (int i = 0; i < 32; i++)
					cpu_relax();
			} else if (s->polling) {
				exec_set_polling(s, false); /* rescan before sleeping */
				continue;
			} else {
				/* Sleep until the lane, a doorbell or a socket. */
				last_events = now;
				if (!handle_events(s, -1))
					break;
				continue;
			}
			if (++steps % STEPS_BETWEEN_EVENT_CHECKS == 0 ||
			    now - last_events > EVENT_CHECK_NS) {
				last_events = now;
				if (!handle_events(s, 0))
					break;
			}
			continue;
		}
		if (exec_scan(s, now)) {
			struct tenant *t = exec_pick(s, now);
			if (t)
				exec_step(s, t);
			idle_since = 0;
			if (++steps % STEPS_BETWEEN_EVENT_CHECKS == 0 ||
			    now - last_events > EVENT_CHECK_NS) {
				last_events = now;
				if (!handle_events(s, 0))
					break;
			}
			continue;
		}
		if (!idle_since)
			idle_since = now;
		if (now - idle_since < s->poll_ns) {
			if (!s->polling)
				exec_set_polling(s, true);
			for (int i = 0; i < 32; i++)
				cpu_relax();
			if (++steps % (STEPS_BETWEEN_EVENT_CHECKS * 16) == 0 && !handle_events(s, 0))
				break;
			continue;
		}
		exec_set_polling(s, false);
		if (exec_scan(s, vgpu_now_ns()))
			continue;
		if (!handle_events(s, -1))
			break;
		idle_since = vgpu_now_ns();
	}
	exec_set_polling(s, false);
	return NULL;
}
