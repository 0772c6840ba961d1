/*
 * test_sched_policy.c - the slicing policy on a simulated device and clock.
 *
 * A tiny simulator plays the vGPU server: pick a tenant, "run" one command
 * of cmd_ns (at most one chunk), advance the clock, charge it.  Shares are
 * measured as the run time each tenant received.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sched.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define NT 8

struct sim {
	struct sched *s;
	uint64_t now;
	uint64_t cmd_ns[NT];   /* command length per tenant */
	uint64_t served[NT];   /* run time received */
	uint64_t idle_ns;      /* device idle although someone was busy */
	uint64_t picks;
};

static void sim_init(struct sim *m, const struct sched_config *cfg)
{
	memset(m, 0, sizeof(*m));
	m->s = sched_create(cfg);
	assert_non_null(m->s);
	m->now = 1 * SEC;
	for (int i = 0; i < NT; i++)
		m->cmd_ns[i] = 500000; /* 0.5 ms commands by default */
}

static void add(struct sim *m, uint32_t id, enum sched_class cls, uint32_t w,
		uint32_t min, uint32_t cap)
{
	struct sched_params p = { .cls = cls, .weight = w, .min_permille = min,
				  .cap_permille = cap };
	char why[128];

	assert_int_equal(sched_tenant_add(m->s, id, &p, why, sizeof why), 0);
	assert_int_equal(sched_tenant_busy(m->s, id, true, m->now), 0);
}

/* Runs the simulated device for dur; returns when the time is up or no
 * tenant is busy. */
static void run_for(struct sim *m, uint64_t dur)
{
	uint64_t end = m->now + dur;

	while (m->now < end) {
		uint32_t id;
		uint64_t retry = 0, ran;
		int rc = sched_pick(m->s, m->now, &id, &retry);

		if (rc == -ENOENT)
			return;
		if (rc == -EAGAIN) {
			assert_true(retry > m->now);
			ran = (retry < end ? retry : end) - m->now;
			m->idle_ns += ran;
			m->now += ran;
			continue;
		}
		assert_int_equal(rc, 0);
		assert_true(id < NT);
		ran = m->cmd_ns[id];
		if (ran > sched_chunk_ns(m->s))
			ran = sched_chunk_ns(m->s);
		m->now += ran;
		m->served[id] += ran;
		m->picks++;
		assert_int_equal(sched_charge(m->s, id, ran, m->now), 0);
	}
}

static double share(const struct sim *m, uint32_t id, const uint64_t before[NT],
		    uint64_t total)
{
	return (double)(m->served[id] - before[id]) / (double)total;
}

static void test_shares_follow_weights(void **state)
{
	struct sim m;
	uint64_t before[NT];
	(void)state;

	sim_init(&m, NULL);
	add(&m, 1, SCHED_CLASS_NORMAL, 100, 0, 0);
	add(&m, 2, SCHED_CLASS_NORMAL, 200, 0, 0);
	add(&m, 3, SCHED_CLASS_NORMAL, 400, 0, 0);
	m.cmd_ns[2] = 3 * MS; /* longer than a chunk: gets split */
	m.cmd_ns[3] = 70000;  /* many short commands */
	run_for(&m, 200 * MS); /* warm-up */
	memcpy(before, m.served, sizeof before);
	for (int sec = 0; sec < 3; sec++) {
		uint64_t b[NT];

		memcpy(b, m.served, sizeof b);
		run_for(&m, SEC);
		/* 1:2:4 within one percentage point over each second. */
		assert_true(share(&m, 1, b, SEC) > 1.0 / 7 - 0.01 &&
			    share(&m, 1, b, SEC) < 1.0 / 7 + 0.01);
		assert_true(share(&m, 2, b, SEC) > 2.0 / 7 - 0.01 &&
			    share(&m, 2, b, SEC) < 2.0 / 7 + 0.01);
		assert_true(share(&m, 3, b, SEC) > 4.0 / 7 - 0.01 &&
			    share(&m, 3, b, SEC) < 4.0 / 7 + 0.01);
	}
	assert_int_equal(m.idle_ns, 0);
	sched_destroy(m.s);
}

