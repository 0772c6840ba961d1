/*
 * aivisor-qemu: the control/qemu module from the command line, for
 * operators, tests and benchmarks.  The daemon links the same functions.
 *
 *   aivisor-qemu [--uri URI] xml|define DOMAIN-OPTIONS
 *   aivisor-qemu [--uri URI] start|state|undefine NAME
 *   aivisor-qemu [--uri URI] stop [--force] [--timeout S] NAME
 *   aivisor-qemu [--uri URI] run DOMAIN-OPTIONS --bridge PROG [--vgpu-server SOCK]
 *                [--timeout S]
 *
 * DOMAIN-OPTIONS: --name N --kernel PATH --initrd PATH [--job "ARGS"]
 *   [--vcpus N] [--memory-mib N] [--vgpu-socket PATH --vgpu-memory-mib N]
 *   [--serial-log PATH] [--type kvm|qemu] [--uuid UUID]
 *
 * `run` is one whole tenant life: start its bridge (socket --vgpu-socket),
 * define and start the domain, wait until the guest powers off (at most
 * --timeout seconds, default 600), undefine it and stop the bridge.  Exit
 * status 0 only if the guest ended by itself in time.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qemu_bridge.h"
#include "qemu_domain.h"

static void usage(FILE *f)
{
	fputs("usage: aivisor-qemu [--uri URI] xml|define|run DOMAIN-OPTIONS\n"
	      "       aivisor-qemu [--uri URI] start|state|undefine NAME\n"
	      "       aivisor-qemu [--uri URI] stop [--force] [--timeout S] NAME\n"
	      "DOMAIN-OPTIONS: --name N --kernel PATH --initrd PATH [--job ARGS] [--vcpus N]\n"
	      "  [--memory-mib N] [--vgpu-socket PATH --vgpu-memory-mib N] [--serial-log PATH]\n"
	      "  [--type kvm|qemu] [--uuid UUID]\n"
	      "run also: --bridge PROG [--vgpu-server SOCK] [--bridge-log PATH] [--timeout S]\n",
	      f);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int run_tenant(const char *uri, const struct qemu_domain_spec *s, const char *bridge,
		      const char *vgpu_server, const char *bridge_log, unsigned timeout_s)
{
	char err[512];
	pid_t bpid = -1;
	if (s->vgpu_socket) {
		if (!bridge) {
			fprintf(stderr, "aivisor-qemu: run with a vGPU needs --bridge\n");
			return 2;
		}
		struct qemu_bridge_opts bo = {
			.program = bridge, .socket = s->vgpu_socket, .vgpu_socket = vgpu_server,
			.name = s->name, .memory_mib = s->vgpu_memory_mib, .log_path = bridge_log,
		};
		if (qemu_bridge_start(&bo, 10000, &bpid, err, sizeof err)) {
			fprintf(stderr, "aivisor-qemu: %s\n", err);
			return 1;
		}
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int rc = 1;
	if (qemu_domain_define(uri, s, err, sizeof err)) {
		fprintf(stderr, "aivisor-qemu: %s\n", err);
		goto out;
	}
	if (qemu_domain_start(uri, s->name, err, sizeof err)) {
		fprintf(stderr, "aivisor-qemu: %s\n", err);
		goto undefine;
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		enum qemu_domain_state st;
		if (qemu_domain_state(uri, s->name, &st, err, sizeof err)) {
			fprintf(stderr, "aivisor-qemu: %s\n", err);
			break;
		}
		if (st != QEMU_DOMAIN_RUNNING) {
			rc = st == QEMU_DOMAIN_SHUTOFF ? 0 : 1;
			if (rc)
				fprintf(stderr, "aivisor-qemu: domain %s ended %s\n", s->name,
					qemu_domain_state_name(st));
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (interrupted || t.tv_sec - t0.tv_sec >= (time_t)timeout_s) {
			fprintf(stderr, "aivisor-qemu: domain %s %s; destroying it\n", s->name,
				interrupted ? "interrupted" : "timed out");
			break;
		}
		struct timespec nap = { 0, 200 * 1000 * 1000 };
		nanosleep(&nap, NULL);
	}
undefine:
	if (qemu_domain_undefine(uri, s->name, err, sizeof err) && rc == 0) {
		fprintf(stderr, "aivisor-qemu: %s\n", err);
		rc = 1;
	}
out:
	if (bpid > 0 && qemu_bridge_stop(bpid, 5000, err, sizeof err)) {
		fprintf(stderr, "aivisor-qemu: %s\n", err);
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	enum { O_URI = 256, O_NAME, O_KERNEL, O_INITRD, O_JOB, O_VCPUS, O_MEM, O_VSOCK, O_VMEM,
	       O_SERIAL, O_TYPE, O_UUID, O_BRIDGE, O_VSERVER, O_BLOG, O_TIMEOUT, O_FORCE };
	static const struct option opts[] = {
		{ "uri", required_argument, NULL, O_URI },
		{ "name", required_argument, NULL, O_NAME },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "job", required_argument, NULL, O_JOB },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "memory-mib", required_argument, NULL, O_MEM },
		{ "vgpu-socket", required_argument, NULL, O_VSOCK },
		{ "vgpu-memory-mib", required_argument, NULL, O_VMEM },
		{ "serial-log", required_argument, NULL, O_SERIAL },
		{ "type", required_argument, NULL, O_TYPE },
		{ "uuid", required_argument, NULL, O_UUID },
		{ "bridge", required_argument, NULL, O_BRIDGE },
		{ "vgpu-server", required_argument, NULL, O_VSERVER },
		{ "bridge-log", required_argument, NULL, O_BLOG },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "force", no_argument, NULL, O_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct qemu_domain_spec s = { .vcpus = 1, .memory_mib = 256 };
	const char *uri = NULL, *bridge = NULL, *vserver = NULL, *blog = NULL;
	uint64_t v, timeout_s = 600;
	bool force = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_URI: uri = optarg; break;
		case O_NAME: s.name = optarg; break;
		case O_KERNEL: s.kernel = optarg; break;
		case O_INITRD: s.initrd = optarg; break;
		case O_JOB: s.job = optarg; break;
		case O_VSOCK: s.vgpu_socket = optarg; break;
		case O_SERIAL: s.serial_log = optarg; break;
		case O_TYPE: s.domain_type = optarg; break;
		case O_UUID: s.uuid = optarg; break;
		case O_BRIDGE: bridge = optarg; break;
		case O_VSERVER: vserver = optarg; break;
		case O_BLOG: blog = optarg; break;
		case O_FORCE: force = true; break;
		case O_VCPUS:
			if (parse_u64(optarg, &v) || v > 1024)
				goto bad;
			s.vcpus = (unsigned)v;
			break;
		case O_MEM:
			if (parse_u64(optarg, &s.memory_mib))
				goto bad;
			break;
		case O_VMEM:
			if (parse_u64(optarg, &s.vgpu_memory_mib))
				goto bad;
			break;
		case O_TIMEOUT:
			if (parse_u64(optarg, &timeout_s) || timeout_s > 86400)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *verb = argv[optind++];
	char err[512];
	int rc;
	if (!strcmp(verb, "xml") || !strcmp(verb, "define") || !strcmp(verb, "run")) {
		if (optind != argc)
			goto extra;
		if (!strcmp(verb, "run"))
			return run_tenant(uri, &s, bridge, vserver, blog, (unsigned)timeout_s);
		if (!strcmp(verb, "xml")) {
			char *xml;
			rc = qemu_domain_xml(&s, &xml, err, sizeof err);
			if (!rc) {
				fputs(xml, stdout);
				free(xml);
			}
		} else {
			rc = qemu_domain_define(uri, &s, err, sizeof err);
		}
	} else {
		if (optind + 1 != argc)
			goto extra;
		const char *name = argv[optind];
		if (!strcmp(verb, "start")) {
			rc = qemu_domain_start(uri, name, err, sizeof err);
		} else if (!strcmp(verb, "stop")) {
			rc = qemu_domain_stop(uri, name, force, (unsigned)timeout_s, err, sizeof err);
		} else if (!strcmp(verb, "undefine")) {
			rc = qemu_domain_undefine(uri, name, err, sizeof err);
		} else if (!strcmp(verb, "state")) {
			enum qemu_domain_state st;
			rc = qemu_domain_state(uri, name, &st, err, sizeof err);
			if (!rc)
				printf("%s\n", qemu_domain_state_name(st));
		} else {
			fprintf(stderr, "aivisor-qemu: unknown verb '%s'\n", verb);
			return 2;
		}
	}
	if (rc) {
		fprintf(stderr, "aivisor-qemu: %s\n", err);
		return rc == -ENOENT ? 3 : 1;
	}
	return 0;
bad:
	fprintf(stderr, "aivisor-qemu: bad option value '%s'\n", optarg);
	return 2;
extra:
	usage(stderr);
	return 2;
}
