/* options.c - `--name value` parsing and checked numbers for the verbs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

static struct agent_opt *find(struct agent_opt *opts, size_t n, const char *name,
			      size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

int agent_parse_opts(int argc, char **argv, struct agent_opt *opts,
		     size_t n_opts, struct eng_err *err)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		struct agent_opt *o;

		if (strncmp(a, "--", 2) != 0)
			return eng_errorf(err, "unexpected argument '%s'", a);
		a += 2;
		eq = strchr(a, '=');
		o = find(opts, n_opts, a, eq ? (size_t)(eq - a) : strlen(a));
		if (!o)
			return eng_errorf(err, "unknown option '--%s'", a);
		if (o->is_flag) {
			if (eq)
				return eng_errorf(err, "option '--%s' takes no value", o->name);
			o->value = "1";
		} else if (eq) {
			o->value = eq + 1;
		} else if (i + 1 < argc) {
			o->value = argv[++i];
		} else {
			return eng_errorf(err, "option '--%s' needs a value", o->name);
		}
	}
	return 0;
}

const char *agent_opt(const struct agent_opt *opts, size_t n_opts,
		      const char *name)
{
	for (size_t i = 0; i < n_opts; i++)
		if (strcmp(opts[i].name, name) == 0)
			return opts[i].value;
	return NULL;
}

int agent_u32(const char *name, const char *text, uint32_t lo, uint32_t hi,
	      uint32_t *out, struct eng_err *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < lo || v > hi)
		return eng_errorf(err, "--%s %s: want an integer in %u..%u", name, text, lo, hi);
	*out = (uint32_t)v;
	return 0;
}

int agent_u64(const char *name, const char *text, uint64_t *out,
	      struct eng_err *err)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-')
		return eng_errorf(err, "--%s %s: want a non-negative integer", name, text);
	return 0;
}

int agent_double(const char *name, const char *text, double lo, double hi,
		 double *out, struct eng_err *err)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(*out) || *out < lo || *out > hi)
		return eng_errorf(err, "--%s %s: want a number in [%g, %g]", name, text, lo, hi);
	return 0;
}
