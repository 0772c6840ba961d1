/* crc32.c - CRC-32 (IEEE 802.3, as zlib) guarding model files. */
#include "engine_params.h"

uint32_t eng_crc32(const uint8_t *buf, size_t len)
{
	uint32_t c = 0xffffffffu;

	/* Bitwise: model files are small and this is not on a hot path. */
	for (size_t i = 0; i < len; i++) {
		c ^= buf[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}
