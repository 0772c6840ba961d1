/*
 * queue.c - appending commands: to the submission ring (waiting for room
 * when it is full) or to the graph being recorded; and graphs themselves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

static int ring_has_room(const struct vgpu *g, uint32_t tail)
{
	uint32_t head = __atomic_load_n(&g->ctrl->sq_head, __ATOMIC_ACQUIRE);
	return tail - head < g->lay.sq_entries;
}

static int record(struct vgpu *g, const struct vgpu_cmd *c)
{
	if (c->opcode == VGPU_OP_GRAPH_RUN)
		return -EINVAL;   /* the server refuses nested graphs */
	if (g->rec_count == g->rec_cap) {
		if (g->rec_cap >= VGPU_GRAPH_MAX)
			return -E2BIG;
		uint32_t cap = g->rec_cap ? g->rec_cap * 2 : 64;
		struct vgpu_cmd *r = realloc(g->rec, (size_t)cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		g->rec = r;
		g->rec_cap = cap;
	}
	g->rec[g->rec_count++] = *c;
	return 0;
}

int vgpu__queue(struct vgpu *g, const struct vgpu_cmd *c)
{
	if (g->recording)
		return record(g, c);
	if (!ring_has_room(g, g->tail)) {
		/* Full: publish what is queued and wait until the server has
		 * taken the oldest slot (it copies commands out before running
		 * them, so a taken slot is free). */
		int rc = vgpu_wait(g, g->tail - g->lay.sq_entries + 1, -1);
		if (rc)
			return rc;
		while (!ring_has_room(g, g->tail))
			;
	}
	memcpy(&g->sq[g->tail & (g->lay.sq_entries - 1)], c, sizeof(*c));
	g->tail++;
	return 0;
}

int vgpu_push(struct vgpu *g, const struct vgpu_cmd *c)
{
	return vgpu__queue(g, c);
}

void vgpu_set_cmd_flags(struct vgpu *g, uint8_t flags, uint32_t tag)
{
	g->cmd_flags = flags;
	g->cmd_tag = tag;
}

int vgpu_graph_begin(struct vgpu *g)
{
	if (g->recording)
		return -EBUSY;
	g->recording = 1;
	g->rec_count = 0;
	return 0;
}

int vgpu_graph_end(struct vgpu *g, struct vgpu_graph *out)
{
	if (!g->recording)
		return -EINVAL;
	g->recording = 0;
	if (g->rec_count == 0)
		return -EINVAL;
	uint64_t off;
	int rc = vgpu_alloc(g, (uint64_t)g->rec_count * sizeof(struct vgpu_cmd), &off);
	if (rc)
		return rc;
	memcpy(vgpu_ptr(g, off), g->rec, (size_t)g->rec_count * sizeof(struct vgpu_cmd));
	out->off = off;
	out->count = g->rec_count;
	g->rec_count = 0;
	return 0;
}

int vgpu_graph_launch(struct vgpu *g, const struct vgpu_graph *gr)
{
	if (g->recording)
		return -EINVAL;
	struct vgpu_cmd c = { .opcode = VGPU_OP_GRAPH_RUN, .flags = g->cmd_flags, .tag = g->cmd_tag };
	c.u.graph.cmds = gr->off;
	c.u.graph.count = gr->count;
	return vgpu__queue(g, &c);
}

void vgpu_graph_free(struct vgpu *g, struct vgpu_graph *gr)
{
	if (gr->count)
		vgpu_free(g, gr->off);
	gr->count = 0;
}
