/*
 * engine_test_util.c - the real vGPU server and a connection to it, for
 * the engine's vGPU unit tests (test_engine_gradcheck, test_engine_train).
 */
#include <stdio.h>
#include <unistd.h>

#include "engine_test_util.h"
#include "vgpu_host.h"

static struct vgpu_server *server;

int engine_test_vgpu_start(const char *tag, struct vgpu **gpu)
{
	struct vgpu_server_config cfg = { .threads = 1 };
	char sock[64], err[256], spec[80];

	snprintf(sock, sizeof(sock), "/tmp/aivisor-%s-%d.sock", tag, (int)getpid());
	cfg.socket_path = sock;
	if (vgpu_server_start(&cfg, &server, err, sizeof(err)) < 0) {
		fprintf(stderr, "vgpu server: %s\n", err);
		return -1;
	}
	snprintf(spec, sizeof(spec), "unix:%s", sock);
	if (vgpu_open(spec, gpu, err, sizeof(err)) < 0) {
		fprintf(stderr, "vgpu open: %s\n", err);
		return -1;
	}
	return 0;
}

void engine_test_vgpu_stop(struct vgpu *gpu)
{
	vgpu_close(gpu);
	vgpu_server_stop(server);
}
