/*
 * lv_dom_list.c - collects a backend's listing into memory, bounded so a
 * huge registry cannot make one call allocate without limit.
 */
#include "lv_dom_list.h"

#include <stdlib.h>

int lv_dom_list_add(void *arg, const struct lv_dom_info *dom)
{
	struct lv_dom_list *l = arg;
	if (l->n >= l->max) {
		l->overflow = true;
		return 1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct lv_dom_info *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->overflow = true;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *dom;
	return 0;
}
