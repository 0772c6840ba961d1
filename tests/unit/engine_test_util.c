/*
 * engine_test_util.c - the real vGPU server and a connection to it, for
 * the engine's vGPU unit tests (test_engine_gradcheck, test_engine_train).
 */
#include <stdio.h>
#include <unistd.h>

#include "engine_test_util.h"
#include "vgpu_host.h"
#include "vgpu_test_server.h"

static struct vgpu_server *server;

int engine_test_vgpu_start(const char *tag, struct vgpu **gpu)
{
	char sock[VGPU_TEST_SOCK_MAX], spec[VGPU_TEST_SPEC_MAX], err[256];

	server = vgpu_test_server_start(tag, 0, sock, spec);
	if (!server)
		return -1;
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
