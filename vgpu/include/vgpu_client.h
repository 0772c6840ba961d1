/*
 * vgpu_client.h - libvgpu, the tenant side of the vGPU, used the same way
 * in a microVM guest (static musl program), a host process and a QEMU guest.
 *
 * Typical use:
 *   struct vgpu *g; char err[160];
 *   if (vgpu_open(NULL, &g, err, sizeof err)) { report err; }
 *   uint64_t a, b, c;  vgpu_alloc(g, bytes, &a) ...;  float *pa = vgpu_ptr(g, a);
 *   vgpu_gemm(g, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
 *   int rc = vgpu_sync(g);       // one doorbell for everything queued
 *   if (rc == -EREMOTEIO) { struct vgpu_cqe e; while (vgpu_next_error(g, &e) > 0) ... }
 *
 * Buffers are arena offsets (uint64_t); the tenant owns its arena layout,
 * the library's allocator is a convenience.  Encoders only queue commands
 * (into the submission ring, or into a graph being recorded); nothing runs
 * until vgpu_submit/vgpu_sync, except that an encoder finding the ring full
 * publishes what is queued and waits for room.  Every function returns 0
 * or a negative errno; the library never prints.  A handle is not
 * thread-safe.
 */
#ifndef VGPU_CLIENT_H
#define VGPU_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "vgpu_abi.h"
#include "vgpu_host.h"

struct vgpu;

/* Options for a host-process tenant (ignored for a microVM, whose window
 * the VMM made).  Zero fields take defaults. */
struct vgpu_open_opts {
	uint64_t memory_bytes;   /* window size; 0 = $AIVISOR_VGPU_MEMORY_MIB
	                            or 256 MiB */
	uint32_t sq_entries;     /* 0 = VGPU_SQ_DEFAULT */
	struct vgpu_tenant_opts tenant;
};

/*
 * spec (NULL = $AIVISOR_VGPU, else "unix:" VGPU_DEFAULT_SOCKET):
 *   unix:<socket-path>              host process: create a window, attach
 *   mvm:<win>:<size>:<doorbell>     microVM (aivisor_guest.h), hex with 0x
 * err receives a one-line reason on failure.
 */
int vgpu_open(const char *spec, struct vgpu **out, char *err, size_t errlen);
int vgpu_open_ex(const char *spec, const struct vgpu_open_opts *o, struct vgpu **out,
		 char *err, size_t errlen);
void vgpu_close(struct vgpu *g);

/* Arena: first-fit allocator with coalescing free, 64-byte aligned. */
int vgpu_alloc(struct vgpu *g, uint64_t bytes, uint64_t *off);   /* -ENOMEM */
int vgpu_free(struct vgpu *g, uint64_t off);                     /* -EINVAL */
void *vgpu_ptr(struct vgpu *g, uint64_t off);  /* NULL if off not in arena */
uint64_t vgpu_arena_size(const struct vgpu *g);
const struct vgpu_ctrl *vgpu_ctrl(const struct vgpu *g);

/* Flags (VGPU_CMD_F_*) and tag put on every command encoded from now on. */
void vgpu_set_cmd_flags(struct vgpu *g, uint8_t flags, uint32_t tag);
/* Queues a raw command as is (tests, future opcodes). */
int vgpu_push(struct vgpu *g, const struct vgpu_cmd *c);

/* Encoders, one per opcode; see vgpu_abi.h and docs/VGPU.md for meaning. */
int vgpu_nop(struct vgpu *g);
int vgpu_fill(struct vgpu *g, uint64_t dst, uint64_t count, float value);
int vgpu_copy(struct vgpu *g, uint64_t dst, uint64_t src, uint64_t bytes);
/* Explicit transfers of arena bytes [off, off + bytes): upload makes the
 * window's bytes the device's copy, download makes the device's copy
 * visible in the window.  On the CUDA backend the first one switches the
 * tenant to resident mode (data stays on the device between commands);
 * on OpenBLAS both succeed and move nothing. */
int vgpu_upload(struct vgpu *g, uint64_t off, uint64_t bytes);
int vgpu_download(struct vgpu *g, uint64_t off, uint64_t bytes);
int vgpu_gemm(struct vgpu *g, unsigned trans, uint32_t m, uint32_t n, uint32_t k,
	      float alpha, uint64_t a, uint32_t lda, uint64_t b, uint32_t ldb,
	      float beta, uint64_t c, uint32_t ldc);
int vgpu_bias_add(struct vgpu *g, uint64_t x, uint64_t bias, uint32_t rows, uint32_t cols);
int vgpu_bias_grad(struct vgpu *g, uint64_t dy, uint64_t db, uint32_t rows, uint32_t cols,
		   float beta);
