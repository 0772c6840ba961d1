/*
 * bridge.c - serves one tenant's vGPU window to QEMU over the
 * ivshmem-doorbell protocol (see bridge.h).
 */
#include "bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ivshmem_proto.h"
#include "vgpu_abi.h"

struct ivshmem_bridge {
	struct ivshmem_bridge_config cfg;
	char listen_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[VGPU_NAME_MAX];
	int listen_fd;
	int client_fd;            /* the QEMU connection, -1 when none */
	bool attached;
	struct vgpu_window win;
	struct vgpu_attachment att;
	uint64_t sessions;
};

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static void logf_(struct ivshmem_bridge *b, const char *fmt, ...)
{
	if (!b->cfg.log)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	b->cfg.log(line);
}

static void detach_window(struct ivshmem_bridge *b)
{
	if (!b->attached)
		return;
	vgpu_detach(&b->att);
	vgpu_window_destroy(&b->win);
	b->attached = false;
}

/* A fresh window for the next guest: never hand one guest's memory (or its
 * ring state) to the next. */
static int attach_window(struct ivshmem_bridge *b, char *err, size_t errlen)
{
	char why[256];
	int rc = vgpu_window_create(b->cfg.window_size, b->cfg.sq_entries, &b->win, why, sizeof why);
	if (rc)
		return fail(err, errlen, rc, "ivshmem bridge: window: %s", why);
	struct vgpu_tenant_opts o = b->cfg.tenant;
	o.name = b->name;
	rc = vgpu_attach(b->cfg.vgpu_socket, &b->win, &o, &b->att, why, sizeof why);
	if (rc) {
		vgpu_window_destroy(&b->win);
		return fail(err, errlen, rc, "ivshmem bridge: attach to vGPU server %s: %s",
			    b->cfg.vgpu_socket ? b->cfg.vgpu_socket : VGPU_DEFAULT_SOCKET, why);
	}
	b->attached = true;
	return 0;
}

/* Binds under a temporary name and renames into place once listening, so a
 * client that sees the path can always connect. */
static int listen_socket(struct ivshmem_bridge *b, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char tmp[sizeof a.sun_path];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.%ld.tmp", b->listen_path, (long)getpid()) >=
	    sizeof tmp)
		return fail(err, errlen, -ENAMETOOLONG, "ivshmem bridge: socket path too long: %s",
			    b->listen_path);
	memcpy(a.sun_path, tmp, sizeof tmp);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(err, errlen, -errno, "ivshmem bridge: socket: %s", strerror(errno));
	unlink(tmp);
	int rc = 0;
	const char *what = "bind";
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		rc = -errno;
	if (!rc && (what = "chmod", chmod(tmp, b->cfg.socket_mode ? b->cfg.socket_mode : 0600) < 0))
		rc = -errno;
	if (!rc && (b->cfg.socket_uid != (uid_t)-1 || b->cfg.socket_gid != (gid_t)-1) &&
	    (what = "chown", chown(tmp, b->cfg.socket_uid, b->cfg.socket_gid) < 0))
		rc = -errno;
	if (!rc && (what = "listen", listen(fd, 4) < 0))
		rc = -errno;
	if (!rc && (what = "rename", rename(tmp, b->listen_path) < 0))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		close(fd);
		return fail(err, errlen, rc, "ivshmem bridge: %s %s: %s", what, b->listen_path,
			    strerror(-rc));
	}
	b->listen_fd = fd;
	return 0;
}

