/*
 * lv_cmdline.c - argument quoting for <os><cmdline> (see lv_cmdline.h).
 */
#include "lv_cmdline.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int lv_cmdline_split(const char *s, struct tenant_def *def, char *err, size_t errlen)
{
	def->nargs = 0;
	for (;;) {
		while (is_space(*s))
			s++;
		if (!*s)
			return 0;
		if (def->nargs == TENANT_ARGS_MAX) {
			snprintf(err, errlen, "cmdline has more than %d arguments", TENANT_ARGS_MAX);
			return -1;
		}
		char *a = def->args[def->nargs];
		size_t n = 0;
		char quote = 0;
		while (*s && (quote || !is_space(*s))) {
			char c = *s++;
			if (quote == '\'') {
				if (c == '\'') {
					quote = 0;
					continue;
				}
			} else if (quote == '"') {
				if (c == '"') {
					quote = 0;
					continue;
				}
				if (c == '\\' && (*s == '"' || *s == '\\'))
					c = *s++;
			} else if (c == '\'' || c == '"') {
				quote = c;
				continue;
			} else if (c == '\\') {
				if (!*s) {
					snprintf(err, errlen, "cmdline ends with a lone backslash");
					return -1;
				}
				c = *s++;
			}
			if (n == TENANT_ARG_MAX - 1) {
				snprintf(err, errlen, "cmdline argument %u is longer than %d bytes", def->nargs + 1, TENANT_ARG_MAX - 1);
				return -1;
			}
			a[n++] = c;
		}
		if (quote) {
			snprintf(err, errlen, "cmdline has an unterminated %c quote", quote);
			return -1;
		}
		a[n] = '\0';
		def->nargs++;
	}
}

static bool needs_quotes(const char *a)
{
	if (!*a)
		return true;
	for (; *a; a++)
		if (is_space(*a) || *a == '\'' || *a == '"' || *a == '\\')
			return true;
	return false;
}

int lv_cmdline_join(const struct tenant_def *def, char *out, size_t outsz)
{
	size_t n = 0;
#define PUT(str) do { size_t l_ = strlen(str); if (l_ >= outsz - n) return -1; memcpy(out + n, str, l_); n += l_; } while (0)
	if (outsz == 0)
		return -1;
	out[0] = '\0';
	for (unsigned i = 0; i < def->nargs && i < TENANT_ARGS_MAX; i++) {
		const char *a = def->args[i];
		if (i)
			PUT(" ");
		if (!needs_quotes(a)) {
			PUT(a);
			continue;
		}
		PUT("'");
		for (; *a; a++) {
			if (*a == '\'') {
				PUT("'\\''");
			} else {
				char c[2] = { *a, 0 };
				PUT(c);
			}
		}
		PUT("'");
	}
#undef PUT
	out[n] = '\0';
	return 0;
}
