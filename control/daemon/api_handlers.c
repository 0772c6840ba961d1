/*
 * api_handlers.c - the JSON control API's requests (protocol in
 * docs/DAEMON.md): one function per "cmd", each answering an object with
 * "ok", and the one mapping from registry errors to protocol error codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "registry_daemon.h"
#include "report.h"
#include "tenant_json.h"

#define LOGS_DEFAULT_BYTES (64 * 1024)
#define LOGS_MAX_BYTES     (256 * 1024)
#define SHUTDOWN_DEFAULT_S 10
#define SHUTDOWN_MAX_S     3600

json_t *api_error(const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code, "message", msg);
}

/* The one mapping from registry errors to protocol error codes. */
static json_t *errno_reply(int rc, const char *msg)
{
	const char *code;
	switch (-rc) {
	case ENOENT: code = "not_found"; break;
	case EEXIST: code = "exists"; break;
	case EINVAL: code = "invalid"; break;
	case EBUSY: code = "busy"; break;
	case ESRCH: code = "not_running"; break;
	case ENOSPC: case EDQUOT: code = "no_space"; break;
	case ETIMEDOUT: code = "timeout"; break;
	case EAGAIN: code = "no_capacity"; break;
	default: code = "failed"; break;
	}
	return api_error(code, "%s", msg[0] ? msg : strerror(-rc));
}

static json_t *ok_reply(void)
{
	return json_pack("{s:b}", "ok", 1);
}

/* Fetches a required tenant name argument. NULL with *reply set on error. */
static const char *name_arg(const json_t *req, json_t **reply)
{
	const json_t *n = json_object_get(req, "name");
	if (!json_is_string(n)) {
		*reply = api_error("bad_request", "missing string field 'name'");
		return NULL;
	}
	const char *s = json_string_value(n);
	if (!tenant_name_valid(s)) {
		*reply = api_error("bad_request", "'%.80s' is not a valid tenant name", s);
		return NULL;
	}
	return s;
}

static json_t *do_ping(struct registry *r, struct vgpud *v, const json_t *req)
{
	(void)req;
	return json_pack("{s:b, s:s, s:I, s:s}", "ok", 1, "daemon", "aivisord", "tenants",
			 (json_int_t)registry_count(r), "vgpu_server", vgpud_status(v));
}

static json_t *define_from(struct registry *r, const json_t *req, struct tenant_def *stored)
{
	char err[512] = "";
	struct tenant_def d;
	const json_t *def = json_object_get(req, "def");
	if (!def)
		return api_error("bad_request", "missing object field 'def'");
	if (tenant_def_from_json(def, &d, err, sizeof(err), NULL))
		return api_error("invalid", "%s", err);
	int rc = registry_define(r, &d, stored, err, sizeof(err));
	return rc ? errno_reply(rc, err) : NULL;
}

/* Starts a defined tenant; NULL with *pid set, or the error reply. */
static json_t *start_named(struct registry *r, const char *name, int *pid)
{
	char err[512] = "";
	int rc = registry_start(r, name, err, sizeof(err));
	if (rc)
		return errno_reply(rc, err);
	struct tenant_info ti;
	if (registry_lookup(r, name, &ti))
		return api_error("not_found", "tenant '%s' vanished after start", name);
	*pid = (int)ti.pid;
	return NULL;
}

static json_t *do_define(struct registry *r, struct vgpud *v, const json_t *req)
{
	(void)v;
	struct tenant_def stored;
	json_t *e = define_from(r, req, &stored);
	if (e)
		return e;
	return json_pack("{s:b, s:s, s:s}", "ok", 1, "name", stored.name, "uuid", stored.uuid);
}

static json_t *do_create(struct registry *r, struct vgpud *v, const json_t *req)
{
	(void)v;
	struct tenant_def stored;
	json_t *e = define_from(r, req, &stored);
	if (e)
		return e;
	int pid;
	e = start_named(r, stored.name, &pid);
	if (e)
		return e;
	return json_pack("{s:b, s:s, s:s, s:i}", "ok", 1, "name", stored.name, "uuid", stored.uuid, "pid", pid);
}

static json_t *do_undefine(struct registry *r, struct vgpud *v, const json_t *req)
{
	(void)v;
	json_t *reply = NULL;
	const char *name = name_arg(req, &reply);
	if (!name)
		return reply;
	char err[512] = "";
	int rc = registry_undefine(r, name, err, sizeof(err));
	return rc ? errno_reply(rc, err) : ok_reply();
}

static json_t *do_start(struct registry *r, struct vgpud *v, const json_t *req)
{
	(void)v;
	json_t *reply = NULL;
	const char *name = name_arg(req, &reply);
	if (!name)
		return reply;
	int pid;
	json_t *e = start_named(r, name, &pid);
	return e ? e : json_pack("{s:b, s:i}", "ok", 1, "pid", pid);
}

