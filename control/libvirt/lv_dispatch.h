/*
 * lv_dispatch.h - turns one complete libvirt RPC packet into its reply.
 *
 * Pure: no sockets, no threads; the endpoint (lv_endpoint.c), the unit
 * tests and the fuzzer all drive it the same way.
 */
#ifndef AIVISOR_LV_DISPATCH_H
#define AIVISOR_LV_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lv_backend.h"
#include "lv_xdr.h"

#define LV_SESSION_CALLBACKS 8	/* lifecycle event registrations per connection */

/* One `virsh event` registration: all domains, or the one with this uuid. */
struct lv_event_cb {
	int32_t id;
	bool has_dom;
	unsigned char uuid[LV_UUID_LEN];
};

/* Per-connection protocol state. */
struct lv_session {
	bool ro_socket;		/* accepted on the read-only socket */
	bool readonly;		/* ro_socket, or CONNECT_OPEN asked for read-only */
	bool opened;		/* CONNECT_OPEN succeeded and no CONNECT_CLOSE since */
	bool changed;		/* a changing procedure succeeded; the endpoint clears it */
	unsigned ncb;		/* lifecycle event callbacks (lv_events.h delivers them) */
	struct lv_event_cb cb[LV_SESSION_CALLBACKS];
	int32_t next_cb_id;
};

enum lv_disp { LV_DISP_OK = 0, LV_DISP_CLOSE = 1 };

/*
 * pkt[len] is a whole packet including its length word.  Appends the reply
 * packet (if any: a PONG needs none) to out.  LV_DISP_CLOSE: the peer broke
 * the framing or the protocol, drop the connection.
 */
enum lv_disp lv_dispatch(const struct lv_backend *be, struct lv_session *s, const uint8_t *pkt, size_t len,
			 struct lv_xdr_wr *out);

#endif