static void test_work_conserving(void **state)
{
	struct sim m;
	uint64_t b[NT];
	(void)state;

	sim_init(&m, NULL);
	add(&m, 1, SCHED_CLASS_NORMAL, 1, 0, 0);
	add(&m, 2, SCHED_CLASS_NORMAL, 10000, 0, 0);
	add(&m, 3, SCHED_CLASS_LOW, 100, 0, 0);
	run_for(&m, 100 * MS);
	/* The heavy tenant leaves: the light one gets all of NORMAL's time,
	 * LOW nothing (strict classes), and the device is never idle. */
	assert_int_equal(sched_tenant_busy(m.s, 2, false, m.now), 0);
	memcpy(b, m.served, sizeof b);
	run_for(&m, 500 * MS);
	assert_int_equal(m.served[1] - b[1], 500 * MS);
	assert_int_equal(m.served[3] - b[3], 0);
	/* NORMAL empties: LOW takes the whole device. */
	assert_int_equal(sched_tenant_busy(m.s, 1, false, m.now), 0);
	memcpy(b, m.served, sizeof b);
	run_for(&m, 500 * MS);
	assert_int_equal(m.served[3] - b[3], 500 * MS);
	assert_int_equal(m.idle_ns, 0);
	/* Nobody busy: nothing to pick. */
	assert_int_equal(sched_tenant_busy(m.s, 3, false, m.now), 0);
	{
		uint32_t id;

		assert_int_equal(sched_pick(m.s, m.now, &id, NULL), -ENOENT);
	}
	sched_destroy(m.s);
}

static void test_bounded_lag(void **state)
{
	struct sched_config cfg = { .slice_ns = 2 * MS, .max_lag_ns = 4 * MS };
	struct sim m;
	uint64_t b[NT];
	(void)state;

	sim_init(&m, &cfg);
	add(&m, 1, SCHED_CLASS_NORMAL, 100, 0, 0);
	add(&m, 2, SCHED_CLASS_NORMAL, 100, 0, 0);
	assert_int_equal(sched_tenant_busy(m.s, 2, false, m.now), 0);
	run_for(&m, 2 * SEC); /* tenant 2 idles for 2 s: no credit beyond the lag */
	assert_int_equal(sched_tenant_busy(m.s, 2, true, m.now), 0);
	memcpy(b, m.served, sizeof b);
	run_for(&m, 100 * MS);
	/* Equal weights: fair would be 50 ms each; tenant 2 may get at most
	 * the lag plus one slice more (plus a command's rounding). */
	assert_true(m.served[2] - b[2] <= 50 * MS + (4 + 2) * MS / 2 + MS);
	assert_true(m.served[2] - b[2] >= 50 * MS);
	/* ... and over the next second the two are even again. */
	memcpy(b, m.served, sizeof b);
	run_for(&m, SEC);
	assert_true(share(&m, 2, b, SEC) > 0.49 && share(&m, 2, b, SEC) < 0.51);
	sched_destroy(m.s);
}

static void test_class_preemption(void **state)
{
	struct sim m;
	uint32_t id;
	(void)state;

	sim_init(&m, NULL);
	add(&m, 1, SCHED_CLASS_LOW, 10000, 0, 0);
	add(&m, 2, SCHED_CLASS_NORMAL, 1, 0, 0);
	assert_int_equal(sched_tenant_busy(m.s, 2, false, m.now), 0);
	m.cmd_ns[1] = 100 * MS; /* a huge GEMM: runs in chunks */
	run_for(&m, 10 * MS + 300000);
	/* The low tenant holds the device mid-slice; a normal one arrives. */
	assert_int_equal(sched_pick(m.s, m.now, &id, NULL), 0);
	assert_int_equal(id, 1);
	assert_int_equal(sched_tenant_busy(m.s, 2, true, m.now), 0);
	assert_true(sched_should_yield(m.s, 1, m.now));
	assert_false(sched_should_yield(m.s, 2, m.now));
	assert_int_equal(sched_pick(m.s, m.now, &id, NULL), 0);
	assert_int_equal(id, 2);
	/* It keeps the device, weight 1 against 10000 notwithstanding. */
	{
		uint64_t b1 = m.served[1];

		run_for(&m, 300 * MS);
		assert_int_equal(m.served[1], b1);
	}
	/* A high-priority arrival waits at most one chunk. */
	add(&m, 3, SCHED_CLASS_HIGH, 1, 0, 0);
	assert_int_equal(sched_tenant_busy(m.s, 3, false, m.now), 0);
	m.cmd_ns[2] = 100 * MS;
	run_for(&m, 5 * MS + 100);
	assert_int_equal(sched_tenant_busy(m.s, 3, true, m.now), 0);
	{
		uint64_t arrive = m.now, b3 = m.served[3];

		while (m.served[3] == b3)
			run_for(&m, 1);
		assert_true(m.now - arrive <= sched_chunk_ns(m.s) + m.cmd_ns[3]);
	}
	sched_destroy(m.s);
}

