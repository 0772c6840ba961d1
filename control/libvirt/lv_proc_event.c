/*
 * lv_proc_event.c - `virsh event`: registering for lifecycle events.  The
 * events themselves are found and sent by lv_events.c from the endpoint's
 * loop; these procedures only keep the connection's list of callbacks.
 */
#include <string.h>

#include "lv_proc.h"
#include "lv_rpc.h"

#define EVENT_ID_LIFECYCLE 0

int lv_proc_event_register(struct lv_call *c)
{
	int32_t event_id = -1;
	bool has_dom = false;
	unsigned char uuid[LV_UUID_LEN] = { 0 };
	lv_xdr_get_i32(c->args, &event_id);
	if (lv_xdr_get_bool(c->args, &has_dom) && has_dom)
		lv_get_ref(c, uuid);
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	if (event_id != EVENT_ID_LIFECYCLE)
		return lv_fail(c, LV_ERR_NO_SUPPORT, "only lifecycle events are supported (event id %d)", event_id);
	struct lv_dom_info d;
	if (has_dom && (rc = lv_resolve(c, uuid, &d)))
		return rc;
	if (c->s->ncb == LV_SESSION_CALLBACKS)
		return lv_fail(c, LV_ERR_OPERATION_FAILED, "more than %d event callbacks on one connection", LV_SESSION_CALLBACKS);
	struct lv_event_cb *cb = &c->s->cb[c->s->ncb++];
	*cb = (struct lv_event_cb){ .id = c->s->next_cb_id++, .has_dom = has_dom };
	if (has_dom)
		memcpy(cb->uuid, uuid, LV_UUID_LEN);
	lv_xdr_put_i32(c->ret, cb->id);
	return 0;
}

int lv_proc_event_deregister(struct lv_call *c)
{
	int32_t id = -1;
	lv_xdr_get_i32(c->args, &id);
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	for (unsigned i = 0; i < c->s->ncb; i++) {
		if (c->s->cb[i].id != id)
			continue;
		c->s->cb[i] = c->s->cb[--c->s->ncb];
		return 0;
	}
	return lv_fail(c, LV_ERR_INVALID_ARG, "no event callback with id %d", id);
}
