/*
 * test_vgpu_client - libvgpu without a server: a window made here and
 * opened through the microVM transport (mvm:, doorbell = a local word).
 * Allocator, encoders' ring bytes, graph storage, argument checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vgpu_client.h"
#include "vgpu_host.h"

static struct vgpu_window win;
static volatile uint32_t doorbell;
static struct vgpu *g;

static int setup(void **state)
{
	(void)state;
	char err[160], spec[128];
	if (vgpu_window_create(1 << 20, 64, &win, err, sizeof(err)))
		return -1;
	snprintf(spec, sizeof(spec), "mvm:%#llx:%#llx:%#llx", (unsigned long long)(uintptr_t)win.base,
		 (unsigned long long)win.size, (unsigned long long)(uintptr_t)&doorbell);
	return vgpu_open(spec, &g, err, sizeof(err));
}

static int teardown(void **state)
{
	(void)state;
	vgpu_close(g);
	vgpu_window_destroy(&win);
	return 0;
}

static void test_window_geometry(void **state)
{
	(void)state;
	const struct vgpu_ctrl *c = vgpu_ctrl(g);
	assert_int_equal(c->magic, VGPU_MAGIC);
	assert_int_equal(c->sq_entries, 64);
	assert_int_equal(c->arena_offset % VGPU_PAGE_SIZE, 0);
	assert_int_equal(c->arena_offset + c->arena_size, win.size);
	assert_int_equal(vgpu_arena_size(g), c->arena_size);
	/* Sealed: the window cannot shrink under a server. */
	assert_int_not_equal(ftruncate(win.fd, 4096), 0);
}

static void test_allocator(void **state)
{
	(void)state;
	uint64_t a, b, c, d;
	assert_int_equal(vgpu_alloc(g, 1, &a), 0);
	assert_int_equal(vgpu_alloc(g, 100, &b), 0);
	assert_int_equal(a % 64, 0);
	assert_int_equal(b % 64, 0);
	assert_true(b >= a + 64);
	assert_int_equal(vgpu_alloc(g, 0, &c), -ENOMEM);
	assert_int_equal(vgpu_alloc(g, vgpu_arena_size(g) + 1, &c), -ENOMEM);
	assert_int_equal(vgpu_free(g, a + 4), -EINVAL);
	assert_int_equal(vgpu_free(g, a), 0);
	assert_int_equal(vgpu_free(g, a), -EINVAL);   /* double free */
	/* First fit reuses the hole. */
	assert_int_equal(vgpu_alloc(g, 64, &c), 0);
	assert_int_equal(c, a);
	/* Fill the rest, then nothing more fits; freeing makes room again. */
	uint64_t left = vgpu_arena_size(g) - (b + 128);
	assert_int_equal(vgpu_alloc(g, left, &d), 0);
	assert_int_equal(vgpu_alloc(g, 64, &a), -ENOMEM);
	assert_int_equal(vgpu_free(g, d), 0);
	assert_int_equal(vgpu_alloc(g, 64, &a), 0);
	assert_non_null(vgpu_ptr(g, a));
	assert_null(vgpu_ptr(g, vgpu_arena_size(g)));
	vgpu_free(g, a);
	vgpu_free(g, b);
	vgpu_free(g, c);
}

