/* clock: checks the clocks: vDSO time against the system call, monotonic
 * progress, and that nanosleep sleeps about as long as asked. */
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(struct timespec t) { return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void)
{
	struct timespec a, b, raw;
	clock_gettime(CLOCK_REALTIME, &a);
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &raw);
	int64_t skew = ns(raw) - ns(a);
	if (skew < 0)
		skew = -skew;
	printf("realtime skew vs system call: %lld us\n", (long long)(skew / 1000));

	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec req = { 0, 50 * 1000000L };
	nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	int64_t slept = ns(b) - ns(a);
	printf("nanosleep 50 ms took %lld ms\n", (long long)(slept / 1000000));

	struct timeval tv;
	gettimeofday(&tv, NULL);
	time_t t = time(NULL);
	int ok = skew < 20 * 1000000LL && slept >= 49 * 1000000LL && slept < 1000 * 1000000LL &&
		 (t - tv.tv_sec) <= 1 && (tv.tv_sec - t) <= 1 && t > 1700000000;
	printf("%s\n", ok ? "clocks ok" : "clocks WRONG");
	return ok ? 0 : 1;
}
