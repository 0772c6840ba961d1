/*
 * api.c - the JSON control API (protocol in docs/DAEMON.md).
 *
 * A thread per client connection: requests can block (a graceful shutdown
 * waits for its VM), and other clients must not wait behind them. The
 * number of clients is bounded so a flood of connections cannot exhaust
 * the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "log.h"
#include "registry_daemon.h"
#include "report.h"
#include "tenant_json.h"

#define LOGS_DEFAULT_BYTES (64 * 1024)
#define LOGS_MAX_BYTES     (256 * 1024)
#define SHUTDOWN_DEFAULT_S 10
#define SHUTDOWN_MAX_S     3600
#define CLIENT_IDLE_S      60    /* a silent client is dropped: it holds a slot */
#define STOP_DRAIN_MS      3000

struct api_server {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct registry *r;
	struct vgpud *v;
	pthread_t thread;
	atomic_int clients;
};

static json_t *error_reply(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *error_reply(const char *code, const char *fmt, ...)
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
	return error_reply(code, "%s", msg[0] ? msg : strerror(-rc));
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
		*reply = error_reply("bad_request", "missing string field 'name'");
		return NULL;
	}
	const char *s = json_string_value(n);
	if (!tenant_name_valid(s)) {
		*reply = error_reply("bad_request", "'%.80s' is not a valid tenant name", s);
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
		return error_reply("bad_request", "missing object field 'def'");
	if (tenant_def_from_json(def, &d, err, sizeof(err), NULL))
		return error_reply("invalid", "%s", err);
	int rc = registry_define(r, &d, stored, err, sizeof(err));
	return rc ? errno_reply(rc, err) : NULL;
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
	char err[512] = "";
	int rc = registry_start(r, stored.name, err, sizeof(err));
	if (rc)
		return errno_reply(rc, err);
	struct tenant_info ti;
	if (registry_lookup(r, stored.name, &ti))
		return error_reply("not_found", "tenant '%s' vanished after start", stored.name);
	return json_pack("{s:b, s:s, s:s, s:i}", "ok", 1, "name", stored.name, "uuid", stored.uuid, "pid",
			 (int)ti.pid);
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
	char err[512] = "";
	int rc = registry_start(r, name, err, sizeof(err));
	if (rc)
		return errno_reply(rc, err);
	struct tenant_info ti;
	if (registry_lookup(r, name, &ti))
		return error_reply("not_found", "tenant '%s' vanished after start", name);
	return json_pack("{s:b, s:i}", "ok", 1, "pid", (int)ti.pid);
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
			return error_reply("bad_request", "'timeout' must be an integer 0..%d (seconds)", SHUTDOWN_MAX_S);
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
		return error_reply("bad_request", "'all' must be true or false");
	struct tenant_info *ti;
	size_t n;
	int rc = registry_list(r, !json_is_true(all), &ti, &n);
	if (rc)
		return errno_reply(rc, "");
	report_add_vgpu(v, ti, n);
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
		return error_reply("not_found", "no tenant named '%s'", name);
	report_add_vgpu(v, &ti, 1);
	json_t *o = report_tenant_summary(&ti);
	json_t *def = tenant_def_to_json(&ti.def);
	char log[PATH_MAX];
	if (!o || !def || registry_log_path(r, name, log, sizeof(log))) {
		json_decref(o);
		json_decref(def);
		return error_reply("failed", "cannot describe tenant '%s'", name);
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
		*reply = error_reply("bad_request", "'%s' must be a non-negative integer", key);
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
			return error_reply("bad_request", "'priority' must be high, normal or low");
		p.has_vgpu_priority = true;
	}
	if (!p.has_cpu_weight && !p.has_cpu_cap_percent && !p.has_vgpu_weight && !p.has_vgpu_priority)
		return error_reply("bad_request", "nothing to set (cpu_weight, cpu_cap_percent, vgpu_weight, priority)");
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
		return error_reply("bad_request", "'max_bytes' must be 1..%d", LOGS_MAX_BYTES);
	if (o && (!json_is_integer(o) || json_integer_value(o) < 0))
		return error_reply("bad_request", "'offset' must be a non-negative integer");
	if (m)
		max = json_integer_value(m);
	if (o)
		offset = json_integer_value(o);
	char path[PATH_MAX];
	if (registry_log_path(r, name, path, sizeof(path)))
		return error_reply("not_found", "no tenant named '%s'", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return json_pack("{s:b, s:s, s:I, s:I, s:I}", "ok", 1, "data", "", "offset", (json_int_t)0,
				 "next_offset", (json_int_t)0, "size", (json_int_t)0);
	if (fd < 0)
		return error_reply("failed", "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st)) {
		close(fd);
		return error_reply("failed", "cannot stat %s: %s", path, strerror(errno));
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
		return error_reply("failed", "cannot read %s: %s", path, strerror(errno));
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
	report_add_vgpu(v, ti, n);
	json_t *out = report_stats(ti, n, vgpud_status(v), vgpud_restarts(v));
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
		return error_reply("bad_request", "a request must be a JSON object");
	const json_t *cmd = json_object_get(req, "cmd");
	if (!json_is_string(cmd))
		return error_reply("bad_request", "missing string field 'cmd'");
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (!strcmp(json_string_value(cmd), handlers[i].cmd)) {
			json_t *out = handlers[i].fn(r, v, req);
			return out ? out : error_reply("failed", "out of memory");
		}
	return error_reply("bad_request", "unknown cmd '%.64s'", json_string_value(cmd));
}

json_t *api_handle_line(struct registry *r, struct vgpud *v, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return error_reply("bad_request", "not JSON: %s (column %d)", jerr.text, jerr.column);
	json_t *out = api_handle(r, v, req);
	/* Echo the client's correlation id, when it sent one. */
	const json_t *id = json_object_get(req, "id");
	if (out && id)
		json_object_set(out, "id", (json_t *)id);
	json_decref(req);
	return out;
}

static int send_reply(int fd, json_t *reply)
{
	char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	json_decref(reply);
	if (!text)
		text = strdup("{\"ok\":false,\"error\":{\"code\":\"failed\",\"message\":\"out of memory\"}}");
	if (!text)
		return -1;
	size_t len = strlen(text);
	int rc = 0;
	struct iovec iov[2] = { { text, len }, { "\n", 1 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	/* A short write on a stream socket leaves the tail for the next loop. */
	size_t left = len + 1;
	while (left) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -1;
			break;
		}
		left -= (size_t)n;
		while (n > 0 && mh.msg_iovlen) {
			size_t take = (size_t)n < mh.msg_iov->iov_len ? (size_t)n : mh.msg_iov->iov_len;
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + take;
			mh.msg_iov->iov_len -= take;
			n -= (ssize_t)take;
			if (!mh.msg_iov->iov_len) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
	free(text);
	return rc;
}

/* Before closing on a client still sending: closing with unread input
 * makes the kernel reset the connection, which can destroy the error reply
 * in flight. Read and drop a bounded amount for a bounded time first. */
static void drain(int fd)
{
	char sink[65536];
	struct timeval tv = { 1, 0 };
	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < 256 && read(fd, sink, sizeof(sink)) > 0; i++)
		;
}

struct client {
	struct api_server *s;
	int fd;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct api_server *s = c->s;
	char *buf = malloc(API_MAX_REQUEST + 1);
	size_t have = 0;
	while (buf) {
		char *nl = memchr(buf, '\n', have);
		if (nl) {
			size_t len = (size_t)(nl - buf);
			json_t *reply = len ? api_handle_line(s->r, s->v, buf, len) : NULL;
			memmove(buf, nl + 1, have - len - 1);
			have -= len + 1;
			if (reply && send_reply(c->fd, reply))
				break;
			continue;
		}
		if (have == API_MAX_REQUEST) {
			send_reply(c->fd, error_reply("too_large", "request longer than %d bytes", API_MAX_REQUEST));
			drain(c->fd);
			break;
		}
		ssize_t n = read(c->fd, buf + have, API_MAX_REQUEST - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* A last request without its newline still gets an answer. */
			if (n == 0 && have)
				send_reply(c->fd, api_handle_line(s->r, s->v, buf, have));
			break;
		}
		have += (size_t)n;
	}
	free(buf);
	close(c->fd);
	atomic_fetch_sub(&s->clients, 1);
	free(c);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct api_server *s = arg;
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINVAL || errno == EBADF)
				return NULL; /* listening socket shut down */
			if (errno != EINTR && errno != ECONNABORTED)
				log_warn("api: accept: %s", strerror(errno));
			continue;
		}
		if (atomic_fetch_add(&s->clients, 1) >= API_MAX_CLIENTS) {
			atomic_fetch_sub(&s->clients, 1);
			send_reply(fd, error_reply("busy", "too many clients (at most %d)", API_MAX_CLIENTS));
			close(fd);
			continue;
		}
		struct timeval idle = { CLIENT_IDLE_S, 0 };
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle)))
			log_warn("api: cannot set a client timeout: %s", strerror(errno));
		struct client *c = malloc(sizeof(*c));
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (!c || (c->s = s, c->fd = fd, pthread_create(&t, &attr, client_main, c))) {
			log_warn("api: cannot serve a client: out of resources");
			free(c);
			close(fd);
			atomic_fetch_sub(&s->clients, 1);
		}
		pthread_attr_destroy(&attr);
	}
}

