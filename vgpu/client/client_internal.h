/* client_internal.h - the state behind a struct vgpu handle (libvgpu). */
#ifndef VGPU_CLIENT_INTERNAL_H
#define VGPU_CLIENT_INTERNAL_H

#include <stdint.h>
#include "vgpu_client.h"
#include "../ivshmem/client_ivshmem.h"

struct arena_range {
	uint64_t off, size;
};

enum vgpu_transport {
	VGPU_T_UNIX,   /* host process: own window, eventfds */
	VGPU_T_MVM,    /* microVM: window and doorbell mapped by the VMM */
	VGPU_T_IVSHMEM, /* QEMU guest: window and doorbell in ivshmem BARs */
};

struct vgpu {
	enum vgpu_transport transport;
	uint8_t *base;
	struct vgpu_layout lay;
	struct vgpu_ctrl *ctrl;
	struct vgpu_cmd *sq;
	struct vgpu_cqe *cq;
	uint8_t *arena;

	uint32_t tail;          /* next submission index (private) */
	uint32_t published;     /* last tail stored in ctrl->sq_tail */
	uint32_t cq_head;
	uint64_t errors_seen;
	uint64_t queued_flops;  /* GEMM work queued since the last full sync */
	uint8_t cmd_flags;
	uint32_t cmd_tag;

	struct vgpu_window win;          /* VGPU_T_UNIX */
	struct vgpu_attachment att;      /* VGPU_T_UNIX */
	volatile uint32_t *doorbell;     /* VGPU_T_MVM */
	struct ivshmem_client ivs;       /* VGPU_T_IVSHMEM */

	struct arena_range *ranges;      /* allocated, sorted by offset */
	uint32_t nranges, ranges_cap;

	int recording;
	struct vgpu_cmd *rec;
	uint32_t rec_count, rec_cap;
};

/* Appends one command to the ring (waiting for room) or to the graph being
 * recorded.  Applies nothing: the caller has filled flags and tag. */
int vgpu__queue(struct vgpu *g, const struct vgpu_cmd *c);
void vgpu__arena_release_all(struct vgpu *g);

#endif
