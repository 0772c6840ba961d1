/*
 * sched.c - strict priority classes, weighted fair queueing within a class,
 * guaranteed minimums and hard caps as token buckets (see sched.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "sched_internal.h"

/*
 * Virtual time unit: a tenant of weight w advances VSCALE/w units per ns it
 * runs.  The remainder is carried so no precision is lost.  Virtual times
 * are compared with a signed difference, so they may wrap; a single charge
 * is clamped to MAX_CHARGE_NS (only for virtual time) so ran * VSCALE
 * cannot overflow.
 */
#define VSCALE 1024u
/* A higher-class tenant busy within this long counts as active: lower
 * classes then run in latency chunks (sched_chunk_ns_for). */
#define LATENCY_ACTIVE_NS 100000000ull
#define MAX_CHARGE_NS (1ull << 40)

struct tenant {
	uint32_t id;
	struct sched_params p;
	bool busy;
	uint64_t vtime;
	uint64_t vrem;        /* remainder of (ran * VSCALE) / weight */
	int64_t cap_tokens;   /* ns of run time the cap allows now */
	uint64_t cap_last_ns; /* time cap_tokens was last refilled */
	int64_t min_tokens;   /* ns of run time the minimum still owes */
	uint64_t min_last_ns; /* time min_tokens was last refilled */
	uint64_t last_busy_ns; /* when it last became busy or idle */
	struct sched_stats st;
};

struct sched {
	uint64_t slice_ns;
	uint64_t max_lag_ns;
	uint64_t latency_chunk_ns;
	uint64_t now_ns;   /* latest time a caller passed in */
	struct tenant *t;
	size_t n, alloc;
	uint64_t class_vtime[SCHED_CLASS_COUNT]; /* monotonic per-class clock */
	bool has_cur;
	uint32_t cur_id;   /* tenant holding the current slice */
	uint64_t turn_ns;  /* charged to cur_id in this slice */
};

static bool vt_before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

static struct tenant *find(const struct sched *s, uint32_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].id == id)
			return &s->t[i];
	return NULL;
}

struct sched *sched_create(const struct sched_config *cfg)
{
	struct sched *s;

	if (sched_config_check(cfg, NULL, 0) < 0) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->slice_ns = cfg && cfg->slice_ns ? cfg->slice_ns : SCHED_SLICE_NS_DEFAULT;
	s->max_lag_ns = cfg && cfg->max_lag_ns ? cfg->max_lag_ns : s->slice_ns;
	s->latency_chunk_ns = cfg && cfg->latency_chunk_ns ? cfg->latency_chunk_ns
							   : SCHED_LATENCY_CHUNK_NS_DEFAULT;
	return s;
}

void sched_destroy(struct sched *s)
{
	if (!s)
		return;
	free(s->t);
	free(s);
}

uint64_t sched_chunk_ns(const struct sched *s)
{
	return s->slice_ns;
}

uint64_t sched_chunk_ns_for(const struct sched *s, uint32_t running_id)
{
	const struct tenant *cur = find(s, running_id);

	if (!cur)
		return s->slice_ns;
	for (size_t i = 0; i < s->n; i++) {
		const struct tenant *t = &s->t[i];

		if (t->p.cls < cur->p.cls && t->last_busy_ns &&
		    (t->busy || s->now_ns - t->last_busy_ns < LATENCY_ACTIVE_NS))
			return s->latency_chunk_ns;
	}
	return s->slice_ns;
}

static void saw_time(struct sched *s, uint64_t now)
{
	if (now > s->now_ns)
		s->now_ns = now;
}

static uint32_t min_sum_except(const struct sched *s, const struct tenant *skip)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < s->n; i++)
		if (&s->t[i] != skip)
			sum += s->t[i].p.min_permille;
	return sum;
}

static int check_fit(const struct sched *s, const struct tenant *skip,
		     const struct sched_params *p, char *why, size_t why_len)
{
	uint32_t others;
	int rc = sched_params_check(p, why, why_len);

	if (rc < 0)
		return rc;
	others = min_sum_except(s, skip);
	if (others + p->min_permille > 1000) {
		sched_why(why, why_len,
			  "guaranteed minimum %u permille does not fit: %u of 1000 already guaranteed",
			  p->min_permille, others);
		return -ENOSPC;
	}
	return 0;
}

int sched_tenant_add(struct sched *s, uint32_t id, const struct sched_params *p,
		     char *why, size_t why_len)
{
	struct tenant *t;
	int rc;

	if (find(s, id)) {
		sched_why(why, why_len, "tenant %u is already scheduled", id);
		return -EEXIST;
	}
	rc = check_fit(s, NULL, p, why, why_len);
	if (rc < 0)
		return rc;
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 8;
		struct tenant *nt = realloc(s->t, na * sizeof(*nt));

		if (!nt) {
			sched_why(why, why_len, "out of memory adding tenant %u", id);
			return -ENOMEM;
		}
		s->t = nt;
		s->alloc = na;
	}
	t = &s->t[s->n++];
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->p = *p;
	t->vtime = s->class_vtime[p->cls];
	t->cap_tokens = (int64_t)s->slice_ns;
	return 0;
}

