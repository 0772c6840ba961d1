/*
 * mm.c - page bitmap allocator for brk and anonymous mmap.
 *
 * Guest RAM is small (megabytes to a few GiB), so a linear scan of a bitmap
 * is cheap next to the ~25 us exit every call costs anyway.
 */
#include <errno.h>
#include <stdlib.h>

#include "mm.h"

#define PAGE GUEST_PAGE_SIZE

static uint64_t page_up(uint64_t x) { return (x + PAGE - 1) & ~(PAGE - 1); }

static bool test_page(const struct mm *mm, uint64_t i) { return mm->used[i / 64] >> (i % 64) & 1; }

static void set_pages(struct mm *mm, uint64_t first, uint64_t n, bool on)
{
	for (uint64_t i = first; i < first + n; i++) {
		if (on)
			mm->used[i / 64] |= 1ULL << (i % 64);
		else
			mm->used[i / 64] &= ~(1ULL << (i % 64));
	}
}

static bool pages_free(const struct mm *mm, uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n; i++)
		if (test_page(mm, i))
			return false;
	return true;
}

int mm_init(struct mm *mm, gpa_t lo, gpa_t hi, mm_discard_fn discard, void *ctx)
{
	lo = page_up(lo);
	hi &= ~(PAGE - 1);
	if (hi < lo)
		hi = lo;
	mm->lo = lo;
	mm->hi = hi;
	mm->brk_start = mm->brk = lo;
	mm->npages = (hi - lo) / PAGE;
	mm->used = calloc(mm->npages / 64 + 1, sizeof(uint64_t));
	mm->discard = discard;
	mm->discard_ctx = ctx;
	return mm->used ? 0 : -ENOMEM;
}

void mm_free(struct mm *mm)
{
	free(mm->used);
	mm->used = NULL;
}

int mm_check_range(const struct mm *mm, gpa_t addr, uint64_t len)
{
	if (addr % PAGE || len == 0 || addr < mm->lo || addr > mm->hi || len > mm->hi - addr)
		return -EINVAL;
	return 0;
}

bool mm_is_mapped(const struct mm *mm, gpa_t addr, uint64_t len)
{
	if (mm_check_range(mm, addr, len))
		return false;
	for (uint64_t i = (addr - mm->lo) / PAGE; i < (addr - mm->lo + len) / PAGE; i++)
		if (!test_page(mm, i))
			return false;
	return true;
}

static void release(struct mm *mm, gpa_t addr, uint64_t len)
{
	set_pages(mm, (addr - mm->lo) / PAGE, len / PAGE, false);
	if (mm->discard)
		mm->discard(mm->discard_ctx, addr, len);
}

gpa_t mm_brk(struct mm *mm, gpa_t want)
{
	if (want < mm->brk_start || want > mm->hi)
		return mm->brk;
	uint64_t cur_end = page_up(mm->brk), new_end = page_up(want);
	if (new_end > cur_end) {
		uint64_t first = (cur_end - mm->lo) / PAGE, n = (new_end - cur_end) / PAGE;
		if (!pages_free(mm, first, n))
			return mm->brk;
		set_pages(mm, first, n, true);
	} else if (new_end < cur_end) {
		release(mm, new_end, cur_end - new_end);
	}
	mm->brk = want;
	return want;
}

int64_t mm_map(struct mm *mm, gpa_t addr, uint64_t len, bool fixed, bool noreplace)
{
	if (len == 0 || len > mm->hi - mm->lo)
		return -ENOMEM;
	len = page_up(len);
	uint64_t n = len / PAGE;
	if (fixed || noreplace) {
		if (mm_check_range(mm, addr, len))
			return fixed ? -EINVAL : -ENOMEM;
		uint64_t first = (addr - mm->lo) / PAGE;
		if (!pages_free(mm, first, n)) {
			if (noreplace)
				return -EEXIST;
			release(mm, addr, len); /* MAP_FIXED replaces: the new pages read zero */
		}
		set_pages(mm, first, n, true);
		return (int64_t)addr;
	}
	/* Highest free run of n pages: scan downwards counting free pages. */
	uint64_t run = 0;
	for (uint64_t i = mm->npages; i-- > 0;) {
		run = test_page(mm, i) ? 0 : run + 1;
		if (run == n) {
			set_pages(mm, i, n, true);
			return (int64_t)(mm->lo + i * PAGE);
		}
	}
	return -ENOMEM;
}

int mm_unmap(struct mm *mm, gpa_t addr, uint64_t len)
{
	if (len == 0 || addr % PAGE || len > UINT64_MAX - PAGE)
		return -EINVAL;
	len = page_up(len);
	if (mm_check_range(mm, addr, len))
		return -EINVAL;
	release(mm, addr, len);
	return 0;
}
