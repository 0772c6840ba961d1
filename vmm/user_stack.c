/*
 * user_stack.c - argv/envp/auxv on the guest's initial stack.
 *
 * Strings are copied to the top first, then the pointer block is laid out
 * below them; every write goes through guest_mem_ptr() against the stack
 * bounds so oversized arguments are refused instead of overflowing.
 */
#include <elf.h>
#include <string.h>

#include "user_stack.h"

#define AUXV_MAX 20

struct builder {
	const struct guest_mem *m;
	gpa_t bottom, sp;
	int ok;
};

static gpa_t push_bytes(struct builder *b, const void *data, uint64_t len)
{
	if (!b->ok || b->sp - b->bottom < len) {
		b->ok = 0;
		return 0;
	}
	b->sp -= len;
	void *p = guest_mem_ptr(b->m, b->sp, len);
	if (!p) {
		b->ok = 0;
		return 0;
	}
	memcpy(p, data, len);
	return b->sp;
}

static uint64_t count(char *const *v)
{
	uint64_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

gpa_t user_stack_build(const struct guest_mem *m, gpa_t bottom, gpa_t top,
		       const struct user_stack_info *info)
{
	struct builder b = { .m = m, .bottom = bottom, .sp = top, .ok = top > bottom };
	uint64_t argc = count(info->argv), envc = count(info->envp);
	if (argc > 4096 || envc > 4096)
		return 0;

	gpa_t random = push_bytes(&b, info->random, 16);
	gpa_t platform = push_bytes(&b, "x86_64", 7);
	gpa_t strs[argc + envc + 1];
	for (uint64_t i = 0; i < argc; i++)
		strs[i] = push_bytes(&b, info->argv[i], strlen(info->argv[i]) + 1);
	for (uint64_t i = 0; i < envc; i++)
		strs[argc + i] = push_bytes(&b, info->envp[i], strlen(info->envp[i]) + 1);
	gpa_t execfn = argc ? strs[0] : 0;

	uint64_t aux[AUXV_MAX * 2], na = 0;
#define AUX(k, v) (aux[na++] = (k), aux[na++] = (v))
	AUX(AT_PHDR, info->img->phdr);
	AUX(AT_PHENT, info->img->phent);
	AUX(AT_PHNUM, info->img->phnum);
	AUX(AT_PAGESZ, 4096);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, info->img->entry);
	AUX(AT_UID, 0);
	AUX(AT_EUID, 0);
	AUX(AT_GID, 0);
	AUX(AT_EGID, 0);
	AUX(AT_SECURE, 0);
	AUX(AT_HWCAP, info->hwcap);
	AUX(AT_CLKTCK, 100);
	AUX(AT_RANDOM, random);
	AUX(AT_PLATFORM, platform);
	AUX(AT_EXECFN, execfn);
	if (info->vdso)
		AUX(AT_SYSINFO_EHDR, info->vdso);
	AUX(AT_NULL, 0);
#undef AUX

	/* Pointer block: argc, argv..., 0, envp..., 0, auxv; rsp 16-aligned. */
	uint64_t words = 1 + argc + 1 + envc + 1 + na;
	if (!b.ok || b.sp - b.bottom < words * 8 + 16)
		return 0;
	gpa_t sp = (b.sp - words * 8) & ~0xfULL;
	uint64_t *w = guest_mem_ptr(m, sp, words * 8);
	if (!w)
		return 0;
	uint64_t k = 0;
	w[k++] = argc;
	for (uint64_t i = 0; i < argc; i++)
		w[k++] = strs[i];
	w[k++] = 0;
	for (uint64_t i = 0; i < envc; i++)
		w[k++] = strs[argc + i];
	w[k++] = 0;
	memcpy(&w[k], aux, na * 8);
	return sp;
}
