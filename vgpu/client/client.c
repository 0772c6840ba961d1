/*
 * client.c - libvgpu: opening a window (host process or microVM),
 * publishing submissions, waiting on the fence, reading errors, reset.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "aivisor_guest.h"
#include "client_internal.h"
#include "../common/vgpu_err.h"

#define DEFAULT_MEMORY (256ull << 20)
/* Spin this many pause iterations (~30 us) before blocking: short enough
 * not to steal a core from the server's backend threads on small hosts,
 * long enough to catch small commands without a wake-up. */
#define SPIN_ITERS 2000
/* With more GEMM work than this queued (~20 us on a fast core) the wait
 * blocks at once: spinning would only take a core from the backend. */
#define SPIN_MAX_FLOPS 4000000ull

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static int map_layout(struct vgpu *g, uint8_t *base, uint64_t size, char *err, size_t errlen)
{
	struct vgpu_ctrl *c = (struct vgpu_ctrl *)base;
	if (__atomic_load_n(&c->magic, __ATOMIC_ACQUIRE) != VGPU_MAGIC || c->version != VGPU_ABI_VERSION)
		return vgpu_err(err, errlen, -EPROTO, "window has no vGPU v%u control page",
				VGPU_ABI_VERSION);
	if (vgpu_layout_compute(size, c->sq_entries, c->cq_entries, &g->lay) ||
	    g->lay.cq_offset != c->cq_offset || g->lay.arena_offset != c->arena_offset)
		return vgpu_err(err, errlen, -EPROTO, "window geometry is inconsistent");
	g->base = base;
	g->ctrl = c;
	g->sq = (struct vgpu_cmd *)(base + g->lay.sq_offset);
	g->cq = (struct vgpu_cqe *)(base + g->lay.cq_offset);
	g->arena = base + g->lay.arena_offset;
	g->tail = g->published = __atomic_load_n(&c->sq_tail, __ATOMIC_RELAXED);
	g->cq_head = __atomic_load_n(&c->cq_head, __ATOMIC_RELAXED);
	g->errors_seen = __atomic_load_n(&c->errors, __ATOMIC_RELAXED);
	return 0;
}

static int parse_hex(const char **s, uint64_t *v)
{
	char *end;
	if ((*s)[0] != '0' || ((*s)[1] != 'x' && (*s)[1] != 'X'))
		return -1;
	errno = 0;
	unsigned long long x = strtoull(*s, &end, 16);
	if (errno || end == *s + 2)
		return -1;
	*v = x;
	*s = end;
	return 0;
}

static int open_mvm(struct vgpu *g, const char *s, char *err, size_t errlen)
{
	uint64_t win, size, bell;
	if (parse_hex(&s, &win) || *s++ != ':' || parse_hex(&s, &size) || *s++ != ':' ||
	    parse_hex(&s, &bell) || *s)
		return vgpu_err(err, errlen, -EINVAL, "bad %s: want mvm:<win>:<size>:<doorbell>",
				AIVISOR_VGPU_ENV);
	if (win == 0 || win % VGPU_PAGE_SIZE || bell == 0 || bell % 4)
		return vgpu_err(err, errlen, -EINVAL, "bad microVM window or doorbell address");
	g->transport = VGPU_T_MVM;
	g->doorbell = (volatile uint32_t *)(uintptr_t)bell;
	return map_layout(g, (uint8_t *)(uintptr_t)win, size, err, errlen);
}

/* s: the device's sysfs directory, or "" to find it by PCI id. */
static int open_ivshmem(struct vgpu *g, const char *s, char *err, size_t errlen)
{
	int rc = ivshmem_client_open(s, NULL, &g->ivs, err, errlen);
	if (rc)
		return rc;
	g->transport = VGPU_T_IVSHMEM;
	return map_layout(g, g->ivs.window, g->ivs.window_size, err, errlen);
}

