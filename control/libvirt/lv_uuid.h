/*
 * lv_uuid.h - UUIDs as the wire carries them (16 raw bytes) and as
 * tenant_def and domain XML write them (8-4-4-4-12 lowercase hex).
 */
#ifndef AIVISOR_LV_UUID_H
#define AIVISOR_LV_UUID_H

#define LV_UUID_LEN 16

void lv_uuid_format(const unsigned char uuid[LV_UUID_LEN], char out[37]);
/* Accepts 32 hex digits with or without dashes; 0, or -1 if malformed. */
int lv_uuid_parse(const char *s, unsigned char uuid[LV_UUID_LEN]);

#endif
