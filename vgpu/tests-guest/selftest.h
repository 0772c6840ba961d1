/*
 * selftest.h - numerical checks of every vGPU opcode against plain C
 * reference code, through libvgpu.  The same cases run in a cmocka unit
 * test (host-process tenant of an embedded server), in aivisor-vgpu-selftest
 * against aivisor-vgpud, and as a static guest program in a microVM.
 */
#ifndef VGPU_SELFTEST_H
#define VGPU_SELFTEST_H

#include <stddef.h>
#include "vgpu_client.h"

struct selftest_case {
	const char *name;
	/* Returns 0, or -1 with the reason in why. */
	int (*run)(struct vgpu *g, char *why, size_t whylen);
};

extern const struct selftest_case selftest_cases[];
extern const unsigned selftest_ncases;

#endif
