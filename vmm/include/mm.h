/*
 * mm.h - the guest program's heap: brk and mmap over a window of guest RAM.
 *
 * Pure bookkeeping (a page bitmap); the caller supplies a discard callback
 * that makes freed pages read as zero again (MADV_DONTNEED on the host).
 * brk grows upwards from the end of the program image; mmap takes the
 * highest free run below the stack, so the two meet only when memory is
 * really exhausted.
 */
#ifndef AIVISOR_MM_H
#define AIVISOR_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"

typedef void (*mm_discard_fn)(void *ctx, gpa_t addr, uint64_t len);

struct mm {
	gpa_t lo, hi;            /* managed pages: [lo, hi), page aligned */
	gpa_t brk_start, brk;    /* program break; brk may be unaligned */
	uint64_t *used;          /* one bit per page of [lo, hi) */
	uint64_t npages;
	mm_discard_fn discard;
	void *discard_ctx;
};

/* Manages [lo, hi) (rounded inwards to pages).  Returns 0 or -ENOMEM. */
int mm_init(struct mm *mm, gpa_t lo, gpa_t hi, mm_discard_fn discard, void *ctx);
void mm_free(struct mm *mm);

/* Linux brk semantics: returns the new break, or the old one on failure. */
gpa_t mm_brk(struct mm *mm, gpa_t want);

/* Anonymous mapping of len bytes.  fixed: exactly at addr (replacing what
 * was there); noreplace: exactly at addr, failing if any page is in use.
 * Returns the address or a negative errno. */
int64_t mm_map(struct mm *mm, gpa_t addr, uint64_t len, bool fixed, bool noreplace);

/* Frees [addr, addr+len); the pages read as zero when mapped again. */
int mm_unmap(struct mm *mm, gpa_t addr, uint64_t len);

/* 0 when [addr, addr+len) is page aligned and inside the managed window. */
int mm_check_range(const struct mm *mm, gpa_t addr, uint64_t len);

/* True when every page of the (checked) range is mapped (brk or mmap). */
bool mm_is_mapped(const struct mm *mm, gpa_t addr, uint64_t len);

#endif
