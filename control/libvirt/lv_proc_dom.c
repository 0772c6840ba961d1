/*
 * lv_proc_dom.c - domain references, listing, lookup and read-only queries.
 */
#include <stdlib.h>
#include <string.h>

#include "lv_dom_list.h"
#include "lv_domxml.h"
#include "lv_proc.h"
#include "lv_rpc.h"

#define ERRBUF 512

/* LIST_ALL_DOMAINS filter flags (virConnectListAllDomainsFlags). */
#define LIST_ACTIVE 1u
#define LIST_INACTIVE 2u
#define LIST_PERSISTENT 4u
#define LIST_TRANSIENT 8u
#define LIST_RUNNING 16u
#define LIST_PAUSED 32u
#define LIST_SHUTOFF 64u
#define LIST_OTHER 128u
#define LIST_MANAGEDSAVE 256u
#define LIST_NO_MANAGEDSAVE 512u
#define LIST_AUTOSTART 1024u
#define LIST_NO_AUTOSTART 2048u
#define LIST_HAS_SNAPSHOT 4096u
#define LIST_NO_SNAPSHOT 8192u

void lv_get_ref(struct lv_call *c, unsigned char uuid[LV_UUID_LEN])
{
	const char *name;
	size_t n;
	int32_t id;
	/* The name and id may be stale (rename, restart): only the UUID counts. */
	lv_xdr_get_string_ref(c->args, LV_STRING_MAX, &name, &n);
	lv_xdr_get_fixed(c->args, uuid, LV_UUID_LEN);
	lv_xdr_get_i32(c->args, &id);
}

static int found(struct lv_call *c, int rc, const char *err)
{
	return rc ? lv_fail(c, rc, "%s", err) : 0;
}

int lv_resolve(struct lv_call *c, const unsigned char uuid[LV_UUID_LEN], struct lv_dom_info *d)
{
	char err[ERRBUF] = "Domain not found";
	return found(c, c->be->lookup_uuid(c->be->ctx, uuid, d, err, sizeof(err)), err);
}

int lv_args_dom(struct lv_call *c, struct lv_dom_info *d)
{
	unsigned char uuid[LV_UUID_LEN];
	lv_get_ref(c, uuid);
	int rc = lv_args_end(c);
	return rc ? rc : lv_resolve(c, uuid, d);
}

int lv_args_dom_flags(struct lv_call *c, struct lv_dom_info *d, uint32_t *flags)
{
	unsigned char uuid[LV_UUID_LEN];
	lv_get_ref(c, uuid);
	lv_xdr_get_u32(c->args, flags);
	int rc = lv_args_end(c);
	return rc ? rc : lv_resolve(c, uuid, d);
}

void lv_put_dom(struct lv_call *c, const struct lv_dom_info *d)
{
	lv_xdr_put_cstring(c->ret, d->name);
	lv_xdr_put_fixed(c->ret, d->uuid, LV_UUID_LEN);
	lv_xdr_put_i32(c->ret, d->id);
}

/* All domains, collected through the backend's callback. */
static int list_all(struct lv_call *c, struct lv_dom_list *l)
{
	char err[ERRBUF] = "cannot list domains";
	*l = (struct lv_dom_list){ .max = LV_DOMAIN_LIST_MAX };
	int rc = c->be->list(c->be->ctx, lv_dom_list_add, l, err, sizeof(err));
	if (!rc && l->overflow)
		rc = lv_fail(c, LV_ERR_INTERNAL, "more than %d domains or out of memory", LV_DOMAIN_LIST_MAX);
	else if (rc)
		rc = lv_fail(c, rc, "%s", err);
	if (rc)
		free(l->v);
	return rc;
}

static bool active(const struct lv_dom_info *d)
{
	return d->id >= 0;
}

/* A pair of filter bits: with neither or both set, everything passes. */
static bool pair_ok(uint32_t flags, uint32_t yes, uint32_t no, bool has)
{
	if (!(flags & (yes | no)))
		return true;
	return has ? (flags & yes) : (flags & no);
}

static bool list_match(uint32_t f, const struct lv_dom_info *d)
{
	if (!pair_ok(f, LIST_ACTIVE, LIST_INACTIVE, active(d)) ||
	    !pair_ok(f, LIST_PERSISTENT, LIST_TRANSIENT, true) ||	/* every tenant is persistent */
	    !pair_ok(f, LIST_MANAGEDSAVE, LIST_NO_MANAGEDSAVE, false) ||
	    !pair_ok(f, LIST_AUTOSTART, LIST_NO_AUTOSTART, d->autostart) ||
	    !pair_ok(f, LIST_HAS_SNAPSHOT, LIST_NO_SNAPSHOT, false))
		return false;
	uint32_t states = f & (LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF | LIST_OTHER);
	if (!states)
		return true;
	uint32_t mine = d->state == LV_STATE_RUNNING ? LIST_RUNNING
		      : d->state == LV_STATE_PAUSED ? LIST_PAUSED
		      : d->state == LV_STATE_SHUTOFF ? LIST_SHUTOFF : LIST_OTHER;
	return states & mine;
}

