/*
 * tenant_json.c - tenant definition <-> JSON object.
 *
 * The decoder is strict on purpose: everything it reads comes from a
 * client, a config file or a state file, so an unknown key is more likely a
 * typo than an extension, and silently ignoring it would run the tenant
 * with a setting the user did not ask for.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tenant_json.h"

json_t *tenant_def_to_json(const struct tenant_def *d)
{
	json_t *args = json_array();
	json_t *shares = json_array();
	if (!args || !shares)
		goto fail;
	for (unsigned i = 0; i < d->nargs && i < TENANT_ARGS_MAX; i++)
		if (json_array_append_new(args, json_string(d->args[i])))
			goto fail;
	for (unsigned i = 0; i < d->nshares && i < TENANT_SHARES_MAX; i++) {
		const struct tenant_share *s = &d->shares[i];
		if (json_array_append_new(shares, json_pack("{s:s, s:s, s:b}", "host", s->host_dir, "guest",
							      s->guest_dir, "rw", s->rw)))
			goto fail;
	}
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:{s:I, s:I, s:s}, s:{s:s, s:I, s:I}, s:s, s:o, s:o, s:s, s:I, "
			 "s:s, s:s, s:s, s:s, s:s}",
			 "name", d->name, "uuid", d->uuid, "kind", tenant_kind_name(d->kind), "vcpus", (json_int_t)d->vcpus, "memory_mib",
			 (json_int_t)d->memory_mib, "cpu", "weight", (json_int_t)d->cpu_weight, "cap_percent",
			 (json_int_t)d->cpu_cap_percent, "pinning", d->cpu_pinning, "vgpu", "priority",
			 tenant_priority_name(d->vgpu_priority), "weight", (json_int_t)d->vgpu_weight, "memory_mib",
			 (json_int_t)d->vgpu_memory_mib, "program", d->program, "args", args, "shares", shares,
			 "restart", tenant_restart_name(d->restart), "max_restarts", (json_int_t)d->max_restarts,
			 "console_log", d->console_log, "stdin", d->stdin_path, "kernel", d->kernel, "initrd",
			 d->initrd, "job", d->job);
fail:
	json_decref(args);
	json_decref(shares);
	return NULL;
}

struct decoder {
	char *err;
	size_t errlen;
	const json_t **bad;
	const char *base_dir;
};

static int fail_at(struct decoder *dc, const json_t *node, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (dc->err && dc->errlen)
		vsnprintf(dc->err, dc->errlen, fmt, ap);
	va_end(ap);
	if (dc->bad)
		*dc->bad = node;
	return -1;
}

static int get_uint(struct decoder *dc, const char *key, const json_t *v, uint64_t max, uint64_t *out)
{
	if (!json_is_integer(v))
		return fail_at(dc, v, "%s: must be an integer", key);
	json_int_t i = json_integer_value(v);
	if (i < 0)
		return fail_at(dc, v, "%s: %lld is negative", key, (long long)i);
	if ((uint64_t)i > max)
		return fail_at(dc, v, "%s: %lld exceeds %llu", key, (long long)i, (unsigned long long)max);
	*out = (uint64_t)i;
	return 0;
}

static int get_unsigned(struct decoder *dc, const char *key, const json_t *v, unsigned *out)
{
	uint64_t u = 0;
	if (get_uint(dc, key, v, UINT_MAX, &u))
		return -1;
	*out = (unsigned)u;
	return 0;
}

static int get_str(struct decoder *dc, const char *key, const json_t *v, char *out, size_t size)
{
	if (!json_is_string(v))
		return fail_at(dc, v, "%s: must be a string", key);
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (memchr(s, '\0', n))
		return fail_at(dc, v, "%s: contains a NUL byte", key);
	if (n >= size)
		return fail_at(dc, v, "%s: longer than %zu bytes", key, size - 1);
	memcpy(out, s, n + 1);
	return 0;
}

/* Collapses "//", "/./" and "dir/.." lexically in an absolute path, in
 * place: a config's "../datasets" names a real place, and the validator
 * rightly refuses ".." in what reaches the VMM. ".." above "/" stays "/". */
static void normalize_path(char *p)
{
	char *out = p + 1;
	const char *in = p + 1;
	while (*in) {
		const char *end = strchr(in, '/');
		size_t len = end ? (size_t)(end - in) : strlen(in);
		if (len == 0 || (len == 1 && in[0] == '.')) {
			/* skip */
		} else if (len == 2 && in[0] == '.' && in[1] == '.') {
			if (out > p + 1) {
				out--; /* past the '/' that ended the last component */
				while (out > p + 1 && out[-1] != '/')
					out--;
			}
		} else {
			memmove(out, in, len);
			out += len;
			*out++ = '/';
		}
		in += len + (end ? 1 : 0);
	}
	if (out > p + 1)
		out--; /* no trailing slash */
	*out = '\0';
}

