/* sysbench: cost of system calls from the guest: N getppid calls (always
 * an exit to the VMM) and N clock_gettime calls (vDSO when offered).
 * Prints "getppid_ns X" and "clock_gettime_ns Y" (per call). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	long long t0 = now();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	long long t1 = now();
	struct timespec ts;
	for (long i = 0; i < n; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	long long t2 = now();
	printf("getppid_ns %.1f\nclock_gettime_ns %.1f\n", (double)(t1 - t0) / n, (double)(t2 - t1) / n);
	return 0;
}
