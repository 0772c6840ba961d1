/*
 * fuzz_control_def - hostile JSON as a tenant definition (what the API's
 * define/create and the state files carry). An accepted definition must
 * validate and survive a round trip through its JSON form unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tenant_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return 0;
	struct tenant_def d, back;
	char err[512];
	if (tenant_def_from_json(j, &d, err, sizeof(err), NULL) == 0) {
		json_t *again = tenant_def_to_json(&d);
		if (!again || tenant_def_from_json(again, &back, err, sizeof(err), NULL) ||
		    memcmp(&d, &back, sizeof(d)))
			abort();
		json_decref(again);
	}
	json_decref(j);
	return 0;
}
