/* Unit tests: boot_x86_64.c's page tables and descriptor tables, walked in
 * software: the isolation the program relies on (boot area supervisor-only,
 * page 0 and the stack guard unmapped, stubs user read-only). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot_x86_64.h"

#define RAM (64ULL << 20)
#define P 0x1ULL
#define RW 0x2ULL
#define US 0x4ULL
#define PS 0x80ULL

static uint8_t *ram;
static struct guest_mem mem;

/* Walks the tables like the MMU: returns the leaf entry for va, or 0 when
 * some level is not present; *huge says whether it is a 2 MiB page. */
static uint64_t walk(uint64_t va, int *huge)
{
	uint64_t e = ((uint64_t *)(ram + BOOT_PML4))[(va >> 39) & 511];
	for (int level = 30; level >= 12; level -= 9) {
		if (!(e & P))
			return 0;
		uint64_t table = e & 0x000ffffffffff000ULL;
		assert_true(table + 4096 <= RAM);
		e = ((uint64_t *)(ram + table))[(va >> level) & 511];
		if (level == 21 && (e & PS)) {
			*huge = 1;
			return e & P ? e : 0;
		}
	}
	*huge = 0;
	return e & P ? e : 0;
}

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM);
	mem = (struct guest_mem){ .ram = { .start = 0, .size = RAM, .host = ram } };
	/* The layout main.c uses: program+heap, 2 MiB guard, 8 MiB stack. */
	struct boot_map maps[] = { { 0x200000, RAM - 0x200000 - (10ULL << 20) }, { RAM - (8ULL << 20), 8ULL << 20 } };
	char err[160];
	assert_int_equal(boot_write_tables(&mem, maps, 2, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static void test_boot_area(void **state)
{
	(void)state;
	int huge;
	assert_int_equal(walk(0, &huge), 0); /* null page */
	static const uint64_t kernel[] = { BOOT_PML4, BOOT_GDT, BOOT_IDT, BOOT_TSS, BOOT_FAULT_STUBS,
					   BOOT_EXC_STACK, BOOT_EXC_STACK_TOP - 1 };
	for (size_t i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++) {
		uint64_t e = walk(kernel[i], &huge);
		assert_true(e & P);
		assert_false(e & US);
		assert_false(huge);
		assert_int_equal(e & 0x000ffffffffff000ULL, kernel[i] & ~0xfffULL); /* identity */
	}
	uint64_t stub = walk(BOOT_SYSCALL_STUB, &huge);
	assert_true((stub & US) && !(stub & RW));
	uint64_t t = walk(BOOT_TIME_PAGE, &huge);
	assert_true((t & US) && !(t & RW) && (t >> 63)); /* user read-only, no execute */
	assert_true(walk(BOOT_VDSO, &huge) & US);
	assert_int_equal(walk(0x100000, &huge), 0); /* the rest of the low 2 MiB */
}

static void test_ram_and_guard(void **state)
{
	(void)state;
	int huge;
	uint64_t e = walk(0x400000, &huge);
	assert_true(huge && (e & US) && (e & RW));
	assert_int_equal(e & ~0x1fffffULL & 0x000fffffffffffffULL, 0x400000);
	assert_int_equal(walk(RAM - (9ULL << 20), &huge), 0); /* guard below the stack */
	assert_true(walk(RAM - 8, &huge) & RW);
	assert_int_equal(walk(RAM, &huge), 0);          /* nothing past RAM */
	assert_int_equal(walk(1ULL << 40, &huge), 0);
}

static void test_stubs_and_tables(void **state)
{
	(void)state;
	/* syscall stub: out %al,$0x50; sysretq.  Probe: syscall. */
	static const uint8_t sys[] = { 0xe6, HC_PORT_SYSCALL, 0x48, 0x0f, 0x07 };
	assert_memory_equal(ram + BOOT_SYSCALL_STUB, sys, sizeof(sys));
	assert_memory_equal(ram + BOOT_SYSCALL_PROBE, "\x0f\x05", 2);
	/* #PF (error code pushed by the CPU) and #UD (stub pushes 0). */
	assert_memory_equal(ram + BOOT_FAULT_STUBS + 14 * FAULT_STUB_SIZE, "\x6a\x0e\xe6\x51", 4);
	assert_memory_equal(ram + BOOT_FAULT_STUBS + 6 * FAULT_STUB_SIZE, "\x6a\x00\x6a\x06\xe6\x51", 6);
	uint64_t *idt = (uint64_t *)(ram + BOOT_IDT);
	assert_int_equal((idt[2 * 14] >> 45) & 3, 0); /* DPL 0 */
	assert_int_equal((idt[2 * 3] >> 45) & 3, 3);  /* int3 allowed from CPL3 */
	assert_int_equal((idt[2 * 14] >> 32) & 7, 1); /* IST1 */
	/* I/O bitmap: the two stub ports open, port 0x60 closed. */
	uint8_t *iomap = ram + BOOT_TSS + *(uint16_t *)(ram + BOOT_TSS + 102);
	assert_false(iomap[HC_PORT_SYSCALL / 8] & (1 << (HC_PORT_SYSCALL % 8)));
	assert_false(iomap[HC_PORT_FAULT / 8] & (1 << (HC_PORT_FAULT % 8)));
	assert_true(iomap[0x60 / 8] & 1);
}

static void test_bad_maps_refused(void **state)
{
	(void)state;
	char err[160];
	struct boot_map low = { 0, 0x400000 }, odd = { 0x200000, 0x1000 },
			far = { 63ULL << 30, 4ULL << 30 }, wrap = { 0x200000, UINT64_MAX - 0x1fffff };
	assert_int_equal(boot_write_tables(&mem, &low, 1, err, sizeof(err)), -1);
	assert_int_equal(boot_write_tables(&mem, &odd, 1, err, sizeof(err)), -1);
	assert_int_equal(boot_write_tables(&mem, &far, 1, err, sizeof(err)), -1);
	assert_int_equal(boot_write_tables(&mem, &wrap, 1, err, sizeof(err)), -1);
	struct guest_mem tiny = { .ram = { .start = 0, .size = 0x100000, .host = ram } };
	assert_int_equal(boot_write_tables(&tiny, NULL, 0, err, sizeof(err)), -1);
}

static void test_vector_names(void **state)
{
	(void)state;
	assert_string_equal(boot_vector_name(14), "page fault (#PF)");
	assert_int_equal(boot_vector_signal(14), SIGSEGV);
	assert_int_equal(boot_vector_signal(6), SIGILL);
	assert_int_equal(boot_vector_signal(0), SIGFPE);
	assert_int_equal(boot_vector_signal(3), SIGTRAP);
	assert_string_equal(boot_vector_name(31), "reserved exception");
	assert_string_equal(boot_vector_name(1000), "reserved exception");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_area),
		cmocka_unit_test(test_ram_and_guard),
		cmocka_unit_test(test_stubs_and_tables),
		cmocka_unit_test(test_bad_maps_refused),
		cmocka_unit_test(test_vector_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
