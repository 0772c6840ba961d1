/*
 * lv_registry.c - the libvirt backend over aivisord's registry (see
 * lv_registry.h).
 */
#include "lv_registry.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_domxml.h"
#include "lv_hostinfo.h"

struct lv_registry {
	struct registry *reg;
	unsigned shutdown_timeout_s;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned stopping;	/* shutdown threads still running */
};

struct lv_registry *lv_registry_new(struct registry *reg, unsigned shutdown_timeout_s)
{
	struct lv_registry *lr = calloc(1, sizeof(*lr));
	if (!lr)
		return NULL;
	lr->reg = reg;
	lr->shutdown_timeout_s = shutdown_timeout_s ? shutdown_timeout_s : 10;
	pthread_mutex_init(&lr->lock, NULL);
	pthread_cond_init(&lr->idle, NULL);
	return lr;
}

void lv_registry_free(struct lv_registry *lr)
{
	if (!lr)
		return;
	pthread_mutex_lock(&lr->lock);
	while (lr->stopping)
		pthread_cond_wait(&lr->idle, &lr->lock);
	pthread_mutex_unlock(&lr->lock);
	pthread_cond_destroy(&lr->idle);
	pthread_mutex_destroy(&lr->lock);
	free(lr);
}

/* registry errno -> libvirt error number; the registry's message is kept. */
static int lv_code(int rc, char *err, size_t errlen, const char *fallback)
{
	if (!rc)
		return 0;
	if (!err[0])
		snprintf(err, errlen, "%s: %s", fallback, strerror(-rc));
	switch (rc) {
	case -ENOENT:
		return LV_ERR_NO_DOMAIN;
	case -EINVAL:
		return LV_ERR_INVALID_ARG;
	case -EBUSY:
	case -ESRCH:
		return LV_ERR_OPERATION_INVALID;
	default:
		return LV_ERR_OPERATION_FAILED;
	}
}

static bool running(enum tenant_state s)
{
	return s == TENANT_STATE_RUNNING || s == TENANT_STATE_STOPPING;
}

static void to_info(const struct tenant_info *t, struct lv_dom_info *o)
{
	*o = (struct lv_dom_info){ .id = -1, .cpu_time_ns = t->cpu_time_ns,
				   .memory_kib = t->def.memory_mib * 1024, .max_memory_kib = t->def.memory_mib * 1024,
				   .vcpus = t->def.vcpus };
	snprintf(o->name, sizeof(o->name), "%s", t->def.name);
	if (lv_uuid_parse(t->def.uuid, o->uuid))
		memset(o->uuid, 0, sizeof(o->uuid));
	switch (t->state) {
	case TENANT_STATE_RUNNING:
		o->state = LV_STATE_RUNNING;
		o->reason = LV_REASON_RUNNING_BOOTED;
		break;
	case TENANT_STATE_STOPPING:
		o->state = LV_STATE_SHUTDOWN;
		o->reason = 1;	/* VIR_DOMAIN_SHUTDOWN_USER */
		break;
	case TENANT_STATE_CRASHED:
		o->state = LV_STATE_CRASHED;
		o->reason = 1;	/* VIR_DOMAIN_CRASHED_PANICKED: the closest there is */
		break;
	default:
		o->state = LV_STATE_SHUTOFF;
		o->reason = t->last_exit == TENANT_EXIT_SIGNAL && t->exit_signal == 9 ? LV_REASON_SHUTOFF_DESTROYED
			  : t->last_exit == TENANT_EXIT_CODE ? LV_REASON_SHUTOFF_SHUTDOWN
			  : LV_REASON_SHUTOFF_UNKNOWN;
	}
	if (running(t->state) && t->pid > 0)
		o->id = (int32_t)t->pid;
}

static int find_uuid(struct lv_registry *lr, const unsigned char uuid[LV_UUID_LEN], struct tenant_info *t,
		     char *err, size_t errlen)
{
	char us[37];
	lv_uuid_format(uuid, us);
	int rc = registry_lookup_uuid(lr->reg, us, t);
	if (rc == -ENOENT)
		snprintf(err, errlen, "Domain not found: no domain with matching uuid '%s'", us);
	return lv_code(rc, err, errlen, "cannot look up the tenant");
}

static int rg_list(void *ctx, lv_list_cb cb, void *arg, char *err, size_t errlen)
{
	struct lv_registry *lr = ctx;
	struct tenant_info *v = NULL;
	size_t n = 0;
	int rc = registry_list(lr->reg, false, &v, &n);
	if (rc)
		return lv_code(rc, err, errlen, "cannot list tenants");
	for (size_t i = 0; i < n; i++) {
		struct lv_dom_info d;
		to_info(&v[i], &d);
		if (cb(arg, &d))
			break;
	}
	free(v);
	return 0;
}

