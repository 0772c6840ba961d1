/* vgpu_test_server.c - see vgpu_test_server.h. */
#include <stdio.h>
#include <unistd.h>

#include "vgpu_test_server.h"

struct vgpu_server *vgpu_test_server_start(const char *tag, uint32_t slice_us, char sock[VGPU_TEST_SOCK_MAX],
					   char spec[VGPU_TEST_SPEC_MAX])
{
	char err[256];
	struct vgpu_server *s;
	snprintf(sock, VGPU_TEST_SOCK_MAX, "/tmp/aivisor-%s-%d.sock", tag, (int)getpid());
	snprintf(spec, VGPU_TEST_SPEC_MAX, "unix:%s", sock);
	struct vgpu_server_config cfg = { .socket_path = sock, .threads = 1, .slice_us = slice_us };
	if (vgpu_server_start(&cfg, &s, err, sizeof(err))) {
		fprintf(stderr, "vgpu server: %s\n", err);
		return NULL;
	}
	return s;
}
