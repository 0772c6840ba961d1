/*
 * aivisor-vgpud - the vGPU server as a daemon.
 *
 *   aivisor-vgpud [--socket PATH] [--threads N] [--slice-ms MS]
 *                 [--backend openblas|cuda|auto] [--stats]
 *                 [--set NAME|ID --priority high|normal|low --weight W]
 *                 [--no-sandbox] [--print-seccomp]
 *
 * Runs until SIGINT/SIGTERM.  --stats prints the stats JSON of the server
 * already running on PATH and exits; --set re-weights an attached tenant
 * of that server at once and exits.
 *
 * Sandbox (security/sandbox.h), unless --no-sandbox (debugging): once the
 * socket is bound and the backend initialised, resource limits (no core
 * files, open-file limit) and, as root, an empty root and private
 * mount/IPC/UTS views (sandbox_isolate); the executor and lane threads
 * start inside them.  Then, with the OpenBLAS backend, the seccomp
 * allowlist of security/policy_vgpud.c on every thread (--print-seccomp
 * prints it).  OpenBLAS's own workers, created when the library loads,
 * keep the host's mount view but are under the allowlist like the rest.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "sandbox.h"
#include "vgpu_host.h"

/* Attached tenants hold 3 fds each (window, two eventfds) and a socket;
 * 256 tenants plus pending connections fit well under this. */
#define VGPUD_MAX_OPEN_FILES 4096

/* OpenBLAS's idle worker threads spin for 2^N cycles before sleeping
 * (default N = 28: ~70 ms).  On a small host that steals the cores tenants
 * and the executor need between commands; 2^22 cycles (~1 ms) keeps them
 * hot across back-to-back GEMMs.  OpenBLAS reads the variable when it is
 * loaded, before main, so the daemon sets it and re-executes itself once
 * (a value the user set is kept). */
#define THREAD_TIMEOUT_ENV "OPENBLAS_THREAD_TIMEOUT"
#define THREAD_TIMEOUT_LOG2 "22"

static void tune_openblas(char **argv)
{
	if (getenv(THREAD_TIMEOUT_ENV))
		return;
	if (setenv(THREAD_TIMEOUT_ENV, THREAD_TIMEOUT_LOG2, 1))
		return;
	execv("/proc/self/exe", argv);
	/* exec failed: run with OpenBLAS's default, which only costs CPU. */
}

/* Before the server's threads start (vgpu_server_config.before_threads):
 * limits and, as root, the empty root. */
