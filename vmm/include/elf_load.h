/*
 * elf_load.h - loads a static x86-64 Linux ELF into guest memory.
 *
 * A pure function over two buffers (the file and guest RAM), so it can be
 * fuzzed without KVM.  The file is hostile: every offset, size and count is
 * checked before use, and nothing is written to guest memory until the
 * whole program header table has been validated.
 */
#ifndef AIVISOR_ELF_LOAD_H
#define AIVISOR_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

/* Where position-independent (ET_DYN, static-pie) programs are placed. */
#define ELF_PIE_BIAS 0x400000ULL
#define ELF_MAX_PHNUM 64

struct elf_image {
	uint64_t entry;    /* guest address of the entry point */
	uint64_t phdr;     /* guest address of the program headers (AT_PHDR) */
	uint64_t phnum;
	uint64_t phent;
	uint64_t bias;     /* added to every p_vaddr (0 for ET_EXEC) */
	uint64_t lo, hi;   /* lowest and one past highest loaded byte */
};

/*
 * Validates `file` and copies its PT_LOAD segments into `ram` (guest
 * addresses [0, ram_size)); segments must lie within [min_addr, ram_size).
 * Returns 0, or -1 with a one-line reason in err.
 */
int elf_load(const uint8_t *file, size_t file_len, uint8_t *ram, uint64_t ram_size,
	     uint64_t min_addr, struct elf_image *out, char *err, size_t errlen);

#endif