/* tenant_info holds a whole definition: keep it off the endpoint's stack */
static int with_info(struct lv_registry *lr, const unsigned char *uuid, const char *name, int32_t id,
		     struct lv_dom_info *out, struct tenant_def *def, char *err, size_t errlen)
{
	struct tenant_info *t = malloc(sizeof(*t));
	int rc;
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return LV_ERR_INTERNAL;
	}
	if (uuid) {
		rc = find_uuid(lr, uuid, t, err, errlen);
	} else if (name) {
		rc = registry_lookup(lr->reg, name, t);
		if (rc == -ENOENT)
			snprintf(err, errlen, "Domain not found: no domain with matching name '%s'", name);
		rc = lv_code(rc, err, errlen, "cannot look up the tenant");
	} else {
		/* ids are VMM pids: find the running tenant with that pid */
		struct tenant_info *v = NULL;
		size_t n = 0;
		rc = registry_list(lr->reg, true, &v, &n);
		if (!rc) {
			size_t i = 0;
			while (i < n && !(running(v[i].state) && v[i].pid == id))
				i++;
			if (i < n)
				*t = v[i];
			else
				rc = -ENOENT;
			free(v);
		}
		if (rc == -ENOENT)
			snprintf(err, errlen, "Domain not found: no domain with matching id %d", id);
		rc = lv_code(rc, err, errlen, "cannot list tenants");
	}
	if (!rc && out)
		to_info(t, out);
	if (!rc && def)
		*def = t->def;
	free(t);
	return rc;
}

static int rg_lookup_uuid(void *ctx, const unsigned char uuid[LV_UUID_LEN], struct lv_dom_info *out, char *err, size_t errlen)
{
	return with_info(ctx, uuid, NULL, 0, out, NULL, err, errlen);
}

static int rg_lookup_name(void *ctx, const char *name, struct lv_dom_info *out, char *err, size_t errlen)
{
	return with_info(ctx, NULL, name, 0, out, NULL, err, errlen);
}

static int rg_lookup_id(void *ctx, int32_t id, struct lv_dom_info *out, char *err, size_t errlen)
{
	return with_info(ctx, NULL, NULL, id, out, NULL, err, errlen);
}

static int rg_get_def(void *ctx, const unsigned char uuid[LV_UUID_LEN], bool live, struct tenant_def *out, char *err, size_t errlen)
{
	(void)live;	/* the registry keeps one definition */
	return with_info(ctx, uuid, NULL, 0, NULL, out, err, errlen);
}

static int rg_define(void *ctx, const struct tenant_def *def, struct lv_dom_info *out, char *err, size_t errlen)
{
	struct lv_registry *lr = ctx;
	struct tenant_def *stored = malloc(sizeof(*stored));
	if (!stored) {
		snprintf(err, errlen, "out of memory");
		return LV_ERR_INTERNAL;
	}
	int rc = lv_code(registry_define(lr->reg, def, stored, err, errlen), err, errlen, "cannot define the tenant");
	if (!rc)
		rc = with_info(lr, NULL, stored->name, 0, out, NULL, err, errlen);
	free(stored);
	return rc;
}

/* The operations below act by name: the uuid resolves to it first. */
static int name_of(struct lv_registry *lr, const unsigned char *uuid, char name[TENANT_NAME_MAX + 1], char *err, size_t errlen)
{
	struct lv_dom_info d;
	int rc = with_info(lr, uuid, NULL, 0, &d, NULL, err, errlen);
	if (!rc)
		memcpy(name, d.name, TENANT_NAME_MAX + 1);
	return rc;
}

static int rg_undefine(void *ctx, const unsigned char uuid[LV_UUID_LEN], char *err, size_t errlen)
{
	struct lv_registry *lr = ctx;
	char name[TENANT_NAME_MAX + 1];
	int rc = name_of(lr, uuid, name, err, errlen);
	return rc ? rc : lv_code(registry_undefine(lr->reg, name, err, errlen), err, errlen, "cannot undefine");
}

static int rg_start(void *ctx, const unsigned char uuid[LV_UUID_LEN], char *err, size_t errlen)
{
	struct lv_registry *lr = ctx;
	char name[TENANT_NAME_MAX + 1];
	int rc = name_of(lr, uuid, name, err, errlen);
	return rc ? rc : lv_code(registry_start(lr->reg, name, err, errlen), err, errlen, "cannot start");
}

struct stop_job {
	struct lv_registry *lr;
	char name[TENANT_NAME_MAX + 1];
};

