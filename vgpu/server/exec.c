/*
 * exec.c - turning ring contents into backend work, one step at a time:
 * scan the rings (resets, corrupt indices, who is busy), take a command
 * (copy, then validate), run it whole or one row chunk, finish it (fence,
 * completion entry, wake-up).  The scheduler decides whose step is next.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sched.h"
#include "server_internal.h"
#include "validate.h"

/* GEMM pieces shorter than this do not update the rate estimate. */
#define RATE_MIN_NS 100000ull

uint64_t vgpu_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void tenant_signal(struct tenant *t)
{
	uint64_t one = 1;
	ssize_t r = write(t->complete, &one, sizeof(one));
	(void)r; /* EAGAIN: counter saturated, the tenant is signalled already */
}

/* After publishing sq_done or a status change: wake the tenant if it said
 * it is blocking.  The fence pairs with the tenant's fence between setting
 * `waiting` and re-reading the fence. */
static void wake_if_waiting(struct tenant *t)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&t->ctrl->waiting, __ATOMIC_RELAXED))
		tenant_signal(t);
}

static void set_busy(struct vgpu_server *s, struct tenant *t, bool busy, uint64_t now)
{
	if (t->busy == busy)
		return;
	t->busy = busy;
	if (busy)
		t->ready_since_ns = now;
	sched_tenant_busy(s->sched, t->id, busy, now);
}

static void enter_error(struct vgpu_server *s, struct tenant *t, uint32_t reason, uint64_t now)
{
	t->error = true;
	t->ex.active = false;
	__atomic_store_n(&t->ctrl->status_reason, reason, __ATOMIC_RELAXED);
	__atomic_store_n(&t->ctrl->status, VGPU_STATUS_ERROR, __ATOMIC_RELEASE);
	set_busy(s, t, false, now);
	wake_if_waiting(t);
}

static void do_reset(struct vgpu_server *s, struct tenant *t, uint32_t req, uint64_t now)
{
	struct vgpu_ctrl *c = t->ctrl;
	t->ex.active = false;
	t->error = false;
	t->head = t->done = __atomic_load_n(&c->sq_tail, __ATOMIC_ACQUIRE);
	t->cq_tail = __atomic_load_n(&c->cq_head, __ATOMIC_ACQUIRE);
	t->reset_ack = req;
	__atomic_store_n(&c->sq_head, t->head, __ATOMIC_RELAXED);
	__atomic_store_n(&c->sq_done, t->done, __ATOMIC_RELAXED);
	__atomic_store_n(&c->cq_tail, t->cq_tail, __ATOMIC_RELAXED);
	__atomic_store_n(&c->status_reason, VGPU_REASON_NONE, __ATOMIC_RELAXED);
	__atomic_store_n(&c->status, VGPU_STATUS_OK, __ATOMIC_RELAXED);
	__atomic_store_n(&c->reset_ack, req, __ATOMIC_RELEASE);
	set_busy(s, t, false, now);
	tenant_signal(t); /* the resetting tenant always waits for the ack */
}

/* Looks at every ring; returns true when some tenant has work. */
bool exec_scan(struct vgpu_server *s, uint64_t now)
{
	bool any = false;
	for (uint32_t i = 0; i < s->ntenants; i++) {
		struct tenant *t = s->tenants[i];
		if (t == s->inflight) {
			/* The lane computes on its command: a reset or a
			 * jump is looked at when the piece is done. */
			any = true;
			continue;
		}
		uint32_t req = __atomic_load_n(&t->ctrl->reset_request, __ATOMIC_ACQUIRE);
		if (req != t->reset_ack)
			do_reset(s, t, req, now);
		if (t->error)
			continue;
		uint32_t tail = __atomic_load_n(&t->ctrl->sq_tail, __ATOMIC_ACQUIRE);
		if (tail - t->head > t->lay.sq_entries) {
			enter_error(s, t, VGPU_REASON_SQ_JUMP, now);
			continue;
		}
		bool busy = t->ex.active || tail != t->head;
		set_busy(s, t, busy, now);
		any |= busy;
	}
	return any;
}

struct tenant *exec_pick(struct vgpu_server *s, uint64_t now)
{
	uint32_t id;
	if (sched_pick(s->sched, now, &id, NULL))
		return NULL;
	for (uint32_t i = 0; i < s->ntenants; i++)
		if (s->tenants[i]->id == id)
			return s->tenants[i];
	return NULL;
}

struct tenant *exec_pick_above(struct vgpu_server *s, uint64_t now, int prio)
{
	bool any = false;
	for (uint32_t i = 0; i < s->ntenants; i++)
		any |= s->tenants[i]->busy && s->tenants[i]->prio < prio;
	if (!any)
		return NULL; /* no sched_pick: it would move the slice needlessly */
	struct tenant *t = exec_pick(s, now);
	return t && t->prio < prio ? t : NULL;
}

