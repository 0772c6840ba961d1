/*
 * engine_test_util.h - the set-up shared by the engine's unit tests that
 * run through the real vGPU: a vGPU server embedded in the test process,
 * on a socket of its own, and one client connection to it.
 */
#ifndef ENGINE_TEST_UTIL_H
#define ENGINE_TEST_UTIL_H

#include "vgpu_client.h"

/* Starts the server on /tmp/aivisor-<tag>-<pid>.sock and opens *gpu on it.
 * Returns 0, or -1 after printing why (cmocka then fails the group). */
int engine_test_vgpu_start(const char *tag, struct vgpu **gpu);
/* Closes gpu and stops the server engine_test_vgpu_start started. */
void engine_test_vgpu_stop(struct vgpu *gpu);

#endif
