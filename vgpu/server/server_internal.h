/*
 * server_internal.h - the vGPU server's state.  One thread (the executor)
 * owns all of it: it serves the socket, scans the rings, and runs
 * commands, so nothing here is locked.
 */
#ifndef VGPU_SERVER_INTERNAL_H
#define VGPU_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vgpu_abi.h"
#include "vgpu_host.h"
#include "../backend/backend.h"

#define VGPU_MAX_TENANTS 256
#define VGPU_MAX_PENDING 32   /* connections that have not sent a request */

/* The second executor lane (lane.c): one GEMM piece at a time.  job,
 * quit: under mu.  The job fields are written by the executor before it
 * posts the job; rc, t0, t1 by the lane before it sets finished. */
struct lane {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done_fd;             /* eventfd in the executor's epoll set */
	int nice_errno;          /* why the lane kept its priority, or 0 */
	bool ready, job, quit, finished;
	uint8_t *arena;
	uint64_t arena_size;
	struct vgpu_cmd cmd;
	uint32_t rb, re;
	int rc;
	uint64_t t0, t1;
};

/* Where a tenant is in its current command. */
struct exec_state {
	bool active;             /* a command has been taken and not finished */
	struct vgpu_cmd top;     /* private copy of the ring command */
	uint32_t index;          /* its submission index */
	bool in_graph;           /* top is a GRAPH_RUN being unrolled */
	uint32_t graph_pos;      /* commands of the graph started so far */
	bool sub_loaded;         /* cur holds a validated command in progress */
	struct vgpu_cmd cur;     /* the command being run (top, or from graph) */
	uint32_t row;            /* GEMM rows done (row chunking) */
	uint64_t wait_ns;        /* queue wait before the command started */
};

struct tenant {
	uint32_t id;
	char name[VGPU_NAME_MAX];
	int prio;
	uint32_t weight;
	int sock, doorbell, complete;

	/* Private geometry, fixed at attach: never re-read from the window. */
	uint8_t *base;
	struct vgpu_layout lay;
	struct vgpu_ctrl *ctrl;
	const struct vgpu_cmd *sq;
	struct vgpu_cqe *cq;
	uint8_t *arena;
	const struct vgpu_backend *backend; /* set once attached to it */

	/* Private ring state; the shared copies are outputs only. */
	uint32_t head, done, cq_tail, reset_ack;
	bool error;              /* ERROR state until reset */
	bool busy;               /* as last told to the policy */
	uint64_t ready_since_ns; /* head command became runnable */
	struct exec_state ex;

	uint64_t commands, errors, busy_ns, queue_wait_ns;
};

struct vgpu_server {
	const struct vgpu_backend *backend;
	char backend_reason[160]; /* why this backend (auto: why not CUDA); "" = asked by name */
	struct sched *sched;
	char socket_path[108];
	int listen_fd, epoll_fd, stop_fd;
	/* Opened at start, so nothing needs a path afterwards (the server may
	 * be in an empty root): the socket's directory (removing it at stop)
	 * and /proc/self/fd (checking that attached fds are eventfds). */
	int sock_dir_fd, fd_dir_fd;
	char sock_base[108];
	pthread_t thread;
	bool thread_started;
	uint64_t slice_ns, poll_ns;
	double flops_per_ns[2];  /* measured rate, GEMM [0] and GEMM_I8 [1]:
	                            sizes row chunks */
	bool polling;            /* server_polling advertised to tenants */
	uint32_t next_id;
	struct tenant *tenants[VGPU_MAX_TENANTS];
	uint32_t ntenants;
	int pending[VGPU_MAX_PENDING];   /* oldest first */
	uint32_t npending;
	bool listen_paused;      /* out of fds: listener off until a detach */
	struct lane lane;
	struct tenant *inflight; /* whose piece the lane runs, or NULL */
};

uint64_t vgpu_now_ns(void);

/* listener.c */
int listener_open(struct vgpu_server *s, char *err, size_t errlen);
void listener_event(struct vgpu_server *s, int fd, uint32_t events);
/* Listens again after running out of fds (called when fds are freed). */
void listener_resume(struct vgpu_server *s);

/* tenant.c */
int tenant_attach(struct vgpu_server *s, int sock, const void *req, size_t len,
		  const int *fds, int nfds, char *msg, size_t msglen, uint32_t *id);
void tenant_detach(struct vgpu_server *s, struct tenant *t);
/* A SET request: new class and weight of an attached tenant, at once.
 * Returns 0 (with its id) or -errno with a message. */
int tenant_set(struct vgpu_server *s, const void *req, size_t len, char *msg, size_t msglen,
	       uint32_t *id);
struct tenant *tenant_by_fd(struct vgpu_server *s, int fd);
/* Writes the completion eventfd (a saturated counter is already a signal). */
void tenant_signal(struct tenant *t);

/* exec.c */
bool exec_scan(struct vgpu_server *s, uint64_t now);
void exec_step(struct vgpu_server *s, struct tenant *t);
struct tenant *exec_pick(struct vgpu_server *s, uint64_t now);
void exec_set_polling(struct vgpu_server *s, bool on);

/* exec.c: while a piece is in flight, a busy tenant of a class higher
 * than `prio` that the scheduler picks, or NULL. */
struct tenant *exec_pick_above(struct vgpu_server *s, uint64_t now, int prio);
/* Accounts for the lane's finished piece and advances its command. */
void exec_lane_done(struct vgpu_server *s);

/* lane.c */
int lane_start(struct vgpu_server *s, char *err, size_t errlen);
void lane_stop(struct vgpu_server *s);
void lane_submit(struct vgpu_server *s, struct tenant *t, uint32_t rb, uint32_t re);
bool lane_finished(struct vgpu_server *s);
/* Blocks until the piece in flight (if any) has finished. */
void lane_wait(struct vgpu_server *s);
void lane_drain(struct vgpu_server *s);

/* stats.c */
char *stats_json(const struct vgpu_server *s);
/* Seeds jansson's hash function now (it reads /dev/urandom once), so
 * stats need no file system later. */
void stats_init(void);

/* executor.c */
void *executor_main(void *arg);

#endif
