/*
 * registry.c - the tenant table: definitions, snapshots, persistence.
 *
 * Every change is persisted before it becomes visible in memory, so what a
 * client was told succeeded is on disk, and a failed save (full disk)
 * leaves both the file and the table as they were.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "registry_internal.h"
#include "state_store.h"
#include "tenant_json.h"
#include "vgpu_host.h"

static const char *const state_names[] = { "shutoff", "running", "stopping", "crashed" };
static const char *const exit_names[] = { "none", "exit", "signal", "unknown" };

const char *tenant_state_name(enum tenant_state s)
{
	return (unsigned)s < 4 ? state_names[s] : "?";
}

/* Formats the message into err (when there is room for one) and returns rc. */
int registry__set_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

struct tenant *registry__find(struct registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->t[i]->def.name, name))
			return r->t[i];
	return NULL;
}

static struct tenant *find_uuid(struct registry *r, const char *uuid)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->t[i]->def.uuid, uuid))
			return r->t[i];
	return NULL;
}

void registry__log_path(const struct registry *r, const struct tenant_def *d, char *out, size_t size)
{
	if (d->kind == TENANT_KIND_QEMU)
		qemu_tenant__log_path(r, d, out, size); /* the domain's serial console */
	else if (d->console_log[0])
		snprintf(out, size, "%s", d->console_log);
	else
		snprintf(out, size, "%s/logs/%s.log", r->cfg.state_dir, d->name);
}

/* The on-disk record: the definition plus what a restarted daemon needs to
 * re-find the VM (pid, start time, boot id) and the tenant's history. */
static json_t *record_of(const struct registry *r, const struct tenant_def *d, const struct tenant *t)
{
	json_t *def = tenant_def_to_json(d);
	if (!def)
		return NULL;
	bool live = t && (t->state == TENANT_STATE_RUNNING || t->state == TENANT_STATE_STOPPING);
	return json_pack("{s:o, s:{s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:s, s:i, s:i, s:I}}", "def", def, "runtime",
			 "state", tenant_state_name(t ? t->state : TENANT_STATE_SHUTOFF), "pid",
			 (json_int_t)(live ? t->proc.pid : 0), "start_ticks",
			 (json_int_t)(live ? t->proc.start_ticks : 0), "boot_id", r->boot_id, "started_at",
			 (json_int_t)(t ? t->started_at : 0), "restarts", (json_int_t)(t ? t->restarts : 0),
			 "crashes", (json_int_t)(t ? t->crashes : 0), "last_exit",
			 exit_names[t ? t->last_exit : TENANT_EXIT_NONE], "exit_code", t ? t->exit_code : 0,
			 "exit_signal", t ? t->exit_signal : 0, "ended_at", (json_int_t)(t ? t->ended_at : 0));
}

static int save(struct registry *r, const struct tenant_def *d, const struct tenant *t, char *err, size_t errlen)
{
	json_t *rec = record_of(r, d, t);
	if (!rec)
		return registry__set_err(err, errlen, -ENOMEM, "out of memory encoding '%s'", d->name);
	int rc = state_store_save(r->cfg.state_dir, d->name, rec, err, errlen);
	json_decref(rec);
	return rc;
}

int registry__persist(struct registry *r, struct tenant *t, char *err, size_t errlen)
{
	return save(r, &t->def, t, err, errlen);
}

