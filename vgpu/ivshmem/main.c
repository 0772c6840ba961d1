/*
 * aivisor-ivshmem: the ivshmem bridge for one QEMU tenant (bridge.h).
 *
 *   aivisor-ivshmem --socket PATH --memory-mib N [--vgpu-socket PATH]
 *                   [--name NAME] [--prio high|normal|low] [--weight W]
 *                   [--sq-entries N] [--socket-mode OCTAL] [--socket-owner UID:GID]
 *
 * Prints "ready PATH" on stdout once QEMU can connect, logs events on
 * stderr, and serves until SIGTERM/SIGINT (exit 0) or a fatal error such as
 * the vGPU server going away (exit 1).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void log_line(const char *line)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "aivisor-ivshmem[%ld.%03ld]: %s\n", (long)ts.tv_sec,
		ts.tv_nsec / 1000000, line);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: aivisor-ivshmem --socket PATH --memory-mib N [--vgpu-socket PATH]\n"
		   "         [--name NAME] [--prio high|normal|low] [--weight W] [--sq-entries N]\n"
		   "         [--socket-mode OCTAL] [--socket-owner UID:GID]\n"
		   "Serves QEMU's ivshmem-doorbell protocol on --socket for one vGPU tenant.\n"
		   "--memory-mib (the window, the tenant's vGPU memory) must be a power of two.\n");
}

static int parse_ull(const char *s, unsigned long long max, int base, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "memory-mib", required_argument, NULL, 'm' },
		{ "vgpu-socket", required_argument, NULL, 'v' },
		{ "name", required_argument, NULL, 'n' },
		{ "prio", required_argument, NULL, 'p' },
		{ "weight", required_argument, NULL, 'w' },
		{ "sq-entries", required_argument, NULL, 'q' },
		{ "socket-mode", required_argument, NULL, 'M' },
		{ "socket-owner", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ivshmem_bridge_config c = {
		.tenant = { .prio = VGPU_PRIO_NORMAL },
		.socket_uid = (uid_t)-1,
		.socket_gid = (gid_t)-1,
		.log = log_line,
	};
	unsigned long long v, g;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's': c.listen_path = optarg; break;
		case 'v': c.vgpu_socket = optarg; break;
		case 'n': c.tenant.name = optarg; break;
		case 'm':
			if (parse_ull(optarg, 1ull << 20, 10, &v) || v == 0)
				goto bad;
			c.window_size = v << 20;
			break;
		case 'p':
			if (!strcmp(optarg, "high")) c.tenant.prio = VGPU_PRIO_HIGH;
			else if (!strcmp(optarg, "normal")) c.tenant.prio = VGPU_PRIO_NORMAL;
			else if (!strcmp(optarg, "low")) c.tenant.prio = VGPU_PRIO_LOW;
			else goto bad;
			break;
		case 'w':
			if (parse_ull(optarg, VGPU_WEIGHT_MAX, 10, &v) || v < VGPU_WEIGHT_MIN)
				goto bad;
			c.tenant.weight = (uint32_t)v;
			break;
		case 'q':
			if (parse_ull(optarg, UINT32_MAX, 10, &v))
				goto bad;
			c.sq_entries = (uint32_t)v;
			break;
		case 'M':
			if (parse_ull(optarg, 0777, 8, &v))
				goto bad;
			c.socket_mode = (mode_t)v;
			break;
		case 'o': {
			char *colon = strchr(optarg, ':');
			if (!colon)
				goto bad;
			*colon = '\0';
			if (parse_ull(optarg, UINT32_MAX - 1, 10, &v) ||
			    parse_ull(colon + 1, UINT32_MAX - 1, 10, &g))
				goto bad;
			c.socket_uid = (uid_t)v;
			c.socket_gid = (gid_t)g;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !c.listen_path || !c.window_size) {
		usage(stderr);
		return 2;
	}

	/* Signals are blocked except while the bridge waits in ppoll, so a
	 * stop request can never slip in between checking the flag and
	 * going to sleep. */
	sigset_t block, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	char err[512];
	struct ivshmem_bridge *b;
	if (ivshmem_bridge_open(&c, &b, err, sizeof err)) {
		fprintf(stderr, "aivisor-ivshmem: %s\n", err);
		return 1;
	}
	printf("ready %s\n", c.listen_path);
	fflush(stdout);
	int rc = ivshmem_bridge_run(b, &waitmask, &stop_requested, err, sizeof err);
	ivshmem_bridge_close(b);
	if (rc) {
		fprintf(stderr, "aivisor-ivshmem: %s\n", err);
		return 1;
	}
	return 0;

bad:
	fprintf(stderr, "aivisor-ivshmem: bad option value '%s'\n", optarg);
	return 2;
}
