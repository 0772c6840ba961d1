/* Unit tests: user_stack.c, the Linux initial stack. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user_stack.h"

#define RAM (8ULL << 20)
#define TOP RAM
#define BOTTOM (RAM - (1ULL << 20))

static uint8_t ram[RAM];
static const struct guest_mem mem = { .ram = { .start = 0, .size = RAM, .host = ram } };
static const struct elf_image img = { .entry = 0x401000, .phdr = 0x400040, .phnum = 5, .phent = 56 };
static const uint8_t rnd[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static uint64_t word(gpa_t a) { uint64_t v; memcpy(&v, ram + a, 8); return v; }

static uint64_t aux(gpa_t auxv, uint64_t key)
{
	for (; word(auxv) != AT_NULL; auxv += 16)
		if (word(auxv) == key)
			return word(auxv + 8);
	return UINT64_MAX;
}

static void test_layout(void **state)
{
	(void)state;
	char *argv[] = { "prog", "a b", NULL }, *envp[] = { "K=V", NULL };
	struct user_stack_info si = { .img = &img, .vdso = 0x10000, .hwcap = 0x178bfbff, .argv = argv,
				      .envp = envp, .random = rnd };
	gpa_t sp = user_stack_build(&mem, BOTTOM, TOP, &si);
	assert_true(sp > BOTTOM && sp < TOP);
	assert_int_equal(sp % 16, 0);
	assert_int_equal(word(sp), 2);
	assert_string_equal((char *)ram + word(sp + 8), "prog");
	assert_string_equal((char *)ram + word(sp + 16), "a b");
	assert_int_equal(word(sp + 24), 0);
	assert_string_equal((char *)ram + word(sp + 32), "K=V");
	assert_int_equal(word(sp + 40), 0);
	gpa_t auxv = sp + 48;
	assert_int_equal(aux(auxv, AT_PHDR), 0x400040);
	assert_int_equal(aux(auxv, AT_PHNUM), 5);
	assert_int_equal(aux(auxv, AT_PHENT), 56);
	assert_int_equal(aux(auxv, AT_ENTRY), 0x401000);
	assert_int_equal(aux(auxv, AT_PAGESZ), 4096);
	assert_int_equal(aux(auxv, AT_SYSINFO_EHDR), 0x10000);
	assert_int_equal(aux(auxv, AT_HWCAP), 0x178bfbff);
	assert_int_equal(aux(auxv, AT_SECURE), 0);
	assert_memory_equal(ram + aux(auxv, AT_RANDOM), rnd, 16);
	assert_string_equal((char *)ram + aux(auxv, AT_PLATFORM), "x86_64");
	assert_string_equal((char *)ram + aux(auxv, AT_EXECFN), "prog");
}

static void test_no_vdso_no_args(void **state)
{
	(void)state;
	char *argv[] = { NULL }, *envp[] = { NULL };
	struct user_stack_info si = { .img = &img, .argv = argv, .envp = envp, .random = rnd };
	gpa_t sp = user_stack_build(&mem, BOTTOM, TOP, &si);
	assert_true(sp != 0);
	assert_int_equal(word(sp), 0);
	assert_int_equal(aux(sp + 24, AT_SYSINFO_EHDR), UINT64_MAX);
	assert_int_equal(aux(sp + 24, AT_EXECFN), 0);
}

static void test_too_big(void **state)
{
	(void)state;
	size_t n = 300000;
	char *big = malloc(n);
	memset(big, 'x', n - 1);
	big[n - 1] = 0;
	char *argv[] = { "prog", big, big, big, big, NULL }, *envp[] = { NULL };
	struct user_stack_info si = { .img = &img, .argv = argv, .envp = envp, .random = rnd };
	assert_int_equal(user_stack_build(&mem, BOTTOM, TOP, &si), 0); /* 1.2 MB > 1 MiB */
	argv[2] = NULL;
	assert_true(user_stack_build(&mem, BOTTOM, TOP, &si) > BOTTOM);
	assert_int_equal(user_stack_build(&mem, TOP, TOP, &si), 0);   /* empty stack */
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_no_vdso_no_args),
		cmocka_unit_test(test_too_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