static json_t *stop(struct registry *r, const json_t *req, bool force)
{
	json_t *reply = NULL;
	const char *name = name_arg(req, &reply);
	if (!name)
		return reply;
	json_int_t timeout = SHUTDOWN_DEFAULT_S;
	const json_t *t = json_object_get(req, "timeout");
	if (t) {
		if (!json_is_integer(t) || json_integer_value(t) < 0 || json_integer_value(t) > SHUTDOWN_MAX_S)
			return api_error("bad_request", "'timeout' must be an integer 0..%d (seconds)", SHUTDOWN_MAX_S);
		timeout = json_integer_value(t);
	}
	char err[512] = "";
	int rc = registry_stop(r, name, force, (unsigned)timeout, err, sizeof(err));
	if (rc)
		return errno_reply(rc, err);
	struct tenant_info ti;
	if (registry_lookup(r, name, &ti))
		return ok_reply();
	return report_tenant_summary(&ti);
}

static json_t *do_shutdown(struct registry *r, struct vgpud *v, const json_t *req)
{
	(void)v;
	return stop(r, req, false);
}

static json_t *do_destroy(struct registry *r, struct vgpud *v, const json_t *req)
{
	(void)v;
	return stop(r, req, true);
}

static json_t *do_list(struct registry *r, struct vgpud *v, const json_t *req)
{
	const json_t *all = json_object_get(req, "all");
	if (all && !json_is_boolean(all))
		return api_error("bad_request", "'all' must be true or false");
	struct tenant_info *ti;
	size_t n;
	int rc = registry_list(r, !json_is_true(all), &ti, &n);
	if (rc)
		return errno_reply(rc, "");
	report_add_vgpu(v, ti, n, NULL, 0);
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, report_tenant_summary(&ti[i]));
	free(ti);
	return arr ? json_pack("{s:b, s:o}", "ok", 1, "tenants", arr) : NULL;
}

static json_t *do_info(struct registry *r, struct vgpud *v, const json_t *req)
{
	json_t *reply = NULL;
	const char *name = name_arg(req, &reply);
	if (!name)
		return reply;
	struct tenant_info ti;
	if (registry_lookup(r, name, &ti))
		return api_error("not_found", "no tenant named '%s'", name);
	report_add_vgpu(v, &ti, 1, NULL, 0);
	json_t *o = report_tenant_summary(&ti);
	json_t *def = tenant_def_to_json(&ti.def);
	char log[PATH_MAX];
	if (!o || !def || registry_log_path(r, name, log, sizeof(log))) {
		json_decref(o);
		json_decref(def);
		return api_error("failed", "cannot describe tenant '%s'", name);
	}
	json_object_set_new(o, "def", def);
	json_object_set_new(o, "console_log", json_string(log));
	return o;
}

static int uint_field(const json_t *req, const char *key, bool *has, unsigned *out, json_t **reply)
{
	const json_t *f = json_object_get(req, key);
	if (!f)
		return 0;
	if (!json_is_integer(f) || json_integer_value(f) < 0 || json_integer_value(f) > 1000000) {
		*reply = api_error("bad_request", "'%s' must be a non-negative integer", key);
		return -1;
	}
	*has = true;
	*out = (unsigned)json_integer_value(f);
	return 0;
}

static json_t *do_set(struct registry *r, struct vgpud *v, const json_t *req)
{
	(void)v;
	json_t *reply = NULL;
	const char *name = name_arg(req, &reply);
	if (!name)
		return reply;
	struct tenant_live_params p = { 0 };
	if (uint_field(req, "cpu_weight", &p.has_cpu_weight, &p.cpu_weight, &reply) ||
	    uint_field(req, "cpu_cap_percent", &p.has_cpu_cap_percent, &p.cpu_cap_percent, &reply) ||
	    uint_field(req, "vgpu_weight", &p.has_vgpu_weight, &p.vgpu_weight, &reply))
		return reply;
	const json_t *prio = json_object_get(req, "priority");
	if (prio) {
		if (!json_is_string(prio) || tenant_priority_parse(json_string_value(prio), &p.vgpu_priority))
			return api_error("bad_request", "'priority' must be high, normal or low");
		p.has_vgpu_priority = true;
	}
	if (!p.has_cpu_weight && !p.has_cpu_cap_percent && !p.has_vgpu_weight && !p.has_vgpu_priority)
		return api_error("bad_request", "nothing to set (cpu_weight, cpu_cap_percent, vgpu_weight, priority)");
	char err[512] = "";
	int rc = registry_set_live(r, name, &p, err, sizeof(err));
	return rc ? errno_reply(rc, err) : ok_reply();
}

