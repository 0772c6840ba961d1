/* fuzz_engine_model.c - the model file decoder on hostile bytes.  Each
 * input is tried as is and with its checksum fixed up, so mutations reach
 * the checks behind the CRC; whatever decodes must encode back to the same
 * bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_params.h"

static void try_decode(const uint8_t *data, size_t size)
{
	struct eng_params p;
	struct eng_err err;
	uint8_t *buf;
	size_t len;

	if (eng_params_decode(data, size, "fuzz.aim", &p, &err) < 0)
		return;
	if (eng_params_encode(&p, &buf, &len, &err) < 0 || len != size ||
	    memcmp(buf, data, size) != 0)
		abort();
	free(buf);
	eng_params_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;
	uint32_t crc;

	try_decode(data, size);
	if (size < 4)
		return 0;
	fixed = malloc(size);
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	crc = eng_crc32(fixed, size - 4);
	for (int i = 0; i < 4; i++)
		fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
	try_decode(fixed, size);
	free(fixed);
	return 0;
}
