/*
 * guest_mem.c - bounds checks between guest addresses and host pointers.
 *
 * All arithmetic is written so that no sum can wrap: a range is inside a
 * region when its start is and its length fits in what is left.
 */
#include <errno.h>
#include <string.h>

#include "guest_mem.h"

static void *region_ptr(const struct guest_region *r, gpa_t lo, gpa_t gpa, uint64_t len)
{
	if (r->size == 0 || gpa < lo || gpa < r->start)
		return NULL;
	uint64_t off = gpa - r->start;
	if (off > r->size || len > r->size - off)
		return NULL;
	return r->host + off;
}

void *guest_mem_ptr(const struct guest_mem *m, gpa_t gpa, uint64_t len)
{
	return region_ptr(&m->ram, 0, gpa, len);
}

void *guest_mem_user(const struct guest_mem *m, gpa_t gva, uint64_t len)
{
	void *p = region_ptr(&m->ram, GUEST_USER_BASE, gva, len);
	if (p)
		return p;
	return region_ptr(&m->window, 0, gva, len);
}

int guest_mem_put(const struct guest_mem *m, gpa_t gva, const void *src, uint64_t len)
{
	void *p = guest_mem_user(m, gva, len);
	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int guest_mem_get(const struct guest_mem *m, gpa_t gva, void *dst, uint64_t len)
{
	const void *p = guest_mem_user(m, gva, len);
	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

long guest_mem_user_str(const struct guest_mem *m, gpa_t gva, char *dst, size_t max)
{
	if (max == 0)
		return -ENAMETOOLONG;
	const struct guest_region *r = NULL;
	if (region_ptr(&m->ram, GUEST_USER_BASE, gva, 0))
		r = &m->ram;
	else if (region_ptr(&m->window, 0, gva, 0))
		r = &m->window;
	if (!r)
		return -EFAULT;
	uint64_t avail = r->size - (gva - r->start);
	uint64_t scan = avail < max ? avail : max;
	const uint8_t *src = r->host + (gva - r->start);
	const uint8_t *nul = memchr(src, 0, scan);
	if (!nul)
		return scan == max ? -ENAMETOOLONG : -EFAULT;
	size_t n = (size_t)(nul - src);
	memcpy(dst, src, n + 1);
	return (long)n;
}