/* A slice of the console log; bytes that are not valid UTF-8 become '?'
 * (JSON strings must be text). */
static json_t *do_logs(struct registry *r, struct vgpud *v, const json_t *req)
{
	(void)v;
	json_t *reply = NULL;
	const char *name = name_arg(req, &reply);
	if (!name)
		return reply;
	json_int_t max = LOGS_DEFAULT_BYTES, offset = -1;
	const json_t *m = json_object_get(req, "max_bytes"), *o = json_object_get(req, "offset");
	if (m && (!json_is_integer(m) || json_integer_value(m) < 1 || json_integer_value(m) > LOGS_MAX_BYTES))
		return api_error("bad_request", "'max_bytes' must be 1..%d", LOGS_MAX_BYTES);
	if (o && (!json_is_integer(o) || json_integer_value(o) < 0))
		return api_error("bad_request", "'offset' must be a non-negative integer");
	if (m)
		max = json_integer_value(m);
	if (o)
		offset = json_integer_value(o);
	char path[PATH_MAX];
	if (registry_log_path(r, name, path, sizeof(path)))
		return api_error("not_found", "no tenant named '%s'", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return json_pack("{s:b, s:s, s:I, s:I, s:I}", "ok", 1, "data", "", "offset", (json_int_t)0,
				 "next_offset", (json_int_t)0, "size", (json_int_t)0);
	if (fd < 0)
		return api_error("failed", "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st)) {
		close(fd);
		return api_error("failed", "cannot stat %s: %s", path, strerror(errno));
	}
	json_int_t size = st.st_size;
	/* An offset beyond the end means the log was rotated: start over. */
	if (offset < 0)
		offset = size > max ? size - max : 0;
	else if (offset > size)
		offset = 0;
	json_int_t want = size - offset < max ? size - offset : max;
	char *buf = malloc((size_t)want + 1);
	ssize_t got = buf ? pread(fd, buf, (size_t)want, offset) : -1;
	close(fd);
	if (got < 0) {
		free(buf);
		return api_error("failed", "cannot read %s: %s", path, strerror(errno));
	}
	json_t *data = json_stringn(buf, (size_t)got);
	if (!data) {
		for (ssize_t i = 0; i < got; i++)
			if ((unsigned char)buf[i] >= 0x80 || buf[i] == 0)
				buf[i] = '?';
		data = json_stringn(buf, (size_t)got);
	}
	free(buf);
	return json_pack("{s:b, s:o, s:I, s:I, s:I}", "ok", 1, "data", data, "offset", offset, "next_offset",
			 offset + (json_int_t)got, "size", size);
}

static json_t *do_stats(struct registry *r, struct vgpud *v, const json_t *req)
{
	(void)req;
	struct tenant_info *ti;
	size_t n;
	int rc = registry_list(r, false, &ti, &n);
	if (rc)
		return errno_reply(rc, "");
	char backend[32];
	report_add_vgpu(v, ti, n, backend, sizeof(backend));
	json_t *out = report_stats(ti, n, vgpud_status(v), vgpud_restarts(v), backend);
	free(ti);
	return out;
}

static const struct {
	const char *cmd;
	json_t *(*fn)(struct registry *r, struct vgpud *v, const json_t *req);
} handlers[] = {
	{ "ping", do_ping },         { "define", do_define },   { "undefine", do_undefine },
	{ "create", do_create },     { "start", do_start },     { "shutdown", do_shutdown },
	{ "destroy", do_destroy },   { "list", do_list },       { "info", do_info },
	{ "set", do_set },           { "logs", do_logs },       { "stats", do_stats },
};

json_t *api_handle(struct registry *r, struct vgpud *v, const json_t *req)
{
	if (!json_is_object(req))
		return api_error("bad_request", "a request must be a JSON object");
	const json_t *cmd = json_object_get(req, "cmd");
	if (!json_is_string(cmd))
		return api_error("bad_request", "missing string field 'cmd'");
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (!strcmp(json_string_value(cmd), handlers[i].cmd)) {
			json_t *out = handlers[i].fn(r, v, req);
			return out ? out : api_error("failed", "out of memory");
		}
	return api_error("bad_request", "unknown cmd '%.64s'", json_string_value(cmd));
}

json_t *api_handle_line(struct registry *r, struct vgpud *v, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return api_error("bad_request", "not JSON: %s (column %d)", jerr.text, jerr.column);
	json_t *out = api_handle(r, v, req);
	/* Echo the client's correlation id, when it sent one. */
	const json_t *id = json_object_get(req, "id");
	if (out && id)
		json_object_set(out, "id", (json_t *)id);
	json_decref(req);
	return out;
}

