/*
 * sched.h - the slicing policy: who runs the next chunk on a shared device.
 *
 * Used by the vGPU server (and anything else that time-slices one resource
 * between tenants).  The policy is pure: it never reads a clock and never
 * blocks; the caller passes the current time in nanoseconds (any monotonic
 * clock, e.g. CLOCK_MONOTONIC) and the measured execution time of what ran.
 * That makes it testable with a simulated clock.
 *
 * Order of choice:
 *   1. a busy tenant whose guaranteed minimum is owed (it received less than
 *      min_permille of the device while busy), highest class first;
 *   2. strict priority classes: HIGH before NORMAL before LOW;
 *   3. within a class, weighted fair queueing: each tenant has a virtual time
 *      advanced by (execution time / weight); the busy tenant with the
 *      smallest virtual time runs.  A tenant that becomes busy starts at
 *      max(own vtime, class vtime - max_lag), so idleness banks at most
 *      max_lag_ns of credit.
 *   Tenants over their hard cap are skipped until their budget refills.
 *   Otherwise the policy is work-conserving: whenever some tenant is busy,
 *   someone is picked.
 *
 * Caps and minimums are token buckets one slice deep, refilled at
 * cap_permille (min_permille) per mille of wall time; the minimum's bucket
 * fills only while the tenant is busy.  So over any interval T a capped
 * tenant runs at most cap*T + one slice + one chunk, and a busy tenant with
 * a minimum gets at least min*T - one slice, whatever the classes.
 *
 * A picked tenant keeps the device for up to one slice (slice_ns of charged
 * time) unless a tenant that must go first becomes busy; the server runs
 * work in chunks of at most sched_chunk_ns() and calls sched_pick() again
 * after each chunk, so a newly busy high-priority tenant waits at most one
 * chunk.
 *
 * Not thread-safe: the caller serialises all calls on one struct sched.
 */
#ifndef AIVISOR_SCHED_H
#define AIVISOR_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sched_class {
	SCHED_CLASS_HIGH,
	SCHED_CLASS_NORMAL,
	SCHED_CLASS_LOW,
	SCHED_CLASS_COUNT
};

#define SCHED_WEIGHT_MIN 1u
#define SCHED_WEIGHT_MAX 10000u
#define SCHED_WEIGHT_DEFAULT 100u

#define SCHED_SLICE_NS_DEFAULT 2000000ull /* 2 ms, like NVIDIA vGPU */
#define SCHED_SLICE_NS_MIN 500000ull      /* 0.5 ms */
#define SCHED_SLICE_NS_MAX 30000000ull    /* 30 ms */
#define SCHED_LATENCY_CHUNK_NS_DEFAULT 100000ull /* 100 us */
#define SCHED_LATENCY_CHUNK_NS_MIN 10000ull      /* 10 us */

struct sched_params {
	enum sched_class cls;
	uint32_t weight;       /* SCHED_WEIGHT_MIN..SCHED_WEIGHT_MAX */
	uint32_t min_permille; /* guaranteed share while busy, 0..1000; 0 = none */
	uint32_t cap_permille; /* hard cap, 1..1000; 0 = none */
};

struct sched_config {
	uint64_t slice_ns;      /* 0 = SCHED_SLICE_NS_DEFAULT; else MIN..MAX */
	uint64_t max_lag_ns;    /* credit an idle tenant may bank; 0 = slice_ns */
	uint64_t latency_chunk_ns; /* chunk under a higher class; 0 = 100 us,
				      else SCHED_LATENCY_CHUNK_NS_MIN..slice */
};

/* Fills params with the defaults: NORMAL, SCHED_WEIGHT_DEFAULT, no min/cap. */
void sched_params_default(struct sched_params *p);

/*
 * Checks a parameter set on its own (ranges, min <= cap).  Returns 0, or
 * -EINVAL with a message naming the bad field in why (may be NULL).
 */
int sched_params_check(const struct sched_params *p, char *why, size_t why_len);

/* "high" / "normal" / "low" -> class; returns 0 or -EINVAL. */
int sched_class_parse(const char *s, enum sched_class *cls);
const char *sched_class_name(enum sched_class cls);