static void *stop_thread(void *arg)
{
	struct stop_job *j = arg;
	char err[256];
	/* the outcome shows in the tenant's state; nobody waits for this reply */
	registry_stop(j->lr->reg, j->name, false, j->lr->shutdown_timeout_s, err, sizeof(err));
	pthread_mutex_lock(&j->lr->lock);
	if (--j->lr->stopping == 0)
		pthread_cond_broadcast(&j->lr->idle);
	pthread_mutex_unlock(&j->lr->lock);
	free(j);
	return NULL;
}

static int rg_shutdown(void *ctx, const unsigned char uuid[LV_UUID_LEN], char *err, size_t errlen)
{
	struct lv_registry *lr = ctx;
	struct lv_dom_info d;
	int rc = with_info(lr, uuid, NULL, 0, &d, NULL, err, errlen);
	if (rc)
		return rc;
	if (d.state != LV_STATE_RUNNING) {
		snprintf(err, errlen, "Requested operation is not valid: domain is not running");
		return LV_ERR_OPERATION_INVALID;
	}
	struct stop_job *j = calloc(1, sizeof(*j));
	pthread_t th;
	pthread_attr_t at;
	if (!j) {
		snprintf(err, errlen, "out of memory");
		return LV_ERR_INTERNAL;
	}
	j->lr = lr;
	memcpy(j->name, d.name, sizeof(j->name));
	pthread_mutex_lock(&lr->lock);
	lr->stopping++;
	pthread_mutex_unlock(&lr->lock);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &at, stop_thread, j);
	pthread_attr_destroy(&at);
	if (rc) {
		pthread_mutex_lock(&lr->lock);
		lr->stopping--;
		pthread_mutex_unlock(&lr->lock);
		free(j);
		snprintf(err, errlen, "cannot start the shutdown: %s", strerror(rc));
		return LV_ERR_OPERATION_FAILED;
	}
	return 0;
}

static int rg_destroy(void *ctx, const unsigned char uuid[LV_UUID_LEN], char *err, size_t errlen)
{
	struct lv_registry *lr = ctx;
	char name[TENANT_NAME_MAX + 1];
	int rc = name_of(lr, uuid, name, err, errlen);
	return rc ? rc : lv_code(registry_stop(lr->reg, name, true, 0, err, errlen), err, errlen, "cannot destroy");
}

static int rg_get_sched(void *ctx, const unsigned char uuid[LV_UUID_LEN], unsigned affect, struct lv_sched *out, char *err, size_t errlen)
{
	struct lv_registry *lr = ctx;
	struct tenant_def *def = malloc(sizeof(*def));
	struct lv_dom_info d;
	if (!def) {
		snprintf(err, errlen, "out of memory");
		return LV_ERR_INTERNAL;
	}
	int rc = with_info(lr, uuid, NULL, 0, &d, def, err, errlen);
	if (!rc && (affect & LV_AFFECT_LIVE) && d.id < 0) {
		snprintf(err, errlen, "Requested operation is not valid: domain is not running");
		rc = LV_ERR_OPERATION_INVALID;
	}
	if (!rc)
		*out = (struct lv_sched){ true, true, def->cpu_weight, def->vgpu_weight };
	free(def);
	return rc;
}

static int rg_set_sched(void *ctx, const unsigned char uuid[LV_UUID_LEN], unsigned affect, const struct lv_sched *in, char *err, size_t errlen)
{
	struct lv_registry *lr = ctx;
	struct lv_dom_info d;
	int rc = with_info(lr, uuid, NULL, 0, &d, NULL, err, errlen);
	if (rc)
		return rc;
	if ((affect & LV_AFFECT_LIVE) && d.id < 0) {
		snprintf(err, errlen, "Requested operation is not valid: domain is not running");
		return LV_ERR_OPERATION_INVALID;
	}
	struct tenant_live_params p = { .has_cpu_weight = in->has_cpu_weight, .cpu_weight = in->cpu_weight,
					.has_vgpu_weight = in->has_vgpu_weight, .vgpu_weight = in->vgpu_weight };
	return lv_code(registry_set_live(lr->reg, d.name, &p, err, errlen), err, errlen, "cannot set scheduler parameters");
}

static int rg_host_info(void *ctx, struct lv_host_info *out, char *err, size_t errlen)
{
	(void)ctx;
	return lv_hostinfo_read(out, err, errlen);
}

void lv_registry_backend(struct lv_registry *lr, struct lv_backend *be)
{
	*be = (struct lv_backend){
		.ctx = lr,
		.list = rg_list,
		.lookup_uuid = rg_lookup_uuid,
		.lookup_name = rg_lookup_name,
		.lookup_id = rg_lookup_id,
		.get_def = rg_get_def,
		.define = rg_define,
		.undefine = rg_undefine,
		.start = rg_start,
		.shutdown = rg_shutdown,
		.destroy = rg_destroy,
		.get_sched = rg_get_sched,
		.set_sched = rg_set_sched,
		.host_info = rg_host_info,
	};
}
