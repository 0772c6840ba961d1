/*
 * metrics.c - a minimal HTTP/1.0 responder for Prometheus scrapes.
 *
 * One thread, one request per connection, a 2 s read deadline: a scraper
 * is the only expected client, and a slow or hostile one must not pin the
 * daemon.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "report.h"

struct metrics_server {
	int fd;
	char path[108];
	struct registry *r;
	struct vgpud *v;
	pthread_t thread;
};

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the scraper went away; nothing to answer */
		p += n;
		len -= (size_t)n;
	}
}

static void respond(struct metrics_server *m, int fd)
{
	char req[2048];
	size_t have = 0;
	struct timeval tv = { 2, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (have < sizeof(req) - 1 && !memmem(req, have, "\r\n\r\n", 4) && !memmem(req, have, "\n\n", 2)) {
		ssize_t n = read(fd, req + have, sizeof(req) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	req[have] = '\0';
	char hdr[256];
	if (strncmp(req, "GET /metrics ", 13) && strncmp(req, "GET /metrics\r", 13)) {
		const char *body = "not found: try GET /metrics\n";
		int n = snprintf(hdr, sizeof(hdr),
				 "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
				 strlen(body));
		write_all(fd, hdr, (size_t)n);
		write_all(fd, body, strlen(body));
		return;
	}
	struct tenant_info *ti = NULL;
	size_t count = 0;
	char *body = NULL;
	if (!registry_list(m->r, false, &ti, &count)) {
		char backend[32];
		report_add_vgpu(m->v, ti, count, backend, sizeof(backend));
		body = report_prometheus(ti, count, vgpud_status(m->v), vgpud_restarts(m->v), backend);
	}
	free(ti);
	if (!body) {
		const char *e = "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
		write_all(fd, e, strlen(e));
		return;
	}
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n\r\n",
			 strlen(body));
	write_all(fd, hdr, (size_t)n);
	write_all(fd, body, strlen(body));
	free(body);
}

static void *serve(void *arg)
{
	struct metrics_server *m = arg;
	for (;;) {
		int fd = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINVAL || errno == EBADF)
				return NULL;
			continue;
		}
		respond(m, fd);
		close(fd);
	}
}

struct metrics_server *metrics_start(int port, const char *socket_path, struct registry *r, struct vgpud *v,
				     char *err, size_t errlen)
{
	struct metrics_server *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->r = r;
	m->v = v;
	int rc;
	if (port > 0) {
		m->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int one = 1;
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		rc = m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		     bind(m->fd, (struct sockaddr *)&sa, sizeof(sa));
		if (rc)
			snprintf(err, errlen, "metrics: cannot bind 127.0.0.1:%d: %s", port, strerror(errno));
	} else {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		if (strlen(socket_path) >= sizeof(sa.sun_path)) {
			snprintf(err, errlen, "metrics socket path too long");
			free(m);
			return NULL;
		}
		strcpy(sa.sun_path, socket_path);
		strcpy(m->path, socket_path);
		m->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (unlink(socket_path) && errno != ENOENT)
			log_warn("metrics: cannot replace %s: %s", socket_path, strerror(errno));
		rc = m->fd < 0 || bind(m->fd, (struct sockaddr *)&sa, sizeof(sa));
		if (rc)
			snprintf(err, errlen, "metrics: cannot bind %s: %s", socket_path, strerror(errno));
	}
	if (!rc && listen(m->fd, 16)) {
		rc = 1;
		snprintf(err, errlen, "metrics: listen: %s", strerror(errno));
	}
	if (!rc && (rc = pthread_create(&m->thread, NULL, serve, m)))
		snprintf(err, errlen, "metrics: cannot start thread: %s", strerror(rc));
	if (rc) {
		if (m->fd >= 0)
			close(m->fd);
		free(m);
		return NULL;
	}
	if (port > 0)
		log_info("metrics: http://127.0.0.1:%d/metrics", port);
	else
		log_info("metrics: unix:%s (GET /metrics)", socket_path);
	return m;
}

void metrics_stop(struct metrics_server *m)
{
	shutdown(m->fd, SHUT_RDWR);
	close(m->fd);
	pthread_join(m->thread, NULL);
	if (m->path[0])
		unlink(m->path);
	free(m);
}
