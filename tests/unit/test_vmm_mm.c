/* Unit tests: mm.c, the brk/mmap page allocator. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mm.h"

#define LO 0x400000ULL
#define HI 0x800000ULL /* 1024 pages */
#define PG 4096ULL

static uint64_t discarded;

static void count_discard(void *ctx, gpa_t addr, uint64_t len)
{
	(void)ctx;
	assert_true(addr >= LO && addr + len <= HI && addr % PG == 0 && len % PG == 0);
	discarded += len;
}

static int setup(void **state)
{
	static struct mm mm;
	discarded = 0;
	assert_int_equal(mm_init(&mm, LO + 1, HI + 5, count_discard, NULL), 0);
	*state = &mm;
	return 0;
}

static int teardown(void **state)
{
	mm_free(*state);
	return 0;
}

static void test_init_rounds_inwards(void **state)
{
	struct mm *mm = *state;
	assert_int_equal(mm->lo, LO + PG);
	assert_int_equal(mm->hi, HI);
	assert_int_equal(mm_brk(mm, 0), LO + PG);
}

static void test_brk_grow_shrink(void **state)
{
	struct mm *mm = *state;
	gpa_t b = mm_brk(mm, 0);
	assert_int_equal(mm_brk(mm, b + 10000), b + 10000);
	assert_int_equal(mm_brk(mm, b + 100), b + 100);
	assert_int_equal(discarded, 2 * PG); /* pages 2 and 3 of the break freed */
	assert_int_equal(mm_brk(mm, b - 1), b + 100);       /* below the start: refused */
	assert_int_equal(mm_brk(mm, HI + PG), b + 100);     /* beyond the window */
	assert_int_equal(mm_brk(mm, UINT64_MAX), b + 100);
}

static void test_mmap_top_down_and_reuse(void **state)
{
	struct mm *mm = *state;
	int64_t a = mm_map(mm, 0, 3 * PG, false, false);
	assert_int_equal(a, HI - 3 * PG);
	int64_t b = mm_map(mm, 0, 1, false, false);
	assert_int_equal(b, HI - 4 * PG);
	assert_int_equal(mm_unmap(mm, (gpa_t)a, 3 * PG), 0);
	assert_int_equal(discarded, 3 * PG);
	assert_int_equal(mm_map(mm, 0, 2 * PG, false, false), HI - 2 * PG);
}

static void test_mmap_exhaustion_and_brk_collision(void **state)
{
	struct mm *mm = *state;
	uint64_t total = mm->hi - mm->lo;
	assert_int_equal(mm_map(mm, 0, total + 1, false, false), -ENOMEM);
	assert_int_equal(mm_map(mm, 0, UINT64_MAX, false, false), -ENOMEM);
	assert_int_equal(mm_map(mm, 0, 0, false, false), -ENOMEM);
	int64_t all = mm_map(mm, 0, total, false, false);
	assert_int_equal(all, mm->lo);
	gpa_t b = mm_brk(mm, 0);
	assert_int_equal(mm_brk(mm, b + PG), b); /* the break cannot grow into mappings */
	assert_int_equal(mm_map(mm, 0, PG, false, false), -ENOMEM);
}

static void test_fixed_and_noreplace(void **state)
{
	struct mm *mm = *state;
	gpa_t at = LO + 16 * PG;
	assert_int_equal(mm_map(mm, at, PG, false, true), at);
	assert_int_equal(mm_map(mm, at, PG, false, true), -EEXIST);
	assert_int_equal(mm_map(mm, at, 2 * PG, true, false), at); /* replaces: the range reads zero */
	assert_int_equal(discarded, 2 * PG);
	assert_int_equal(mm_map(mm, 0x1000, PG, true, false), -EINVAL);  /* outside the window */
	assert_int_equal(mm_map(mm, HI - PG, 2 * PG, true, false), -EINVAL);
	assert_int_equal(mm_map(mm, at + 1, PG, true, false), -EINVAL);   /* unaligned */
}

static void test_unmap_checks(void **state)
{
	struct mm *mm = *state;
	assert_int_equal(mm_unmap(mm, LO + PG + 1, PG), -EINVAL);
	assert_int_equal(mm_unmap(mm, LO + PG, 0), -EINVAL);
	assert_int_equal(mm_unmap(mm, 0, PG), -EINVAL);
	assert_int_equal(mm_unmap(mm, LO + PG, UINT64_MAX - 100), -EINVAL);
	assert_int_equal(mm_unmap(mm, HI - PG, 2 * PG), -EINVAL);
	assert_int_equal(discarded, 0);
	assert_int_equal(mm_check_range(mm, LO + PG, PG), 0);
	assert_false(mm_is_mapped(mm, LO + PG, PG));
	int64_t m = mm_map(mm, 0, 2 * PG, false, false);
	assert_true(mm_is_mapped(mm, (gpa_t)m, 2 * PG));
	assert_false(mm_is_mapped(mm, (gpa_t)m - PG, 2 * PG));
	assert_false(mm_is_mapped(mm, (gpa_t)m, 3 * PG));
	assert_int_equal(mm_check_range(mm, HI, PG), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_rounds_inwards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brk_grow_shrink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_top_down_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_exhaustion_and_brk_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_and_noreplace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_checks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