int ivshmem_bridge_open(const struct ivshmem_bridge_config *c, struct ivshmem_bridge **out,
			char *err, size_t errlen)
{
	*out = NULL;
	if (!c->listen_path || !c->listen_path[0])
		return fail(err, errlen, -EINVAL, "ivshmem bridge: no socket path");
	/* QEMU maps the window as PCI BAR2, and a BAR's size is a power of two:
	 * refuse here with a reason rather than let QEMU fail at device setup. */
	if (c->window_size < VGPU_PAGE_SIZE || (c->window_size & (c->window_size - 1)))
		return fail(err, errlen, -EINVAL,
			    "ivshmem bridge: window size %llu is not a power of two >= 4096",
			    (unsigned long long)c->window_size);
	struct ivshmem_bridge *b = calloc(1, sizeof *b);
	if (!b)
		return fail(err, errlen, -ENOMEM, "ivshmem bridge: out of memory");
	b->cfg = *c;
	b->listen_fd = b->client_fd = -1;
	if (strlen(c->listen_path) + 24 >= sizeof b->listen_path) {
		free(b);
		return fail(err, errlen, -ENAMETOOLONG, "ivshmem bridge: socket path too long: %s",
			    c->listen_path);
	}
	snprintf(b->listen_path, sizeof b->listen_path, "%s", c->listen_path);
	if (c->tenant.name)
		snprintf(b->name, sizeof b->name, "%s", c->tenant.name);
	else
		snprintf(b->name, sizeof b->name, "ivshmem-%ld", (long)getpid());
	b->cfg.listen_path = b->listen_path;
	b->cfg.tenant.name = b->name;

	int rc = attach_window(b, err, errlen);
	if (!rc)
		rc = listen_socket(b, err, errlen);
	if (rc) {
		detach_window(b);
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

static void drop_client(struct ivshmem_bridge *b, const char *why)
{
	close(b->client_fd);
	b->client_fd = -1;
	/* The server's counters in the control page, for the log: what this
	 * guest's session used (the guest can scribble on them; informational). */
	const struct vgpu_ctrl *c = b->win.base;
	logf_(b, "tenant %s: QEMU disconnected (%s); window detached after %llu commands, "
	      "%llu errors, %.1f ms busy", b->name, why,
	      (unsigned long long)__atomic_load_n(&c->commands, __ATOMIC_RELAXED),
	      (unsigned long long)__atomic_load_n(&c->errors, __ATOMIC_RELAXED),
	      (double)__atomic_load_n(&c->busy_ns, __ATOMIC_RELAXED) / 1e6);
	detach_window(b);
}

static void accept_client(struct ivshmem_bridge *b)
{
	int fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			logf_(b, "tenant %s: accept: %s", b->name, strerror(errno));
		return;
	}
	if (b->client_fd >= 0 || !b->attached) {
		/* One guest per window: a second QEMU gets nothing, and QEMU
		 * fails its ivshmem device setup with "connection closed". */
		logf_(b, "tenant %s: refused a second QEMU connection", b->name);
		close(fd);
		return;
	}
	int rc = ivshmem_proto_greet(fd, b->win.fd, b->att.doorbell_fd, b->att.complete_fd);
	if (rc) {
		logf_(b, "tenant %s: greeting QEMU failed: %s", b->name, strerror(-rc));
		close(fd);
		/* QEMU may already hold the window fd: give the next one a new window. */
		detach_window(b);
		return;
	}
	b->client_fd = fd;
	b->sessions++;
	logf_(b, "tenant %s: QEMU connected (session %llu, window %llu bytes)", b->name,
	      (unsigned long long)b->sessions, (unsigned long long)b->win.size);
}

/* QEMU never sends anything on this protocol; read and discard whatever
 * comes, so a misbehaving client cannot fill our buffers, and notice EOF. */
static void serve_client(struct ivshmem_bridge *b, short revents)
{
	char junk[256];
	for (int i = 0; i < 64; i++) {
		ssize_t n = read(b->client_fd, junk, sizeof junk);
		if (n > 0)
			continue;
		if (n == 0) {
			drop_client(b, "hang-up");
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			drop_client(b, strerror(errno));
		else if (revents & (POLLHUP | POLLERR))
			drop_client(b, "hang-up");
		return;
	}
}

int ivshmem_bridge_run(struct ivshmem_bridge *b, const sigset_t *waitmask,
		       volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	while (!*stop) {
		if (!b->attached && b->client_fd < 0) {
			int rc = attach_window(b, err, errlen);
			if (rc)
				return rc;
		}
		struct pollfd p[3] = {
			{ .fd = b->listen_fd, .events = POLLIN },
			{ .fd = b->attached ? b->att.sock : -1, .events = POLLIN },
			{ .fd = b->client_fd, .events = POLLIN },
		};
		int n = ppoll(p, 3, NULL, waitmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(err, errlen, -errno, "ivshmem bridge: poll: %s", strerror(errno));
		}
		/* The server never talks on an attachment: any event there is its
		 * hang-up, and without the server there is no vGPU to bridge. */
		if (p[1].revents)
			return fail(err, errlen, -ECONNRESET,
				    "ivshmem bridge: tenant %s: the vGPU server closed the attachment",
				    b->name);
		if (p[2].revents)
			serve_client(b, p[2].revents);
		if (p[0].revents)
			accept_client(b);
	}
	return 0;
}

uint64_t ivshmem_bridge_sessions(const struct ivshmem_bridge *b)
{
	return b->sessions;
}

void ivshmem_bridge_close(struct ivshmem_bridge *b)
{
	if (!b)
		return;
	if (b->client_fd >= 0)
		close(b->client_fd);
	if (b->listen_fd >= 0) {
		close(b->listen_fd);
		unlink(b->listen_path);
	}
	detach_window(b);
	free(b);
}
