/*
 * sched_stats.c - the queue-wait histogram's buckets and quantiles.
 */
#include "sched.h"

uint64_t sched_wait_bucket_upper_ns(unsigned i)
{
	if (i >= SCHED_WAIT_BUCKETS - 1)
		return UINT64_MAX;
	return (1ull << i) * 1000u;
}

uint64_t sched_stats_wait_quantile_ns(const struct sched_stats *st, double q)
{
	uint64_t total = 0, want, seen = 0;

	for (unsigned i = 0; i < SCHED_WAIT_BUCKETS; i++)
		total += st->wait_hist[i];
	if (total == 0)
		return 0;
	if (!(q > 0))
		q = 0;
	if (q > 1)
		q = 1;
	want = (uint64_t)(q * (double)total);
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < SCHED_WAIT_BUCKETS - 1; i++) {
		seen += st->wait_hist[i];
		if (seen >= want)
			return sched_wait_bucket_upper_ns(i);
	}
	/* The open last bucket: report its lower bound. */
	return sched_wait_bucket_upper_ns(SCHED_WAIT_BUCKETS - 2);
}
