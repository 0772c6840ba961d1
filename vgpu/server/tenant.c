/*
 * tenant.c - attaching a tenant from the fds and request it sent, and
 * detaching it.  Everything received is hostile: the window must be a
 * sealed memfd whose size matches the geometry in its control page, the
 * eventfds must be eventfds, and the geometry is copied once into private
 * memory and never read from the window again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sched.h"
#include "server_internal.h"
#include "vgpu_proto.h"
#include "../common/vgpu_err.h"

#define REQUIRED_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static int is_eventfd(const struct vgpu_server *s, int fd)
{
	char name[16], link[64];
	snprintf(name, sizeof(name), "%d", fd);
	/* Under /proc/self/fd opened at start: no path lookup from the root. */
	ssize_t n = readlinkat(s->fd_dir_fd, name, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = 0;
	return !strcmp(link, "anon_inode:[eventfd]");
}

static int check_request(const struct vgpu_req *q, char *msg, size_t msglen)
{
	if (q->prio > VGPU_PRIO_LOW)
		return vgpu_err(msg, msglen, -EINVAL, "priority class %u is not high/normal/low", q->prio);
	if (q->weight < VGPU_WEIGHT_MIN || q->weight > VGPU_WEIGHT_MAX)
		return vgpu_err(msg, msglen, -EINVAL, "weight %u outside %u..%u", q->weight,
				VGPU_WEIGHT_MIN, VGPU_WEIGHT_MAX);
	return 0;
}

/* Maps the window and validates its geometry into t->lay. */
static int map_window(struct tenant *t, int fd, char *msg, size_t msglen)
{
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return vgpu_err(msg, msglen, -EINVAL, "window is not a memfd");
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & REQUIRED_SEALS) != REQUIRED_SEALS)
		return vgpu_err(msg, msglen, -EPERM,
				"window is not sealed (need F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL)");
	if (st.st_size < (off_t)(2 * VGPU_PAGE_SIZE) || st.st_size % VGPU_PAGE_SIZE ||
	    (uint64_t)st.st_size > (uint64_t)SIZE_MAX)
		return vgpu_err(msg, msglen, -EINVAL, "bad window size %lld", (long long)st.st_size);
	uint64_t size = (uint64_t)st.st_size;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return vgpu_err(msg, msglen, -errno, "mmap window: %s", strerror(errno));
	struct vgpu_ctrl *c = p;
	/* One read of each field into locals, then checks on the locals. */
	uint32_t magic = __atomic_load_n(&c->magic, __ATOMIC_ACQUIRE);
	uint32_t version = __atomic_load_n(&c->version, __ATOMIC_RELAXED);
	uint64_t wsize = __atomic_load_n(&c->window_size, __ATOMIC_RELAXED);
	uint32_t sqe = __atomic_load_n(&c->sq_entries, __ATOMIC_RELAXED);
	uint32_t cqe = __atomic_load_n(&c->cq_entries, __ATOMIC_RELAXED);
	uint64_t cq_off = __atomic_load_n(&c->cq_offset, __ATOMIC_RELAXED);
	uint64_t arena_off = __atomic_load_n(&c->arena_offset, __ATOMIC_RELAXED);
	int rc = 0;
	if (magic != VGPU_MAGIC || version != VGPU_ABI_VERSION)
		rc = vgpu_err(msg, msglen, -EPROTO, "window is not a vGPU v%u window", VGPU_ABI_VERSION);
	else if (wsize != size)
		rc = vgpu_err(msg, msglen, -EINVAL, "window says %llu bytes, memfd has %llu",
			      (unsigned long long)wsize, (unsigned long long)size);
	else if (vgpu_layout_compute(size, sqe, cqe, &t->lay) || t->lay.cq_offset != cq_off ||
		 t->lay.arena_offset != arena_off)
		rc = vgpu_err(msg, msglen, -EINVAL, "bad window geometry");
	if (rc) {
		munmap(p, size);
		return rc;
	}
	t->base = p;
	t->ctrl = c;
	t->sq = (const struct vgpu_cmd *)(t->base + t->lay.sq_offset);
	t->cq = (struct vgpu_cqe *)(t->base + t->lay.cq_offset);
	t->arena = t->base + t->lay.arena_offset;
	return 0;
}

