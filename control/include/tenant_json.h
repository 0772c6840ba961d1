/*
 * tenant_json.h - a tenant definition as a JSON object, the one schema
 * shared by the API (docs/DAEMON.md), the state files and, through
 * tenant_yaml.h, the YAML configs (docs/CONFIG.md):
 *
 *   { "name": "t1", "uuid": "...", "vcpus": 1, "memory_mib": 256,
 *     "cpu":  { "weight": 100, "cap_percent": 0, "pinning": "0-1" },
 *     "vgpu": { "priority": "normal", "weight": 1, "memory_mib": 64 },
 *     "program": "/abs/path", "args": ["a", "b"],
 *     "shares": [ { "host": "/data", "guest": "/data", "rw": false } ],
 *     "restart": "on-failure", "max_restarts": 3, "console_log": "/path",
 *     "stdin": "/path",
 *     "kind": "microvm" | "qemu", "kernel": "/path", "initrd": "/path", "job": "train ..." }
 *
 * Only name and (for kind microvm) program are required; the rest default
 * (tenant_def_init). kernel, initrd and job belong to kind qemu.
 */
#ifndef AIVISOR_TENANT_JSON_H
#define AIVISOR_TENANT_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "tenant.h"

/* New reference to an object holding every field. NULL on allocation failure. */
json_t *tenant_def_to_json(const struct tenant_def *def);

/*
 * Decodes obj into *def (starting from defaults) and validates it. Unknown
 * keys, wrong types, negative or out-of-range numbers and over-long strings
 * are errors. Returns 0, or -1 with a reason in err; *bad (when non-NULL) is
 * set to the offending node (the key's value), or to obj for errors about
 * the whole definition, so a YAML caller can report its line.
 */
int tenant_def_from_json(const json_t *obj, struct tenant_def *def, char *err, size_t errlen,
			 const json_t **bad);

/* When base_dir is non-NULL, a relative program path and relative share host
 * directories are resolved against it before validation (configs name paths
 * relative to the config file). */
int tenant_def_from_json_at(const json_t *obj, const char *base_dir, struct tenant_def *def, char *err,
			    size_t errlen, const json_t **bad);

#endif
