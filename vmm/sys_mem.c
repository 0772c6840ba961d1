/*
 * sys_mem.c - brk, mmap, munmap, mprotect, madvise, mremap over mm.c.
 *
 * Protection is not enforced: guest RAM above 2 MiB is mapped read-write-
 * execute with 2 MiB pages (huge pages keep first touches near native
 * speed), so mprotect validates its range and succeeds.  File mappings are
 * private copies read at map time; shared writable file mappings get
 * ENODEV.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sys_handlers.h"

#define PAGE GUEST_PAGE_SIZE
#define GUEST_MAP_FIXED_NOREPLACE 0x100000

int64_t sys_brk(struct guest *g, const uint64_t *a) { return (int64_t)mm_brk(&g->mm, a[0]); }

/* Read-copy of a file into freshly mapped pages. */
static int64_t fill_from_file(struct guest *g, struct guest_fd *f, uint64_t addr, uint64_t len, uint64_t off)
{
	uint8_t *p = guest_mem_user(&g->mem, addr, len);
	if (!p)
		return -EFAULT;
	uint64_t done = 0;
	while (done < len) {
		ssize_t n = pread(f->host_fd, p + done, len - done, (off_t)(off + done));
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* past end of file the pages stay zero */
		done += (uint64_t)n;
	}
	return 0;
}

int64_t sys_mmap(struct guest *g, const uint64_t *a)
{
	uint64_t addr = a[0], len = a[1], prot = a[2], flags = a[3], off = a[5];
	int64_t fd = (int32_t)a[4];
	uint64_t type = flags & MAP_SHARED_VALIDATE;
	if (len == 0 || (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE))
		return -EINVAL;
	struct guest_fd *f = NULL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_table_get(&g->fds, (long)fd);
		if (!f)
			return -EBADF;
		if (f->kind != FD_FILE)
			return -ENODEV;
		if (type != MAP_PRIVATE && (prot & PROT_WRITE))
			return -ENODEV; /* writes could not reach the file */
		if (off % PAGE || off > INT64_MAX - len)
			return -EINVAL;
	}
	bool fixed = flags & MAP_FIXED, noreplace = flags & GUEST_MAP_FIXED_NOREPLACE;
	if ((fixed || noreplace) && addr % PAGE)
		return -EINVAL;
	int64_t r = mm_map(&g->mm, addr, len, fixed, noreplace);
	if (r < 0 || !f)
		return r;
	int64_t e = fill_from_file(g, f, (uint64_t)r, len, off);
	if (e) {
		mm_unmap(&g->mm, (uint64_t)r, len);
		return e;
	}
	return r;
}

int64_t sys_munmap(struct guest *g, const uint64_t *a) { return mm_unmap(&g->mm, a[0], a[1]); }

int64_t sys_mprotect(struct guest *g, const uint64_t *a)
{
	if (a[0] % PAGE)
		return -EINVAL;
	if (a[1] == 0)
		return 0;
	return guest_mem_user(&g->mem, a[0], a[1]) ? 0 : -ENOMEM;
}

int64_t sys_madvise(struct guest *g, const uint64_t *a)
{
	if (a[0] % PAGE)
		return -EINVAL;
	if (a[1] == 0)
		return 0;
	if (!guest_mem_user(&g->mem, a[0], a[1]))
		return -ENOMEM;
	if (a[2] == MADV_DONTNEED || a[2] == MADV_FREE) {
		if (mm_check_range(&g->mm, a[0], (a[1] + PAGE - 1) & ~(PAGE - 1)))
			return -EINVAL;
		if (g->mm.discard)
			g->mm.discard(g->mm.discard_ctx, a[0], (a[1] + PAGE - 1) & ~(PAGE - 1));
	}
	return 0;
}

int64_t sys_mremap(struct guest *g, const uint64_t *a)
{
	uint64_t old = a[0], old_len = a[1], new_len = a[2], flags = a[3];
	if (old % PAGE || new_len == 0 || (flags & ~(uint64_t)MREMAP_MAYMOVE))
		return -EINVAL;
	if (old_len > UINT64_MAX - PAGE || new_len > UINT64_MAX - PAGE)
		return -EINVAL;
	old_len = (old_len + PAGE - 1) & ~(PAGE - 1);
	new_len = (new_len + PAGE - 1) & ~(PAGE - 1);
	if (old_len == 0 || !mm_is_mapped(&g->mm, old, old_len))
		return -EFAULT; /* Linux: the old range must be mapped */
	if (new_len <= old_len) {
		if (new_len < old_len)
			mm_unmap(&g->mm, old + new_len, old_len - new_len);
		return (int64_t)old;
	}
	/* Grow in place when the following pages are free. */
	if (mm_map(&g->mm, old + old_len, new_len - old_len, false, true) >= 0)
		return (int64_t)old;
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	int64_t r = mm_map(&g->mm, 0, new_len, false, false);
	if (r < 0)
		return r;
	void *dst = guest_mem_user(&g->mem, (uint64_t)r, old_len);
	void *src = guest_mem_user(&g->mem, old, old_len);
	if (!dst || !src) {
		mm_unmap(&g->mm, (uint64_t)r, new_len);
		return -EFAULT;
	}
	memmove(dst, src, old_len); /* distinct ranges, but never trust that */
	mm_unmap(&g->mm, old, old_len);
	return r;
}
