/* Unit tests: elf_load.c over hand-built ELF images. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "elf_load.h"

#define RAM (16ULL << 20)
#define MIN 0x200000ULL
static uint8_t ram[RAM];

/* An ELF with two PT_LOADs: text at 0x400000 (file 0x1000, 0x100 bytes)
 * and data at 0x401000 (file 0x1100, 0x10 bytes, 0x2000 in memory). */
struct image {
	uint8_t b[0x1200];
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
};

static void build(struct image *im)
{
	memset(im->b, 0, sizeof(im->b));
	im->eh = (Elf64_Ehdr *)im->b;
	im->ph = (Elf64_Phdr *)(im->b + sizeof(Elf64_Ehdr));
	memcpy(im->eh->e_ident, ELFMAG, SELFMAG);
	im->eh->e_ident[EI_CLASS] = ELFCLASS64;
	im->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh->e_type = ET_EXEC;
	im->eh->e_machine = EM_X86_64;
	im->eh->e_entry = 0x400010;
	im->eh->e_phoff = sizeof(Elf64_Ehdr);
	im->eh->e_phentsize = sizeof(Elf64_Phdr);
	im->eh->e_phnum = 2;
	im->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0x400000,
				  .p_filesz = 0x100, .p_memsz = 0x100, .p_flags = PF_R | PF_X };
	im->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1100, .p_vaddr = 0x401000,
				  .p_filesz = 0x10, .p_memsz = 0x2000, .p_flags = PF_R | PF_W };
	memset(im->b + 0x1000, 0xcc, 0x100);
	memset(im->b + 0x1100, 0xdd, 0x10);
}

static int load(struct image *im, size_t len, struct elf_image *out, char *err)
{
	return elf_load(im->b, len, ram, RAM, MIN, out, err, 160);
}

static void expect_refused(struct image *im, size_t len, const char *want)
{
	struct elf_image out;
	char err[160] = "";
	memset(ram, 0x5a, 0x404000);
	assert_int_equal(load(im, len, &out, err), -1);
	if (!strstr(err, want))
		fail_msg("error '%s' does not mention '%s'", err, want);
	assert_int_equal(ram[0x400000], 0x5a); /* nothing written */
}

static void test_valid(void **state)
{
	(void)state;
	struct image im;
	build(&im);
	memset(ram + 0x401000, 0x77, 0x3000); /* bss must come out zero */
	struct elf_image out;
	char err[160];
	assert_int_equal(load(&im, sizeof(im.b), &out, err), 0);
	assert_int_equal(out.entry, 0x400010);
	assert_int_equal(out.phnum, 2);
	assert_int_equal(out.lo, 0x400000);
	assert_int_equal(out.hi, 0x403000);
	assert_int_equal(out.bias, 0);
	assert_int_equal(ram[0x400000], 0xcc);
	assert_int_equal(ram[0x4000ff], 0xcc);
	assert_int_equal(ram[0x40100f], 0xdd);
	assert_int_equal(ram[0x401010], 0);
	assert_int_equal(ram[0x402fff], 0);
	assert_int_equal(ram[0x403000], 0x77);
}

static void test_phdr_address(void **state)
{
	(void)state;
	struct image im;
	build(&im);
	struct elf_image out;
	char err[160];
	/* Headers not inside a segment and no PT_PHDR: AT_PHDR is 0. */
	assert_int_equal(load(&im, sizeof(im.b), &out, err), 0);
	assert_int_equal(out.phdr, 0);
	/* Text segment starting at file offset 0 covers the headers. */
	im.ph[0].p_offset = 0;
	im.ph[0].p_filesz = im.ph[0].p_memsz = 0x200;
	assert_int_equal(load(&im, sizeof(im.b), &out, err), 0);
	assert_int_equal(out.phdr, 0x400000 + sizeof(Elf64_Ehdr));
}

