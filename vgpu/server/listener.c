/*
 * listener.c - the server's UNIX socket: accepting connections, reading
 * one request from each (ATTACH keeps the connection as the tenant's
 * lifeline, STATS is answered and closed), noticing tenants that hang up.
 * All sockets are non-blocking: a client that connects and says nothing
 * cannot stall the executor.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server_internal.h"
#include "vgpu_proto.h"
#include "../common/vgpu_err.h"

#define MAX_FDS 4

static int mkdir_parents(const char *path)
{
	char buf[108];
	snprintf(buf, sizeof(buf), "%s", path);
	char *dir = dirname(buf);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int listener_open(struct vgpu_server *s, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(s->socket_path) >= sizeof(sa.sun_path))
		return vgpu_err(err, errlen, -ENAMETOOLONG, "socket path too long");
	strcpy(sa.sun_path, s->socket_path);
	int rc = mkdir_parents(s->socket_path);
	if (rc)
		return vgpu_err(err, errlen, rc, "creating the directory of %s: %s", s->socket_path,
				strerror(-rc));
	if (vgpu_server_alive(s->socket_path))
		return vgpu_err(err, errlen, -EADDRINUSE, "a vGPU server already answers on %s",
				s->socket_path);
	/* A stale socket of a dead server is replaced; anything else at that
	 * path is not ours to delete. */
	struct stat st;
	if (lstat(s->socket_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return vgpu_err(err, errlen, -EEXIST, "%s exists and is not a socket",
					s->socket_path);
		unlink(s->socket_path);
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vgpu_err(err, errlen, -errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		rc = vgpu_err(err, errlen, -errno, "bind/listen %s: %s", s->socket_path, strerror(errno));
		close(fd);
		return rc;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		rc = vgpu_err(err, errlen, -errno, "epoll: %s", strerror(errno));
		close(fd);
		unlink(s->socket_path);
		return rc;
	}
	char dir[108], base[108];
	snprintf(dir, sizeof(dir), "%s", s->socket_path);
	snprintf(base, sizeof(base), "%s", s->socket_path);
	snprintf(s->sock_base, sizeof(s->sock_base), "%s", basename(base));
	s->sock_dir_fd = open(dirname(dir), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->sock_dir_fd < 0) {
		rc = vgpu_err(err, errlen, -errno, "opening the directory of %s: %s", s->socket_path,
			      strerror(errno));
		close(fd);
		unlink(s->socket_path);
		return rc;
	}
	s->listen_fd = fd;
	return 0;
}

static void send_resp(int fd, int result, uint32_t id, uint32_t payload, const char *msg)
{
	struct vgpu_resp r;
	memset(&r, 0, sizeof(r));
	r.result = result;
	r.tenant_id = id;
	r.payload_len = payload;
	snprintf(r.message, sizeof(r.message), "%s", msg);
	/* Non-blocking: a client that does not read its answer loses it. */
	if (send(fd, &r, sizeof(r), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(r))
		return;
}

static void answer_stats(struct vgpu_server *s, int fd)
{
	char *json = stats_json(s);
	if (!json) {
		send_resp(fd, -ENOMEM, 0, 0, "out of memory");
		return;
	}
	size_t len = strlen(json);
	send_resp(fd, 0, 0, (uint32_t)len, "");
	for (size_t off = 0; off < len; off += VGPU_PROTO_CHUNK) {
		size_t n = len - off < VGPU_PROTO_CHUNK ? len - off : VGPU_PROTO_CHUNK;
		if (send(fd, json + off, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
			break;
	}
	free(json);
}

/* Forgets fd as a pending connection; false when it was not one. */
static bool pending_remove(struct vgpu_server *s, int fd)
{
	for (uint32_t i = 0; i < s->npending; i++) {
		if (s->pending[i] != fd)
			continue;
		memmove(&s->pending[i], &s->pending[i + 1], (s->npending - i - 1) * sizeof(int));
		s->npending--;
		return true;
	}
	return false;
}

static void drop_conn(struct vgpu_server *s, int fd)
{
	pending_remove(s, fd);
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

/* A connection that has not attached yet sent something. */
static void serve_request(struct vgpu_server *s, int fd)
{
	struct vgpu_req q;
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = &q, .iov_len = sizeof(q) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf) };
	ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	int fds[MAX_FDS], nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfds < MAX_FDS)
				fds[nfds++] = f;
			else
				close(f);
		}
	}
	char msg[VGPU_PROTO_MSG_MAX] = "";
	if (n <= 0 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n != sizeof(q) ||
	    q.magic != VGPU_PROTO_MAGIC || q.version != VGPU_PROTO_VERSION) {
		if (n > 0)
			send_resp(fd, -EPROTO, 0, 0, "bad request");
		drop_conn(s, fd);
	} else if (q.kind == VGPU_REQ_STATS) {
		answer_stats(s, fd);
		drop_conn(s, fd);
	} else if (q.kind == VGPU_REQ_SET && nfds == 0) {
		uint32_t id = 0;
		int rc = tenant_set(s, &q, (size_t)n, msg, sizeof(msg), &id);
		send_resp(fd, rc, id, 0, rc ? msg : "set");
		drop_conn(s, fd);
	} else if (q.kind == VGPU_REQ_ATTACH) {
		uint32_t id = 0;
		int rc = tenant_attach(s, fd, &q, (size_t)n, fds, nfds, msg, sizeof(msg), &id);
		send_resp(fd, rc, id, 0, rc ? msg : "attached");
		if (rc)
			drop_conn(s, fd);
		else
			pending_remove(s, fd);
	} else {
		send_resp(fd, -EINVAL, 0, 0, "unknown request");
		drop_conn(s, fd);
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

void listener_resume(struct vgpu_server *s)
{
	if (!s->listen_paused)
		return;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = s->listen_fd };
	if (!epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &ev))
		s->listen_paused = false;
}

void listener_event(struct vgpu_server *s, int fd, uint32_t events)
{
	if (fd == s->listen_fd) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* Out of fds: free one from a silent client, or stop
			 * listening (a level-triggered listener would spin)
			 * until a tenant leaves. */
			if (s->npending)
				drop_conn(s, s->pending[0]);
			else if (!epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, fd, NULL))
				s->listen_paused = true;
			return;
		}
		if (c < 0)
			return;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = c };
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, c, &ev)) {
			close(c);
			return;
		}
		/* Clients that connect and say nothing must not pile up: the
		 * oldest silent one makes room. */
		if (s->npending == VGPU_MAX_PENDING)
			drop_conn(s, s->pending[0]);
		s->pending[s->npending++] = c;
		return;
	}
	struct tenant *t = tenant_by_fd(s, fd);
	if (t && fd == t->doorbell) {
		uint64_t v;
		/* Drain only: the ring scan, not the count, says what is
		 * queued, so a failed read (EAGAIN) changes nothing. */
		ssize_t r = read(fd, &v, sizeof(v));
		(void)r;
		return;
	}
	if (t) {
		/* The attached tenant's lifeline: any hang-up detaches it; stray
		 * data is discarded. */
		char junk[256];
		ssize_t n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
		    (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
			tenant_detach(s, t);
		return;
	}
	if (events & EPOLLIN)
		serve_request(s, fd);
	else
		drop_conn(s, fd);
}
