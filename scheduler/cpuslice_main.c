/*
 * aivisor-cpuslice - run a command in a CPU slice of its own.
 *
 *   aivisor-cpuslice --name NAME [--cpu-weight W] [--cpu-cap PCT] [--cpus LIST]
 *                    [--seconds S] -- COMMAND [ARG...]
 *
 * Creates the cgroup aivisor/NAME with the given limits, runs COMMAND in it
 * (attached before it executes anything), stops it after S seconds if asked
 * (SIGKILL to its process group), then prints one line
 *   cpu_ns <group CPU time> wall_ns <elapsed> exit <status>
 * and removes the group.
 *
 *   aivisor-cpuslice --set NAME [--cpu-weight W] [--cpu-cap PCT] [--cpus LIST]
 *
 * changes a running slice live (fields not given go back to the defaults)
 * and prints "cpu_ns <group CPU time so far>".  SIGTERM and SIGINT are passed on to COMMAND's
 * process group.  Used by the integration tests and benchmarks to
 * check CPU slicing on the real kernel, and handy for slicing any host job
 * the way the VMM slices vCPU threads.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_cpu.h"

static volatile sig_atomic_t child_pid;

/* SIGTERM/SIGINT to the slice are meant for the command: pass them on. */
static void forward(int sig)
{
	if (child_pid > 0)
		kill(-child_pid, sig);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: aivisor-cpuslice --name NAME [--cpu-weight W] [--cpu-cap PCT] "
			"[--cpus LIST] [--seconds S] -- COMMAND [ARG...]\n"
			"       aivisor-cpuslice --set NAME [--cpu-weight W] [--cpu-cap PCT] "
			"[--cpus LIST]\n");
	return 2;
}

/* --set: new limits for a running slice, and its CPU time so far. */
static int set_live(const char *name, const struct cgroup_cpu_limits *lim)
{
	struct cgroup_cpu_host host;
	struct cgroup_cpu *cg;
	uint64_t cpu = 0;
	char err[512];
	int rc;

	rc = cgroup_cpu_detect(&host, err, sizeof err);
	if (rc == 0)
		rc = cgroup_cpu_open(&host, name, &cg, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "aivisor-cpuslice: %s\n", err);
		return 1;
	}
	rc = cgroup_cpu_set_limits(cg, lim, err, sizeof err);
	if (rc == 0)
		rc = cgroup_cpu_usage_ns(cg, &cpu, err, sizeof err);
	cgroup_cpu_close(cg);
	if (rc < 0) {
		fprintf(stderr, "aivisor-cpuslice: %s\n", err);
		return 1;
	}
	printf("cpu_ns %llu\n", (unsigned long long)cpu);
	return 0;
}

/* Waits for pid until deadline_ns (0 = forever); kills its group then. */
static int wait_child(pid_t pid, uint64_t deadline_ns, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, deadline_ns ? WNOHANG : 0);
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (deadline_ns && now_ns() >= deadline_ns) {
			kill(-pid, SIGKILL);
			deadline_ns = 0;
			continue;
		}
		nanosleep(&ts, NULL);
	}
}

int main(int argc, char **argv)
{
	struct cgroup_cpu_limits lim;
	struct cgroup_cpu *cg;
	const char *name = NULL, *set = NULL;
	double seconds = 0;
	char err[512];
	int i, go[2], status = 0, rc;
	uint64_t start, cpu = 0;
	pid_t pid;

	cgroup_cpu_limits_init(&lim);
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--name") == 0) {
			name = argv[i + 1];
		} else if (strcmp(argv[i], "--set") == 0) {
			set = argv[i + 1];
		} else if (strcmp(argv[i], "--seconds") == 0) {
			char *end;

			seconds = strtod(argv[i + 1], &end);
			if (*end || !(seconds > 0 && seconds < 86400)) {
				fprintf(stderr, "aivisor-cpuslice: --seconds %s: want 0 < S < 86400\n",
					argv[i + 1]);
				return 2;
			}
		} else if (cgroup_cpu_limits_parse(&lim, argv[i], argv[i + 1], err, sizeof err) < 0) {
			fprintf(stderr, "aivisor-cpuslice: %s\n", err);
			return 2;
		}
	}
	if (set)
		return name || i < argc ? usage() : set_live(set, &lim);
	if (!name || i + 1 >= argc)
		return usage();
	if (pipe(go) < 0) {
		perror("aivisor-cpuslice: pipe");
		return 1;
	}
	rc = cgroup_cpu_apply(name, &lim, NULL, 0, &cg, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "aivisor-cpuslice: %s\n", err);
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("aivisor-cpuslice: fork");
		cgroup_cpu_destroy(cg, NULL, 0);
		return 1;
	}
	if (pid == 0) {
		char c;

		setpgid(0, 0);
		close(go[1]);
		/* Run nothing before the parent has put us into the group. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[i + 1], &argv[i + 1]);
		fprintf(stderr, "aivisor-cpuslice: exec %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	setpgid(pid, pid);
	child_pid = pid;
	{
		struct sigaction sa = { .sa_handler = forward };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	rc = cgroup_cpu_attach_process(cg, pid, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "aivisor-cpuslice: %s\n", err);
		kill(pid, SIGKILL);
		close(go[1]);
		waitpid(pid, NULL, 0);
		cgroup_cpu_destroy(cg, NULL, 0);
		return 1;
	}
	start = now_ns();
	if (write(go[1], "g", 1) != 1) {
		perror("aivisor-cpuslice: start child");
		kill(pid, SIGKILL);
	}
	close(go[1]);
	rc = wait_child(pid, seconds > 0 ? start + (uint64_t)(seconds * 1e9) : 0, &status);
	if (rc < 0)
		fprintf(stderr, "aivisor-cpuslice: waitpid: %s\n", strerror(-rc));
	if (cgroup_cpu_usage_ns(cg, &cpu, err, sizeof err) < 0)
		fprintf(stderr, "aivisor-cpuslice: %s\n", err);
	printf("cpu_ns %llu wall_ns %llu exit %d\n", (unsigned long long)cpu,
	       (unsigned long long)(now_ns() - start),
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fflush(stdout);
	if (cgroup_cpu_destroy(cg, err, sizeof err) < 0) {
		fprintf(stderr, "aivisor-cpuslice: %s\n", err);
		return 1;
	}
	return 0;
}
