/*
 * attach.c - the tenant side of the server socket: attach a window, ask for
 * stats, probe whether a server is alive.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vgpu_host.h"
#include "vgpu_proto.h"
#include "../common/vgpu_err.h"

/* The server answers quickly or not at all; never hang a tenant on it. */
#define REPLY_TIMEOUT_MS 5000

static int connect_server(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path)
		path = VGPU_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(sa.sun_path))
		return vgpu_err(err, errlen, -ENAMETOOLONG, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return vgpu_err(err, errlen, -errno, "socket: %s", strerror(errno));
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		close(s);
		return vgpu_err(err, errlen, -e, "connect %s: %s (is aivisor-vgpud running?)",
				path, strerror(e));
	}
	return s;
}

static int recv_timed(int s, void *buf, size_t len, char *err, size_t errlen)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	int r = poll(&p, 1, REPLY_TIMEOUT_MS);
	if (r < 0)
		return vgpu_err(err, errlen, -errno, "poll: %s", strerror(errno));
	if (r == 0)
		return vgpu_err(err, errlen, -ETIMEDOUT, "vGPU server did not answer");
	ssize_t n = recv(s, buf, len, 0);
	if (n < 0)
		return vgpu_err(err, errlen, -errno, "recv: %s", strerror(errno));
	if (n == 0)
		return vgpu_err(err, errlen, -ECONNRESET, "vGPU server closed the connection");
	return (int)n;
}

static int recv_resp(int s, struct vgpu_resp *r, char *err, size_t errlen)
{
	int n = recv_timed(s, r, sizeof(*r), err, errlen);
	if (n < 0)
		return n;
	if ((size_t)n != sizeof(*r))
		return vgpu_err(err, errlen, -EPROTO, "short reply from vGPU server (%d bytes)", n);
	r->message[sizeof(r->message) - 1] = 0;
	if (r->result > 0 || r->result < -4095)
		return vgpu_err(err, errlen, -EPROTO, "bad result %d from vGPU server", r->result);
	return 0;
}

static void req_init(struct vgpu_req *q, uint32_t kind)
{
	memset(q, 0, sizeof(*q));
	q->magic = VGPU_PROTO_MAGIC;
	q->version = VGPU_PROTO_VERSION;
	q->kind = kind;
}

int vgpu_attach(const char *socket_path, const struct vgpu_window *w,
		const struct vgpu_tenant_opts *o, struct vgpu_attachment *a,
		char *err, size_t errlen)
{
	struct vgpu_req q;
	int rc;
	a->sock = a->doorbell_fd = a->complete_fd = -1;
	a->tenant_id = 0;
	req_init(&q, VGPU_REQ_ATTACH);
	q.prio = o ? (uint32_t)o->prio : VGPU_PRIO_NORMAL;
	q.weight = o && o->weight ? o->weight : VGPU_WEIGHT_DEFAULT;
	if (o && o->name)
		snprintf(q.name, sizeof(q.name), "%s", o->name);
	else
		snprintf(q.name, sizeof(q.name), "pid-%d", (int)getpid());

	a->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	a->complete_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->doorbell_fd < 0 || a->complete_fd < 0) {
		rc = vgpu_err(err, errlen, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	rc = connect_server(socket_path, err, errlen);
	if (rc < 0)
		goto fail;
	a->sock = rc;

	int fds[3] = { w->fd, a->doorbell_fd, a->complete_fd };
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = { .iov_base = &q, .iov_len = sizeof(q) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	if (sendmsg(a->sock, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(q)) {
		rc = vgpu_err(err, errlen, -errno, "sending attach request: %s", strerror(errno));
		goto fail;
	}
	struct vgpu_resp r;
	rc = recv_resp(a->sock, &r, err, errlen);
	if (rc)
		goto fail;
	if (r.result) {
		rc = vgpu_err(err, errlen, r.result, "vGPU server refused attach: %s", r.message);
		goto fail;
	}
	a->tenant_id = r.tenant_id;
	return 0;
fail:
	vgpu_detach(a);
	return rc;
}

void vgpu_detach(struct vgpu_attachment *a)
{
	if (a->sock >= 0)
		close(a->sock);
	if (a->doorbell_fd >= 0)
		close(a->doorbell_fd);
	if (a->complete_fd >= 0)
		close(a->complete_fd);
	a->sock = a->doorbell_fd = a->complete_fd = -1;
}

int vgpu_tenant_set(const char *socket_path, const char *name, uint32_t tenant_id, int prio,
		    uint32_t weight, char *err, size_t errlen)
{
	struct vgpu_req q;
	struct vgpu_resp r;
	if (!tenant_id && (!name || strlen(name) >= sizeof(q.name)))
		return vgpu_err(err, errlen, -EINVAL, "need a tenant id or a name under %zu bytes",
				sizeof(q.name));
	if (prio < VGPU_PRIO_HIGH || prio > VGPU_PRIO_LOW)
		return vgpu_err(err, errlen, -EINVAL, "priority class %d is not high/normal/low", prio);
	int s = connect_server(socket_path, err, errlen), rc;
	if (s < 0)
		return s;
	req_init(&q, VGPU_REQ_SET);
	q.tenant_id = tenant_id;
	q.prio = (uint32_t)prio;
	q.weight = weight;
	if (!tenant_id)
		strcpy(q.name, name);
	if (send(s, &q, sizeof(q), MSG_NOSIGNAL) != (ssize_t)sizeof(q)) {
		rc = vgpu_err(err, errlen, -errno, "sending set request: %s", strerror(errno));
		goto out;
	}
	rc = recv_resp(s, &r, err, errlen);
	if (!rc && r.result)
		rc = vgpu_err(err, errlen, r.result, "%s", r.message);
out:
	close(s);
	return rc;
}

int vgpu_stats(const char *socket_path, char **json, char *err, size_t errlen)
{
	struct vgpu_req q;
	struct vgpu_resp r;
	char *buf = NULL;
	int s = connect_server(socket_path, err, errlen), rc;
	*json = NULL;
	if (s < 0)
		return s;
	req_init(&q, VGPU_REQ_STATS);
	if (send(s, &q, sizeof(q), MSG_NOSIGNAL) != (ssize_t)sizeof(q)) {
		rc = vgpu_err(err, errlen, -errno, "sending stats request: %s", strerror(errno));
		goto out;
	}
	rc = recv_resp(s, &r, err, errlen);
	if (rc)
		goto out;
	if (r.result) {
		rc = vgpu_err(err, errlen, r.result, "stats refused: %s", r.message);
		goto out;
	}
	if (r.payload_len > VGPU_STATS_MAX) {
		rc = vgpu_err(err, errlen, -EPROTO, "stats reply too large (%u bytes)", r.payload_len);
		goto out;
	}
	buf = malloc((size_t)r.payload_len + 1);
	if (!buf) {
		rc = vgpu_err(err, errlen, -ENOMEM, "out of memory for stats");
		goto out;
	}
	uint32_t got = 0;
	while (got < r.payload_len) {
		int n = recv_timed(s, buf + got, r.payload_len - got, err, errlen);
		if (n < 0) {
			rc = n;
			goto out;
		}
		got += (uint32_t)n;
	}
	buf[got] = 0;
	*json = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(s);
	return rc;
}

int vgpu_server_alive(const char *socket_path)
{
	char *json = NULL;
	int rc = vgpu_stats(socket_path, &json, NULL, 0);
	free(json);
	return rc == 0;
}
