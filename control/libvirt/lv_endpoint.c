/*
 * lv_endpoint.c - sockets and the poll loop (see lv_endpoint.h).  The
 * protocol itself is lv_dispatch.c's; this file only moves bytes, frames
 * packets by their length word and enforces the per-client limits.
 */
#include "lv_endpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lv_dispatch.h"
#include "lv_domxml.h"
#include "lv_events.h"
#include "lv_rpc.h"

#define DEFAULT_IDLE_MS 60000
#define DEFAULT_MAX_CLIENTS 64
#define OUT_LIMIT (32u * 1024 * 1024)	/* replies a client has not read yet */
#define OUT_HIGH (1u * 1024 * 1024)	/* stop reading calls above this backlog */
#define PACKETS_PER_WAKE 16		/* fairness: then let the others in */
#define IN_KEEP (64u * 1024)		/* input buffer kept between packets */
#define EVENT_POLL_MS 500		/* how often the registry is compared while someone listens */

struct client {
	int fd;
	struct lv_session s;
	uint8_t *in;
	size_t in_len, in_cap;
	struct lv_xdr_wr out;
	size_t out_off;
	long long last_ms;	/* last complete packet (or accept) */
};

struct lv_endpoint {
	const struct lv_backend *be;
	int wake_fd, rw_fd, ro_fd;
	char rw_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char ro_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int idle_ms;
	unsigned max_clients;
	struct client *c;
	unsigned nc;
	long long accept_pause_until;	/* out of fds: stop accepting until then */
	struct lv_events *events;	/* last listing, while some client listens */
	long long next_event_poll;
	pthread_t thread;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int listen_on(const char *path, mode_t mode, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -1;
	}
	strcpy(a.sun_path, path);