int sched_tenant_set(struct sched *s, uint32_t id, const struct sched_params *p,
		     char *why, size_t why_len)
{
	struct tenant *t = find(s, id);
	int rc;

	if (!t) {
		sched_why(why, why_len, "tenant %u is not scheduled", id);
		return -ENOENT;
	}
	rc = check_fit(s, t, p, why, why_len);
	if (rc < 0)
		return rc;
	/* Moving to another class: join that class's clock, as if waking, so
	 * the tenant neither jumps the queue nor starves there. */
	if (p->cls != t->p.cls)
		t->vtime = s->class_vtime[p->cls];
	t->p = *p;
	t->vrem = 0;
	return 0;
}

int sched_tenant_remove(struct sched *s, uint32_t id)
{
	struct tenant *t = find(s, id);

	if (!t)
		return -ENOENT;
	if (s->has_cur && s->cur_id == id)
		s->has_cur = false;
	*t = s->t[--s->n];
	return 0;
}

int sched_tenant_get(const struct sched *s, uint32_t id, struct sched_params *p)
{
	const struct tenant *t = find(s, id);

	if (!t)
		return -ENOENT;
	*p = t->p;
	return 0;
}

/* Tokens the cap allows at now: refilled at cap permille of wall time, up to
 * one slice. */
static int64_t cap_tokens_at(const struct sched *s, const struct tenant *t, uint64_t now)
{
	uint64_t dt = now > t->cap_last_ns ? now - t->cap_last_ns : 0;
	uint64_t depth = s->slice_ns;
	int64_t tok;

	/* Beyond one slice of refill (plus the deepest debt a charge can
	 * leave) the bucket is full anyway; clamping dt keeps the product
	 * from overflowing. */
	if (dt > (MAX_CHARGE_NS + depth) * 1000u / t->p.cap_permille + 1)
		return (int64_t)depth;
	tok = t->cap_tokens + (int64_t)(dt * t->p.cap_permille / 1000u);
	return tok > (int64_t)depth ? (int64_t)depth : tok;
}

/* Run time the minimum owes at now: refilled only while busy. */
static int64_t min_tokens_at(const struct sched *s, const struct tenant *t, uint64_t now)
{
	uint64_t dt = now > t->min_last_ns ? now - t->min_last_ns : 0;
	uint64_t depth = s->slice_ns;
	int64_t tok;

	if (!t->busy || !t->p.min_permille)
		return t->min_tokens;
	if (dt > 2 * depth * 1000u / t->p.min_permille + 1)
		return (int64_t)depth;
	tok = t->min_tokens + (int64_t)(dt * t->p.min_permille / 1000u);
	return tok > (int64_t)depth ? (int64_t)depth : tok;
}

static void refill(const struct sched *s, struct tenant *t, uint64_t now)
{
	if (t->p.cap_permille)
		t->cap_tokens = cap_tokens_at(s, t, now);
	t->min_tokens = min_tokens_at(s, t, now);
	if (now > t->cap_last_ns)
		t->cap_last_ns = now;
	if (now > t->min_last_ns)
		t->min_last_ns = now;
}

static bool eligible(const struct sched *s, const struct tenant *t, uint64_t now)
{
	return t->busy && (!t->p.cap_permille || cap_tokens_at(s, t, now) > 0);
}

static bool owed(const struct sched *s, const struct tenant *t, uint64_t now)
{
	return t->p.min_permille && eligible(s, t, now) && min_tokens_at(s, t, now) > 0;
}

int sched_tenant_busy(struct sched *s, uint32_t id, bool busy, uint64_t now_ns)
{
	struct tenant *t = find(s, id);

	if (!t)
		return -ENOENT;
	saw_time(s, now_ns);
	if (busy == t->busy)
		return 0;
	refill(s, t, now_ns);
	t->busy = busy;
	t->last_busy_ns = now_ns;
	if (busy) {
		uint64_t lag_v = s->max_lag_ns * VSCALE / t->p.weight;
		uint64_t floor = s->class_vtime[t->p.cls] - lag_v;

		if (vt_before(t->vtime, floor))
			t->vtime = floor;
		/* The minimum is owed from now on, not for the idle time. */
		t->min_tokens = 0;
		t->min_last_ns = now_ns;
	}
	return 0;
}

/* Better candidate for the next run: an owed minimum first, then the
 * higher class, then the smaller virtual time. */
static bool better(const struct sched *s, const struct tenant *a, const struct tenant *b,
		   uint64_t now)
{
	bool oa = owed(s, a, now), ob = owed(s, b, now);

	if (oa != ob)
		return oa;
	if (a->p.cls != b->p.cls)
		return a->p.cls < b->p.cls;
	return vt_before(a->vtime, b->vtime);
}

static bool must_go_before(const struct sched *s, const struct tenant *a,
			   const struct tenant *cur, uint64_t now)
{
	if (owed(s, a, now) && !owed(s, cur, now))
		return true;
	return a->p.cls < cur->p.cls && eligible(s, a, now);
}

