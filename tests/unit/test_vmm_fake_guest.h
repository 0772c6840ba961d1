/*
 * test_vmm_fake_guest.h - a struct guest over a plain heap buffer, for the
 * syscall unit tests and fuzzer: the real handlers, no KVM.  RAM is
 * FAKE_RAM bytes at guest-physical 0; the heap (mm) covers
 * [FAKE_MM_LO, FAKE_MM_HI).
 */
#ifndef TEST_VMM_FAKE_GUEST_H
#define TEST_VMM_FAKE_GUEST_H

#include <stdlib.h>
#include <string.h>

#include "vmm_guest.h"

#define FAKE_RAM (16ULL << 20)
#define FAKE_MM_LO (8ULL << 20)
#define FAKE_MM_HI (14ULL << 20)

struct fake_state {
	uint64_t fs_base;
	uint64_t slept_ns;
};

static inline int fake_set_fs_base(void *vcpu, uint64_t base)
{
	((struct fake_state *)vcpu)->fs_base = base;
	return 0;
}

static inline int fake_sleep_ns(void *ctx, uint64_t ns)
{
	((struct fake_state *)ctx)->slept_ns += ns;
	return 0;
}

static const struct guest_ops fake_ops = { .set_fs_base = fake_set_fs_base, .sleep_ns = fake_sleep_ns };

static inline void fake_discard(void *ctx, gpa_t addr, uint64_t len)
{
	struct guest_mem *m = ctx;
	memset(guest_mem_ptr(m, addr, len), 0, len);
}

/* Sets up g (RAM zeroed); console fds 0/1/2 are the given host fds. */
static inline int fake_guest_init(struct guest *g, struct fake_state *st, int in, int out, int err)
{
	memset(g, 0, sizeof(*g));
	memset(st, 0, sizeof(*st));
	uint8_t *ram = aligned_alloc(4096, FAKE_RAM);
	if (!ram)
		return -1;
	memset(ram, 0, FAKE_RAM);
	g->mem.ram = (struct guest_region){ .start = 0, .size = FAKE_RAM, .host = ram };
	if (mm_init(&g->mm, FAKE_MM_LO, FAKE_MM_HI, fake_discard, &g->mem))
		return -1;
	fd_table_init(&g->fds, in, out, err);
	g->ops = &fake_ops;
	g->ops_ctx = st;
	g->vcpu = st;
	g->nr_vcpus = 2;
	g->stack_size = 2 << 20;
	return 0;
}

static inline void fake_guest_free(struct guest *g)
{
	fd_table_close_all(&g->fds);
	shares_close(&g->shares);
	mm_free(&g->mm);
	free(g->mem.ram.host);
}

#endif