static void test_encoders_write_the_ring(void **state)
{
	(void)state;
	const struct vgpu_ctrl *c = vgpu_ctrl(g);
	const struct vgpu_cmd *sq = (const struct vgpu_cmd *)((uint8_t *)win.base + c->sq_offset);
	uint32_t at = vgpu_seq(g);
	vgpu_set_cmd_flags(g, VGPU_CMD_F_COMPLETE, 42);
	assert_int_equal(vgpu_gemm(g, VGPU_GEMM_TRANS_B, 3, 4, 5, 2.0f, 64, 5, 128, 5, 0.5f, 256, 4), 0);
	vgpu_set_cmd_flags(g, 0, 0);
	assert_int_equal(vgpu_fill(g, 512, 7, 1.5f), 0);
	const struct vgpu_cmd *x = &sq[at & 63], *y = &sq[(at + 1) & 63];
	assert_int_equal(x->opcode, VGPU_OP_GEMM);
	assert_int_equal(x->flags, VGPU_CMD_F_COMPLETE);
	assert_int_equal(x->tag, 42);
	assert_int_equal(x->arg, VGPU_GEMM_TRANS_B);
	assert_int_equal(x->u.gemm.m, 3);
	assert_int_equal(x->u.gemm.ldb, 5);
	assert_true(x->u.gemm.alpha == 2.0f && x->u.gemm.beta == 0.5f);
	assert_int_equal(y->opcode, VGPU_OP_FILL);
	float v;
	memcpy(&v, &y->u.fill.value, 4);
	assert_true(v == 1.5f);
	/* Not published until submit; submit publishes and (server not
	 * polling) rings the doorbell. */
	assert_int_equal(c->sq_tail, at);
	doorbell = 0;
	assert_int_equal(vgpu_submit(g), 0);
	assert_int_equal(c->sq_tail, at + 2);
	assert_int_equal(doorbell, 1);
	/* A fence nobody queued for is refused rather than waited on. */
	assert_int_equal(vgpu_wait(g, vgpu_seq(g) + 1, 0), -EINVAL);
	/* Pretend the server ran them, so later tests have a clean ring. */
	struct vgpu_ctrl *w = (struct vgpu_ctrl *)c;
	w->sq_head = w->sq_done = at + 2;
}

static void test_graph_storage(void **state)
{
	(void)state;
	struct vgpu_graph gr;
	uint32_t at = vgpu_seq(g);
	assert_int_equal(vgpu_graph_begin(g), 0);
	assert_int_equal(vgpu_graph_begin(g), -EBUSY);
	assert_int_equal(vgpu_scale(g, 0, 0, 16, 3.0f), 0);
	assert_int_equal(vgpu_act_fwd(g, VGPU_ACT_RELU, 0, 0, 16), 0);
	assert_int_equal(vgpu_submit(g), -EBUSY);            /* not while recording */
	assert_int_equal(vgpu_graph_launch(g, &gr), -EINVAL); /* no nesting */
	assert_int_equal(vgpu_graph_end(g, &gr), 0);
	assert_int_equal(gr.count, 2);
	assert_int_equal(gr.off % 64, 0);
	assert_int_equal(vgpu_seq(g), at);                    /* nothing hit the ring */
	const struct vgpu_cmd *cmds = vgpu_ptr(g, gr.off);
	assert_int_equal(cmds[0].opcode, VGPU_OP_SCALE);
	assert_int_equal(cmds[1].opcode, VGPU_OP_ACT_FWD);
	assert_int_equal(vgpu_graph_launch(g, &gr), 0);
	const struct vgpu_ctrl *c = vgpu_ctrl(g);
	const struct vgpu_cmd *sq = (const struct vgpu_cmd *)((uint8_t *)win.base + c->sq_offset);
	assert_int_equal(sq[at & 63].opcode, VGPU_OP_GRAPH_RUN);
	assert_int_equal(sq[at & 63].u.graph.cmds, gr.off);
	assert_int_equal(sq[at & 63].u.graph.count, 2);
	vgpu_graph_free(g, &gr);
	assert_int_equal(gr.count, 0);
}

static void test_strerror_and_bad_specs(void **state)
{
	(void)state;
	for (unsigned e = 0; e < VGPU_E_COUNT; e++)
		assert_true(strlen(vgpu_strerror(e)) > 5);
	assert_string_equal(vgpu_strerror(999), "unknown vGPU error code");
	struct vgpu *h;
	char err[160];
	assert_int_equal(vgpu_open("bogus:1", &h, err, sizeof(err)), -EINVAL);
	assert_int_equal(vgpu_open("mvm:0x1000:zz:0x10", &h, err, sizeof(err)), -EINVAL);
	assert_int_equal(vgpu_open("mvm:0x1001:0x100000:0x10", &h, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_geometry),
		cmocka_unit_test(test_allocator),
		cmocka_unit_test(test_encoders_write_the_ring),
		cmocka_unit_test(test_graph_storage),
		cmocka_unit_test(test_strerror_and_bad_specs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