int lv_proc_list_all(struct lv_call *c)
{
	int32_t need = 0;
	uint32_t flags = 0;
	lv_xdr_get_i32(c->args, &need);
	lv_xdr_get_u32(c->args, &flags);
	int rc = lv_args_end(c);
	struct lv_dom_list l;
	if (rc || (rc = list_all(c, &l)))
		return rc;
	uint32_t count = 0;
	for (size_t i = 0; i < l.n; i++)
		count += list_match(flags, &l.v[i]);
	lv_xdr_put_u32(c->ret, need ? count : 0);
	for (size_t i = 0; need && i < l.n; i++)
		if (list_match(flags, &l.v[i]))
			lv_put_dom(c, &l.v[i]);
	lv_xdr_put_u32(c->ret, count);
	free(l.v);
	return 0;
}

static int count_where(struct lv_call *c, bool want_active)
{
	int rc = lv_args_end(c);
	struct lv_dom_list l;
	if (rc || (rc = list_all(c, &l)))
		return rc;
	int32_t n = 0;
	for (size_t i = 0; i < l.n; i++)
		n += active(&l.v[i]) == want_active;
	lv_xdr_put_i32(c->ret, n);
	free(l.v);
	return 0;
}

int lv_proc_num_of_domains(struct lv_call *c)
{
	return count_where(c, true);
}

int lv_proc_num_of_defined(struct lv_call *c)
{
	return count_where(c, false);
}

/* LIST_DOMAINS (ids of running) and LIST_DEFINED_DOMAINS (names of stopped). */
static int list_some(struct lv_call *c, bool want_active)
{
	int32_t max = 0;
	lv_xdr_get_i32(c->args, &max);
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	if (max < 0 || max > LV_DOMAIN_LIST_MAX)
		return lv_fail(c, LV_ERR_RPC, "maximum of %d outside 0..%d", max, LV_DOMAIN_LIST_MAX);
	struct lv_dom_list l;
	if ((rc = list_all(c, &l)))
		return rc;
	uint32_t n = 0;
	for (size_t i = 0; i < l.n; i++)
		n += active(&l.v[i]) == want_active && n < (uint32_t)max;
	lv_xdr_put_u32(c->ret, n);
	for (size_t i = 0; i < l.n && n; i++) {
		if (active(&l.v[i]) != want_active)
			continue;
		if (want_active)
			lv_xdr_put_i32(c->ret, l.v[i].id);
		else
			lv_xdr_put_cstring(c->ret, l.v[i].name);
		n--;
	}
	free(l.v);
	return 0;
}

int lv_proc_list_domains(struct lv_call *c)
{
	return list_some(c, true);
}

int lv_proc_list_defined(struct lv_call *c)
{
	return list_some(c, false);
}

int lv_proc_lookup_by_id(struct lv_call *c)
{
	int32_t id = 0;
	lv_xdr_get_i32(c->args, &id);
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	struct lv_dom_info d;
	char err[ERRBUF] = "Domain not found";
	if (id < 0)
		return lv_fail(c, LV_ERR_NO_DOMAIN, "Domain not found: no domain with matching id %d", id);
	if ((rc = found(c, c->be->lookup_id(c->be->ctx, id, &d, err, sizeof(err)), err)))
		return rc;
	lv_put_dom(c, &d);
	return 0;
}

int lv_proc_lookup_by_name(struct lv_call *c)
{
	char name[TENANT_NAME_MAX + 1];
	const char *s;
	size_t n;
	lv_xdr_get_string_ref(c->args, LV_STRING_MAX, &s, &n);
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	/* A name no tenant can have is simply not found. */
	if (n > TENANT_NAME_MAX || memchr(s, '\0', n))
		return lv_fail(c, LV_ERR_NO_DOMAIN, "Domain not found: no domain with matching name");
	memcpy(name, s, n);
	name[n] = '\0';
	struct lv_dom_info d;
	char err[ERRBUF] = "Domain not found";
	if ((rc = found(c, c->be->lookup_name(c->be->ctx, name, &d, err, sizeof(err)), err)))
		return rc;
	lv_put_dom(c, &d);
	return 0;
}

int lv_proc_lookup_by_uuid(struct lv_call *c)
{
	unsigned char uuid[LV_UUID_LEN];
	lv_xdr_get_fixed(c->args, uuid, sizeof(uuid));
	int rc = lv_args_end(c);
	struct lv_dom_info d;
	if (rc || (rc = lv_resolve(c, uuid, &d)))
		return rc;
	lv_put_dom(c, &d);
	return 0;
}

int lv_proc_get_state(struct lv_call *c)
{
	struct lv_dom_info d;
	uint32_t flags = 0;
	int rc = lv_args_dom_flags(c, &d, &flags);
	if (rc)
		return rc;
	lv_xdr_put_i32(c->ret, (int32_t)d.state);
	lv_xdr_put_i32(c->ret, d.reason);
	return 0;
}