void exec_set_polling(struct vgpu_server *s, bool on)
{
	s->polling = on;
	for (uint32_t i = 0; i < s->ntenants; i++)
		__atomic_store_n(&s->tenants[i]->ctrl->server_polling, on, __ATOMIC_RELAXED);
	/* Pairs with the tenant's fence between publishing sq_tail and reading
	 * server_polling: after this, the caller's last scan sees the tail or
	 * the tenant rings. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void post_cqe(struct tenant *t, int status, uint32_t graph_pos)
{
	uint32_t head = __atomic_load_n(&t->ctrl->cq_head, __ATOMIC_ACQUIRE);
	if (t->cq_tail - head >= t->lay.cq_entries) {
		/* Full (or a lying cq_head): drop rather than overwrite. */
		__atomic_fetch_add(&t->ctrl->cq_overflows, 1, __ATOMIC_RELAXED);
		return;
	}
	struct vgpu_cqe e = {
		.index = t->ex.index, .tag = t->ex.top.tag, .status = (uint16_t)status,
		.opcode = graph_pos ? t->ex.cur.opcode : t->ex.top.opcode, .graph_pos = graph_pos,
	};
	memcpy(&t->cq[t->cq_tail & (t->lay.cq_entries - 1)], &e, sizeof(e));
	t->cq_tail++;
	__atomic_store_n(&t->ctrl->cq_tail, t->cq_tail, __ATOMIC_RELEASE);
}

static void finish(struct vgpu_server *s, struct tenant *t, int status, uint64_t now)
{
	struct vgpu_ctrl *c = t->ctrl;
	uint32_t graph_pos = status && t->ex.in_graph ? t->ex.graph_pos : 0;
	if (status || (t->ex.top.flags & VGPU_CMD_F_COMPLETE))
		post_cqe(t, status, graph_pos);
	if (status) {
		t->errors++;
		__atomic_store_n(&c->last_error, (uint32_t)status, __ATOMIC_RELAXED);
		__atomic_store_n(&c->last_error_index, t->ex.index, __ATOMIC_RELAXED);
		__atomic_store_n(&c->errors, t->errors, __ATOMIC_RELEASE);
	}
	t->commands++;
	__atomic_store_n(&c->commands, t->commands, __ATOMIC_RELAXED);
	t->ex.active = false;
	t->done++;
	__atomic_store_n(&c->sq_done, t->done, __ATOMIC_RELEASE);
	t->ready_since_ns = now;
	sched_command_done(s->sched, t->id, t->ex.wait_ns);
	/* Wake only at the fence the tenant awaits (wait_seq) or when its
	 * queue is drained: a long queue of small commands costs one wake-up
	 * instead of one each.  A lying wait_seq only delays its own wake-up
	 * to the drain. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&c->waiting, __ATOMIC_ACQUIRE))
		return;
	/* Read after `waiting` (acquire): the tenant stored wait_seq first. */
	uint32_t want = __atomic_load_n(&c->wait_seq, __ATOMIC_RELAXED);
	if (t->done == want || __atomic_load_n(&c->sq_tail, __ATOMIC_ACQUIRE) == t->done)
		tenant_signal(t);
}

/* Copies the next ring command into private memory and validates it. */
static void take(struct vgpu_server *s, struct tenant *t, uint64_t now)
{
	struct exec_state *ex = &t->ex;
	memset(ex, 0, sizeof(*ex));
	memcpy(&ex->top, &t->sq[t->head & (t->lay.sq_entries - 1)], sizeof(ex->top));
	/* The copy must be complete before anything looks at it. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	ex->index = t->head++;
	__atomic_store_n(&t->ctrl->sq_head, t->head, __ATOMIC_RELEASE);
	ex->active = true;
	ex->wait_ns = now - t->ready_since_ns;
	t->queue_wait_ns += ex->wait_ns;
	int rc = vgpu_validate(&ex->top, t->lay.arena_size, 0);
	if (rc) {
		finish(s, t, rc, now);
		return;
	}
	if (ex->top.opcode == VGPU_OP_GRAPH_RUN) {
		ex->in_graph = true;
		return;
	}
	ex->cur = ex->top;
	ex->sub_loaded = true;
}

/* Loads the graph's next command; false when the graph is finished or
 * failed (then the command is finished too). */
static bool load_graph_cmd(struct vgpu_server *s, struct tenant *t, uint64_t now)
{
	struct exec_state *ex = &t->ex;
	if (ex->graph_pos == ex->top.u.graph.count) {
		finish(s, t, VGPU_OK, now);
		return false;
	}
	/* The validator put the whole list inside the arena.  Copied before
	 * use: the tenant may rewrite its graph while it runs. */
	memcpy(&ex->cur, t->arena + ex->top.u.graph.cmds + (uint64_t)ex->graph_pos * VGPU_CMD_SIZE,
	       sizeof(ex->cur));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	ex->graph_pos++;
	int rc = vgpu_validate(&ex->cur, t->lay.arena_size, 1);
	if (rc) {
		finish(s, t, rc, now);
		return false;
	}
	ex->sub_loaded = true;
	return true;
}

/* Rows per chunk so a chunk takes about target_ns at the rate measured
 * for this opcode (fp32 BLAS and int8 C loops differ tenfold). */
static uint32_t chunk_rows(const struct vgpu_server *s, unsigned rate, uint64_t flops_per_row,
			   uint64_t target_ns)
{
	double rows = (double)target_ns * s->flops_per_ns[rate] /
		      (double)(flops_per_row ? flops_per_row : 1);
	if (rows < 1)
		return 1;
	return rows > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)rows;
}

