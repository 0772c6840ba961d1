/*
 * lv_memstore.c - in-memory registry (see lv_memstore.h).
 */
#include "lv_memstore.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_domxml.h"
#include "lv_hostinfo.h"

#define MEMSTORE_MAX 16384

struct tenant {
	struct tenant_def config, live;
	unsigned char uuid[LV_UUID_LEN];	/* config.uuid as bytes */
	bool running;
	int32_t id;
	enum lv_state state;
	int32_t reason;
};

struct lv_memstore {
	pthread_mutex_t lock;
	struct tenant **t;
	size_t n, cap;
	int32_t next_id;
};

struct lv_memstore *lv_memstore_new(void)
{
	struct lv_memstore *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->next_id = 1;
	return m;
}

void lv_memstore_free(struct lv_memstore *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->t[i]);
	free(m->t);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static struct tenant *by_uuid(struct lv_memstore *m, const unsigned char *uuid)
{
	for (size_t i = 0; i < m->n; i++)
		if (memcmp(m->t[i]->uuid, uuid, LV_UUID_LEN) == 0)
			return m->t[i];
	return NULL;
}

static struct tenant *by_name(struct lv_memstore *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->t[i]->config.name, name) == 0)
			return m->t[i];
	return NULL;
}

static void info_of(const struct tenant *t, struct lv_dom_info *o)
{
	const struct tenant_def *d = t->running ? &t->live : &t->config;
	*o = (struct lv_dom_info){ .id = t->running ? t->id : -1, .state = t->state, .reason = t->reason,
				   .memory_kib = d->memory_mib * 1024, .max_memory_kib = d->memory_mib * 1024, .vcpus = d->vcpus };
	memcpy(o->name, t->config.name, sizeof(o->name));
	memcpy(o->uuid, t->uuid, LV_UUID_LEN);
}

static int not_found(char *err, size_t errlen, const char *how)
{
	snprintf(err, errlen, "Domain not found: no domain with matching %s", how);
	return LV_ERR_NO_DOMAIN;
}

static int ms_list_locked(struct lv_memstore *m, lv_list_cb cb, void *arg)
{
	struct lv_dom_info d;
	for (size_t i = 0; i < m->n; i++) {
		info_of(m->t[i], &d);
		if (cb(arg, &d))
			break;
	}
	return 0;
}

