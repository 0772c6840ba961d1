/*
 * model_io.c - a model in the vGPU to a model file and back (Keras'
 * model.save / load_model), through the host-side parameters.
 */
#include "model_internal.h"

int eng_model_save(struct eng_model *m, const char *path, size_t *file_bytes,
		   struct eng_err *err)
{
	struct eng_params p;
	int rc;

	if (eng_model_to_params(m, &p, err) < 0)
		return -1;
	rc = eng_params_save(&p, path, err);
	if (file_bytes)
		*file_bytes = eng_params_file_size(&p);
	eng_params_free(&p);
	return rc;
}

int eng_model_load(struct vgpu *g, const char *path, struct eng_model **m,
		   size_t *file_bytes, struct eng_err *err)
{
	struct eng_params p;
	int rc;

	if (eng_params_load(path, &p, err) < 0)
		return -1;
	if (file_bytes)
		*file_bytes = eng_params_file_size(&p);
	rc = eng_model_from_params(g, &p, m, err);
	eng_params_free(&p);
	return rc;
}
