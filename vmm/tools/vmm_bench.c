/*
 * vmm_bench.c - measurements for bench/vmm.sh that a shell cannot make
 * precisely:
 *   vmm-bench coldstart N CMD...   time from fork to the first byte CMD
 *                                  writes to stdout, N runs: median, p99
 *   vmm-bench memory MIB CMD...    runs CMD (a VMM whose guest RAM is MIB
 *                                  MiB), waits for its first output line,
 *                                  and reports its RSS outside guest RAM
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Starts argv with stdout on a pipe; returns the read end. */
static int spawn(char **argv, pid_t *pid)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	return p[0];
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int coldstart(int n, char **argv)
{
	double *t = calloc((size_t)n, sizeof(double));
	if (!t)
		return 1;
	for (int i = 0; i < n; i++) {
		pid_t pid;
		double start = now_us();
		int fd = spawn(argv, &pid);
		char c;
		if (fd < 0 || read(fd, &c, 1) != 1) {
			fprintf(stderr, "vmm-bench: %s produced no output\n", argv[0]);
			return 1;
		}
		t[i] = now_us() - start;
		char buf[256];
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		int st;
		waitpid(pid, &st, 0);
	}
	qsort(t, (size_t)n, sizeof(double), cmp);
	printf("coldstart_median_us %.0f\ncoldstart_p99_us %.0f\ncoldstart_min_us %.0f\n", t[n / 2],
	       t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], t[0]);
	free(t);
	return 0;
}

/* Sums Rss and Private_* of every mapping in /proc/PID/smaps except the
 * one whose size is the guest RAM. */
static int memory(long mib, char **argv)
{
	pid_t pid;
	int fd = spawn(argv, &pid);
	char line[512];
	if (fd < 0 || read(fd, line, sizeof(line)) <= 0) {
		fprintf(stderr, "vmm-bench: %s produced no output\n", argv[0]);
		return 1;
	}
	snprintf(line, sizeof(line), "/proc/%d/smaps", (int)pid);
	FILE *f = fopen(line, "r");
	if (!f) {
		fprintf(stderr, "vmm-bench: %s: %s\n", line, strerror(errno));
		return 1;
	}
	long rss = 0, priv = 0, guest_rss = 0, v;
	int in_guest = 0;
	unsigned long lo, hi;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in_guest = (long)((hi - lo) >> 20) == mib;
		} else if (sscanf(line, "Rss: %ld kB", &v) == 1) {
			if (in_guest)
				guest_rss += v;
			else
				rss += v;
		} else if (!in_guest && (sscanf(line, "Private_Clean: %ld kB", &v) == 1 ||
					 sscanf(line, "Private_Dirty: %ld kB", &v) == 1)) {
			priv += v;
		}
	}
	fclose(f);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	printf("vmm_rss_outside_guest_kib %ld\nvmm_private_outside_guest_kib %ld\nguest_rss_kib %ld\n", rss, priv,
	       guest_rss);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 3 && strcmp(argv[1], "coldstart") == 0)
		return coldstart(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1, &argv[3]);
	if (argc > 3 && strcmp(argv[1], "memory") == 0)
		return memory(atol(argv[2]), &argv[3]);
	fprintf(stderr, "usage: vmm-bench coldstart N CMD... | memory MIB CMD...\n");
	return 2;
}