/* After a piece [rb, re) of t's current command ran from t0 to t1 with
 * result rc: charge it, keep the rate estimate, advance or finish. */
static void piece_done(struct vgpu_server *s, struct tenant *t, int rc, uint32_t rb, uint32_t re,
		       uint64_t t0, uint64_t t1)
{
	struct exec_state *ex = &t->ex;
	uint64_t fpr = 0, ran = t1 - t0;
	uint32_t rows = vgpu_cmd_rows(&ex->cur, &fpr);
	unsigned rate = ex->cur.opcode == VGPU_OP_GEMM_I8;
	t->busy_ns += ran;
	__atomic_store_n(&t->ctrl->busy_ns, t->busy_ns, __ATOMIC_RELAXED);
	sched_charge(s->sched, t->id, ran, t1);
	if (rows && ran > RATE_MIN_NS) {
		/* Keep the rate estimate current (exponential average); tiny
		 * GEMMs measure overhead, not the rate, and are left out. */
		double r = (double)fpr * (re - rb) / (double)ran;
		s->flops_per_ns[rate] = 0.8 * s->flops_per_ns[rate] + 0.2 * r;
	}
	if (rc) {
		finish(s, t, rc, t1);
		return;
	}
	if (rows && re < rows) {
		ex->row = re;
		return;
	}
	ex->sub_loaded = false;
	ex->row = 0;
	if (!ex->in_graph)
		finish(s, t, VGPU_OK, t1);
}

void exec_lane_done(struct vgpu_server *s)
{
	struct tenant *t = s->inflight;
	s->inflight = NULL;
	piece_done(s, t, s->lane.rc, s->lane.rb, s->lane.re, s->lane.t0, s->lane.t1);
}

void exec_step(struct vgpu_server *s, struct tenant *t)
{
	uint64_t now = vgpu_now_ns();
	struct exec_state *ex = &t->ex;
	if (!ex->active) {
		take(s, t, now);
		if (!ex->active)
			return;
	}
	if (!ex->sub_loaded && !load_graph_cmd(s, t, now))
		return;

	uint64_t fpr = 0;
	uint32_t rows = vgpu_cmd_rows(&ex->cur, &fpr);
	unsigned rate = ex->cur.opcode == VGPU_OP_GEMM_I8;
	uint32_t rb = 0, re = rows;
	bool offload = false;
	if (rows) {
		/* Piece size: splitting costs BLAS efficiency (each band repacks
		 * B), and a piece in progress is what an arriving tenant waits
		 * for.  The only tenant attached: 64 chunks (only a tenant that
		 * attaches meanwhile waits).  Alone among idle tenants: 8 chunks.
		 * Shared: one chunk.  With a tenant of a higher class attached
		 * (busy or not, it may arrive any moment) the piece goes to the
		 * second lane, so that tenant's commands run at once on this
		 * thread and the piece keeps its efficient size; when the lane
		 * is taken, a quarter chunk here (about 1/8 chunk of waiting on
		 * average). */
		uint64_t target = sched_chunk_ns(s->sched);
		uint32_t busy = 0;
		bool higher = false;
		for (uint32_t i = 0; i < s->ntenants; i++) {
			busy += s->tenants[i]->busy;
			higher |= s->tenants[i]->prio < t->prio;
		}
		offload = higher && s->lane.started && !s->inflight;
		if (higher && !offload)
			target /= 4;
		else if (s->ntenants == 1)
			target *= 64;
		else if (busy <= 1)
			target *= 8;
		rb = ex->row;
		uint32_t n = chunk_rows(s, rate, fpr, target);
		re = rows - rb > n ? rb + n : rows;
	}
	if (offload) {
		lane_submit(s, t, rb, re);
		return;
	}
	uint64_t t0 = vgpu_now_ns();
	int rc = s->backend->run(t->arena, t->lay.arena_size, &ex->cur, rb, re);
	piece_done(s, t, rc, rb, re, t0, vgpu_now_ns());
}
