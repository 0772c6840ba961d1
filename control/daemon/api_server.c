/*
 * api_server.c - the control API's UNIX socket: one request per line, one
 * response line each (docs/DAEMON.md).
 *
 * A thread per client connection: requests can block (a graceful shutdown
 * waits for its VM), and other clients must not wait behind them. The
 * number of clients is bounded and silent ones are dropped, so a flood of
 * connections cannot exhaust the daemon.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "log.h"

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
			send_reply(c->fd, api_error("too_large", "request longer than %d bytes", API_MAX_REQUEST));
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
			send_reply(fd, api_error("busy", "too many clients (at most %d)", API_MAX_CLIENTS));
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