	/* create the directory (one level: /run/libvirt) if it is missing */
	char dir[sizeof(a.sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			return -1;
		}
	}

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A socket file nobody answers on is stale (a crashed daemon): replace it. */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0) {
		close(probe);
		close(fd);
		snprintf(err, errlen, "%s is in use by another server", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	if (unlink(path) && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove stale %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || chmod(path, mode) || listen(fd, 64)) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static void client_close(struct lv_endpoint *ep, unsigned i)
{
	struct client *c = &ep->c[i];
	close(c->fd);
	free(c->in);
	lv_xdr_wr_free(&c->out);
	ep->c[i] = ep->c[--ep->nc];
}

static void accept_one(struct lv_endpoint *ep, int lfd, bool ro)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		/* Out of descriptors the pending connection stays readable: pause
		 * accepting rather than spin.  Anything else (EAGAIN, the client
		 * went away) leaves nothing to serve. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			ep->accept_pause_until = now_ms() + 200;
		return;
	}
	/* Anyone may connect to the read-only socket: a quarter of the slots
	 * stay reserved for the read-write one, so idle read-only clients can
	 * never lock root out. */
	unsigned ro_count = 0;
	for (unsigned i = 0; i < ep->nc; i++)
		ro_count += ep->c[i].s.ro_socket;
	unsigned reserved = ep->max_clients / 4 ? ep->max_clients / 4 : 1;
	if (ep->nc == ep->max_clients || (ro && ro_count + reserved >= ep->max_clients)) {
		close(fd);	/* virsh reports the closed connection; others keep being served */
		return;
	}
	struct client *c = &ep->c[ep->nc++];
	*c = (struct client){ .fd = fd, .s = { .ro_socket = ro, .readonly = ro }, .last_ms = now_ms() };
	lv_xdr_wr_init(&c->out, OUT_LIMIT);
}

/* Sends one lifecycle event to every callback that wants it. */
static void deliver(void *arg, const struct lv_dom_info *d, int32_t event, int32_t detail)
{
	struct lv_endpoint *ep = arg;
	for (unsigned i = 0; i < ep->nc; i++) {
		struct lv_session *s = &ep->c[i].s;
		for (unsigned k = 0; k < s->ncb; k++)
			if (!s->cb[k].has_dom || memcmp(s->cb[k].uuid, d->uuid, LV_UUID_LEN) == 0)
				lv_events_put(&ep->c[i].out, s->cb[k].id, d, event, detail);
	}
}

/* Lists the registry for changes while anyone listens, else forgets it.
 * The first listing is taken right after a registration, so that changes
 * from then on are seen; force: right after a change made through us, so
 * virsh's own changes are never merged with each other (others' changes,
 * e.g. the aivisor CLI's, are seen within EVENT_POLL_MS). */
static void watch_events(struct lv_endpoint *ep, long long now, bool force)
{
	bool listening = false;
	for (unsigned i = 0; i < ep->nc && !listening; i++)
		listening = ep->c[i].s.ncb > 0;
	if (!listening) {
		if (lv_events_primed(ep->events))
			lv_events_reset(ep->events);
		return;
	}
	if (lv_events_primed(ep->events) && now < ep->next_event_poll && !force)
		return;
	/* a failed listing is retried at the next tick; the last one is kept */
	lv_events_poll(ep->events, ep->be, deliver, ep);
	ep->next_event_poll = now + EVENT_POLL_MS;
}

/* Reads what is there and dispatches complete packets; false: close it. */
static bool client_read(struct lv_endpoint *ep, struct client *c)
{
	for (int packets = 0; packets < PACKETS_PER_WAKE && c->out.len - c->out_off < OUT_HIGH;) {
		size_t want = 4;
		if (c->in_len >= 4) {
			uint32_t plen = (uint32_t)c->in[0] << 24 | (uint32_t)c->in[1] << 16 | (uint32_t)c->in[2] << 8 | c->in[3];
			if (plen < LV_HDR_LEN || plen > LV_CALL_MAX)
				return false;	/* cannot resynchronise a stream with a bad length */
			want = plen;
		}
		if (c->in_len == want && want > 4) {
			if (lv_dispatch(ep->be, &c->s, c->in, c->in_len, &c->out) == LV_DISP_CLOSE)
				return false;
			if (c->s.changed) {
				c->s.changed = false;
				watch_events(ep, now_ms(), true);
			}
			c->in_len = 0;
			if (c->in_cap > IN_KEEP) {	/* a big define is rare: don't hold its buffer */
				free(c->in);
				c->in = NULL;
				c->in_cap = 0;
			}
			c->last_ms = now_ms();
			packets++;
			continue;
		}
		if (c->in_len == c->in_cap) {
			/* grow with what actually arrives, not with what the length claims */
			size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
			if (cap > LV_CALL_MAX)
				cap = LV_CALL_MAX;
			uint8_t *b = realloc(c->in, cap);
			if (!b)
				return false;
			c->in = b;
			c->in_cap = cap;
		}
		size_t room = (want < c->in_cap ? want : c->in_cap) - c->in_len;
		ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->in_len += (size_t)n;
	}
	return true;
}

static bool client_write(struct client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->out_off += (size_t)n;
	}
	c->out.len = c->out_off = 0;
	return true;
}

