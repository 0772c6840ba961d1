/*
 * registry.c - backends by name, for --backend.  The CUDA backend is
 * there only in builds with the CUDA toolkit (vgpu/cuda.mk defines
 * AIVISOR_WITH_CUDA); "auto" picks it when a usable GPU is found.
 */
#include <errno.h>
#include <string.h>

#include "backend.h"
#include "../common/vgpu_err.h"
#ifdef AIVISOR_WITH_CUDA
#include "cuda_backend.h"
#include "cuda_select.h"
#endif

const struct vgpu_backend *vgpu_backend_find(const char *name, char *why, size_t whylen)
{
	if (!name || !strcmp(name, "openblas"))
		return &vgpu_backend_openblas;
#ifdef AIVISOR_WITH_CUDA
	if (!strcmp(name, "cuda") || !strcmp(name, "auto")) {
		struct cuda_probe p;
		enum vgpu_backend_kind kind;
		cuda_probe_device(&p);
		if (cuda_select_backend(name, &p, &kind, why, whylen))
			return NULL;
		return kind == VGPU_BACKEND_CUDA ? &vgpu_backend_cuda : &vgpu_backend_openblas;
	}
	vgpu_err(why, whylen, -EINVAL, "unknown backend '%s' (have: openblas, cuda, auto)", name);
#else
	if (!strcmp(name, "auto"))
		return &vgpu_backend_openblas;
	vgpu_err(why, whylen, -EINVAL, "unknown backend '%s' (have: openblas, auto; the CUDA backend is in aivisor-vgpud-cuda)",
		 name);
#endif
	return NULL;
}