static int open_unix(struct vgpu *g, const char *path, const struct vgpu_open_opts *o,
		     char *err, size_t errlen)
{
	uint64_t mem = o ? o->memory_bytes : 0;
	const char *env = getenv("AIVISOR_VGPU_MEMORY_MIB");
	if (!mem && env) {
		char *end;
		unsigned long long mib = strtoull(env, &end, 10);
		if (*end || mib == 0 || mib > (1ull << 30))
			return vgpu_err(err, errlen, -EINVAL, "bad AIVISOR_VGPU_MEMORY_MIB=%s", env);
		mem = mib << 20;
	}
	if (!mem)
		mem = DEFAULT_MEMORY;
	g->transport = VGPU_T_UNIX;
	int rc = vgpu_window_create(mem, o ? o->sq_entries : 0, &g->win, err, errlen);
	if (rc)
		return rc;
	rc = vgpu_attach(path, &g->win, o ? &o->tenant : NULL, &g->att, err, errlen);
	if (rc) {
		vgpu_window_destroy(&g->win);
		return rc;
	}
	return map_layout(g, g->win.base, g->win.size, err, errlen);
}

int vgpu_open_ex(const char *spec, const struct vgpu_open_opts *o, struct vgpu **out,
		 char *err, size_t errlen)
{
	*out = NULL;
	if (!spec)
		spec = getenv(AIVISOR_VGPU_ENV);
	if (!spec || !*spec)
		spec = "unix:" VGPU_DEFAULT_SOCKET;
	struct vgpu *g = calloc(1, sizeof(*g));
	if (!g)
		return vgpu_err(err, errlen, -ENOMEM, "out of memory");
	g->win.fd = g->att.sock = g->att.doorbell_fd = g->att.complete_fd = -1;
	int rc;
	if (!strncmp(spec, "unix:", 5))
		rc = open_unix(g, spec + 5, o, err, errlen);
	else if (!strncmp(spec, "mvm:", 4))
		rc = open_mvm(g, spec + 4, err, errlen);
	else if (!strncmp(spec, "ivshmem:", 8))
		rc = open_ivshmem(g, spec + 8, err, errlen);
	else
		rc = vgpu_err(err, errlen, -EINVAL, "unknown vGPU spec '%s' (unix:PATH or mvm:...)", spec);
	if (rc) {
		vgpu_close(g);
		return rc;
	}
	*out = g;
	return 0;
}

int vgpu_open(const char *spec, struct vgpu **out, char *err, size_t errlen)
{
	return vgpu_open_ex(spec, NULL, out, err, errlen);
}

void vgpu_close(struct vgpu *g)
{
	if (!g)
		return;
	if (g->transport == VGPU_T_UNIX) {
		vgpu_detach(&g->att);
		vgpu_window_destroy(&g->win);
	}
	if (g->transport == VGPU_T_IVSHMEM)
		ivshmem_client_close(&g->ivs);
	vgpu__arena_release_all(g);
	free(g->rec);
	free(g);
}

const struct vgpu_ctrl *vgpu_ctrl(const struct vgpu *g)
{
	return g->ctrl;
}

