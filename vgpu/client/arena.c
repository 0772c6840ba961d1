/*
 * arena.c - the client's allocator over its arena: a sorted list of
 * allocated ranges, first fit, 64-byte alignment (cache lines, AVX-512).
 * The server never sees this: it only checks that buffers lie in the arena.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

#define ARENA_ALIGN 64u

int vgpu_alloc(struct vgpu *g, uint64_t bytes, uint64_t *off)
{
	if (bytes == 0 || bytes > g->lay.arena_size)
		return -ENOMEM;
	uint64_t size = (bytes + ARENA_ALIGN - 1) & ~(uint64_t)(ARENA_ALIGN - 1);
	uint64_t at = 0;
	uint32_t i;
	for (i = 0; i < g->nranges; i++) {
		if (g->ranges[i].off - at >= size)
			break;
		at = g->ranges[i].off + g->ranges[i].size;
	}
	if (at > g->lay.arena_size || g->lay.arena_size - at < size)
		return -ENOMEM;
	if (g->nranges == g->ranges_cap) {
		uint32_t cap = g->ranges_cap ? g->ranges_cap * 2 : 32;
		struct arena_range *r = realloc(g->ranges, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		g->ranges = r;
		g->ranges_cap = cap;
	}
	memmove(&g->ranges[i + 1], &g->ranges[i], (g->nranges - i) * sizeof(*g->ranges));
	g->ranges[i].off = at;
	g->ranges[i].size = size;
	g->nranges++;
	*off = at;
	return 0;
}

int vgpu_free(struct vgpu *g, uint64_t off)
{
	uint32_t lo = 0, hi = g->nranges;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (g->ranges[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == g->nranges || g->ranges[lo].off != off)
		return -EINVAL;
	memmove(&g->ranges[lo], &g->ranges[lo + 1], (g->nranges - lo - 1) * sizeof(*g->ranges));
	g->nranges--;
	return 0;
}

void *vgpu_ptr(struct vgpu *g, uint64_t off)
{
	if (off >= g->lay.arena_size)
		return NULL;
	return g->arena + off;
}

uint64_t vgpu_arena_size(const struct vgpu *g)
{
	return g->lay.arena_size;
}

void vgpu__arena_release_all(struct vgpu *g)
{
	free(g->ranges);
	g->ranges = NULL;
	g->nranges = g->ranges_cap = 0;
}