static int confine(void *arg, char *err, size_t errlen)
{
	(void)arg;
	struct sandbox_limits lim = { .max_open_files = VGPUD_MAX_OPEN_FILES };
	if (sandbox_limits(&lim, err, errlen))
		return -EPERM;
	char why[160];
	int rc = sandbox_isolate(why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "sandbox: %s", why);
		return -EPERM;
	}
	if (rc > 0)
		fprintf(stderr, "aivisor-vgpud: sandbox: %s\n", why);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: aivisor-vgpud [--socket PATH] [--threads N] [--slice-ms MS]\n"
		   "                     [--backend openblas|cuda|auto] [--stats]\n"
		   "  --socket PATH   listen on PATH (default " VGPU_DEFAULT_SOCKET ")\n"
		   "  --threads N     backend threads (default: online cores)\n"
		   "  --slice-ms MS   scheduling slice, 0.5..30 ms (default 2)\n"
		   "  --backend NAME  openblas (default), cuda, or auto (CUDA when a usable\n"
		   "                  GPU is found; builds with the CUDA toolkit)\n"
		   "  --stats         print the running server's per-tenant stats (JSON)\n"
		   "  --set NAME|ID --priority P --weight W\n"
		   "                  set an attached tenant's class (high/normal/low) and\n"
		   "                  weight (1..10000) on the running server, live\n"
		   "  --no-sandbox    no limits, namespaces or seccomp filter (debugging)\n"
		   "  --print-seccomp print the system-call allowlist and exit\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "slice-ms", required_argument, NULL, 'l' },
		{ "backend", required_argument, NULL, 'b' },
		{ "stats", no_argument, NULL, 'S' },
		{ "set", required_argument, NULL, 'T' },
		{ "priority", required_argument, NULL, 'p' },
		{ "weight", required_argument, NULL, 'w' },
		{ "no-sandbox", no_argument, NULL, 'N' },
		{ "print-seccomp", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vgpu_server_config cfg = { 0 };
	int stats = 0, c, prio = -1, sandbox = 1;
	const char *set_target = NULL;
	uint32_t weight = 0;
	double v;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': cfg.socket_path = optarg; break;
		case 'b': cfg.backend = optarg; break;
		case 'S': stats = 1; break;
		case 'T': set_target = optarg; break;
		case 'N': sandbox = 0; break;
		case 'P': policy_print("aivisor-vgpud", policy_vgpud, policy_vgpud_len); return 0;
		case 'p':
			prio = !strcmp(optarg, "high") ? VGPU_PRIO_HIGH : !strcmp(optarg, "normal") ?
			       VGPU_PRIO_NORMAL : !strcmp(optarg, "low") ? VGPU_PRIO_LOW : -1;
			if (prio < 0) {
				fprintf(stderr, "aivisor-vgpud: --priority wants high|normal|low, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'w':
			if (parse_num(optarg, VGPU_WEIGHT_MIN, VGPU_WEIGHT_MAX, &v) || v != (uint32_t)v) {
				fprintf(stderr, "aivisor-vgpud: --weight wants %u..%u, got '%s'\n",
					VGPU_WEIGHT_MIN, VGPU_WEIGHT_MAX, optarg);
				return 2;
			}
			weight = (uint32_t)v;
			break;
		case 't':
			if (parse_num(optarg, 1, 1024, &v)) {
				fprintf(stderr, "aivisor-vgpud: --threads wants 1..1024, got '%s'\n", optarg);
				return 2;
			}
			cfg.threads = (int)v;
			break;
		case 'l':
			if (parse_num(optarg, 0.5, 30, &v)) {
				fprintf(stderr, "aivisor-vgpud: --slice-ms wants 0.5..30, got '%s'\n", optarg);
				return 2;
			}
			cfg.slice_us = (uint32_t)(v * 1000);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	char err[256];
	if (set_target || prio >= 0 || weight) {
		if (!set_target || prio < 0 || !weight) {
			fprintf(stderr, "aivisor-vgpud: --set, --priority and --weight go together\n");
			return 2;
		}
		/* All digits: a tenant id; anything else: a name. */
		char *end;
		unsigned long id = strtoul(set_target, &end, 10);
		bool by_id = *set_target >= '0' && *set_target <= '9' && !*end && id > 0 &&
			     id <= UINT32_MAX;
		if (vgpu_tenant_set(cfg.socket_path, by_id ? NULL : set_target, by_id ? (uint32_t)id : 0, prio,
				    weight, err, sizeof(err))) {
			fprintf(stderr, "aivisor-vgpud: --set %s: %s\n", set_target, err);
			return 1;
		}
		return 0;
	}
	if (stats) {
		char *json;
		if (vgpu_stats(cfg.socket_path, &json, err, sizeof(err))) {
			fprintf(stderr, "aivisor-vgpud: %s\n", err);
			return 1;
		}
		printf("%s\n", json);
		free(json);
		return 0;
	}
	tune_openblas(argv);
	/* Block the signals before the executor thread starts, so it inherits
	 * the mask and only sigwait below sees them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (sandbox) {
		cfg.before_threads = confine;
		cfg.before_threads_arg = NULL;
	}
	struct vgpu_server *s;
	if (vgpu_server_start(&cfg, &s, err, sizeof(err))) {
		fprintf(stderr, "aivisor-vgpud: %s\n", err);
		return 1;
	}
	if (sandbox && strcmp(vgpu_server_backend(s), "openblas")) {
		/* The CUDA runtime opens devices and calls ioctls of its own. */
		fprintf(stderr, "aivisor-vgpud: seccomp: no allowlist for the %s backend, not applied\n",
			vgpu_server_backend(s));
	} else if (sandbox &&
		   sandbox_seccomp("aivisor-vgpud", policy_vgpud, policy_vgpud_len, err, sizeof(err))) {
		fprintf(stderr, "aivisor-vgpud: seccomp: %s\n", err);
		vgpu_server_stop(s);
		return 1;
	}
	const char *why = vgpu_server_backend_reason(s);
	fprintf(stderr, "aivisor-vgpud: listening on %s, backend %s%s%s%s\n",
		cfg.socket_path ? cfg.socket_path : VGPU_DEFAULT_SOCKET, vgpu_server_backend(s),
		*why ? " (" : "", why, *why ? ")" : "");
	int sig;
	sigwait(&set, &sig);
	vgpu_server_stop(s);
	return 0;
}
