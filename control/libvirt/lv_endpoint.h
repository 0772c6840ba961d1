/*
 * lv_endpoint.h - the libvirt remote-protocol endpoint: listens on a
 * read-write and a read-only UNIX socket and serves virsh from one thread
 * of its own with a poll loop.
 *
 * Default sockets are where virsh looks for `-c aivisor:///system` (and
 * `-r`), so stock virsh needs no configuration.  Any number of clients (up to
 * max_clients) are served side by side; each has its own buffers, a packet
 * size limit and an idle timeout, so a silent or slow client costs others
 * nothing.  The read-only socket refuses every procedure that changes state.
 */
#ifndef AIVISOR_LV_ENDPOINT_H
#define AIVISOR_LV_ENDPOINT_H

#include <stddef.h>

#include "lv_backend.h"

#define LV_DEFAULT_SOCK "/run/libvirt/virtaivisord-sock"
#define LV_DEFAULT_SOCK_RO "/run/libvirt/virtaivisord-sock-ro"

struct lv_endpoint_opts {
	const char *rw_sock;		/* NULL: LV_DEFAULT_SOCK */
	const char *ro_sock;		/* NULL: LV_DEFAULT_SOCK_RO; "": no read-only socket */
	int idle_timeout_ms;		/* 0: 60 s.  virsh pings every 5 s when idle. */
	unsigned max_clients;		/* 0: 64 */
};

struct lv_endpoint;

/*
 * Binds the sockets (creating their directory, replacing a stale socket
 * file but refusing one a live server answers on) and starts the thread.
 * be must stay valid until lv_endpoint_stop.  Returns 0, or -1 with err.
 */
int lv_endpoint_start(const struct lv_endpoint_opts *opts, const struct lv_backend *be, struct lv_endpoint **out,
		      char *err, size_t errlen);
/* Stops the thread, closes every connection, removes the socket files. */
void lv_endpoint_stop(struct lv_endpoint *ep);

#endif
