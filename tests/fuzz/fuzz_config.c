/*
 * Fuzz target: tenant configs (YAML, via libyaml) and the JSON form of a
 * tenant definition the daemon's API accepts.  Anything a user or client
 * writes must parse to a valid definition or a clear error, never crash;
 * a definition that parses must survive a JSON round trip unchanged.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tenant.h"
#include "tenant_json.h"
#include "tenant_yaml.h"

static void roundtrip(const struct tenant_def *d)
{
	json_t *j = tenant_def_to_json(d);
	if (!j)
		abort();
	struct tenant_def back;
	char err[256];
	const json_t *bad = NULL;
	if (tenant_def_from_json_at(j, "/", &back, err, sizeof(err), &bad) != 0)
		abort(); /* what we emit we must accept */
	json_t *again = tenant_def_to_json(&back);
	if (!again || !json_equal(j, again))
		abort();
	json_decref(again);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	if (size == 0)
		return 0;
	/* First byte picks the parser so one corpus exercises both. */
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (data[0] & 1) {
		struct tenant_def *defs = NULL;
		size_t n = 0;
		if (tenant_yaml_load_buffer(text, len, "fuzz.yaml", "/", &defs, &n, err, sizeof(err)) == 0) {
			for (size_t i = 0; i < n; i++) {
				if (tenant_def_validate(&defs[i], err, sizeof(err)) != 0)
					abort(); /* the loader must only return valid definitions */
				roundtrip(&defs[i]);
			}
		} else if (err[0] == '\0') {
			abort(); /* every refusal says why */
		}
		free(defs);
	} else {
		json_error_t jerr;
		json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!j)
			return 0;
		struct tenant_def d;
		const json_t *bad = NULL;
		err[0] = '\0';
		if (tenant_def_from_json_at(j, "/", &d, err, sizeof(err), &bad) == 0)
			roundtrip(&d);
		else if (err[0] == '\0')
			abort();
		json_decref(j);
	}
	return 0;
}
