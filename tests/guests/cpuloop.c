/* cpuloop: a CPU-bound loop (integer and floating point, no system calls
 * inside), timed with CLOCK_MONOTONIC; prints "cpuloop_ns N checksum C".
 * Run natively and in a microVM to compare. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000000ULL;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t x = 88172645463325252ULL;
	double acc = 0;
	for (uint64_t i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += (double)(x & 0xffff) * 1e-6;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	long long ns = (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	printf("cpuloop_ns %lld checksum %llu %.3f\n", ns, (unsigned long long)x, acc);
	return 0;
}
