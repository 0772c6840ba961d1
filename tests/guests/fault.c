/* fault: triggers the CPU exception named by argv[1]:
 * null, kernel-write, ud, de, gp, bp, stack (unbounded recursion). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile int zero;

static int recurse(volatile char *p, int depth)
{
	volatile char buf[4096];
	buf[0] = p ? p[0] : 0;
	if (depth == 0) /* never true in practice: the stack runs out first */
		return buf[0];
	return recurse(buf, depth - 1) + buf[1];
}

int main(int argc, char **argv)
{
	const char *k = argc > 1 ? argv[1] : "null";
	fflush(stdout);
	if (strcmp(k, "null") == 0)
		return *(volatile int *)(uintptr_t)zero;
	if (strcmp(k, "kernel-write") == 0) /* the page tables, supervisor-only */
		*(volatile uint64_t *)(uintptr_t)0x1000 = 0;
	if (strcmp(k, "ud") == 0)
		__asm__ volatile("ud2");
	if (strcmp(k, "de") == 0) /* asm: compilers turn 1/x into compares */
		__asm__ volatile("xor %%edx, %%edx; div %0" : : "r"(zero) : "eax", "edx");
	if (strcmp(k, "gp") == 0) /* non-canonical address */
		return *(volatile int *)(uintptr_t)0x8000000000000000ULL;
	if (strcmp(k, "bp") == 0)
		__asm__ volatile("int3");
	if (strcmp(k, "stack") == 0)
		return recurse(NULL, 1 << 30);
	printf("no fault happened for %s\n", k);
	return 0;
}
