/*
 * cuda_probe_none.c - the probe in a build made without the CUDA toolkit
 * (no nvcc at build time): there is never a usable device.
 */
#include <string.h>
#include "cuda_select.h"
#include "../common/vgpu_err.h"

void cuda_probe_device(struct cuda_probe *p)
{
	memset(p, 0, sizeof *p);
	vgpu_err(p->why, sizeof p->why, 0,
		 "no CUDA device: aivisor was built without the CUDA toolkit");
}