static void ring_doorbell(struct vgpu *g)
{
	if (g->transport == VGPU_T_MVM) {
		*g->doorbell = 1;
	} else if (g->transport == VGPU_T_IVSHMEM) {
		ivshmem_client_ring(&g->ivs);
	} else {
		uint64_t one = 1;
		/* EAGAIN only when the counter is saturated: already rung. */
		if (write(g->att.doorbell_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			return;
	}
}

int vgpu_submit(struct vgpu *g)
{
	if (g->recording)
		return -EBUSY;
	if (g->published == g->tail)
		return 0;
	__atomic_store_n(&g->ctrl->sq_tail, g->tail, __ATOMIC_RELEASE);
	g->published = g->tail;
	/* Pairs with the server's fence between clearing server_polling and
	 * its last look at sq_tail: one of us sees the other's store. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&g->ctrl->server_polling, __ATOMIC_RELAXED))
		ring_doorbell(g);
	return 0;
}

uint32_t vgpu_seq(const struct vgpu *g)
{
	return g->tail;
}

static int fence_passed(const struct vgpu *g, uint32_t seq)
{
	return (int32_t)(__atomic_load_n(&g->ctrl->sq_done, __ATOMIC_ACQUIRE) - seq) >= 0;
}

static int in_error(const struct vgpu *g)
{
	return __atomic_load_n(&g->ctrl->status, __ATOMIC_ACQUIRE) != VGPU_STATUS_OK;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Blocks until the completion eventfd fires or timeout_ns passes
 * (< 0: forever).  Returns 0 or -ETIMEDOUT. */
static int block_once(struct vgpu *g, int64_t timeout_ns)
{
	if (g->transport == VGPU_T_IVSHMEM) {
		/* The completion interrupt needs a guest kernel driver: nap
		 * instead, and let the caller re-check the fence. */
		struct timespec ts = { 0, IVSHMEM_POLL_NS };
		if (timeout_ns >= 0 && timeout_ns < IVSHMEM_POLL_NS)
			ts.tv_nsec = (long)timeout_ns;
		nanosleep(&ts, NULL);
		return 0;
	}
	if (g->transport == VGPU_T_MVM) {
		long r = syscall(AIVISOR_SYS_VGPU_WAIT,
				 (unsigned long long)(timeout_ns < 0 ? INT64_MAX : timeout_ns));
		return r < 0 && errno == ETIMEDOUT ? -ETIMEDOUT : 0;
	}
	struct pollfd p = { .fd = g->att.complete_fd, .events = POLLIN };
	int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
	int r = poll(&p, 1, ms);
	if (r == 0)
		return -ETIMEDOUT;
	uint64_t v;
	if (r > 0 && read(g->att.complete_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

/* Waits until cond(g, arg) holds, or the window leaves the OK state. */
static int wait_until(struct vgpu *g, int (*cond)(const struct vgpu *, uint32_t), uint32_t arg,
		      int64_t timeout_ns, int ignore_error)
{
	int spins = g->queued_flops > SPIN_MAX_FLOPS ? 0 : SPIN_ITERS;
	for (int i = 0; i < spins; i++) {
		if (cond(g, arg))
			return 0;
		if (!ignore_error && in_error(g))
			return -EIO;
		cpu_relax();
	}
	uint64_t deadline = timeout_ns < 0 ? 0 : now_ns() + (uint64_t)timeout_ns;
	/* Tell the server which fence we need, so it wakes us then rather
	 * than when the whole queue has drained. */
	__atomic_store_n(&g->ctrl->wait_seq, cond == fence_passed ? arg : g->tail, __ATOMIC_RELAXED);
	for (;;) {
		__atomic_store_n(&g->ctrl->waiting, 1, __ATOMIC_RELEASE);
		/* Pairs with the server's fence between publishing sq_done and
		 * reading `waiting`: no lost wake-up. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		int rc = 0;
		if (cond(g, arg))
			break;
		if (!ignore_error && in_error(g)) {
			rc = -EIO;
			__atomic_store_n(&g->ctrl->waiting, 0, __ATOMIC_RELAXED);
			return rc;
		}
		int64_t left = -1;
		if (timeout_ns >= 0) {
			uint64_t t = now_ns();
			if (t >= deadline) {
				__atomic_store_n(&g->ctrl->waiting, 0, __ATOMIC_RELAXED);
				return -ETIMEDOUT;
			}
			left = (int64_t)(deadline - t);
		}
		rc = block_once(g, left);
		if (rc && rc != -ETIMEDOUT) {
			__atomic_store_n(&g->ctrl->waiting, 0, __ATOMIC_RELAXED);
			return rc;
		}
	}
	__atomic_store_n(&g->ctrl->waiting, 0, __ATOMIC_RELAXED);
	return 0;
}

int vgpu_wait(struct vgpu *g, uint32_t seq, int64_t timeout_ns)
{
	/* A fence nothing has been queued for would never pass. */
	if ((int32_t)(seq - g->tail) > 0)
		return -EINVAL;
	if ((int32_t)(seq - g->published) > 0) {
		int rc = vgpu_submit(g);
		if (rc)
			return rc;
	}
	return wait_until(g, fence_passed, seq, timeout_ns, 0);
}

int vgpu_sync(struct vgpu *g)
{
	int rc = vgpu_submit(g);
	if (rc)
		return rc;
	rc = vgpu_wait(g, g->tail, -1);
	if (rc)
		return rc;
	g->queued_flops = 0;
	uint64_t errs = __atomic_load_n(&g->ctrl->errors, __ATOMIC_ACQUIRE);
	if (errs != g->errors_seen) {
		g->errors_seen = errs;
		return -EREMOTEIO;
	}
	return 0;
}

int vgpu_next_error(struct vgpu *g, struct vgpu_cqe *e)
{
	uint32_t tail = __atomic_load_n(&g->ctrl->cq_tail, __ATOMIC_ACQUIRE);
	if (tail == g->cq_head)
		return 0;
	memcpy(e, &g->cq[g->cq_head & (g->lay.cq_entries - 1)], sizeof(*e));
	g->cq_head++;
	__atomic_store_n(&g->ctrl->cq_head, g->cq_head, __ATOMIC_RELEASE);
	return 1;
}

static int reset_acked(const struct vgpu *g, uint32_t req)
{
	return __atomic_load_n(&g->ctrl->reset_ack, __ATOMIC_ACQUIRE) == req;
}

int vgpu_reset(struct vgpu *g)
{
	if (g->recording)
		return -EBUSY;
	/* Commands queued but not published are dropped with the rest. */
	g->tail = g->published;
	uint32_t req = __atomic_load_n(&g->ctrl->reset_request, __ATOMIC_RELAXED) + 1;
	__atomic_store_n(&g->ctrl->reset_request, req, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ring_doorbell(g);
	int rc = wait_until(g, reset_acked, req, 5000000000ll, 1);
	if (rc)
		return rc;
	/* Resynchronise with the server's post-reset indices: it set sq_head =
	 * sq_done = the sq_tail it found, which need not be ours (a corrupted
	 * sq_tail is what usually calls for a reset).  Continuing from our own
	 * copy would publish a tail behind the head, a jump again. */
	g->tail = g->published = __atomic_load_n(&g->ctrl->sq_head, __ATOMIC_ACQUIRE);
	__atomic_store_n(&g->ctrl->sq_tail, g->tail, __ATOMIC_RELEASE);
	g->queued_flops = 0;
	g->cq_head = __atomic_load_n(&g->ctrl->cq_tail, __ATOMIC_ACQUIRE);
	__atomic_store_n(&g->ctrl->cq_head, g->cq_head, __ATOMIC_RELEASE);
	g->errors_seen = __atomic_load_n(&g->ctrl->errors, __ATOMIC_ACQUIRE);
	return in_error(g) ? -EIO : 0;
}

const char *vgpu_strerror(unsigned code)
{
	static const char *const msg[VGPU_E_COUNT] = {
		[VGPU_OK] = "success",
		[VGPU_E_OPCODE] = "unknown opcode or undefined flag/argument bits",
		[VGPU_E_RANGE] = "buffer lies outside the arena",
		[VGPU_E_OVERFLOW] = "buffer size computation overflows",
		[VGPU_E_ALIAS] = "output overlaps an input where the result would be undefined",
		[VGPU_E_ARG] = "bad dimension, leading dimension, alignment or argument",
		[VGPU_E_INDEX] = "label or row index out of range",
		[VGPU_E_GRAPH] = "bad graph: too long or nested GRAPH_RUN",
		[VGPU_E_NONFINITE] = "result is NaN or infinite",
		[VGPU_E_BACKEND] = "backend failure",
	};
	return code < VGPU_E_COUNT ? msg[code] : "unknown vGPU error code";
}
