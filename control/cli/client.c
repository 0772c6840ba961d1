/*
 * client.c - one request/reply exchange with aivisord over its socket.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_SOCKET "/run/aivisor/aivisord.sock"
#define REPLY_MAX (64u << 20)

const char *cli_socket_path(void)
{
	const char *s = getenv("AIVISOR_SOCKET");
	return s && *s ? s : DEFAULT_SOCKET;
}

int cli_exit_for(const char *code)
{
	static const struct {
		const char *code;
		int exit;
	} map[] = {
		{ "not_found", CLI_NOT_FOUND }, { "invalid", CLI_INVALID },       { "bad_request", CLI_USAGE },
		{ "exists", CLI_CONFLICT },     { "busy", CLI_CONFLICT },         { "not_running", CLI_CONFLICT },
		{ "no_capacity", CLI_NO_CAPACITY },
	};
	for (size_t i = 0; code && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(code, map[i].code))
			return map[i].exit;
	return CLI_FAILED;
}

static int connect_daemon(void)
{
	const char *path = cli_socket_path();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "aivisor: socket path %s is too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "aivisor: cannot reach aivisord at %s: %s (is it running? see `aivisor daemon`)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

json_t *cli_call(json_t *req, int *code)
{
	*code = CLI_FAILED;
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text) {
		fprintf(stderr, "aivisor: out of memory\n");
		return NULL;
	}
	int fd = connect_daemon();
	if (fd < 0) {
		free(text);
		*code = CLI_NO_DAEMON;
		return NULL;
	}
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps' NUL becomes the request's newline */
	size_t off = 0;
	while (off < len + 1) {
		ssize_t n = send(fd, text + off, len + 1 - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "aivisor: sending to aivisord: %s\n", strerror(errno));
			free(text);
			close(fd);
			return NULL;
		}
		off += (size_t)n;
	}
	free(text);
	size_t cap = 65536, have = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (have && buf[have - 1] == '\n')
			break;
		if (have == cap) {
			char *nb = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + have, cap - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	if (!buf || !have) {
		fprintf(stderr, "aivisor: aivisord closed the connection without a reply\n");
		free(buf);
		return NULL;
	}
	json_error_t jerr;
	json_t *reply = json_loadb(buf, have, 0, &jerr);
	free(buf);
	if (!json_is_object(reply)) {
		fprintf(stderr, "aivisor: unreadable reply from aivisord: %s\n", jerr.text);
		json_decref(reply);
		return NULL;
	}
	if (json_is_true(json_object_get(reply, "ok"))) {
		*code = CLI_OK;
	} else {
		const json_t *e = json_object_get(reply, "error");
		const char *c = json_string_value(json_object_get(e, "code"));
		const char *m = json_string_value(json_object_get(e, "message"));
		fprintf(stderr, "aivisor: %s\n", m ? m : "request failed");
		*code = cli_exit_for(c);
	}
	return reply;
}

int cli_simple(json_t *req)
{
	int code;
	json_decref(cli_call(req, &code));
	return code;
}

int cli_exec_sibling(const char *prog, int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "aivisor: cannot find own path: %s\n", strerror(errno));
		return CLI_FAILED;
	}
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	char path[PATH_MAX];
	if (!slash || snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - self), self, prog) >= (int)sizeof(path)) {
		fprintf(stderr, "aivisor: path too long\n");
		return CLI_FAILED;
	}
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args) {
		fprintf(stderr, "aivisor: out of memory\n");
		return CLI_FAILED;
	}
	args[0] = (char *)prog;
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	execv(path, args);
	fprintf(stderr, "aivisor: cannot run %s: %s\n", path, strerror(errno));
	free(args);
	return CLI_FAILED;
}
