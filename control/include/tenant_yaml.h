/*
 * tenant_yaml.h - tenant definitions from YAML config files (docs/CONFIG.md).
 *
 * A file holds one or more YAML documents ("---" separated), one tenant
 * each, with the keys of tenant_json.h. Every error names file:line.
 */
#ifndef AIVISOR_TENANT_YAML_H
#define AIVISOR_TENANT_YAML_H

#include <stddef.h>

#include "tenant.h"

/* Upper bound on a config file's size, to refuse runaway inputs early. */
#define TENANT_YAML_MAX_BYTES (1024 * 1024)
/* At most this many tenants in one file. */
#define TENANT_YAML_MAX_DOCS 256

/*
 * Parses the file at path. On success returns 0 with *defs a malloc'd array
 * of *count (>= 1) validated definitions, relative paths resolved against
 * the file's directory. On error returns -1 with "path:line: reason" in err.
 */
int tenant_yaml_load_file(const char *path, struct tenant_def **defs, size_t *count, char *err, size_t errlen);

/* The same over a buffer; name is used in messages, base_dir may be NULL. */
int tenant_yaml_load_buffer(const char *data, size_t len, const char *name, const char *base_dir,
			    struct tenant_def **defs, size_t *count, char *err, size_t errlen);

#endif