int lv_proc_get_info(struct lv_call *c)
{
	struct lv_dom_info d;
	int rc = lv_args_dom(c, &d);
	if (rc)
		return rc;
	lv_xdr_put_u32(c->ret, (uint32_t)d.state);	/* unsigned char: 4 bytes on the wire */
	lv_xdr_put_u64(c->ret, d.max_memory_kib);
	lv_xdr_put_u64(c->ret, d.memory_kib);
	lv_xdr_put_u32(c->ret, d.vcpus > 0xffff ? 0xffff : d.vcpus);	/* unsigned short */
	lv_xdr_put_u64(c->ret, d.cpu_time_ns);
	return 0;
}

int lv_proc_get_os_type(struct lv_call *c)
{
	struct lv_dom_info d;
	int rc = lv_args_dom(c, &d);
	if (!rc)
		lv_xdr_put_cstring(c->ret, "hvm");
	return rc;
}

int lv_proc_is_active(struct lv_call *c)
{
	struct lv_dom_info d;
	int rc = lv_args_dom(c, &d);
	if (!rc)
		lv_xdr_put_i32(c->ret, active(&d));
	return rc;
}

int lv_proc_is_persistent(struct lv_call *c)
{
	struct lv_dom_info d;
	int rc = lv_args_dom(c, &d);
	if (!rc)
		lv_xdr_put_i32(c->ret, 1);
	return rc;
}

int lv_proc_get_autostart(struct lv_call *c)
{
	struct lv_dom_info d;
	int rc = lv_args_dom(c, &d);
	if (!rc)
		lv_xdr_put_i32(c->ret, d.autostart);
	return rc;
}

/* HAS_MANAGED_SAVE_IMAGE, SNAPSHOT_NUM: tenants have neither. */
int lv_proc_dom_zero_flags(struct lv_call *c)
{
	struct lv_dom_info d;
	uint32_t flags = 0;
	int rc = lv_args_dom_flags(c, &d, &flags);
	if (!rc)
		lv_xdr_put_i32(c->ret, 0);
	return rc;
}

int lv_proc_get_security_label(struct lv_call *c)
{
	struct lv_dom_info d;
	int rc = lv_args_dom(c, &d);
	if (rc)
		return rc;
	lv_xdr_put_char_var(c->ret, "");
	lv_xdr_put_i32(c->ret, 0);
	return 0;
}

int lv_proc_get_messages(struct lv_call *c)
{
	struct lv_dom_info d;
	uint32_t flags = 0;
	int rc = lv_args_dom_flags(c, &d, &flags);
	if (!rc)
		lv_xdr_put_u32(c->ret, 0);
	return rc;
}

#define XML_SECURE 1u	/* security-sensitive parts: read-write connections only, as libvirt */
#define XML_INACTIVE 2u

int lv_proc_get_xml_desc(struct lv_call *c)
{
	struct lv_dom_info d;
	uint32_t flags = 0;
	int rc = lv_args_dom_flags(c, &d, &flags);
	if (rc)
		return rc;
	if ((flags & XML_SECURE) && c->s->readonly)
		return lv_fail(c, LV_ERR_OPERATION_DENIED, "operation forbidden: virDomainGetXMLDesc with secure flag");
	bool live = active(&d) && !(flags & XML_INACTIVE);
	struct tenant_def *def = malloc(sizeof(*def));
	char err[ERRBUF] = "cannot read the definition";
	char *xml = NULL;
	if (!def)
		return lv_fail(c, LV_ERR_INTERNAL, "out of memory");
	rc = c->be->get_def(c->be->ctx, d.uuid, live, def, err, sizeof(err));
	if (!rc) {
		/* the backend's data is trusted, but not to be NUL-terminated */
		def->name[sizeof(def->name) - 1] = '\0';
		def->uuid[sizeof(def->uuid) - 1] = '\0';
		def->program[sizeof(def->program) - 1] = '\0';
		def->cpu_pinning[sizeof(def->cpu_pinning) - 1] = '\0';
		def->console_log[sizeof(def->console_log) - 1] = '\0';
		if (def->nargs > TENANT_ARGS_MAX)
			def->nargs = TENANT_ARGS_MAX;
		for (unsigned i = 0; i < def->nargs; i++)
			def->args[i][TENANT_ARG_MAX - 1] = '\0';
		if (def->nshares > TENANT_SHARES_MAX)
			def->nshares = TENANT_SHARES_MAX;
		for (unsigned i = 0; i < def->nshares; i++) {
			def->shares[i].host_dir[TENANT_PATH_MAX - 1] = '\0';
			def->shares[i].guest_dir[TENANT_PATH_MAX - 1] = '\0';
		}
		rc = lv_domxml_format(def, live ? d.id : -1, &xml, err, sizeof(err));
	}
	free(def);
	if (rc)
		return lv_fail(c, rc, "%s", err);
	lv_xdr_put_cstring(c->ret, xml);
	free(xml);
	return 0;
}
