/*
 * fuzz_vgpu_cmd - the server's executor (ring scan, command copy,
 * validation, graphs, row chunks, backend) on a small window whose every
 * byte comes from the fuzzer: ring indices, reset requests, the submission
 * ring and the arena (where graphs and indices live).  ASan catches any
 * access outside the window; the window is exactly the mapped buffer.
 *
 * Input: u32 sq_tail, u32 reset_request, u32 flags (bit 0: waiting),
 * then bytes for the submission ring, then for the arena.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sched.h"
#include "server_internal.h"

#define SQ_ENTRIES 16u
#define WINDOW (24u << 10)
#define MAX_STEPS 2048

static struct vgpu_server srv;
static int complete_fd = -1;

static void init_once(void)
{
	if (srv.sched)
		return;
	srv.backend = &vgpu_backend_openblas;
	if (srv.backend->init(1, NULL, 0))
		abort();
	srv.sched = sched_create(NULL);
	complete_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!srv.sched || complete_fd < 0)
		abort();
	/* Low rates: the fuzzer's GEMMs are split into many row chunks. */
	srv.flops_per_ns[0] = 0.001;
	srv.flops_per_ns[1] = 0.001;
	srv.slice_ns = sched_chunk_ns(srv.sched);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	if (size < 12)
		return 0;
	struct tenant *t = calloc(1, sizeof(*t));
	uint8_t *win = aligned_alloc(4096, WINDOW);
	if (!t || !win)
		abort();
	memset(win, 0, WINDOW);
	if (vgpu_layout_compute(WINDOW, SQ_ENTRIES, SQ_ENTRIES, &t->lay))
		abort();
	t->id = 1;
	t->base = win;
	t->ctrl = (struct vgpu_ctrl *)win;
	t->sq = (const struct vgpu_cmd *)(win + t->lay.sq_offset);
	t->cq = (struct vgpu_cqe *)(win + t->lay.cq_offset);
	t->arena = win + t->lay.arena_offset;
	t->complete = complete_fd;
	t->sock = t->doorbell = -1;

	uint32_t tail, reset, flags;
	memcpy(&tail, data, 4);
	memcpy(&reset, data + 4, 4);
	memcpy(&flags, data + 8, 4);
	data += 12;
	size -= 12;
	t->ctrl->sq_tail = tail;
	t->ctrl->reset_request = reset;
	t->ctrl->waiting = flags & 1;
	size_t sq_bytes = SQ_ENTRIES * VGPU_CMD_SIZE, n = size < sq_bytes ? size : sq_bytes;
	memcpy(win + t->lay.sq_offset, data, n);
	data += n;
	size -= n;
	n = size < t->lay.arena_size ? size : t->lay.arena_size;
	memcpy(t->arena, data, n);

	struct sched_params p;
	sched_params_default(&p);
	if (sched_tenant_add(srv.sched, t->id, &p, NULL, 0))
		abort();
	srv.tenants[0] = t;
	srv.ntenants = 1;
	for (int i = 0; i < MAX_STEPS; i++) {
		uint64_t now = vgpu_now_ns();
		if (!exec_scan(&srv, now))
			break;
		struct tenant *next = exec_pick(&srv, now);
		if (next)
			exec_step(&srv, next);
	}
	srv.ntenants = 0;
	sched_tenant_remove(srv.sched, t->id);
	free(win);
	free(t);
	return 0;
}