int vgpu_act_fwd(struct vgpu *g, unsigned act, uint64_t src, uint64_t dst, uint64_t count);
int vgpu_act_bwd(struct vgpu *g, unsigned act, uint64_t y, uint64_t dy, uint64_t dx,
		 uint64_t count);
int vgpu_softmax(struct vgpu *g, uint64_t src, uint64_t dst, uint32_t rows, uint32_t cols);
int vgpu_softmax_xent(struct vgpu *g, uint64_t logits, uint64_t labels, uint64_t loss,
		      uint64_t dlogits, uint32_t rows, uint32_t cols);
int vgpu_mse(struct vgpu *g, uint64_t pred, uint64_t target, uint64_t loss, uint64_t grad,
	     uint64_t count);
int vgpu_add(struct vgpu *g, uint64_t a, uint64_t b, uint64_t dst, uint64_t count);
int vgpu_mul(struct vgpu *g, uint64_t a, uint64_t b, uint64_t dst, uint64_t count);
int vgpu_scale(struct vgpu *g, uint64_t src, uint64_t dst, uint64_t count, float alpha);
int vgpu_axpy(struct vgpu *g, uint64_t x, uint64_t y, uint64_t count, float alpha);
int vgpu_argmax_rows(struct vgpu *g, uint64_t src, uint64_t dst, uint32_t rows, uint32_t cols);
int vgpu_count_eq(struct vgpu *g, uint64_t a, uint64_t b, uint64_t dst, uint64_t count,
		  unsigned arg);
int vgpu_sum(struct vgpu *g, uint64_t src, uint64_t dst, uint64_t count, unsigned arg);
int vgpu_sgd(struct vgpu *g, uint64_t param, uint64_t grad, uint64_t count, float lr,
	     float weight_decay);
int vgpu_sgd_momentum(struct vgpu *g, uint64_t param, uint64_t grad, uint64_t velocity,
		      uint64_t count, float lr, float momentum, float weight_decay);
int vgpu_adam(struct vgpu *g, uint64_t param, uint64_t grad, uint64_t m, uint64_t v,
	      uint64_t hyper, uint64_t count);
int vgpu_gather_rows(struct vgpu *g, uint64_t src, uint32_t src_rows, uint32_t cols,
		     uint64_t idx, uint32_t nidx, uint64_t dst);
int vgpu_quantize_i8(struct vgpu *g, uint64_t src, uint64_t dst, uint64_t scale,
		     uint64_t count);
int vgpu_gemm_i8(struct vgpu *g, unsigned trans, uint32_t m, uint32_t n, uint32_t k,
		 uint64_t a, uint64_t b, uint64_t scales, uint64_t bias, uint64_t c);

/* Submission and completion.  vgpu_seq() is the fence value that covers
 * every command queued so far. */
int vgpu_submit(struct vgpu *g);
uint32_t vgpu_seq(const struct vgpu *g);
/* Waits until the fence reaches seq: bounded spin, then blocks (host
 * process: poll on the completion eventfd; microVM: AIVISOR_SYS_VGPU_WAIT).
 * timeout_ns < 0 = forever.  Returns 0, -ETIMEDOUT, -EINVAL for a seq
 * beyond vgpu_seq(), or -EIO when the window is in the ERROR state
 * (vgpu_reset). */
int vgpu_wait(struct vgpu *g, uint32_t seq, int64_t timeout_ns);
/* submit + wait for everything; -EREMOTEIO when a command failed since the
 * previous vgpu_sync (details: vgpu_next_error). */
int vgpu_sync(struct vgpu *g);
/* Next completion entry (errors and F_COMPLETE markers): 1 = *e filled,
 * 0 = none. */
int vgpu_next_error(struct vgpu *g, struct vgpu_cqe *e);
const char *vgpu_strerror(unsigned code);   /* for enum vgpu_error */
/* Asks the server to reset the window (after ERROR) and waits for it. */
int vgpu_reset(struct vgpu *g);

/* Graphs: record a command list once, replay it with one command. */
struct vgpu_graph {
	uint64_t off;     /* arena offset of the stored commands */
	uint32_t count;
};
int vgpu_graph_begin(struct vgpu *g);
/* Stops recording, stores the commands in the arena (vgpu_alloc). */
int vgpu_graph_end(struct vgpu *g, struct vgpu_graph *out);
int vgpu_graph_launch(struct vgpu *g, const struct vgpu_graph *gr);
void vgpu_graph_free(struct vgpu *g, struct vgpu_graph *gr);

#endif
