/*
 * metrics.h - Prometheus text exposition over HTTP, on 127.0.0.1:PORT or
 * a UNIX socket (GET /metrics; anything else is 404).
 */
#ifndef AIVISOR_METRICS_H
#define AIVISOR_METRICS_H

#include <stddef.h>

#include "registry.h"
#include "vgpud.h"

struct metrics_server;

/* port > 0: TCP on 127.0.0.1 only; else socket_path. */
struct metrics_server *metrics_start(int port, const char *socket_path, struct registry *r, struct vgpud *v,
				     char *err, size_t errlen);
void metrics_stop(struct metrics_server *m);

#endif