/* A path that may be given relative to the config file's directory. */
static int get_path(struct decoder *dc, const char *key, const json_t *v, char *out, size_t size)
{
	if (get_str(dc, key, v, out, size))
		return -1;
	if (out[0] && out[0] != '/' && dc->base_dir) {
		char tmp[TENANT_PATH_MAX];
		int n = snprintf(tmp, sizeof(tmp), "%s/%s", dc->base_dir, out);
		if (n < 0 || (size_t)n >= size || (size_t)n >= sizeof(tmp))
			return fail_at(dc, v, "%s: longer than %zu bytes once made absolute", key, size - 1);
		memcpy(out, tmp, (size_t)n + 1);
		normalize_path(out);
	}
	return 0;
}

static int get_bool(struct decoder *dc, const char *key, const json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return fail_at(dc, v, "%s: must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static int decode_cpu(struct decoder *dc, const json_t *obj, struct tenant_def *d)
{
	const char *k;
	const json_t *v;
	if (!json_is_object(obj))
		return fail_at(dc, obj, "cpu: must be a mapping (weight, cap_percent, pinning)");
	json_object_foreach((json_t *)obj, k, v) {
		int rc;
		if (!strcmp(k, "weight"))
			rc = get_unsigned(dc, "cpu.weight", v, &d->cpu_weight);
		else if (!strcmp(k, "cap_percent"))
			rc = get_unsigned(dc, "cpu.cap_percent", v, &d->cpu_cap_percent);
		else if (!strcmp(k, "pinning"))
			rc = get_str(dc, "cpu.pinning", v, d->cpu_pinning, sizeof(d->cpu_pinning));
		else
			rc = fail_at(dc, v, "cpu: unknown key '%.64s' (known: weight, cap_percent, pinning)", k);
		if (rc)
			return rc;
	}
	return 0;
}

static int decode_vgpu(struct decoder *dc, const json_t *obj, struct tenant_def *d)
{
	const char *k;
	const json_t *v;
	if (!json_is_object(obj))
		return fail_at(dc, obj, "vgpu: must be a mapping (priority, weight, memory_mib)");
	json_object_foreach((json_t *)obj, k, v) {
		int rc;
		if (!strcmp(k, "priority")) {
			if (!json_is_string(v) || tenant_priority_parse(json_string_value(v), &d->vgpu_priority))
				return fail_at(dc, v, "vgpu.priority: must be high, normal or low");
			rc = 0;
		} else if (!strcmp(k, "weight")) {
			rc = get_unsigned(dc, "vgpu.weight", v, &d->vgpu_weight);
		} else if (!strcmp(k, "memory_mib")) {
			rc = get_uint(dc, "vgpu.memory_mib", v, UINT64_MAX / 2, &d->vgpu_memory_mib);
		} else {
			rc = fail_at(dc, v, "vgpu: unknown key '%.64s' (known: priority, weight, memory_mib)", k);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int decode_args(struct decoder *dc, const json_t *arr, struct tenant_def *d)
{
	if (!json_is_array(arr))
		return fail_at(dc, arr, "args: must be a list of strings");
	if (json_array_size(arr) > TENANT_ARGS_MAX)
		return fail_at(dc, arr, "args: %zu arguments, at most %d", json_array_size(arr), TENANT_ARGS_MAX);
	size_t i;
	const json_t *v;
	json_array_foreach((json_t *)arr, i, v) {
		char key[32];
		snprintf(key, sizeof(key), "args[%zu]", i);
		/* Numbers in a YAML list are still arguments: accept them as text. */
		if (json_is_integer(v)) {
			snprintf(d->args[i], TENANT_ARG_MAX, "%lld", (long long)json_integer_value(v));
		} else if (get_str(dc, key, v, d->args[i], TENANT_ARG_MAX)) {
			return -1;
		}
	}
	d->nargs = (unsigned)json_array_size(arr);
	return 0;
}

static int decode_share(struct decoder *dc, size_t i, const json_t *obj, struct tenant_share *s)
{
	const char *k;
	const json_t *v;
	char key[48];
	bool has_host = false;
	if (!json_is_object(obj))
		return fail_at(dc, obj, "shares[%zu]: must be a mapping (host, guest, rw)", i);
	json_object_foreach((json_t *)obj, k, v) {
		int rc;
		if (!strcmp(k, "host")) {
			snprintf(key, sizeof(key), "shares[%zu].host", i);
			rc = get_path(dc, key, v, s->host_dir, sizeof(s->host_dir));
			has_host = true;
		} else if (!strcmp(k, "guest")) {
			snprintf(key, sizeof(key), "shares[%zu].guest", i);
			rc = get_str(dc, key, v, s->guest_dir, sizeof(s->guest_dir));
		} else if (!strcmp(k, "rw")) {
			snprintf(key, sizeof(key), "shares[%zu].rw", i);
			rc = get_bool(dc, key, v, &s->rw);
		} else {
			rc = fail_at(dc, v, "shares[%zu]: unknown key '%.64s' (known: host, guest, rw)", i, k);
		}
		if (rc)
			return rc;
	}
	if (!has_host)
		return fail_at(dc, obj, "shares[%zu]: missing host", i);
	return 0;
}

static int decode_shares(struct decoder *dc, const json_t *arr, struct tenant_def *d)
{
	if (!json_is_array(arr))
		return fail_at(dc, arr, "shares: must be a list of mappings");
	if (json_array_size(arr) > TENANT_SHARES_MAX)
		return fail_at(dc, arr, "shares: %zu shares, at most %d", json_array_size(arr), TENANT_SHARES_MAX);
	size_t i;
	const json_t *v;
	json_array_foreach((json_t *)arr, i, v) {
		if (decode_share(dc, i, v, &d->shares[i]))
			return -1;
	}
	d->nshares = (unsigned)json_array_size(arr);
	return 0;
}

static int decode_field(struct decoder *dc, const char *k, const json_t *v, struct tenant_def *d)
{
	if (!strcmp(k, "name"))
		return get_str(dc, "name", v, d->name, sizeof(d->name));
	if (!strcmp(k, "uuid"))
		return get_str(dc, "uuid", v, d->uuid, sizeof(d->uuid));
	if (!strcmp(k, "vcpus"))
		return get_unsigned(dc, "vcpus", v, &d->vcpus);
	if (!strcmp(k, "memory_mib"))
		return get_uint(dc, "memory_mib", v, UINT64_MAX / 2, &d->memory_mib);
	if (!strcmp(k, "cpu"))
		return decode_cpu(dc, v, d);
	if (!strcmp(k, "vgpu"))
		return decode_vgpu(dc, v, d);
	if (!strcmp(k, "program"))
		return get_path(dc, "program", v, d->program, sizeof(d->program));
	if (!strcmp(k, "args"))
		return decode_args(dc, v, d);
	if (!strcmp(k, "shares"))
		return decode_shares(dc, v, d);
	if (!strcmp(k, "restart")) {
		if (!json_is_string(v) || tenant_restart_parse(json_string_value(v), &d->restart))
			return fail_at(dc, v, "restart: must be no, on-failure or always");
		return 0;
	}
	if (!strcmp(k, "max_restarts"))
		return get_unsigned(dc, "max_restarts", v, &d->max_restarts);
	if (!strcmp(k, "console_log"))
		return get_path(dc, "console_log", v, d->console_log, sizeof(d->console_log));
	if (!strcmp(k, "stdin"))
		return get_path(dc, "stdin", v, d->stdin_path, sizeof(d->stdin_path));
	if (!strcmp(k, "kind")) {
		if (!json_is_string(v) || tenant_kind_parse(json_string_value(v), &d->kind))
			return fail_at(dc, v, "kind: must be microvm or qemu");
		return 0;
	}
	if (!strcmp(k, "kernel"))
		return get_path(dc, "kernel", v, d->kernel, sizeof(d->kernel));
	if (!strcmp(k, "initrd"))
		return get_path(dc, "initrd", v, d->initrd, sizeof(d->initrd));
	if (!strcmp(k, "job"))
		return get_str(dc, "job", v, d->job, sizeof(d->job));
	return fail_at(dc, v,
		       "unknown key '%.64s' (known: name, uuid, kind, vcpus, memory_mib, cpu, vgpu, program, args, "
		       "shares, restart, max_restarts, console_log, stdin, kernel, initrd, job)",
		       k);
}

int tenant_def_from_json_at(const json_t *obj, const char *base_dir, struct tenant_def *d, char *err,
			    size_t errlen, const json_t **bad)
{
	struct decoder dc = { err, errlen, bad, base_dir };
	const char *k;
	const json_t *v;
	tenant_def_init(d);
	if (!json_is_object(obj))
		return fail_at(&dc, obj, "a tenant definition must be a mapping");
	json_object_foreach((json_t *)obj, k, v) {
		if (decode_field(&dc, k, v, d))
			return -1;
	}
	if (!json_object_get(obj, "name"))
		return fail_at(&dc, obj, "name: missing");
	if (d->kind == TENANT_KIND_MICROVM && !json_object_get(obj, "program"))
		return fail_at(&dc, obj, "program: missing");
	if (tenant_def_validate(d, err, errlen)) {
		/* Point at the field the reason names, when it is a top-level key. */
		const json_t *node = obj;
		char key[32];
		if (sscanf(err, "%31[a-z_]", key) == 1 && json_object_get(obj, key))
			node = json_object_get(obj, key);
		if (bad)
			*bad = node;
		return -1;
	}
	return 0;
}

int tenant_def_from_json(const json_t *obj, struct tenant_def *d, char *err, size_t errlen, const json_t **bad)
{
	return tenant_def_from_json_at(obj, NULL, d, err, errlen, bad);
}
