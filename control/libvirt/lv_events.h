/*
 * lv_events.h - domain lifecycle events for `virsh event` (and fleet
 * managers that watch domains), found by comparing successive listings of
 * the backend: the registry needs no hooks, and nothing is listed while no
 * client listens.
 */
#ifndef AIVISOR_LV_EVENTS_H
#define AIVISOR_LV_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "lv_backend.h"
#include "lv_xdr.h"

/* virDomainEventType and the details we produce. */
enum lv_event {
	LV_EVENT_DEFINED = 0,	/* detail 0 added */
	LV_EVENT_UNDEFINED = 1,	/* detail 0 removed */
	LV_EVENT_STARTED = 2,	/* detail 0 booted */
	LV_EVENT_STOPPED = 5,	/* detail 0 shutdown, 1 destroyed, 2 crashed, 5 failed */
};

struct lv_events;

typedef void (*lv_event_fn)(void *arg, const struct lv_dom_info *d, int32_t event, int32_t detail);

struct lv_events *lv_events_new(void);
void lv_events_free(struct lv_events *ev);
/* Whether a first listing was taken since the last reset. */
bool lv_events_primed(const struct lv_events *ev);
/* Forgets the listing (no client listens any more). */
void lv_events_reset(struct lv_events *ev);
/* Lists the backend's domains.  Unless this is the first listing, calls emit
 * for every lifecycle change since the previous one.  Returns 0 or the
 * backend's LV_ERR_* (the old listing is kept then). */
int lv_events_poll(struct lv_events *ev, const struct lv_backend *be, lv_event_fn emit, void *arg);
/* Appends the DOMAIN_EVENT_CALLBACK_LIFECYCLE message for callback cb_id. */
void lv_events_put(struct lv_xdr_wr *out, int32_t cb_id, const struct lv_dom_info *d, int32_t event, int32_t detail);

#endif