static void test_live_weight_change(void **state)
{
	struct sim m;
	struct sched_params p;
	uint64_t b[NT];
	char why[128];
	(void)state;

	sim_init(&m, NULL);
	add(&m, 1, SCHED_CLASS_NORMAL, 100, 0, 0);
	add(&m, 2, SCHED_CLASS_NORMAL, 100, 0, 0);
	run_for(&m, SEC);
	assert_int_equal(sched_tenant_get(m.s, 2, &p), 0);
	p.weight = 300;
	assert_int_equal(sched_tenant_set(m.s, 2, &p, why, sizeof why), 0);
	run_for(&m, 100 * MS);
	memcpy(b, m.served, sizeof b);
	run_for(&m, SEC);
	assert_true(share(&m, 1, b, SEC) > 0.24 && share(&m, 1, b, SEC) < 0.26);
	assert_true(share(&m, 2, b, SEC) > 0.74 && share(&m, 2, b, SEC) < 0.76);
	/* Class change live: tenant 1 to HIGH takes the whole device. */
	assert_int_equal(sched_tenant_get(m.s, 1, &p), 0);
	p.cls = SCHED_CLASS_HIGH;
	assert_int_equal(sched_tenant_set(m.s, 1, &p, why, sizeof why), 0);
	run_for(&m, 10 * MS);
	memcpy(b, m.served, sizeof b);
	run_for(&m, 100 * MS);
	assert_int_equal(m.served[1] - b[1], 100 * MS);
	/* Busy state and accounting survive a change. */
	{
		struct sched_stats st;

		assert_int_equal(sched_tenant_stats(m.s, 1, &st), 0);
		assert_int_equal(st.busy_ns, m.served[1]);
	}
	sched_destroy(m.s);
}

static void test_cap(void **state)
{
	struct sim m;
	uint64_t b[NT];
	uint32_t id;
	uint64_t retry = 0;
	(void)state;

	sim_init(&m, NULL);
	add(&m, 1, SCHED_CLASS_HIGH, 100, 0, 300);
	memcpy(b, m.served, sizeof b);
	run_for(&m, SEC);
	/* Alone and capped at 30%: the device idles the rest. */
	assert_true(share(&m, 1, b, SEC) > 0.29 && share(&m, 1, b, SEC) < 0.31);
	assert_true(m.idle_ns > 680 * MS);
	/* Out of budget: -EAGAIN with a time to come back. */
	while (sched_pick(m.s, m.now, &id, &retry) == 0) {
		m.now += 500000;
		sched_charge(m.s, id, 500000, m.now);
	}
	assert_int_equal(sched_pick(m.s, m.now, &id, &retry), -EAGAIN);
	assert_true(retry > m.now);
	assert_int_equal(sched_pick(m.s, retry, &id, NULL), 0);
	assert_int_equal(id, 1);
	/* A capped HIGH tenant leaves the rest to NORMAL: 30/70. */
	add(&m, 2, SCHED_CLASS_NORMAL, 100, 0, 0);
	memcpy(b, m.served, sizeof b);
	m.idle_ns = 0;
	run_for(&m, SEC);
	assert_true(share(&m, 1, b, SEC) > 0.29 && share(&m, 1, b, SEC) < 0.31);
	assert_true(share(&m, 2, b, SEC) > 0.69 && share(&m, 2, b, SEC) < 0.71);
	assert_int_equal(m.idle_ns, 0);
	sched_destroy(m.s);
}

static void test_minimum(void **state)
{
	struct sim m;
	uint64_t b[NT];
	(void)state;

	sim_init(&m, NULL);
	add(&m, 1, SCHED_CLASS_HIGH, 100, 0, 0);
	add(&m, 2, SCHED_CLASS_LOW, 1, 200, 0);
	add(&m, 3, SCHED_CLASS_LOW, 100, 0, 0);
	run_for(&m, 100 * MS);
	memcpy(b, m.served, sizeof b);
	run_for(&m, SEC);
	/* HIGH saturates, yet the LOW tenant with a 20% minimum gets it; the
	 * other LOW tenant starves (strict classes). */
	assert_true(share(&m, 2, b, SEC) > 0.19 && share(&m, 2, b, SEC) < 0.21);
	assert_true(share(&m, 1, b, SEC) > 0.79);
	assert_int_equal(m.served[3] - b[3], 0);
	/* An owed minimum makes the running higher class yield. */
	{
		uint32_t id;

		assert_int_equal(sched_tenant_busy(m.s, 2, false, m.now), 0);
		run_for(&m, 10 * MS);
		assert_int_equal(sched_tenant_busy(m.s, 2, true, m.now), 0);
		assert_false(sched_should_yield(m.s, 1, m.now));
		m.now += 50000; /* the minimum's bucket fills while it waits */
		assert_true(sched_should_yield(m.s, 1, m.now));
		assert_int_equal(sched_pick(m.s, m.now, &id, NULL), 0);
		assert_int_equal(id, 2);
	}
	sched_destroy(m.s);
}

