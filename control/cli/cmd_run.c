/*
 * cmd_run.c - `aivisor run`: one program in a microVM, no daemon.
 *
 * The VMM itself never touches cgroups (it runs sandboxed and needs no
 * such right).  When the user asks for a CPU slice (--cpu-weight,
 * --cpu-cap, --cpus), this command creates the tenant's CPU group, starts
 * aivisor-vmm inside it before it runs anything, waits for it and removes
 * the group afterwards.  Without those flags it simply becomes the VMM.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_cpu.h"
#include "cli.h"

/* aivisor-vmm's flags that take a value: needed to find PROGRAM. */
static const char *const vmm_valued[] = {
	"--memory", "--vcpus", "--share", "--timeout", "--name", "--env", "--vgpu-memory",
	"--vgpu-socket", "--priority", "--vgpu-weight", "--user", "--console-rate",
};

static bool takes_value(const char *flag)
{
	for (size_t i = 0; i < sizeof(vmm_valued) / sizeof(vmm_valued[0]); i++)
		if (!strcmp(flag, vmm_valued[i]))
			return true;
	return false;
}

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static int run_sliced(const struct cgroup_cpu_limits *lim, bool best_effort, int argc, char **argv)
{
	char name[64];
	snprintf(name, sizeof(name), "run-%ld", (long)getpid());
	int go[2];
	if (pipe(go) < 0) {
		fprintf(stderr, "aivisor run: pipe: %s\n", strerror(errno));
		return CLI_FAILED;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "aivisor run: fork: %s\n", strerror(errno));
		return CLI_FAILED;
	}
	if (child == 0) {
		/* Wait until the parent has put us in the group: the VMM and
		 * every vCPU thread it creates then inherit it. */
		close(go[1]);
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(CLI_FAILED);
		close(go[0]);
		_exit(cli_exec_sibling("aivisor-vmm", argc, argv));
	}
	close(go[0]);
	struct sigaction sa = { .sa_handler = forward };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	char err[512];
	struct cgroup_cpu *cg = NULL;
	if (cgroup_cpu_apply(name, lim, &child, 1, &cg, err, sizeof(err)) < 0) {
		if (!best_effort) {
			fprintf(stderr, "aivisor run: CPU slice: %s\n"
					"(pass --cpu-slicing best-effort to run unsliced anyway)\n", err);
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			return CLI_FAILED;
		}
		fprintf(stderr, "aivisor run: warning: running without a CPU slice: %s\n", err);
	}
	if (write(go[1], "g", 1) != 1)
		fprintf(stderr, "aivisor run: cannot release the VM: %s\n", strerror(errno));
	close(go[1]);

	int st = 0;
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	if (cg && cgroup_cpu_destroy(cg, err, sizeof(err)) < 0)
		fprintf(stderr, "aivisor run: removing the CPU slice: %s\n", err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int cmd_run(int argc, char **argv)
{
	struct cgroup_cpu_limits lim;
	cgroup_cpu_limits_init(&lim);
	bool best_effort = false;
	char err[256];
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	if (!rest) {
		fprintf(stderr, "aivisor run: out of memory\n");
		return CLI_FAILED;
	}
	int n = 0, i = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			rest[n++] = argv[i++];
			break;
		}
		char flag[64];
		const char *eq = strchr(argv[i], '=');
		size_t flen = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		snprintf(flag, sizeof(flag), "%.*s", (int)flen, argv[i]);
		bool ours = !strcmp(flag, "--cpu-weight") || !strcmp(flag, "--cpu-cap") || !strcmp(flag, "--cpus") ||
			    !strcmp(flag, "--cpu-slicing");
		if (!ours) {
			rest[n++] = argv[i];
			if (!eq && takes_value(flag) && i + 1 < argc)
				rest[n++] = argv[++i];
			continue;
		}
		const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!value) {
			fprintf(stderr, "aivisor run: %s needs a value\n", flag);
			free(rest);
			return CLI_USAGE;
		}
		if (!strcmp(flag, "--cpu-slicing")) {
			if (strcmp(value, "best-effort") && strcmp(value, "required")) {
				fprintf(stderr, "aivisor run: --cpu-slicing %s: want required or best-effort\n", value);
				free(rest);
				return CLI_USAGE;
			}
			best_effort = !strcmp(value, "best-effort");
		} else if (cgroup_cpu_limits_parse(&lim, flag, value, err, sizeof(err)) < 0) {
			fprintf(stderr, "aivisor run: %s\n", err);
			free(rest);
			return CLI_USAGE;
		}
	}
	for (; i < argc; i++)
		rest[n++] = argv[i];
	int rc = cgroup_cpu_limits_any(&lim) ? run_sliced(&lim, best_effort, n, rest)
					     : cli_exec_sibling("aivisor-vmm", n, rest);
	free(rest);
	return rc;
}
