/*
 * vgpu-selftest - runs every opcode check through libvgpu and prints one
 * "ok - vgpu NAME" / "not ok - vgpu NAME: why" line each.  The same source
 * is a host program (spec from argv[1] or $AIVISOR_VGPU) and a static musl
 * guest for a microVM (spec from $AIVISOR_VGPU, set by the VMM).
 * Exit status: 0 all passed, 1 a check failed, 2 no vGPU.
 */
#include <stdio.h>

#include "selftest.h"

int main(int argc, char **argv)
{
	struct vgpu *g;
	char err[256];
	if (vgpu_open(argc > 1 ? argv[1] : NULL, &g, err, sizeof(err))) {
		printf("not ok - vgpu open: %s\n", err);
		return 2;
	}
	int failed = 0;
	for (unsigned i = 0; i < selftest_ncases; i++) {
		char why[256] = "";
		if (selftest_cases[i].run(g, why, sizeof(why))) {
			printf("not ok - vgpu %s: %s\n", selftest_cases[i].name, why);
			failed = 1;
		} else {
			printf("ok - vgpu %s\n", selftest_cases[i].name);
		}
	}
	vgpu_close(g);
	return failed;
}