static void *loop(void *arg)
{
	struct lv_endpoint *ep = arg;
	struct pollfd *pfd = calloc(ep->max_clients + 3, sizeof(*pfd));
	if (!pfd)
		return NULL;
	for (;;) {
		unsigned n = 0;
		long long now = now_ms(), next = now + ep->idle_ms;
		bool accepting = now >= ep->accept_pause_until;
		if (!accepting)
			next = ep->accept_pause_until;
		pfd[n++] = (struct pollfd){ .fd = ep->wake_fd, .events = POLLIN };
		/* poll ignores negative fds: a paused or absent listener */
		pfd[n++] = (struct pollfd){ .fd = accepting ? ep->rw_fd : -1, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = accepting ? ep->ro_fd : -1, .events = POLLIN };
		for (unsigned i = 0; i < ep->nc; i++) {
			struct client *c = &ep->c[i];
			short ev = c->out.len - c->out_off < OUT_HIGH ? POLLIN : 0;
			if (c->out.len > c->out_off)
				ev |= POLLOUT;
			pfd[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
			if (c->last_ms + ep->idle_ms < next)
				next = c->last_ms + ep->idle_ms;
		}
		if (lv_events_primed(ep->events) && ep->next_event_poll < next)
			next = ep->next_event_poll;
		int timeout = next > now ? (int)(next - now) : 0;
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		unsigned nc = ep->nc;	/* clients polled this round; accepts append after them */
		now = now_ms();
		for (unsigned i = nc; i-- > 0;) {
			struct client *c = &ep->c[i];
			short re = pfd[3 + i].revents;
			bool keep = true;
			if (re & (POLLIN | POLLHUP | POLLERR))
				keep = client_read(ep, c);
			if (keep && c->out.bad)
				keep = false;	/* its unread replies passed OUT_LIMIT */
			if (keep && c->out.len > c->out_off)
				keep = client_write(c);
			if (keep && now - c->last_ms > ep->idle_ms)
				keep = false;	/* silent (no keepalive) for too long */
			if (!keep)
				client_close(ep, i);
		}
		watch_events(ep, now_ms(), false);
		if (pfd[1].revents & POLLIN)
			accept_one(ep, ep->rw_fd, false);
		if (pfd[2].revents & POLLIN)
			accept_one(ep, ep->ro_fd, true);
	}
	free(pfd);
	return NULL;
}

int lv_endpoint_start(const struct lv_endpoint_opts *o, const struct lv_backend *be, struct lv_endpoint **out,
		      char *err, size_t errlen)
{
	const char *rw = o && o->rw_sock ? o->rw_sock : LV_DEFAULT_SOCK;
	const char *ro = o && o->ro_sock ? o->ro_sock : LV_DEFAULT_SOCK_RO;
	lv_domxml_init();
	struct lv_endpoint *ep = calloc(1, sizeof(*ep));
	if (!ep) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ep->be = be;
	ep->idle_ms = o && o->idle_timeout_ms > 0 ? o->idle_timeout_ms : DEFAULT_IDLE_MS;
	ep->max_clients = o && o->max_clients ? o->max_clients : DEFAULT_MAX_CLIENTS;
	ep->rw_fd = ep->ro_fd = -1;
	ep->c = calloc(ep->max_clients, sizeof(*ep->c));
	ep->events = lv_events_new();
	ep->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!ep->c || !ep->events || ep->wake_fd < 0) {
		snprintf(err, errlen, "cannot set up the endpoint: %s", strerror(errno));
		goto fail;
	}
	/* rw: root only, like libvirtd's; ro: anyone may list and inspect */
	if ((ep->rw_fd = listen_on(rw, 0600, err, errlen)) < 0)
		goto fail;
	snprintf(ep->rw_path, sizeof(ep->rw_path), "%s", rw);
	if (*ro) {
		if ((ep->ro_fd = listen_on(ro, 0666, err, errlen)) < 0)
			goto fail;
		snprintf(ep->ro_path, sizeof(ep->ro_path), "%s", ro);
	}
	int rc = pthread_create(&ep->thread, NULL, loop, ep);
	if (rc) {
		snprintf(err, errlen, "cannot start the endpoint thread: %s", strerror(rc));
		goto fail;
	}
	*out = ep;
	return 0;
fail:
	if (ep->rw_fd >= 0) {
		close(ep->rw_fd);
		unlink(ep->rw_path);
	}
	if (ep->ro_fd >= 0) {
		close(ep->ro_fd);
		unlink(ep->ro_path);
	}
	if (ep->wake_fd >= 0)
		close(ep->wake_fd);
	lv_events_free(ep->events);
	free(ep->c);
	free(ep);
	return -1;
}

void lv_endpoint_stop(struct lv_endpoint *ep)
{
	if (!ep)
		return;
	uint64_t one = 1;
	if (write(ep->wake_fd, &one, sizeof(one)) != sizeof(one))
		abort();	/* an eventfd write only fails on overflow, which one write cannot cause */
	pthread_join(ep->thread, NULL);
	while (ep->nc)
		client_close(ep, ep->nc - 1);
	close(ep->rw_fd);
	unlink(ep->rw_path);
	if (ep->ro_fd >= 0) {
		close(ep->ro_fd);
		unlink(ep->ro_path);
	}
	close(ep->wake_fd);
	lv_events_free(ep->events);
	free(ep->c);
	free(ep);
}
