/*
 * window.c - creating a tenant's vGPU window: a sealed memfd with its
 * control page initialised.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vgpu_abi.h"
#include "vgpu_host.h"
#include "../common/vgpu_err.h"

int vgpu_window_create(uint64_t size, uint32_t sq_entries, struct vgpu_window *w,
		       char *err, size_t errlen)
{
	struct vgpu_layout l;
	w->fd = -1;
	w->base = NULL;
	w->size = 0;
	if (sq_entries == 0)
		sq_entries = VGPU_SQ_DEFAULT;
	if (size > UINT64_MAX - VGPU_PAGE_SIZE)
		return vgpu_err(err, errlen, -EINVAL, "window size %llu too large",
				(unsigned long long)size);
	size = (size + VGPU_PAGE_SIZE - 1) / VGPU_PAGE_SIZE * VGPU_PAGE_SIZE;
	if (vgpu_layout_compute(size, sq_entries, sq_entries, &l))
		return vgpu_err(err, errlen, -EINVAL,
				"bad window geometry: %llu bytes, %u ring entries",
				(unsigned long long)size, sq_entries);
	if ((off_t)size < 0 || (uint64_t)(size_t)size != size)
		return vgpu_err(err, errlen, -EINVAL, "window size too large");

	int fd = memfd_create("aivisor-vgpu", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return vgpu_err(err, errlen, -errno, "memfd_create: %s", strerror(errno));
	int rc;
	if (ftruncate(fd, (off_t)size)) {
		rc = vgpu_err(err, errlen, -errno, "ftruncate %llu: %s",
			      (unsigned long long)size, strerror(errno));
		goto fail;
	}
	/* Sealed before anyone else sees it: neither side can ever shrink the
	 * window under the other's mapping. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		rc = vgpu_err(err, errlen, -errno, "sealing the window: %s", strerror(errno));
		goto fail;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = vgpu_err(err, errlen, -errno, "mmap window: %s", strerror(errno));
		goto fail;
	}
	struct vgpu_ctrl *c = p;
	memset(c, 0, sizeof(*c));
	c->version = VGPU_ABI_VERSION;
	c->features = VGPU_FEATURES_V1;
	c->window_size = size;
	c->sq_entries = l.sq_entries;
	c->cq_entries = l.cq_entries;
	c->sq_offset = l.sq_offset;
	c->cq_offset = l.cq_offset;
	c->arena_offset = l.arena_offset;
	c->arena_size = l.arena_size;
	__atomic_store_n(&c->magic, VGPU_MAGIC, __ATOMIC_RELEASE);
	w->fd = fd;
	w->base = p;
	w->size = size;
	return 0;
fail:
	close(fd);
	return rc;
}

void vgpu_window_destroy(struct vgpu_window *w)
{
	if (w->base)
		munmap(w->base, w->size);
	if (w->fd >= 0)
		close(w->fd);
	w->base = NULL;
	w->fd = -1;
	w->size = 0;
}