/*
 * Creates a policy.  cfg may be NULL for all defaults.  Returns NULL with
 * errno = EINVAL (bad config) or ENOMEM; sched_config_check() says why.
 */
struct sched *sched_create(const struct sched_config *cfg);
int sched_config_check(const struct sched_config *cfg, char *why, size_t why_len);
void sched_destroy(struct sched *s);

/*
 * Tenants are named by the caller's id.  add: -EEXIST if present, -EINVAL
 * for bad params, -ENOSPC if the guaranteed minimums would exceed 1000
 * permille (why says so).  set: live change, keeps the tenant's accounting
 * and busy state; -ENOENT if absent.  remove: -ENOENT if absent.
 * A new tenant starts idle.
 */
int sched_tenant_add(struct sched *s, uint32_t id, const struct sched_params *p,
		     char *why, size_t why_len);
int sched_tenant_set(struct sched *s, uint32_t id, const struct sched_params *p,
		     char *why, size_t why_len);
int sched_tenant_remove(struct sched *s, uint32_t id);
int sched_tenant_get(const struct sched *s, uint32_t id, struct sched_params *p);

/*
 * Tells the policy whether the tenant has work queued.  Unknown ids are
 * ignored (returns -ENOENT).  Becoming busy applies the lag bound.
 */
int sched_tenant_busy(struct sched *s, uint32_t id, bool busy, uint64_t now_ns);

/*
 * Chooses the tenant to run the next chunk.
 * Returns 0 and sets *id; -ENOENT when no tenant is busy; -EAGAIN when busy
 * tenants exist but all are held back by their caps, with *retry_at_ns (if
 * not NULL) set to the earliest time one becomes eligible.
 */
int sched_pick(struct sched *s, uint64_t now_ns, uint32_t *id, uint64_t *retry_at_ns);

/*
 * Charges ran_ns of measured execution to the tenant (virtual time, slice,
 * cap and minimum budgets, accounting).  now_ns is the time the run ended.
 */
int sched_charge(struct sched *s, uint32_t id, uint64_t ran_ns, uint64_t now_ns);

/*
 * True when a tenant other than running_id is busy and must go before it
 * (higher class or owed minimum): a server that splits work finer than a
 * chunk may check this between pieces and return to sched_pick() early.
 */
bool sched_should_yield(const struct sched *s, uint32_t running_id, uint64_t now_ns);

/* How long one chunk of a long command may run: the slice length. */
uint64_t sched_chunk_ns(const struct sched *s);

/*
 * The chunk bound for work of tenant running_id: the slice, or the shorter
 * latency chunk (sched_config.latency_chunk_ns) while a tenant of a higher
 * class is active (busy now or within the last 100 ms), because its next
 * request may come any moment and waits for the chunk that is running.
 * Shorter pieces cost the lower class throughput (see docs/SCHEDULER.md),
 * hence only while the higher class is active.  Unknown ids get the slice.
 */
uint64_t sched_chunk_ns_for(const struct sched *s, uint32_t running_id);

/* --- accounting --------------------------------------------------------- */

/* Queue-wait histogram: bucket i counts waits below 2^i microseconds
 * (bucket 0: < 1 us), the last bucket everything longer. */
#define SCHED_WAIT_BUCKETS 24

struct sched_stats {
	uint64_t busy_ns;  /* execution time charged */
	uint64_t chunks;   /* sched_charge() calls */
	uint64_t commands; /* sched_command_done() calls */
	uint64_t wait_hist[SCHED_WAIT_BUCKETS];
	uint64_t wait_total_ns;
};

/* Records one finished command and how long it waited in the queue. */
int sched_command_done(struct sched *s, uint32_t id, uint64_t queue_wait_ns);
int sched_tenant_stats(const struct sched *s, uint32_t id, struct sched_stats *out);
/* Upper bound (exclusive) of bucket i in ns; UINT64_MAX for the last. */
uint64_t sched_wait_bucket_upper_ns(unsigned i);
/* q-quantile (0..1) of the queue-wait histogram, as the upper bound of the
 * bucket it falls in (the last, open bucket: its lower bound); 0 if empty. */
uint64_t sched_stats_wait_quantile_ns(const struct sched_stats *st, double q);

#endif
