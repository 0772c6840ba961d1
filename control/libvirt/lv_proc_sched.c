/*
 * lv_proc_sched.c - `virsh schedinfo`: the "posix" scheduler with two
 * typed parameters, cpu_shares (ULLONG, as libvirt's own drivers report it)
 * and aivisor's vgpu_weight (UINT).
 *
 * virsh asks GET_SCHEDULER_TYPE for the count, GETs that many, and builds
 * its SET from the GET reply, reusing the types we reported.
 */
#include <string.h>

#include "lv_proc.h"
#include "lv_rpc.h"

#define ERRBUF 512
#define SCHED_NPARAMS 2
#define SCHED_PARAMS_MAX 16	/* REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX */
#define FIELD_MAX 80		/* VIR_TYPED_PARAM_FIELD_LENGTH */
#define TYPED_STRING_OKAY 4u	/* client may take string params; we have none */

enum tparam_type { TP_INT = 1, TP_UINT, TP_LLONG, TP_ULLONG, TP_DOUBLE, TP_BOOLEAN, TP_STRING };

int lv_proc_get_sched_type(struct lv_call *c)
{
	struct lv_dom_info d;
	int rc = lv_args_dom(c, &d);
	if (rc)
		return rc;
	lv_xdr_put_cstring(c->ret, "posix");
	lv_xdr_put_i32(c->ret, SCHED_NPARAMS);
	return 0;
}

static int check_affect(struct lv_call *c, uint32_t flags, bool get)
{
	if (flags & ~(LV_AFFECT_LIVE | LV_AFFECT_CONFIG))
		return lv_fail(c, LV_ERR_INVALID_ARG, "unsupported flags 0x%x", flags);
	if (get && flags == (LV_AFFECT_LIVE | LV_AFFECT_CONFIG))
		return lv_fail(c, LV_ERR_INVALID_ARG, "--live and --config are exclusive when reading");
	return 0;
}

static int get_params(struct lv_call *c, bool with_flags)
{
	unsigned char uuid[LV_UUID_LEN];
	int32_t nparams = 0;
	uint32_t flags = 0;
	lv_get_ref(c, uuid);
	lv_xdr_get_i32(c->args, &nparams);
	if (with_flags)
		lv_xdr_get_u32(c->args, &flags);
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	if (nparams < 0 || nparams > SCHED_PARAMS_MAX)
		return lv_fail(c, LV_ERR_RPC, "nparams %d outside 0..%d", nparams, SCHED_PARAMS_MAX);
	flags &= ~TYPED_STRING_OKAY;
	struct lv_dom_info d;
	struct lv_sched s = { 0 };
	char err[ERRBUF] = "cannot read scheduler parameters";
	if ((rc = check_affect(c, flags, true)) || (rc = lv_resolve(c, uuid, &d)))
		return rc;
	if ((rc = c->be->get_sched(c->be->ctx, d.uuid, flags, &s, err, sizeof(err))))
		return lv_fail(c, rc, "%s", err);
	/* never more than asked: virsh rejects a longer reply */
	int32_t n = nparams < SCHED_NPARAMS ? nparams : SCHED_NPARAMS;
	lv_xdr_put_u32(c->ret, (uint32_t)n);
	if (n > 0) {
		lv_xdr_put_cstring(c->ret, "cpu_shares");
		lv_xdr_put_i32(c->ret, TP_ULLONG);
		lv_xdr_put_u64(c->ret, s.cpu_weight);
	}
	if (n > 1) {
		lv_xdr_put_cstring(c->ret, "vgpu_weight");
		lv_xdr_put_i32(c->ret, TP_UINT);
		lv_xdr_put_u32(c->ret, s.vgpu_weight);
	}
	return 0;
}

int lv_proc_get_sched_params(struct lv_call *c)
{
	return get_params(c, false);
}

int lv_proc_get_sched_params_flags(struct lv_call *c)
{
	return get_params(c, true);
}

/* One typed parameter's value, any integer type, as a signed/unsigned pair. */
struct tvalue {
	bool integer, negative;
	uint64_t u;
};