static void test_static_pie_bias(void **state)
{
	(void)state;
	struct image im;
	build(&im);
	im.eh->e_type = ET_DYN;
	im.ph[0].p_vaddr = 0;
	im.ph[1].p_vaddr = 0x1000;
	im.eh->e_entry = 0x20;
	struct elf_image out;
	char err[160];
	assert_int_equal(load(&im, sizeof(im.b), &out, err), 0);
	assert_int_equal(out.bias, ELF_PIE_BIAS);
	assert_int_equal(out.entry, ELF_PIE_BIAS + 0x20);
	assert_int_equal(ram[ELF_PIE_BIAS], 0xcc);
}

static void test_header_errors(void **state)
{
	(void)state;
	struct image im;
	build(&im);
	expect_refused(&im, 10, "truncated ELF header");
	im.eh->e_ident[1] = 'X';
	expect_refused(&im, sizeof(im.b), "not an ELF");
	build(&im);
	im.eh->e_ident[EI_CLASS] = ELFCLASS32;
	expect_refused(&im, sizeof(im.b), "64-bit");
	build(&im);
	im.eh->e_machine = EM_AARCH64;
	expect_refused(&im, sizeof(im.b), "wrong machine");
	build(&im);
	im.eh->e_type = ET_REL;
	expect_refused(&im, sizeof(im.b), "not an executable");
	build(&im);
	im.eh->e_phentsize = 32;
	expect_refused(&im, sizeof(im.b), "program header size");
	build(&im);
	im.eh->e_phnum = 0;
	expect_refused(&im, sizeof(im.b), "program header count");
	build(&im);
	im.eh->e_phnum = 65535;
	expect_refused(&im, sizeof(im.b), "program header count");
	build(&im);
	im.eh->e_phoff = UINT64_MAX - 8;
	expect_refused(&im, sizeof(im.b), "outside the file");
	build(&im);
	im.eh->e_phoff = sizeof(im.b) - 56;
	expect_refused(&im, sizeof(im.b), "outside the file");
}

static void test_segment_errors(void **state)
{
	(void)state;
	struct image im;
	build(&im);
	expect_refused(&im, 0x1080, "outside the file"); /* truncated file */
	build(&im);
	im.ph[1].p_filesz = 0x3000;
	expect_refused(&im, sizeof(im.b), "exceeds memory size");
	build(&im);
	im.ph[1].p_offset = UINT64_MAX - 4;
	expect_refused(&im, sizeof(im.b), "outside the file");
	build(&im);
	im.ph[1].p_vaddr = 0x400080;
	expect_refused(&im, sizeof(im.b), "overlap");
	build(&im);
	im.ph[0].p_vaddr = 0x1000;
	expect_refused(&im, sizeof(im.b), "below 0x200000");
	build(&im);
	im.ph[1].p_vaddr = RAM - 0x1000;
	expect_refused(&im, sizeof(im.b), "outside guest memory");
	build(&im);
	im.ph[1].p_memsz = UINT64_MAX - 0x1000;
	expect_refused(&im, sizeof(im.b), "outside guest memory");
	build(&im);
	im.ph[1].p_vaddr = UINT64_MAX - 0x100;
	expect_refused(&im, sizeof(im.b), "outside guest memory");
	build(&im);
	im.eh->e_type = ET_DYN;
	im.ph[1].p_vaddr = UINT64_MAX - 0x100; /* + bias wraps */
	expect_refused(&im, sizeof(im.b), "overflows");
	build(&im);
	im.ph[1].p_type = PT_INTERP;
	expect_refused(&im, sizeof(im.b), "PT_INTERP");
	build(&im);
	im.ph[0].p_type = im.ph[1].p_type = PT_NOTE;
	expect_refused(&im, sizeof(im.b), "no loadable segments");
	build(&im);
	im.eh->e_entry = 0x10;
	expect_refused(&im, sizeof(im.b), "entry point");
	build(&im);
	im.eh->e_entry = 0x403000;
	expect_refused(&im, sizeof(im.b), "entry point");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_phdr_address),
		cmocka_unit_test(test_static_pie_bias),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_segment_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
