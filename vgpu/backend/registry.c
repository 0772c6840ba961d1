/* registry.c - backends by name, for --backend. */
#include <string.h>

#include "backend.h"

const struct vgpu_backend *vgpu_backend_find(const char *name)
{
	if (!name || !strcmp(name, "openblas"))
		return &vgpu_backend_openblas;
	return NULL;
}
