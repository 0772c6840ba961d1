/*
 * lv_uuid.c - UUID text <-> bytes (see lv_uuid.h).
 */
#include "lv_uuid.h"

#include <stdio.h>

void lv_uuid_format(const unsigned char u[LV_UUID_LEN], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Accepts 32 hex digits, with or without libvirt's dashes. */
int lv_uuid_parse(const char *s, unsigned char u[LV_UUID_LEN])
{
	size_t i = 0;
	for (; *s && i < 2 * LV_UUID_LEN; s++) {
		if (*s == '-')
			continue;
		int v = hexval(*s);
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			u[i / 2] = (unsigned char)(v << 4);
		else
			u[i / 2] |= (unsigned char)v;
		i++;
	}
	return i == 2 * LV_UUID_LEN && *s == '\0' ? 0 : -1;
}