static void publish_fresh_state(struct tenant *t)
{
	struct vgpu_ctrl *c = t->ctrl;
	t->reset_ack = __atomic_load_n(&c->reset_request, __ATOMIC_ACQUIRE);
	__atomic_store_n(&c->sq_head, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->cq_tail, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->status, VGPU_STATUS_OK, __ATOMIC_RELAXED);
	__atomic_store_n(&c->status_reason, VGPU_REASON_NONE, __ATOMIC_RELAXED);
	__atomic_store_n(&c->reset_ack, t->reset_ack, __ATOMIC_RELAXED);
	__atomic_store_n(&c->server_polling, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->commands, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->errors, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->cq_overflows, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->busy_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->sq_done, 0, __ATOMIC_RELEASE);
}

static void free_tenant(struct tenant *t)
{
	if (t->backend && t->backend->detach)
		t->backend->detach(t->arena);
	if (t->base)
		munmap(t->base, t->lay.window_size);
	if (t->doorbell >= 0)
		close(t->doorbell);
	if (t->complete >= 0)
		close(t->complete);
	if (t->sock >= 0)
		close(t->sock);
	free(t);
}

int tenant_attach(struct vgpu_server *s, int sock, const void *reqp, size_t len,
		  const int *fds, int nfds, char *msg, size_t msglen, uint32_t *id)
{
	struct vgpu_req q;
	int rc;
	if (len != sizeof(q))
		return vgpu_err(msg, msglen, -EPROTO, "bad attach request size %zu", len);
	memcpy(&q, reqp, sizeof(q));
	q.name[sizeof(q.name) - 1] = 0;
	if (nfds != 3)
		return vgpu_err(msg, msglen, -EINVAL, "attach needs 3 fds (window, doorbell, completion), got %d", nfds);
	if ((rc = check_request(&q, msg, msglen)))
		return rc;
	if (s->ntenants >= VGPU_MAX_TENANTS)
		return vgpu_err(msg, msglen, -ENOSPC, "server has %u tenants already", s->ntenants);
	if (!is_eventfd(s, fds[1]) || !is_eventfd(s, fds[2]))
		return vgpu_err(msg, msglen, -EINVAL, "doorbell and completion must be eventfds");

	struct tenant *t = calloc(1, sizeof(*t));
	if (!t)
		return vgpu_err(msg, msglen, -ENOMEM, "out of memory");
	t->sock = t->doorbell = t->complete = -1;
	if ((rc = map_window(t, fds[0], msg, msglen))) {
		free_tenant(t);
		return rc;
	}
	if (s->backend->attach &&
	    (rc = s->backend->attach(t->arena, t->lay.arena_size, msg, msglen))) {
		free_tenant(t);
		return rc;
	}
	t->backend = s->backend;
	/* We keep our own duplicates; the caller closes what it received. */
	t->doorbell = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
	t->complete = fcntl(fds[2], F_DUPFD_CLOEXEC, 3);
	if (t->doorbell < 0 || t->complete < 0 ||
	    fcntl(t->doorbell, F_SETFL, O_NONBLOCK) || fcntl(t->complete, F_SETFL, O_NONBLOCK)) {
		rc = vgpu_err(msg, msglen, -errno, "duplicating eventfds: %s", strerror(errno));
		free_tenant(t);
		return rc;
	}
	t->id = ++s->next_id;
	/* Names are shown in stats and logs: keep them printable. */
	for (char *p = q.name; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	snprintf(t->name, sizeof(t->name), "%s", q.name);
	t->prio = (int)q.prio;
	t->weight = q.weight;

	struct sched_params sp;
	sched_params_default(&sp);
	sp.cls = (enum sched_class)q.prio;
	sp.weight = q.weight;
	char why[128] = "";
	if ((rc = sched_tenant_add(s->sched, t->id, &sp, why, sizeof(why)))) {
		rc = vgpu_err(msg, msglen, rc, "scheduler refused tenant: %s", why);
		free_tenant(t);
		return rc;
	}
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = sock };
	struct epoll_event evd = { .events = EPOLLIN, .data.fd = t->doorbell };
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, t->doorbell, &evd)) {
		rc = vgpu_err(msg, msglen, -errno, "epoll: %s", strerror(errno));
		sched_tenant_remove(s->sched, t->id);
		free_tenant(t);
		return rc;
	}
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, sock, &ev) &&
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, sock, &ev)) {
		rc = vgpu_err(msg, msglen, -errno, "epoll: %s", strerror(errno));
		sched_tenant_remove(s->sched, t->id);
		free_tenant(t);
		return rc;
	}
	t->sock = sock;
	publish_fresh_state(t);
	s->tenants[s->ntenants++] = t;
	*id = t->id;
	return 0;
}