static int ms_list(void *ctx, lv_list_cb cb, void *arg, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	struct lv_memstore *m = ctx;
	pthread_mutex_lock(&m->lock);
	int rc = ms_list_locked(m, cb, arg);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int lookup_locked(struct tenant *t, struct lv_dom_info *out, char *err, size_t errlen, const char *how)
{
	if (!t)
		return not_found(err, errlen, how);
	info_of(t, out);
	return 0;
}

static int ms_lookup_uuid(void *ctx, const unsigned char uuid[LV_UUID_LEN], struct lv_dom_info *out, char *err, size_t errlen)
{
	struct lv_memstore *m = ctx;
	pthread_mutex_lock(&m->lock);
	int rc = lookup_locked(by_uuid(m, uuid), out, err, errlen, "uuid");
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int ms_lookup_name(void *ctx, const char *name, struct lv_dom_info *out, char *err, size_t errlen)
{
	struct lv_memstore *m = ctx;
	pthread_mutex_lock(&m->lock);
	int rc = lookup_locked(by_name(m, name), out, err, errlen, "name");
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static struct tenant *by_id(struct lv_memstore *m, int32_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i]->running && m->t[i]->id == id)
			return m->t[i];
	return NULL;
}

static int ms_lookup_id(void *ctx, int32_t id, struct lv_dom_info *out, char *err, size_t errlen)
{
	struct lv_memstore *m = ctx;
	pthread_mutex_lock(&m->lock);
	int rc = lookup_locked(by_id(m, id), out, err, errlen, "id");
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int get_def_locked(struct tenant *t, bool live, struct tenant_def *out, char *err, size_t errlen)
{
	if (!t)
		return not_found(err, errlen, "uuid");
	*out = live && t->running ? t->live : t->config;
	return 0;
}

static int ms_get_def(void *ctx, const unsigned char uuid[LV_UUID_LEN], bool live, struct tenant_def *out, char *err, size_t errlen)
{
	struct lv_memstore *m = ctx;
	pthread_mutex_lock(&m->lock);
	int rc = get_def_locked(by_uuid(m, uuid), live, out, err, errlen);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int define_locked(struct lv_memstore *m, const struct tenant_def *def, struct lv_dom_info *out, char *err, size_t errlen)
{
	unsigned char uuid[LV_UUID_LEN];
	bool has_uuid = def->uuid[0] != '\0';
	if (has_uuid && lv_uuid_parse(def->uuid, uuid)) {
		snprintf(err, errlen, "uuid '%s' is malformed", def->uuid);
		return LV_ERR_INVALID_ARG;
	}
	struct tenant *t = by_name(m, def->name);
	struct tenant *u = has_uuid ? by_uuid(m, uuid) : NULL;
	if ((t && u && t != u) || (t && has_uuid && !u)) {
		snprintf(err, errlen, "domain '%s' already exists with uuid %s", def->name, t->config.uuid);
		return LV_ERR_OPERATION_FAILED;
	}
	if (!t && u) {
		snprintf(err, errlen, "domain '%s' already has uuid %s (renaming is not supported)", u->config.name, def->uuid);
		return LV_ERR_OPERATION_FAILED;
	}
	if (t) {	/* update: keeps its uuid; a running tenant gets it at next start */
		t->config = *def;
		lv_uuid_format(t->uuid, t->config.uuid);
		info_of(t, out);
		return 0;
	}
	if (m->n == MEMSTORE_MAX) {
		snprintf(err, errlen, "too many domains (%d)", MEMSTORE_MAX);
		return LV_ERR_OPERATION_FAILED;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct tenant **v = realloc(m->t, cap * sizeof(*v));
		if (!v) {
			snprintf(err, errlen, "out of memory");
			return LV_ERR_INTERNAL;
		}
		m->t = v;
		m->cap = cap;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return LV_ERR_INTERNAL;
	}
	t->config = *def;
	if (!has_uuid && (tenant_uuid_generate(t->config.uuid) || lv_uuid_parse(t->config.uuid, uuid))) {
		free(t);
		snprintf(err, errlen, "cannot generate a uuid");
		return LV_ERR_INTERNAL;
	}
	memcpy(t->uuid, uuid, LV_UUID_LEN);
	t->state = LV_STATE_SHUTOFF;
	t->reason = LV_REASON_SHUTOFF_UNKNOWN;
	t->id = -1;
	m->t[m->n++] = t;
	info_of(t, out);
	return 0;
}

static int ms_define(void *ctx, const struct tenant_def *def, struct lv_dom_info *out, char *err, size_t errlen)
{
	struct lv_memstore *m = ctx;
	pthread_mutex_lock(&m->lock);
	int rc = define_locked(m, def, out, err, errlen);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

enum op { OP_UNDEFINE, OP_START, OP_SHUTDOWN, OP_DESTROY };

static int op_locked(struct lv_memstore *m, const unsigned char *uuid, enum op op, char *err, size_t errlen)
{
	struct tenant *t = by_uuid(m, uuid);
	if (!t)
		return not_found(err, errlen, "uuid");
	if (op == OP_START) {
		if (t->running) {
			snprintf(err, errlen, "Requested operation is not valid: domain is already running");
			return LV_ERR_OPERATION_INVALID;
		}
		t->running = true;
		t->live = t->config;
		t->id = m->next_id++;
		t->state = LV_STATE_RUNNING;
		t->reason = LV_REASON_RUNNING_BOOTED;
		return 0;
	}
	if (op == OP_UNDEFINE) {
		if (t->running) {
			snprintf(err, errlen, "Requested operation is not valid: tenant '%s' is running; shut it down first", t->config.name);
			return LV_ERR_OPERATION_INVALID;
		}
		size_t i = 0;
		while (m->t[i] != t)
			i++;
		memmove(&m->t[i], &m->t[i + 1], (m->n - i - 1) * sizeof(m->t[0]));
		m->n--;
		free(t);
		return 0;
	}
	if (!t->running) {
		snprintf(err, errlen, "Requested operation is not valid: domain is not running");
		return LV_ERR_OPERATION_INVALID;
	}
	t->running = false;
	t->id = -1;
	t->state = LV_STATE_SHUTOFF;
	t->reason = op == OP_SHUTDOWN ? LV_REASON_SHUTOFF_SHUTDOWN : LV_REASON_SHUTOFF_DESTROYED;
	return 0;
}

#define OP_FN(fn, op)                                                                            \
	static int fn(void *ctx, const unsigned char uuid[LV_UUID_LEN], char *err, size_t errlen) \
	{                                                                                        \
		struct lv_memstore *m = ctx;                                                     \
		pthread_mutex_lock(&m->lock);                                                    \
		int rc = op_locked(m, uuid, op, err, errlen);                                    \
		pthread_mutex_unlock(&m->lock);                                                  \
		return rc;                                                                       \
	}
OP_FN(ms_undefine, OP_UNDEFINE)
OP_FN(ms_start, OP_START)
OP_FN(ms_shutdown, OP_SHUTDOWN)
OP_FN(ms_destroy, OP_DESTROY)

/* CURRENT means live for a running tenant, config otherwise. */
static int pick(struct tenant *t, unsigned affect, bool *live, bool *config, char *err, size_t errlen)
{
	*live = (affect & LV_AFFECT_LIVE) || (affect == LV_AFFECT_CURRENT && t->running);
	*config = (affect & LV_AFFECT_CONFIG) || (affect == LV_AFFECT_CURRENT && !t->running);
	if (*live && !t->running) {
		snprintf(err, errlen, "Requested operation is not valid: domain is not running");
		return LV_ERR_OPERATION_INVALID;
	}
	return 0;
}

static int sched_locked(struct lv_memstore *m, const unsigned char *uuid, unsigned affect, struct lv_sched *get,
			const struct lv_sched *set, char *err, size_t errlen)
{
	struct tenant *t = by_uuid(m, uuid);
	bool live, config;
	if (!t)
		return not_found(err, errlen, "uuid");
	int rc = pick(t, affect, &live, &config, err, errlen);
	if (rc)
		return rc;
	if (get) {
		const struct tenant_def *d = live ? &t->live : &t->config;
		*get = (struct lv_sched){ true, true, d->cpu_weight, d->vgpu_weight };
		return 0;
	}
	struct tenant_def *targets[2] = { live ? &t->live : NULL, config ? &t->config : NULL };
	for (int i = 0; i < 2; i++) {
		if (!targets[i])
			continue;
		if (set->has_cpu_weight)
			targets[i]->cpu_weight = set->cpu_weight;
		if (set->has_vgpu_weight)
			targets[i]->vgpu_weight = set->vgpu_weight;
	}
	return 0;
}

static int ms_get_sched(void *ctx, const unsigned char uuid[LV_UUID_LEN], unsigned affect, struct lv_sched *out, char *err, size_t errlen)
{
	struct lv_memstore *m = ctx;
	pthread_mutex_lock(&m->lock);
	int rc = sched_locked(m, uuid, affect, out, NULL, err, errlen);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int ms_set_sched(void *ctx, const unsigned char uuid[LV_UUID_LEN], unsigned affect, const struct lv_sched *in, char *err, size_t errlen)
{
	struct lv_memstore *m = ctx;
	pthread_mutex_lock(&m->lock);
	int rc = sched_locked(m, uuid, affect, NULL, in, err, errlen);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int ms_host_info(void *ctx, struct lv_host_info *out, char *err, size_t errlen)
{
	(void)ctx;
	return lv_hostinfo_read(out, err, errlen);
}

void lv_memstore_backend(struct lv_memstore *m, struct lv_backend *be)
{
	*be = (struct lv_backend){
		.ctx = m,
		.list = ms_list,
		.lookup_uuid = ms_lookup_uuid,
		.lookup_name = ms_lookup_name,
		.lookup_id = ms_lookup_id,
		.get_def = ms_get_def,
		.define = ms_define,
		.undefine = ms_undefine,
		.start = ms_start,
		.shutdown = ms_shutdown,
		.destroy = ms_destroy,
		.get_sched = ms_get_sched,
		.set_sched = ms_set_sched,
		.host_info = ms_host_info,
	};
}