struct api_server *api_start(const char *path, struct registry *r, struct vgpud *v, char *err, size_t errlen)
{
	struct api_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
		free(s);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	strcpy(s->path, path);
	s->r = r;
	s->v = v;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		free(s);
		return NULL;
	}
	/* A socket file left by a dead daemon is replaced; a live one is not. */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
		close(probe);
		snprintf(err, errlen, "another daemon is serving %s", path);
		goto fail;
	}
	if (probe >= 0)
		close(probe);
	if (unlink(path) && errno != ENOENT) {
		snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
		goto fail;
	}
	mode_t old = umask(0077); /* the API is root's: the socket is 0600 */
	int rc = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc || listen(s->fd, 64)) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		goto fail;
	}
	if ((rc = pthread_create(&s->thread, NULL, accept_main, s))) {
		snprintf(err, errlen, "cannot start the API thread: %s", strerror(rc));
		unlink(path);
		goto fail;
	}
	log_info("api: listening on %s", path);
	return s;
fail:
	close(s->fd);
	free(s);
	return NULL;
}

bool api_stop(struct api_server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(s->thread, NULL);
	unlink(s->path);
	/* Requests in flight (a shutdown waiting for its VM) still use the
	 * registry: give them a moment to finish. */
	int waited = 0;
	while (atomic_load(&s->clients) > 0 && waited < STOP_DRAIN_MS) {
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
		waited += 10;
	}
	bool drained = atomic_load(&s->clients) == 0;
	if (drained)
		free(s); /* else client threads still hold s: it dies with the process */
	return drained;
}
