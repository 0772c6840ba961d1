/*
 * guest_mem.h - guest-physical memory and the one checked way into it.
 *
 * Guest RAM starts at guest-physical 0 and is identity-mapped, so a guest
 * virtual address is also a guest-physical one.  Every address or length
 * that comes from the guest goes through guest_mem_user() (or its string
 * variant) before the VMM touches memory: it checks bounds overflow-safely
 * and refuses the VMM's own boot area below GUEST_USER_BASE, which the
 * guest program cannot write through its page tables either.
 */
#ifndef AIVISOR_GUEST_MEM_H
#define AIVISOR_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t gpa_t;

/* Lowest guest address a user pointer may name (end of the boot area). */
#define GUEST_USER_BASE 0x200000ULL
#define GUEST_PAGE_SIZE 4096ULL

struct guest_region {
	gpa_t start;
	uint64_t size;
	uint8_t *host;
};

struct guest_mem {
	struct guest_region ram;    /* [0, ram.size) */
	struct guest_region window; /* vGPU window above RAM; size 0 if none */
};

/* Host pointer for [gpa, gpa+len) inside RAM (boot area included), or NULL.
 * For the VMM's own structures; never for guest-provided addresses. */
void *guest_mem_ptr(const struct guest_mem *m, gpa_t gpa, uint64_t len);

/* Host pointer for a guest-provided range that must lie entirely in user
 * memory (RAM above GUEST_USER_BASE, or the vGPU window), or NULL.  len 0
 * is accepted for any address in such a region (or its end). */
void *guest_mem_user(const struct guest_mem *m, gpa_t gva, uint64_t len);

/* Copy len bytes to or from a checked user range: 0 or -EFAULT.  Guest
 * addresses need not be aligned, so typed values travel through these
 * rather than through casted pointers. */
int guest_mem_put(const struct guest_mem *m, gpa_t gva, const void *src, uint64_t len);
int guest_mem_get(const struct guest_mem *m, gpa_t gva, void *dst, uint64_t len);

/* Copies a NUL-terminated guest string of at most max-1 bytes into dst.
 * Returns its length, -EFAULT for a bad address, -ENAMETOOLONG if no NUL
 * is found within max-1 bytes. */
long guest_mem_user_str(const struct guest_mem *m, gpa_t gva, char *dst, size_t max);

#endif
