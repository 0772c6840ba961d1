/*
 * aivisor-lvtestd - the libvirt endpoint over the in-memory registry.
 *
 * A protocol test server: virsh drives it exactly as it drives aivisord,
 * but no VM runs (start only marks a tenant running).  Used by the virsh
 * integration tests and the list benchmark until/besides aivisord.
 *
 *   aivisor-lvtestd [--socket PATH] [--ro-socket PATH] [--idle-ms N] [--preload N PROGRAM]
 *
 * Runs until SIGTERM or SIGINT, then removes its sockets.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_endpoint.h"
#include "lv_memstore.h"

static int preload(const struct lv_backend *be, long n, const char *program)
{
	struct tenant_def d;
	tenant_def_init(&d);
	snprintf(d.program, sizeof(d.program), "%s", program);
	for (long i = 0; i < n; i++) {
		struct lv_dom_info info;
		char err[256];
		snprintf(d.name, sizeof(d.name), "bench-%04ld", i);
		if (be->define(be->ctx, &d, &info, err, sizeof(err))) {
			fprintf(stderr, "aivisor-lvtestd: preload: %s\n", err);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct lv_endpoint_opts o = { 0 };
	long npre = 0;
	const char *prog = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			o.rw_sock = argv[++i];
		else if (!strcmp(argv[i], "--ro-socket") && i + 1 < argc)
			o.ro_sock = argv[++i];
		else if (!strcmp(argv[i], "--idle-ms") && i + 1 < argc)
			o.idle_timeout_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--preload") && i + 2 < argc) {
			npre = strtol(argv[++i], NULL, 10);
			prog = argv[++i];
		} else {
			fprintf(stderr, "usage: aivisor-lvtestd [--socket PATH] [--ro-socket PATH] [--idle-ms N] [--preload N PROGRAM]\n");
			return 2;
		}
	}
	/* Block the stop signals before the endpoint thread exists, so only sigwait sees them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	struct lv_memstore *m = lv_memstore_new();
	struct lv_backend be;
	struct lv_endpoint *ep;
	char err[512];
	if (!m) {
		fprintf(stderr, "aivisor-lvtestd: out of memory\n");
		return 1;
	}
	lv_memstore_backend(m, &be);
	if (npre < 0 || npre > 16384 || (npre && preload(&be, npre, prog))) {
		fprintf(stderr, "aivisor-lvtestd: bad --preload\n");
		lv_memstore_free(m);
		return 2;
	}
	if (lv_endpoint_start(&o, &be, &ep, err, sizeof(err))) {
		fprintf(stderr, "aivisor-lvtestd: %s\n", err);
		lv_memstore_free(m);
		return 1;
	}
	printf("aivisor-lvtestd: listening\n");
	fflush(stdout);
	int sig;
	sigwait(&stop, &sig);
	lv_endpoint_stop(ep);
	lv_memstore_free(m);
	return 0;
}