static void test_chunk_and_config(void **state)
{
	struct sched_config cfg = { 0 };
	struct sched *s;
	char why[128];
	(void)state;

	s = sched_create(NULL);
	assert_int_equal(sched_chunk_ns(s), 2 * MS);
	sched_destroy(s);
	cfg.slice_ns = 400000;
	assert_null(sched_create(&cfg));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(sched_config_check(&cfg, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "slice"));
	cfg.slice_ns = 31 * MS;
	assert_null(sched_create(&cfg));
	cfg.slice_ns = 30 * MS;
	s = sched_create(&cfg);
	assert_non_null(s);
	assert_int_equal(sched_chunk_ns(s), 30 * MS);
	sched_destroy(s);
	cfg.slice_ns = SCHED_SLICE_NS_MIN;
	s = sched_create(&cfg);
	assert_int_equal(sched_chunk_ns(s), SCHED_SLICE_NS_MIN);
	sched_destroy(s);
	cfg.latency_chunk_ns = SCHED_SLICE_NS_MIN + 1;
	assert_int_equal(sched_config_check(&cfg, why, sizeof why), -EINVAL);
	cfg.latency_chunk_ns = SCHED_LATENCY_CHUNK_NS_MIN - 1;
	assert_int_equal(sched_config_check(&cfg, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "latency chunk"));
}

static void test_latency_chunk(void **state)
{
	struct sim m;
	(void)state;

	sim_init(&m, NULL);
	add(&m, 1, SCHED_CLASS_NORMAL, 100, 0, 0);
	add(&m, 2, SCHED_CLASS_NORMAL, 100, 0, 0);
	/* Alone in the top class: long commands run in slices. */
	assert_int_equal(sched_chunk_ns_for(m.s, 1), 2 * MS);
	assert_int_equal(sched_chunk_ns_for(m.s, 99), 2 * MS);
	/* A high-priority tenant attached but never busy changes nothing. */
	{
		struct sched_params p = { .cls = SCHED_CLASS_HIGH, .weight = 100 };

		assert_int_equal(sched_tenant_add(m.s, 3, &p, NULL, 0), 0);
	}
	assert_int_equal(sched_chunk_ns_for(m.s, 1), 2 * MS);
	/* Once active, lower classes run in short chunks so its next request
	 * waits little; it runs in slices itself. */
	assert_int_equal(sched_tenant_busy(m.s, 3, true, m.now), 0);
	assert_int_equal(sched_chunk_ns_for(m.s, 1), SCHED_LATENCY_CHUNK_NS_DEFAULT);
	assert_int_equal(sched_chunk_ns_for(m.s, 3), 2 * MS);
	run_for(&m, 5 * MS);
	assert_int_equal(sched_tenant_busy(m.s, 3, false, m.now), 0);
	run_for(&m, 99 * MS);
	assert_int_equal(sched_chunk_ns_for(m.s, 1), SCHED_LATENCY_CHUNK_NS_DEFAULT);
	/* 100 ms idle: back to slices. */
	run_for(&m, 2 * MS);
	assert_int_equal(sched_chunk_ns_for(m.s, 1), 2 * MS);
	assert_int_equal(sched_tenant_busy(m.s, 3, true, m.now), 0);
	assert_int_equal(sched_chunk_ns_for(m.s, 2), SCHED_LATENCY_CHUNK_NS_DEFAULT);
	assert_int_equal(sched_tenant_remove(m.s, 3), 0);
	assert_int_equal(sched_chunk_ns_for(m.s, 2), 2 * MS);
	sched_destroy(m.s);
}