static void get_tparam(struct lv_call *c, char field[FIELD_MAX + 1], struct tvalue *v)
{
	struct lv_xdr_rd *r = c->args;
	int32_t type = 0, i32;
	uint32_t u32;
	int64_t i64;
	const char *s;
	size_t n;
	*v = (struct tvalue){ 0 };
	field[0] = '\0';
	lv_xdr_get_cstring(r, field, FIELD_MAX + 1);
	lv_xdr_get_i32(r, &type);
	switch (type) {
	case TP_INT:
	case TP_BOOLEAN:
		if (lv_xdr_get_i32(r, &i32))
			*v = (struct tvalue){ type == TP_INT, i32 < 0, i32 < 0 ? 0 : (uint64_t)i32 };
		break;
	case TP_UINT:
		if (lv_xdr_get_u32(r, &u32))
			*v = (struct tvalue){ true, false, u32 };
		break;
	case TP_LLONG:
		if (lv_xdr_get_i64(r, &i64))
			*v = (struct tvalue){ true, i64 < 0, i64 < 0 ? 0 : (uint64_t)i64 };
		break;
	case TP_ULLONG:
		lv_xdr_get_u64(r, &v->u);
		v->integer = true;
		break;
	case TP_DOUBLE:
		lv_xdr_get_u64(r, &v->u);
		v->u = 0;
		break;
	case TP_STRING:
		lv_xdr_get_string_ref(r, LV_STRING_MAX, &s, &n);
		break;
	default:
		r->bad = true;	/* not a type: the rest cannot be decoded */
	}
}

static int set_params(struct lv_call *c, bool with_flags)
{
	unsigned char uuid[LV_UUID_LEN];
	uint32_t count = 0, flags = 0;
	struct lv_sched s = { 0 };
	char bad_field[FIELD_MAX + 1] = "";
	const char *why = NULL;
	lv_get_ref(c, uuid);
	lv_xdr_get_count(c->args, SCHED_PARAMS_MAX, 12, &count);
	for (uint32_t i = 0; i < count && !c->args->bad; i++) {
		char field[FIELD_MAX + 1];
		struct tvalue v;
		get_tparam(c, field, &v);
		if (why || c->args->bad)
			continue;
		bool shares = strcmp(field, "cpu_shares") == 0;	/* the tenant's cpu_weight */
		bool weight = strcmp(field, "vgpu_weight") == 0;
		if (!shares && !weight)
			why = "unknown scheduler parameter";
		else if ((shares && s.has_cpu_weight) || (weight && s.has_vgpu_weight))
			why = "parameter given twice";
		else if (!v.integer || v.negative)
			why = "needs a non-negative integer";
		else if (shares && (v.u < TENANT_CPU_WEIGHT_MIN || v.u > TENANT_CPU_WEIGHT_MAX))
			why = "outside the cpu weight range 1..10000";
		else if (weight && (v.u < TENANT_VGPU_WEIGHT_MIN || v.u > TENANT_VGPU_WEIGHT_MAX))
			why = "outside the vGPU weight range 1..10000";
		if (why) {
			memcpy(bad_field, field, sizeof(bad_field));
		} else if (shares) {
			s.has_cpu_weight = true;
			s.cpu_weight = (unsigned)v.u;
		} else {
			s.has_vgpu_weight = true;
			s.vgpu_weight = (unsigned)v.u;
		}
	}
	if (with_flags)
		lv_xdr_get_u32(c->args, &flags);
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	if (why)
		return lv_fail(c, LV_ERR_INVALID_ARG, "invalid argument: %s: %s", bad_field, why);
	struct lv_dom_info d;
	char err[ERRBUF] = "cannot set scheduler parameters";
	if ((rc = check_affect(c, flags, false)) || (rc = lv_resolve(c, uuid, &d)))
		return rc;
	if ((rc = c->be->set_sched(c->be->ctx, d.uuid, flags, &s, err, sizeof(err))))
		return lv_fail(c, rc, "%s", err);
	return 0;
}

int lv_proc_set_sched_params(struct lv_call *c)
{
	return set_params(c, false);
}

int lv_proc_set_sched_params_flags(struct lv_call *c)
{
	return set_params(c, true);
}
