/*
 * elf_load.c - ELF64 validation and PT_LOAD copying.
 *
 * Two passes: the first checks every header and segment against the file
 * and against guest memory (overflow-safe, overlaps refused), the second
 * copies.  A refused program therefore leaves guest memory untouched.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "elf_load.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* True when [off, off+len) lies within [0, total). */
static int range_ok(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

static int check_header(const Elf64_Ehdr *eh, size_t file_len, char *err, size_t errlen)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return fail(err, errlen, "not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "not a 64-bit little-endian ELF");
	if (eh->e_machine != EM_X86_64)
		return fail(err, errlen, "wrong machine %u (want x86-64)", eh->e_machine);
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return fail(err, errlen, "not an executable (e_type %u)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fail(err, errlen, "bad program header size %u", eh->e_phentsize);
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
		return fail(err, errlen, "bad program header count %u", eh->e_phnum);
	if (!range_ok(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), file_len))
		return fail(err, errlen, "program headers outside the file");
	if (eh->e_phoff % 8 != 0)
		return fail(err, errlen, "misaligned program headers");
	return 0;
}

static int check_segments(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, size_t file_len,
			  uint64_t ram_size, uint64_t min_addr, uint64_t bias,
			  struct elf_image *img, char *err, size_t errlen)
{
	int loads = 0;
	img->lo = UINT64_MAX;
	img->hi = 0;
	img->phdr = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type == PT_INTERP)
			return fail(err, errlen, "dynamically linked (PT_INTERP); build with -static");
		if (p->p_type == PT_PHDR && p->p_vaddr <= UINT64_MAX - bias)
			img->phdr = p->p_vaddr + bias;
		if (p->p_type != PT_LOAD)
			continue;
		loads++;
		if (p->p_filesz > p->p_memsz)
			return fail(err, errlen, "segment %u: file size exceeds memory size", i);
		if (!range_ok(p->p_offset, p->p_filesz, file_len))
			return fail(err, errlen, "segment %u: data outside the file (truncated?)", i);
		if (p->p_vaddr > UINT64_MAX - bias)
			return fail(err, errlen, "segment %u: address overflows", i);
		uint64_t va = p->p_vaddr + bias;
		if (va < min_addr)
			return fail(err, errlen, "segment %u: address 0x%llx below 0x%llx (reserved for the VMM)",
				    i, (unsigned long long)va, (unsigned long long)min_addr);
		if (!range_ok(va, p->p_memsz, ram_size))
			return fail(err, errlen, "segment %u: [0x%llx, +0x%llx) outside guest memory (0x%llx bytes)",
				    i, (unsigned long long)va, (unsigned long long)p->p_memsz,
				    (unsigned long long)ram_size);
		for (unsigned j = 0; j < i; j++) {
			const Elf64_Phdr *q = &ph[j];
			if (q->p_type != PT_LOAD || q->p_memsz == 0 || p->p_memsz == 0)
				continue;
			uint64_t qa = q->p_vaddr + bias; /* already validated */
			if (va < qa + q->p_memsz && qa < va + p->p_memsz)
				return fail(err, errlen, "segments %u and %u overlap", j, i);
		}
		if (va < img->lo)
			img->lo = va;
		if (va + p->p_memsz > img->hi)
			img->hi = va + p->p_memsz;
		/* AT_PHDR when there is no PT_PHDR: the headers inside a segment. */
		if (!img->phdr && eh->e_phoff >= p->p_offset && eh->e_phoff - p->p_offset < p->p_filesz)
			img->phdr = va + (eh->e_phoff - p->p_offset);
	}
	if (loads == 0)
		return fail(err, errlen, "no loadable segments");
	if (eh->e_entry > UINT64_MAX - bias || eh->e_entry + bias < img->lo || eh->e_entry + bias >= img->hi)
		return fail(err, errlen, "entry point 0x%llx outside the loaded segments",
			    (unsigned long long)eh->e_entry);
	img->entry = eh->e_entry + bias;
	img->phnum = eh->e_phnum;
	img->phent = sizeof(Elf64_Phdr);
	img->bias = bias;
	return 0;
}

int elf_load(const uint8_t *file, size_t file_len, uint8_t *ram, uint64_t ram_size,
	     uint64_t min_addr, struct elf_image *out, char *err, size_t errlen)
{
	if (file_len < sizeof(Elf64_Ehdr))
		return fail(err, errlen, "truncated ELF header (%zu bytes)", file_len);
	Elf64_Ehdr eh;
	memcpy(&eh, file, sizeof(eh));
	if (check_header(&eh, file_len, err, errlen))
		return -1;
	Elf64_Phdr ph[ELF_MAX_PHNUM];
	memcpy(ph, file + eh.e_phoff, (size_t)eh.e_phnum * sizeof(Elf64_Phdr));

	/* static-pie links at 0; place it where a non-PIE static binary goes. */
	uint64_t bias = eh.e_type == ET_DYN ? ELF_PIE_BIAS : 0;
	struct elf_image img;
	if (check_segments(&eh, ph, file_len, ram_size, min_addr, bias, &img, err, errlen))
		return -1;

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		uint8_t *dst = ram + ph[i].p_vaddr + bias;
		memcpy(dst, file + ph[i].p_offset, ph[i].p_filesz);
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
	}
	*out = img;
	return 0;
}
