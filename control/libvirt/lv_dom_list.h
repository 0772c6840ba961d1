/*
 * lv_dom_list.h - a growing array of domains, filled by a backend's list()
 * (the listing procedures and the lifecycle-event poller both use one).
 */
#ifndef AIVISOR_LV_DOM_LIST_H
#define AIVISOR_LV_DOM_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "lv_backend.h"

struct lv_dom_list {
	struct lv_dom_info *v;	/* free() it */
	size_t n, cap;
	size_t max;		/* most domains kept; set before listing */
	bool overflow;		/* listing stopped: more than max, or out of memory */
};

/* An lv_list_cb with arg a struct lv_dom_list: appends dom, or sets
 * overflow and stops the listing. */
int lv_dom_list_add(void *arg, const struct lv_dom_info *dom);

#endif
