/* vgpu_test_server.h - the real vGPU server inside a unit test's process. */
#ifndef VGPU_TEST_SERVER_H
#define VGPU_TEST_SERVER_H

#include <stdint.h>

#include "vgpu_host.h"

#define VGPU_TEST_SOCK_MAX 64
#define VGPU_TEST_SPEC_MAX 80

/* Starts the server on /tmp/aivisor-<tag>-<pid>.sock with one backend
 * thread (slice_us 0: the default slice).  sock receives the path, spec
 * "unix:<path>" for vgpu_open.  NULL on failure, after a message. */
struct vgpu_server *vgpu_test_server_start(const char *tag, uint32_t slice_us, char sock[VGPU_TEST_SOCK_MAX],
					   char spec[VGPU_TEST_SPEC_MAX]);

#endif