bool sched_should_yield(const struct sched *s, uint32_t running_id, uint64_t now_ns)
{
	const struct tenant *cur = find(s, running_id);

	if (!cur)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		const struct tenant *t = &s->t[i];

		if (t != cur && eligible(s, t, now_ns) && must_go_before(s, t, cur, now_ns))
			return true;
	}
	return false;
}

static uint64_t cap_retry_at(const struct sched *s, uint64_t now)
{
	uint64_t best = UINT64_MAX;

	for (size_t i = 0; i < s->n; i++) {
		const struct tenant *t = &s->t[i];
		uint64_t deficit, wait;

		if (!t->busy || !t->p.cap_permille)
			continue;
		deficit = (uint64_t)(1 - cap_tokens_at(s, t, now));
		wait = (deficit * 1000u + t->p.cap_permille - 1) / t->p.cap_permille;
		if (now + wait < best)
			best = now + wait;
	}
	return best;
}

int sched_pick(struct sched *s, uint64_t now_ns, uint32_t *id, uint64_t *retry_at_ns)
{
	struct tenant *cur = s->has_cur ? find(s, s->cur_id) : NULL;
	struct tenant *best = NULL;
	bool any_busy = false;
	bool seen[SCHED_CLASS_COUNT] = { false };
	uint64_t minv[SCHED_CLASS_COUNT] = { 0 };

	saw_time(s, now_ns);

	/* Keep the slice holder while its slice lasts and nobody must go first. */
	if (cur && eligible(s, cur, now_ns) && s->turn_ns < s->slice_ns &&
	    !sched_should_yield(s, cur->id, now_ns)) {
		*id = cur->id;
		return 0;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct tenant *t = &s->t[i];

		any_busy |= t->busy;
		if (t->busy && (!seen[t->p.cls] || vt_before(t->vtime, minv[t->p.cls]))) {
			seen[t->p.cls] = true;
			minv[t->p.cls] = t->vtime;
		}
		if (eligible(s, t, now_ns) && (!best || better(s, t, best, now_ns)))
			best = t;
	}
	if (!best) {
		if (!any_busy)
			return -ENOENT;
		if (retry_at_ns)
			*retry_at_ns = cap_retry_at(s, now_ns);
		return -EAGAIN;
	}
	/* Each class's clock follows its busy tenants' smallest virtual time,
	 * never backwards: it is where a waking tenant rejoins. */
	for (unsigned c = 0; c < SCHED_CLASS_COUNT; c++)
		if (seen[c] && vt_before(s->class_vtime[c], minv[c]))
			s->class_vtime[c] = minv[c];
	s->has_cur = true;
	s->cur_id = best->id;
	s->turn_ns = 0;
	*id = best->id;
	return 0;
}

int sched_charge(struct sched *s, uint32_t id, uint64_t ran_ns, uint64_t now_ns)
{
	struct tenant *t = find(s, id);
	uint64_t v = ran_ns > MAX_CHARGE_NS ? MAX_CHARGE_NS : ran_ns;
	uint64_t num;
	int64_t floor = -(int64_t)s->slice_ns;

	if (!t)
		return -ENOENT;
	saw_time(s, now_ns);
	refill(s, t, now_ns);
	num = v * VSCALE + t->vrem;
	t->vtime += num / t->p.weight;
	t->vrem = num % t->p.weight;
	/* Cap debt is repaid in full (that is what makes the cap exact) but
	 * bounded, so a stream of charges cannot overflow it. */
	if (t->p.cap_permille) {
		t->cap_tokens -= (int64_t)v;
		if (t->cap_tokens < -(int64_t)MAX_CHARGE_NS)
			t->cap_tokens = -(int64_t)MAX_CHARGE_NS;
	}
	/* Debt on the minimum is bounded: running above the minimum earlier
	 * must not cancel the guarantee later. */
	t->min_tokens -= (int64_t)v;
	if (t->min_tokens < floor)
		t->min_tokens = floor;
	if (s->has_cur && s->cur_id == id)
		s->turn_ns += v;
	t->st.busy_ns = t->st.busy_ns + ran_ns < t->st.busy_ns ? UINT64_MAX
							       : t->st.busy_ns + ran_ns;
	t->st.chunks++;
	return 0;
}

int sched_command_done(struct sched *s, uint32_t id, uint64_t queue_wait_ns)
{
	struct tenant *t = find(s, id);
	unsigned b = 0;

	if (!t)
		return -ENOENT;
	while (b < SCHED_WAIT_BUCKETS - 1 && queue_wait_ns >= sched_wait_bucket_upper_ns(b))
		b++;
	t->st.wait_hist[b]++;
	t->st.commands++;
	t->st.wait_total_ns = t->st.wait_total_ns + queue_wait_ns < t->st.wait_total_ns
				      ? UINT64_MAX
				      : t->st.wait_total_ns + queue_wait_ns;
	return 0;
}

int sched_tenant_stats(const struct sched *s, uint32_t id, struct sched_stats *out)
{
	const struct tenant *t = find(s, id);

	if (!t)
		return -ENOENT;
	*out = t->st;
	return 0;
}
