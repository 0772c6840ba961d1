/*
 * ticker - a quiet tenant program for daemon tests and benchmarks:
 *   ticker [COUNT [INTERVAL_MS [EXIT_CODE]]]
 * prints "ticker start" at once, then "tick N" every INTERVAL_MS (default
 * 100) COUNT times (0 = forever, the default), then exits with EXIT_CODE
 * (default 0). It sleeps between ticks, so many can run without spinning
 * the host's CPUs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 0;
	long interval_ms = argc > 2 ? atol(argv[2]) : 100;
	int code = argc > 3 ? atoi(argv[3]) : 0;
	if (interval_ms < 1)
		interval_ms = 1;
	printf("ticker start\n");
	fflush(stdout);
	for (long i = 1; count == 0 || i <= count; i++) {
		struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		printf("tick %ld\n", i);
		fflush(stdout);
	}
	return code;
}
