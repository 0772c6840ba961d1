/*
 * lv_proc_life.c - procedures that change tenants: define, undefine,
 * start, shutdown, destroy.  The dispatcher has already refused them on
 * read-only connections.
 */
#include <stdlib.h>

#include "lv_domxml.h"
#include "lv_proc.h"
#include "lv_rpc.h"

#define ERRBUF 512

#define DEFINE_VALIDATE 1u		/* we always validate strictly */
#define DESTROY_GRACEFUL 1u
#define UNDEFINE_KNOWN 0x7fu		/* managed save, snapshots, nvram, checkpoints, tpm: none exist */
#define SHUTDOWN_MODES 0x3fu		/* acpi, agent, initctl, signal, paravirt: one way to ask */

static int define(struct lv_call *c, bool with_flags)
{
	const char *xml;
	size_t n;
	uint32_t flags = 0;
	lv_xdr_get_string_ref(c->args, LV_STRING_MAX, &xml, &n);
	if (with_flags)
		lv_xdr_get_u32(c->args, &flags);
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	if (flags & ~DEFINE_VALIDATE)
		return lv_fail(c, LV_ERR_INVALID_ARG, "unsupported flags 0x%x", flags);
	struct tenant_def *def = malloc(sizeof(*def));
	if (!def)
		return lv_fail(c, LV_ERR_INTERNAL, "out of memory");
	char err[ERRBUF];
	struct lv_dom_info d;
	rc = lv_domxml_parse(xml, n, def, err, sizeof(err));
	if (!rc)
		rc = c->be->define(c->be->ctx, def, &d, err, sizeof(err));
	free(def);
	if (rc)
		return lv_fail(c, rc, "%s", err);
	lv_put_dom(c, &d);
	return 0;
}

int lv_proc_define_xml(struct lv_call *c)
{
	return define(c, false);
}

int lv_proc_define_xml_flags(struct lv_call *c)
{
	return define(c, true);
}

typedef int (*dom_op)(void *ctx, const unsigned char uuid[LV_UUID_LEN], char *err, size_t errlen);

static int apply(struct lv_call *c, dom_op op, const struct lv_dom_info *d)
{
	char err[ERRBUF] = "operation failed";
	int rc = op(c->be->ctx, d->uuid, err, sizeof(err));
	return rc ? lv_fail(c, rc, "%s", err) : 0;
}

static int simple(struct lv_call *c, dom_op op)
{
	struct lv_dom_info d;
	int rc = lv_args_dom(c, &d);
	return rc ? rc : apply(c, op, &d);
}

static int with_flags(struct lv_call *c, dom_op op, uint32_t allowed)
{
	struct lv_dom_info d;
	uint32_t flags = 0;
	int rc = lv_args_dom_flags(c, &d, &flags);
	if (rc)
		return rc;
	if (flags & ~allowed)
		return lv_fail(c, LV_ERR_INVALID_ARG, "unsupported flags 0x%x", flags & ~allowed);
	return apply(c, op, &d);
}

int lv_proc_undefine(struct lv_call *c)
{
	return simple(c, c->be->undefine);
}

int lv_proc_undefine_flags(struct lv_call *c)
{
	return with_flags(c, c->be->undefine, UNDEFINE_KNOWN);
}

int lv_proc_create(struct lv_call *c)
{
	return simple(c, c->be->start);
}

int lv_proc_create_with_flags(struct lv_call *c)
{
	struct lv_dom_info d;
	uint32_t flags = 0;
	int rc = lv_args_dom_flags(c, &d, &flags);
	if (rc)
		return rc;
	if (flags)
		return lv_fail(c, LV_ERR_INVALID_ARG, "start flags 0x%x (paused, autodestroy, ...) are not supported", flags);
	/* the reply carries the domain with its new id */
	if ((rc = apply(c, c->be->start, &d)) || (rc = lv_resolve(c, d.uuid, &d)))
		return rc;
	lv_put_dom(c, &d);
	return 0;
}

int lv_proc_shutdown(struct lv_call *c)
{
	return simple(c, c->be->shutdown);
}

int lv_proc_shutdown_flags(struct lv_call *c)
{
	return with_flags(c, c->be->shutdown, SHUTDOWN_MODES);
}

int lv_proc_destroy(struct lv_call *c)
{
	return simple(c, c->be->destroy);
}

int lv_proc_destroy_flags(struct lv_call *c)
{
	return with_flags(c, c->be->destroy, DESTROY_GRACEFUL);
}
