/* Unit tests for vmm/console_rate.c: the console's token bucket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "console_rate.h"

#define SEC 1000000000ull

static void test_burst_is_free_then_waits(void **state)
{
	(void)state;
	struct console_rate c;
	console_rate_init(&c, 1000, 500, 0);
	assert_int_equal(console_rate_take(&c, 500, 0), 0);       /* the burst */
	assert_int_equal(console_rate_take(&c, 100, 0), SEC / 10); /* 100 B at 1000 B/s */
}

static void test_refills_with_time(void **state)
{
	(void)state;
	struct console_rate c;
	console_rate_init(&c, 1000, 500, 0);
	console_rate_take(&c, 500, 0);
	/* Half a second later, 500 bytes are back (capped at the burst). */
	assert_int_equal(console_rate_take(&c, 500, SEC / 2), 0);
	assert_int_equal(console_rate_take(&c, 0, 10 * SEC), 0);
	assert_int_equal(c.tokens, 500);
}

static void test_long_run_keeps_the_rate(void **state)
{
	(void)state;
	struct console_rate c;
	console_rate_init(&c, 4096, 4096, 0);
	uint64_t now = 0, written = 0;
	/* A writer that always writes 1 KiB and then sleeps as told. */
	while (now < 10 * SEC) {
		now += console_rate_take(&c, 1024, now);
		written += 1024;
	}
	/* 10 s at 4 KiB/s plus one burst, within one write. */
	assert_true(written <= 10 * 4096 + 4096 + 1024);
	assert_true(written >= 10 * 4096);
}

static void test_unlimited(void **state)
{
	(void)state;
	struct console_rate c;
	console_rate_init(&c, 0, 0, 0);
	assert_int_equal(console_rate_take(&c, UINT64_MAX / 2, 0), 0);
}

static void test_huge_elapsed_does_not_overflow(void **state)
{
	(void)state;
	struct console_rate c;
	console_rate_init(&c, 1u << 31, 1 << 20, 0);
	console_rate_take(&c, 1 << 20, 0);
	assert_int_equal(console_rate_take(&c, 1 << 20, UINT64_MAX - 1), 0);
	assert_true(c.tokens <= (1u << 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_is_free_then_waits),
		cmocka_unit_test(test_refills_with_time),
		cmocka_unit_test(test_long_run_keeps_the_rate),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_huge_elapsed_does_not_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