/* Room for one more tenant pointer. */
static int grow(struct registry *r)
{
	if (r->n < r->cap)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 16;
	struct tenant **nt = realloc(r->t, cap * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	r->t = nt;
	r->cap = cap;
	return 0;
}

int registry_define(struct registry *r, const struct tenant_def *def, struct tenant_def *stored, char *err,
		    size_t errlen)
{
	struct tenant_def d = *def;
	if (tenant_def_validate(&d, err, errlen))
		return -EINVAL;
	int rc = qemu_tenant__complete_def(r, &d, err, errlen);
	if (rc)
		return rc;
	pthread_mutex_lock(&r->lock);
	struct tenant *t = registry__find(r, d.name);
	struct tenant *u = d.uuid[0] ? find_uuid(r, d.uuid) : NULL;
	if (u && u != t) {
		rc = registry__set_err(err, errlen, -EEXIST, "uuid %s already belongs to tenant '%s'", d.uuid,
				       u->def.name);
		goto out;
	}
	/* A kind is for a tenant's life: a definition of the other kind (a
	 * virsh define of a microVM XML over a QEMU tenant, say) is refused. */
	if (t && t->def.kind != d.kind) {
		rc = registry__set_err(err, errlen, -EEXIST, "tenant '%s' is of kind %s, not %s; undefine it first",
				       d.name, tenant_kind_name(t->def.kind), tenant_kind_name(d.kind));
		goto out;
	}
	if (t) {
		if (t->state == TENANT_STATE_RUNNING || t->state == TENANT_STATE_STOPPING || t->busy) {
			rc = registry__set_err(err, errlen, -EBUSY,
					       "tenant '%s' is running; stop it before redefining it", d.name);
			goto out;
		}
		if (d.uuid[0] && strcmp(d.uuid, t->def.uuid)) {
			rc = registry__set_err(err, errlen, -EEXIST, "tenant '%s' exists with uuid %s", d.name,
					       t->def.uuid);
			goto out;
		}
		memcpy(d.uuid, t->def.uuid, sizeof(d.uuid));
		rc = save(r, &d, t, err, errlen);
		if (!rc) {
			t->def = d;
			log_info("tenant '%s' redefined", d.name);
		}
		goto out;
	}
	if (!d.uuid[0] && tenant_uuid_generate(d.uuid)) {
		rc = registry__set_err(err, errlen, -EIO, "cannot generate a uuid: %s", strerror(errno));
		goto out;
	}
	t = grow(r) ? NULL : calloc(1, sizeof(*t));
	if (!t) {
		rc = registry__set_err(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	t->def = d;
	t->proc.pidfd = -1;
	t->id = r->next_id++;
	rc = save(r, &d, t, err, errlen);
	if (rc) {
		free(t);
		goto out;
	}
	r->t[r->n++] = t;
	log_info("tenant '%s' defined (uuid %s)", d.name, d.uuid);
out:
	if (!rc && stored)
		*stored = d;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int registry_undefine(struct registry *r, const char *name, char *err, size_t errlen)
{
	pthread_mutex_lock(&r->lock);
	int rc;
	struct tenant *t = registry__find(r, name);
	if (!t) {
		rc = registry__set_err(err, errlen, -ENOENT, "no tenant named '%s'", name);
	} else if (t->state == TENANT_STATE_RUNNING || t->state == TENANT_STATE_STOPPING || t->busy || t->users) {
		rc = registry__set_err(err, errlen, -EBUSY, "tenant '%s' is running or busy; stop it first", name);
	} else {
		rc = state_store_remove(r->cfg.state_dir, name, err, errlen);
		if (!rc) {
			for (size_t i = 0; i < r->n; i++)
				if (r->t[i] == t) {
					r->t[i] = r->t[--r->n];
					break;
				}
			free(t);
			log_info("tenant '%s' undefined", name);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static void snapshot(const struct tenant *t, struct tenant_info *out)
{
	memset(out, 0, sizeof(*out));
	out->def = t->def;
	out->state = t->state;
	bool live = t->state == TENANT_STATE_RUNNING || t->state == TENANT_STATE_STOPPING;
	out->pid = live ? t->proc.pid : 0;
	out->started_at = t->started_at;
	out->restarts = t->restarts;
	out->crashes = t->crashes;
	out->last_exit = t->last_exit;
	out->exit_code = t->exit_code;
	out->exit_signal = t->exit_signal;
	out->ended_at = t->ended_at;
}

/* /proc figures are read outside the lock: the pid may have ended by then,
 * which only leaves them at 0. */
static void add_usage(struct tenant_info *ti)
{
	if (ti->pid > 0 && vm_process_usage(ti->pid, &ti->cpu_time_ns, &ti->rss_kib)) {
		ti->cpu_time_ns = 0;
		ti->rss_kib = 0;
	}
}

/* Snapshots the tenant that find(r, key) names, under the lock. */
static int lookup_by(struct registry *r, struct tenant *(*find)(struct registry *, const char *), const char *key,
		     struct tenant_info *out)
{
	pthread_mutex_lock(&r->lock);
	struct tenant *t = find(r, key);
	if (t)
		snapshot(t, out);
	pthread_mutex_unlock(&r->lock);
	if (!t)
		return -ENOENT;
	add_usage(out);
	return 0;
}

int registry_lookup(struct registry *r, const char *name, struct tenant_info *out)
{
	return lookup_by(r, registry__find, name, out);
}

int registry_lookup_uuid(struct registry *r, const char *uuid, struct tenant_info *out)
{
	return lookup_by(r, find_uuid, uuid, out);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct tenant_info *)a)->def.name, ((const struct tenant_info *)b)->def.name);
}

int registry_list(struct registry *r, bool running_only, struct tenant_info **out, size_t *count)
{
	pthread_mutex_lock(&r->lock);
	struct tenant_info *v = calloc(r->n ? r->n : 1, sizeof(*v));
	size_t k = 0;
	if (v)
		for (size_t i = 0; i < r->n; i++) {
			const struct tenant *t = r->t[i];
			if (running_only && t->state != TENANT_STATE_RUNNING && t->state != TENANT_STATE_STOPPING)
				continue;
			snapshot(t, &v[k++]);
		}
	pthread_mutex_unlock(&r->lock);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++)
		add_usage(&v[i]);
	qsort(v, k, sizeof(*v), by_name);
	*out = v;
	*count = k;
	return 0;
}

size_t registry_count(struct registry *r)
{
	pthread_mutex_lock(&r->lock);
	size_t n = r->n;
	pthread_mutex_unlock(&r->lock);
	return n;
}

int registry_set_live(struct registry *r, const char *name, const struct tenant_live_params *p, char *err,
		      size_t errlen)
{
	pthread_mutex_lock(&r->lock);
	int rc;
	struct tenant *t = registry__find(r, name);
	if (!t) {
		rc = registry__set_err(err, errlen, -ENOENT, "no tenant named '%s'", name);
		goto out;
	}
	struct tenant_def d = t->def;
	if (p->has_cpu_weight)
		d.cpu_weight = p->cpu_weight;
	if (p->has_cpu_cap_percent)
		d.cpu_cap_percent = p->cpu_cap_percent;
	if (p->has_vgpu_weight)
		d.vgpu_weight = p->vgpu_weight;
	if (p->has_vgpu_priority)
		d.vgpu_priority = p->vgpu_priority;
	if (tenant_def_validate(&d, err, errlen)) {
		rc = -EINVAL;
		goto out;
	}
	if (p->has_cpu_cap_percent && (rc = tenant_admission_update(r, t, &d, err, errlen)))
		goto out;
	rc = save(r, &d, t, err, errlen);
	if (!rc) {
		t->def = d;
		/* Persisted first: a failed live update is reported, and the
		 * next start applies the saved values anyway. */
		if (tenant_cgroup_update(t, err, errlen)) {
			rc = -EIO;
			log_warn("tenant '%s': live CPU update: %s", name, err);
		}
		/* vGPU class and weight of a running tenant, at once, on the
		 * server it is attached to (by its name); -ENOENT: not
		 * attached (no vGPU, or not yet), the next start applies it. */
		bool live = t->state == TENANT_STATE_RUNNING || t->state == TENANT_STATE_STOPPING;
		int vr = (p->has_vgpu_weight || p->has_vgpu_priority) && live && r->cfg.vgpu_socket[0]
				 ? vgpu_tenant_set(r->cfg.vgpu_socket, name, 0, (int)d.vgpu_priority,
						   d.vgpu_weight, err, errlen)
				 : 0;
		if (vr && vr != -ENOENT) {
			rc = -EIO;
			log_warn("tenant '%s': live vGPU update: %s", name, err);
		}
		log_info("tenant '%s': cpu weight %u, cap %u%%, vgpu %s/%u", name, d.cpu_weight, d.cpu_cap_percent,
			 tenant_priority_name(d.vgpu_priority), d.vgpu_weight);
	}
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int registry_log_path(struct registry *r, const char *name, char *out, size_t size)
{
	pthread_mutex_lock(&r->lock);
	struct tenant *t = registry__find(r, name);
	if (t)
		registry__log_path(r, &t->def, out, size);
	pthread_mutex_unlock(&r->lock);
	return t ? 0 : -ENOENT;
}

/* ---- opening: recover records ---- */

static enum tenant_exit_kind exit_kind_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && !strcmp(s, exit_names[i]))
			return (enum tenant_exit_kind)i;
	return TENANT_EXIT_NONE;
}

static int load_one(const char *file_name, json_t *rec, void *ctx)
{
	struct registry *r = ctx;
	char why[300];
	struct tenant_def d;
	const json_t *def = json_object_get(rec, "def");
	const json_t *rt = json_object_get(rec, "runtime");
	if (!def || tenant_def_from_json(def, &d, why, sizeof(why), NULL)) {
		log_error("state file %s.json: invalid definition: %s; ignored", file_name, def ? why : "missing");
		return 0;
	}
	if (strcmp(d.name, file_name) || registry__find(r, d.name)) {
		log_error("state file %s.json: names tenant '%s'; ignored", file_name, d.name);
		return 0;
	}
	struct tenant *t = grow(r) ? NULL : calloc(1, sizeof(*t));
	if (!t) {
		log_error("out of memory loading tenant '%s'", d.name);
		return -ENOMEM;
	}
	t->def = d;
	t->proc.pidfd = -1;
	t->id = r->next_id++;
	json_int_t pid = 0, ticks = 0, started = 0, restarts = 0, crashes = 0, ended = 0;
	int code = 0, sig = 0;
	const char *last = NULL, *boot = "";
	if (rt && json_unpack((json_t *)rt, "{s?I, s?I, s?s, s?I, s?I, s?I, s?s, s?i, s?i, s?I}", "pid",
		    &pid, "start_ticks", &ticks, "boot_id", &boot, "started_at", &started, "restarts", &restarts,
		    "crashes", &crashes, "last_exit", &last, "exit_code", &code, "exit_signal", &sig, "ended_at",
		    &ended))
		log_warn("state file %s.json: runtime record malformed; history reset", file_name);
	t->started_at = (time_t)started;
	t->restarts = restarts > 0 ? (unsigned)restarts : 0;
	t->crashes = crashes > 0 ? (unsigned)crashes : 0;
	t->last_exit = exit_kind_parse(last);
	t->exit_code = code;
	t->exit_signal = sig;
	t->ended_at = (time_t)ended;
	t->state = t->last_exit == TENANT_EXIT_SIGNAL || (t->last_exit == TENANT_EXIT_CODE && code)
			   ? TENANT_STATE_CRASHED
			   : TENANT_STATE_SHUTOFF;
	r->t[r->n++] = t;
	if (pid > 0)
		lifecycle__recover(r, t, (pid_t)pid, (uint64_t)ticks, boot);
	return 0;
}

static void load_bad(const char *file, const char *why, void *ctx)
{
	(void)ctx;
	log_error("state file %s is unreadable (%s); moved aside as .corrupt", file, why);
}

static int read_boot_id(char *out, size_t size)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f)
		return -1;
	int ok = fgets(out, (int)size, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

struct registry *registry_open(const struct registry_config *cfg, char *err, size_t errlen)
{
	struct registry *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->cfg = *cfg;
	r->epfd = r->wakefd = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->changed, &ca);
	pthread_condattr_destroy(&ca);
	if (read_boot_id(r->boot_id, sizeof(r->boot_id))) {
		snprintf(err, errlen, "cannot read the boot id: %s", strerror(errno));
		goto fail;
	}
	char logs[PATH_MAX + 8];
	snprintf(logs, sizeof(logs), "%s/logs", cfg->state_dir);
	if (mkdir(logs, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", logs, strerror(errno));
		goto fail;
	}
	if (state_store_init(cfg->state_dir, err, errlen))
		goto fail;
	tenant_cgroup_init(r);
	if (tenant_admission_init(r, err, errlen))
		goto fail;
	/* The monitor must exist before recovery registers pidfds with it. */
	if (lifecycle__monitor_start(r, err, errlen))
		goto fail;
	if (qemu_tenant__watcher_start(r, err, errlen)) {
		lifecycle__monitor_stop(r);
		goto fail;
	}
	pthread_mutex_lock(&r->lock);
	int rc = state_store_load_all(cfg->state_dir, load_one, load_bad, r);
	if (!rc)
		lifecycle__adopt_orphans(r);
	pthread_mutex_unlock(&r->lock);
	if (rc) {
		snprintf(err, errlen, "cannot load state from %s: %s", cfg->state_dir, strerror(-rc));
		registry_close(r);
		return NULL;
	}
	log_info("registry: %zu tenants loaded from %s", r->n, cfg->state_dir);
	return r;
fail:
	if (r->adm)
		admission_destroy(r->adm);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->changed);
	free(r);
	return NULL;
}

void registry_close(struct registry *r)
{
	qemu_tenant__watcher_stop(r);
	lifecycle__monitor_stop(r);
	for (size_t i = 0; i < r->n; i++) {
		if (r->t[i]->proc.pidfd >= 0)
			close(r->t[i]->proc.pidfd);
		free(r->t[i]);
	}
	free(r->t);
	admission_destroy(r->adm);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->changed);
	free(r);
}
