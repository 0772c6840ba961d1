/*
 * lv_events.c - lifecycle events from successive listings (see lv_events.h).
 */
#include "lv_events.h"

#include <stdlib.h>
#include <string.h>

#include "lv_dom_list.h"
#include "lv_rpc.h"

#define PROC_EVENT_CALLBACK_LIFECYCLE 318
#define EVENT_SERIAL 1		/* what libvirtd sends; virsh accepts 0 or 1 */
#define EVENTS_LIST_MAX 65536	/* domains one poll follows */

struct lv_events {
	struct lv_dom_list last;
	bool primed;
};

struct lv_events *lv_events_new(void)
{
	return calloc(1, sizeof(struct lv_events));
}

void lv_events_free(struct lv_events *ev)
{
	if (ev)
		free(ev->last.v);
	free(ev);
}

bool lv_events_primed(const struct lv_events *ev)
{
	return ev->primed;
}

void lv_events_reset(struct lv_events *ev)
{
	free(ev->last.v);
	ev->last = (struct lv_dom_list){ 0 };
	ev->primed = false;
}

static int by_uuid(const void *a, const void *b)
{
	return memcmp(((const struct lv_dom_info *)a)->uuid, ((const struct lv_dom_info *)b)->uuid, LV_UUID_LEN);
}

static bool active(const struct lv_dom_info *d)
{
	return d->id >= 0;
}

static int32_t stop_detail(const struct lv_dom_info *now)
{
	if (now->state == LV_STATE_CRASHED || now->reason == LV_REASON_SHUTOFF_CRASHED)
		return 2;
	if (now->reason == LV_REASON_SHUTOFF_DESTROYED)
		return 1;
	if (now->reason == LV_REASON_SHUTOFF_FAILED)
		return 5;
	return 0;
}

/* The events between one domain's old and new listing (either may be NULL). */
static void diff_one(const struct lv_dom_info *was, const struct lv_dom_info *now, lv_event_fn emit, void *arg)
{
	if (!was) {
		emit(arg, now, LV_EVENT_DEFINED, 0);
		if (active(now))
			emit(arg, now, LV_EVENT_STARTED, 0);
		return;
	}
	if (!now) {
		if (active(was))
			emit(arg, was, LV_EVENT_STOPPED, 0);
		emit(arg, was, LV_EVENT_UNDEFINED, 0);
		return;
	}
	/* a new id while active: it stopped and started again in between */
	if (active(was) && (!active(now) || now->id != was->id))
		emit(arg, now, LV_EVENT_STOPPED, stop_detail(now));
	if (active(now) && (!active(was) || now->id != was->id))
		emit(arg, now, LV_EVENT_STARTED, 0);
}

int lv_events_poll(struct lv_events *ev, const struct lv_backend *be, lv_event_fn emit, void *arg)
{
	struct lv_dom_list now = { .max = EVENTS_LIST_MAX };
	char err[256];
	int rc = be->list(be->ctx, lv_dom_list_add, &now, err, sizeof(err));
	if (!rc && now.overflow)
		rc = LV_ERR_INTERNAL;
	if (rc) {
		free(now.v);
		return rc;
	}
	if (now.n)
		qsort(now.v, now.n, sizeof(*now.v), by_uuid);
	if (ev->primed) {
		/* merge the two uuid-sorted listings */
		size_t i = 0, j = 0;
		const struct lv_dom_list *old = &ev->last;
		while (i < old->n || j < now.n) {
			int cmp = i == old->n ? 1 : j == now.n ? -1 : by_uuid(&old->v[i], &now.v[j]);
			diff_one(cmp <= 0 ? &old->v[i] : NULL, cmp >= 0 ? &now.v[j] : NULL, emit, arg);
			i += cmp <= 0;
			j += cmp >= 0;
		}
	}
	free(ev->last.v);
	ev->last = now;
	ev->primed = true;
	return 0;
}

void lv_events_put(struct lv_xdr_wr *out, int32_t cb_id, const struct lv_dom_info *d, int32_t event, int32_t detail)
{
	struct lv_xdr_wr p;
	struct lv_hdr h = { LV_PROG_REMOTE, LV_PROTO_VERSION, PROC_EVENT_CALLBACK_LIFECYCLE, LV_MESSAGE, EVENT_SERIAL, 0 };
	lv_xdr_wr_init(&p, 4096);
	lv_xdr_put_i32(&p, cb_id);
	lv_xdr_put_cstring(&p, d->name);
	lv_xdr_put_fixed(&p, d->uuid, LV_UUID_LEN);
	lv_xdr_put_i32(&p, d->id);
	lv_xdr_put_i32(&p, event);
	lv_xdr_put_i32(&p, detail);
	if (p.bad)
		out->bad = true;
	else
		lv_rpc_put_packet(out, &h, LV_MESSAGE, LV_STATUS_OK, p.buf, p.len);
	lv_xdr_wr_free(&p);
}