struct tenant *tenant_by_fd(struct vgpu_server *s, int fd)
{
	for (uint32_t i = 0; i < s->ntenants; i++)
		if (s->tenants[i]->sock == fd || s->tenants[i]->doorbell == fd)
			return s->tenants[i];
	return NULL;
}

int tenant_set(struct vgpu_server *s, const void *req, size_t len, char *msg, size_t msglen,
	       uint32_t *id)
{
	struct vgpu_req q;
	if (len != sizeof(q))
		return vgpu_err(msg, msglen, -EPROTO, "bad set request");
	memcpy(&q, req, sizeof(q));
	int rc = check_request(&q, msg, msglen);
	if (rc)
		return rc;
	if (!q.tenant_id && !memchr(q.name, 0, sizeof(q.name)))
		return vgpu_err(msg, msglen, -EINVAL, "tenant name not terminated");
	struct tenant *t = NULL;
	for (uint32_t i = 0; i < s->ntenants; i++) {
		struct tenant *c = s->tenants[i];
		if (q.tenant_id ? c->id != q.tenant_id : strcmp(c->name, q.name))
			continue;
		if (t)
			return vgpu_err(msg, msglen, -EEXIST,
					"several tenants are named '%s': give the id", q.name);
		t = c;
	}
	if (!t)
		return q.tenant_id ? vgpu_err(msg, msglen, -ENOENT, "no tenant %u attached", q.tenant_id)
				   : vgpu_err(msg, msglen, -ENOENT, "no tenant '%s' attached", q.name);
	struct sched_params sp;
	char why[128] = "";
	if (sched_tenant_get(s->sched, t->id, &sp))
		return vgpu_err(msg, msglen, -ENOENT, "tenant %u unknown to the scheduler", t->id);
	sp.cls = (enum sched_class)q.prio;
	sp.weight = q.weight;
	if ((rc = sched_tenant_set(s->sched, t->id, &sp, why, sizeof(why))))
		return vgpu_err(msg, msglen, rc, "%s", why);
	t->prio = (int)q.prio;
	t->weight = q.weight;
	*id = t->id;
	return 0;
}

void tenant_detach(struct vgpu_server *s, struct tenant *t)
{
	if (t == s->inflight) {
		/* The lane computes in its arena: unmap only after the piece. */
		lane_wait(s);
		lane_drain(s);
		s->inflight = NULL;
	}
	for (uint32_t i = 0; i < s->ntenants; i++) {
		if (s->tenants[i] != t)
			continue;
		s->tenants[i] = s->tenants[--s->ntenants];
		break;
	}
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, t->sock, NULL);
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, t->doorbell, NULL);
	sched_tenant_remove(s->sched, t->id);
	/* A microVM guest may still look at its window: tell it, and wake it. */
	__atomic_store_n(&t->ctrl->server_polling, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->ctrl->status_reason, VGPU_REASON_DETACHED, __ATOMIC_RELAXED);
	__atomic_store_n(&t->ctrl->status, VGPU_STATUS_ERROR, __ATOMIC_RELEASE);
	tenant_signal(t);
	free_tenant(t);
	listener_resume(s);
}
