/*
 * test_sched_random.c - the policy under long random sequences of calls
 * (adds, removals, live changes, busy flips, picks, charges of any size,
 * time jumps), checked against invariants after every pick.  Runs under
 * ASan/UBSan, so overflow or out-of-bounds use also fails.  Fixed seeds:
 * the same sequences every run.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sched.h"

#define IDS 12

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, good enough to drive the calls. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static void random_params(struct sched_params *p)
{
	static const uint32_t weights[] = { 1, 2, 50, 100, 333, 10000 };

	sched_params_default(p);
	p->cls = (enum sched_class)(rnd() % SCHED_CLASS_COUNT);
	p->weight = weights[rnd() % 6];
	p->min_permille = rnd() % 4 == 0 ? (uint32_t)(rnd() % 300) : 0;
	p->cap_permille = rnd() % 4 == 0 ? (uint32_t)(1 + rnd() % 1000) : 0;
	if (p->cap_permille && p->min_permille > p->cap_permille)
		p->min_permille = p->cap_permille;
}

struct model {
	bool present[IDS], busy[IDS];
	struct sched_params p[IDS];
};

/* After a successful pick of id: the policy's documented guarantees. */
static void check_pick(const struct sched *s, const struct model *m, uint32_t id,
		       uint64_t now)
{
	assert_true(id < IDS);
	assert_true(m->present[id]);
	assert_true(m->busy[id]);
	/* Strict classes: nobody busy and uncapped in a higher class may be
	 * passed over, unless the pick is owed its minimum (then it must yield
	 * to nobody of its own class or below either). */
	if (!m->p[id].min_permille)
		assert_false(sched_should_yield(s, id, now));
}

static void run_sequence(uint64_t seed, unsigned steps)
{
	struct sched_config cfg = { .slice_ns = 500000 + rnd() % 3 * 1000000 };
	struct sched *s;
	struct model m = { 0 };
	uint64_t now = 1000;
	char why[160];

	rng_state = seed;
	s = sched_create(&cfg);
	assert_non_null(s);
	for (unsigned i = 0; i < steps; i++) {
		uint32_t id = (uint32_t)(rnd() % IDS), got;
		uint64_t retry = 0;
		struct sched_params p;
		int rc;

		switch (rnd() % 8) {
		case 0:
			random_params(&p);
			rc = sched_tenant_add(s, id, &p, why, sizeof why);
			assert_true(rc == 0 || rc == -EEXIST || rc == -ENOSPC);
			if (rc == 0) {
				m.present[id] = true;
				m.busy[id] = false;
				m.p[id] = p;
			}
			break;
		case 1:
			rc = sched_tenant_remove(s, id);
			assert_int_equal(rc, m.present[id] ? 0 : -ENOENT);
			m.present[id] = false;
			break;
		case 2:
			random_params(&p);
			rc = sched_tenant_set(s, id, &p, why, sizeof why);
			if (!m.present[id])
				assert_int_equal(rc, -ENOENT);
			else if (rc == 0)
				m.p[id] = p;
			else
				assert_int_equal(rc, -ENOSPC);
			break;
		case 3:
			rc = sched_tenant_busy(s, id, !m.busy[id], now);
			assert_int_equal(rc, m.present[id] ? 0 : -ENOENT);
			if (m.present[id])
				m.busy[id] = !m.busy[id];
			break;
		case 4:
			/* Time jumps, from nothing to hours. */
			now += rnd() % 4 == 0 ? rnd() % (4ull << 40) : rnd() % 3000000;
			break;
		default:
			rc = sched_pick(s, now, &got, &retry);
			if (rc == 0) {
				uint64_t ran = rnd() % 8 == 0 ? rnd() : rnd() % 3000000;

				check_pick(s, &m, got, now);
				if (ran < UINT64_MAX - now && rnd() % 2)
					now += ran;
				assert_int_equal(sched_charge(s, got, ran, now), 0);
				assert_int_equal(sched_command_done(s, got, rnd() % 10000000), 0);
			} else if (rc == -EAGAIN) {
				bool any = false;

				for (unsigned k = 0; k < IDS; k++)
					any |= m.present[k] && m.busy[k] && m.p[k].cap_permille;
				assert_true(any);
				assert_true(retry > now);
				assert_true(retry - now < (1ull << 62));
			} else {
				assert_int_equal(rc, -ENOENT);
				for (unsigned k = 0; k < IDS; k++)
					assert_false(m.present[k] && m.busy[k]);
			}
			break;
		}
		/* Guaranteed minimums never add up beyond the device. */
		{
			uint32_t sum = 0;

			for (unsigned k = 0; k < IDS; k++)
				if (m.present[k])
					sum += m.p[k].min_permille;
			assert_true(sum <= 1000);
		}
	}
	for (unsigned k = 0; k < IDS; k++) {
		struct sched_stats st;

		if (m.present[k])
			assert_int_equal(sched_tenant_stats(s, k, &st), 0);
	}
	sched_destroy(s);
}

static void test_random_sequences(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++)
		run_sequence(seed * 0x9e3779b97f4a7c15ull, 5000);
}

/* Work conservation under random parameters: with no caps, whenever a
 * tenant is busy, someone is picked. */
static void test_random_work_conserving(void **state)
{
	struct sched *s = sched_create(NULL);
	uint64_t now = 0;
	uint32_t got;
	(void)state;

	rng_state = 77;
	for (uint32_t id = 0; id < IDS; id++) {
		struct sched_params p;

		random_params(&p);
		p.cap_permille = 0;
		p.min_permille = 0;
		assert_int_equal(sched_tenant_add(s, id, &p, NULL, 0), 0);
	}
	for (unsigned i = 0; i < 20000; i++) {
		uint32_t id = (uint32_t)(rnd() % IDS);
		struct sched_params p;

		assert_int_equal(sched_tenant_busy(s, id, rnd() % 3 != 0, now), 0);
		if (rnd() % 50 == 0) {
			assert_int_equal(sched_tenant_get(s, id, &p), 0);
			p.weight = 1 + (uint32_t)(rnd() % 10000);
			assert_int_equal(sched_tenant_set(s, id, &p, NULL, 0), 0);
		}
		int rc = sched_pick(s, now, &got, NULL);

		if (rc == 0) {
			now += 1 + rnd() % 2000000;
			assert_int_equal(sched_charge(s, got, now % 2000000, now), 0);
		} else {
			/* Only when nobody is busy: one busy tenant is picked. */
			assert_int_equal(rc, -ENOENT);
			assert_int_equal(sched_tenant_busy(s, id, true, now), 0);
			assert_int_equal(sched_pick(s, now, &got, NULL), 0);
			assert_int_equal(got, id);
		}
	}
	sched_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sequences),
		cmocka_unit_test(test_random_work_conserving),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
