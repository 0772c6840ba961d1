/*
 * lv_cmdline.h - a tenant's program arguments <-> the one string of
 * <os><cmdline>, with sh-style quoting so arguments with spaces survive the
 * round trip: '...' literal, "..." with \" and \\, \x outside quotes.
 */
#ifndef AIVISOR_LV_CMDLINE_H
#define AIVISOR_LV_CMDLINE_H

#include <stddef.h>

#include "lv_backend.h"

/* Worst case of lv_cmdline_join: every character quoted as '\'' plus separators. */
#define LV_CMDLINE_MAX (TENANT_ARGS_MAX * (TENANT_ARG_MAX * 4 + 3))

/* Splits s into def->args/nargs; 0 or -1 with a message (too many, too long, open quote). */
int lv_cmdline_split(const char *s, struct tenant_def *def, char *err, size_t errlen);
/* Joins def->args into out[outsz]; 0 or -1 if it does not fit. */
int lv_cmdline_join(const struct tenant_def *def, char *out, size_t outsz);

#endif
