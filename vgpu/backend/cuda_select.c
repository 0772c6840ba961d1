/*
 * cuda_select.c - backend choice over a probe result (see cuda_select.h).
 */
#include "cuda_select.h"

#include <errno.h>
#include <string.h>
#include "../common/vgpu_err.h"

const char *vgpu_backend_name(enum vgpu_backend_kind kind)
{
	return kind == VGPU_BACKEND_CUDA ? "cuda" : "openblas";
}

static void describe_device(const struct cuda_probe *p, char *why, size_t whylen)
{
	vgpu_err(why, whylen, 0, "CUDA device 0: %s (sm_%d%d, %llu MiB)", p->name,
		 p->cc_major, p->cc_minor, (unsigned long long)(p->mem_total >> 20));
}

int cuda_select_backend(const char *requested, const struct cuda_probe *p,
			enum vgpu_backend_kind *kind, char *why, size_t whylen)
{
	if (requested == NULL || strcmp(requested, "auto") == 0) {
		if (p->usable) {
			*kind = VGPU_BACKEND_CUDA;
			describe_device(p, why, whylen);
		} else {
			*kind = VGPU_BACKEND_OPENBLAS;
			vgpu_err(why, whylen, 0, "%s; using openblas", p->why);
		}
		return 0;
	}
	if (strcmp(requested, "openblas") == 0) {
		*kind = VGPU_BACKEND_OPENBLAS;
		return vgpu_err(why, whylen, 0, "openblas requested");
	}
	if (strcmp(requested, "cuda") == 0) {
		if (!p->usable)
			return vgpu_err(why, whylen, -ENODEV, "backend cuda requested but %s",
					p->why);
		*kind = VGPU_BACKEND_CUDA;
		describe_device(p, why, whylen);
		return 0;
	}
	return vgpu_err(why, whylen, -EINVAL,
			"unknown backend '%.40s' (want auto, cuda or openblas)", requested);
}
