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

/* One mapping of /proc/PID/smaps. */
struct vma {
	unsigned long lo, hi;
	long rss, priv;
	int anon;      /* no backing file */
	int labelled;  /* "[anon:aivisor-guest-ram]" */
};

#define MAX_VMAS 4096

/* Guest RAM: the labelled mappings, or else the run of adjacent anonymous
 * mappings that together are exactly MIB MiB (the VMM's madvise calls split
 * the one mapping into a few). */
static void mark_guest(struct vma *v, int n, long mib, int *guest)
{
	int any = 0;
	for (int i = 0; i < n; i++)
		any |= guest[i] = v[i].labelled;
	if (any || mib <= 0)
		return;
	for (int i = 0; i < n; i++) {
		unsigned long size = 0;
		for (int j = i; j < n && v[j].anon && (j == i || v[j].lo == v[j - 1].hi); j++) {
			size += v[j].hi - v[j].lo;
			if (size == (unsigned long)mib << 20) {
				for (int k = i; k <= j; k++)
					guest[k] = 1;
				return;
			}
		}
	}
}

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
	static struct vma v[MAX_VMAS];
	static int guest[MAX_VMAS];
	if (!f) {
		fprintf(stderr, "vmm-bench: %s: %s\n", line, strerror(errno));
		return 1;
	}
	int n = -1;
	long x;
	unsigned long lo, hi;
	char name[256];
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			if (n + 1 >= MAX_VMAS)
				break;
			n++;
			name[0] = '\0';
			sscanf(line, "%*s %*s %*s %*s %*s %255[^\n]", name);
			v[n] = (struct vma){ .lo = lo, .hi = hi, .anon = name[0] == '\0',
					     .labelled = strstr(name, "[anon:aivisor-guest-ram]") != NULL };
		} else if (n >= 0 && sscanf(line, "Rss: %ld kB", &x) == 1) {
			v[n].rss = x;
		} else if (n >= 0 && (sscanf(line, "Private_Clean: %ld kB", &x) == 1 ||
				      sscanf(line, "Private_Dirty: %ld kB", &x) == 1)) {
			v[n].priv += x;
		}
	}
	fclose(f);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	n++;
	mark_guest(v, n, mib, guest);
	long rss = 0, priv = 0, guest_rss = 0;
	for (int i = 0; i < n; i++) {
		if (guest[i]) {
			guest_rss += v[i].rss;
		} else {
			rss += v[i].rss;
			priv += v[i].priv;
		}
	}
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
