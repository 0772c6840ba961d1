/* alloc: allocates argv[1] MiB with malloc, writes and checks every page,
 * then checks that munmapped memory mapped again reads as zero. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 16;
	size_t len = mib << 20;
	uint8_t *p = malloc(len);
	if (!p) {
		printf("malloc of %zu MiB failed\n", mib);
		return 1;
	}
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (uint8_t)(i >> 12);
	for (size_t i = 0; i < len; i += 4096)
		if (p[i] != (uint8_t)(i >> 12)) {
			printf("corrupt at %zu\n", i);
			return 1;
		}
	free(p);
	/* A page written, unmapped and mapped again must read zero. */
	for (int round = 0; round < 2; round++) {
		uint8_t *q = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (q == MAP_FAILED) {
			printf("mmap failed\n");
			return 1;
		}
		for (size_t i = 0; i < (1 << 20); i++)
			if (q[i]) {
				printf("stale data after munmap at %zu\n", i);
				return 1;
			}
		memset(q, 0xab, 1 << 20);
		munmap(q, 1 << 20);
	}
	/* Asking for more than guest RAM fails cleanly. */
	void *huge = malloc((size_t)64 << 30);
	printf("allocated %zu MiB ok, oversize malloc %s\n", mib, huge ? "succeeded?!" : "refused");
	return huge ? 1 : 0;
}
