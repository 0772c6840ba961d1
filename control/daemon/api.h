/*
 * api.h - the control API: JSON requests over a UNIX stream socket, one
 * request per line, one response line each (docs/DAEMON.md).
 */
#ifndef AIVISOR_API_H
#define AIVISOR_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "registry.h"
#include "vgpud.h"

/* Longest request line accepted; longer ones get a "too_large" error and
 * the connection is closed (the rest of the line cannot be resynchronised). */
#define API_MAX_REQUEST (64 * 1024)
#define API_MAX_CLIENTS 64

struct api_server;

struct api_server *api_start(const char *socket_path, struct registry *r, struct vgpud *v, char *err,
			     size_t errlen);
/* Stops accepting and waits up to 3 s for requests in flight. Returns
 * false if some are still running (then the registry must not be freed). */
bool api_stop(struct api_server *s);

/* Handles one request object, returns a new response object (never NULL
 * unless out of memory). Exposed for the fuzz target and unit tests. */
json_t *api_handle(struct registry *r, struct vgpud *v, const json_t *req);

/* {"ok": false, "error": {"code": code, "message": ...}} */
json_t *api_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses one request line (not NUL-terminated) and handles it; the
 * response for a line that is not a JSON object is a "bad_request" error. */
json_t *api_handle_line(struct registry *r, struct vgpud *v, const char *line, size_t len);

#endif
