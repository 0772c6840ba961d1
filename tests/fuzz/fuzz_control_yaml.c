/*
 * fuzz_control_yaml - hostile bytes as a tenant config file. Whatever is
 * accepted must be a valid definition.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tenant_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tenant_def *defs = NULL;
	size_t n = 0;
	char err[512];
	if (tenant_yaml_load_buffer((const char *)data, size, "fuzz.yaml", "/cfg", &defs, &n, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < n; i++)
			if (tenant_def_validate(&defs[i], err, sizeof(err)))
				abort();
		free(defs);
	}
	return 0;
}