static void test_params_refused(void **state)
{
	struct sched *s = sched_create(NULL);
	struct sched_params p;
	char why[160];
	enum sched_class c;
	(void)state;

	sched_params_default(&p);
	assert_int_equal(sched_params_check(&p, why, sizeof why), 0);
	p.weight = 0;
	assert_int_equal(sched_tenant_add(s, 1, &p, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "weight"));
	p.weight = 10001;
	assert_int_equal(sched_params_check(&p, why, sizeof why), -EINVAL);
	sched_params_default(&p);
	p.min_permille = 300;
	p.cap_permille = 200;
	assert_int_equal(sched_params_check(&p, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "cap"));
	p.cls = (enum sched_class)7;
	assert_int_equal(sched_params_check(&p, why, sizeof why), -EINVAL);
	/* Minimums add up to at most 1000 permille. */
	sched_params_default(&p);
	p.min_permille = 600;
	assert_int_equal(sched_tenant_add(s, 1, &p, why, sizeof why), 0);
	assert_int_equal(sched_tenant_add(s, 1, &p, why, sizeof why), -EEXIST);
	assert_int_equal(sched_tenant_add(s, 2, &p, why, sizeof why), -ENOSPC);
	assert_non_null(strstr(why, "600 of 1000"));
	p.min_permille = 400;
	assert_int_equal(sched_tenant_add(s, 2, &p, why, sizeof why), 0);
	p.min_permille = 401;
	assert_int_equal(sched_tenant_set(s, 2, &p, why, sizeof why), -ENOSPC);
	assert_int_equal(sched_tenant_remove(s, 1), 0);
	assert_int_equal(sched_tenant_remove(s, 1), -ENOENT);
	assert_int_equal(sched_tenant_set(s, 2, &p, why, sizeof why), 0);
	assert_int_equal(sched_tenant_set(s, 9, &p, why, sizeof why), -ENOENT);
	assert_int_equal(sched_tenant_busy(s, 9, true, 0), -ENOENT);
	assert_int_equal(sched_charge(s, 9, 1, 0), -ENOENT);
	assert_int_equal(sched_class_parse("high", &c), 0);
	assert_int_equal(c, SCHED_CLASS_HIGH);
	assert_int_equal(sched_class_parse("urgent", &c), -EINVAL);
	assert_string_equal(sched_class_name(SCHED_CLASS_LOW), "low");
	sched_destroy(s);
}

static void test_wait_histogram(void **state)
{
	struct sched *s = sched_create(NULL);
	struct sched_params p;
	struct sched_stats st;
	(void)state;

	sched_params_default(&p);
	assert_int_equal(sched_tenant_add(s, 5, &p, NULL, 0), 0);
	for (int i = 0; i < 98; i++)
		assert_int_equal(sched_command_done(s, 5, 1500), 0); /* 1.5 us: bucket < 2 us */
	assert_int_equal(sched_command_done(s, 5, 3 * MS), 0);
	assert_int_equal(sched_command_done(s, 5, 100 * SEC), 0);
	assert_int_equal(sched_tenant_stats(s, 5, &st), 0);
	assert_int_equal(st.commands, 100);
	assert_int_equal(st.wait_hist[1], 98);
	assert_int_equal(st.wait_hist[SCHED_WAIT_BUCKETS - 1], 1);
	assert_int_equal(sched_stats_wait_quantile_ns(&st, 0.5), 2000);
	assert_int_equal(sched_stats_wait_quantile_ns(&st, 0.99), 4096000);
	assert_int_equal(sched_stats_wait_quantile_ns(&st, 1.0),
			 sched_wait_bucket_upper_ns(SCHED_WAIT_BUCKETS - 2));
	assert_int_equal(sched_wait_bucket_upper_ns(SCHED_WAIT_BUCKETS - 1), UINT64_MAX);
	assert_int_equal(sched_command_done(s, 6, 1), -ENOENT);
	/* A hostile run time saturates instead of wrapping. */
	assert_int_equal(sched_charge(s, 5, UINT64_MAX, 1), 0);
	assert_int_equal(sched_charge(s, 5, 10, 2), 0);
	assert_int_equal(sched_tenant_stats(s, 5, &st), 0);
	assert_int_equal(st.busy_ns, UINT64_MAX);
	sched_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shares_follow_weights),
		cmocka_unit_test(test_work_conserving),
		cmocka_unit_test(test_bounded_lag),
		cmocka_unit_test(test_class_preemption),
		cmocka_unit_test(test_live_weight_change),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_minimum),
		cmocka_unit_test(test_chunk_and_config),
		cmocka_unit_test(test_latency_chunk),
		cmocka_unit_test(test_params_refused),
		cmocka_unit_test(test_wait_histogram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
