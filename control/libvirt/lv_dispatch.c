/*
 * lv_dispatch.c - the procedure table and the checks every call passes
 * before its handler runs: program, version, message type, connection
 * state, read-only access.  Handlers live in lv_proc_*.c.
 */
#include "lv_dispatch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lv_proc.h"
#include "lv_rpc.h"

struct lv_proc {
	int32_t num;
	const char *name;
	bool changes;		/* refused on read-only connections */
	bool before_open;	/* allowed before CONNECT_OPEN */
	int (*fn)(struct lv_call *c);
};

/* REMOTE program procedures we serve, by number (libvirt 9.0.0 numbering). */
static const struct lv_proc procs[] = {
	{ 1, "CONNECT_OPEN", false, true, lv_proc_open },
	{ 2, "CONNECT_CLOSE", false, true, lv_proc_close },
	{ 3, "CONNECT_GET_TYPE", false, false, lv_proc_get_type },
	{ 4, "CONNECT_GET_VERSION", false, false, lv_proc_get_version },
	{ 6, "NODE_GET_INFO", false, false, lv_proc_node_get_info },
	{ 7, "CONNECT_GET_CAPABILITIES", false, false, lv_proc_get_capabilities },
	{ 9, "DOMAIN_CREATE", true, false, lv_proc_create },
	{ 11, "DOMAIN_DEFINE_XML", true, false, lv_proc_define_xml },
	{ 12, "DOMAIN_DESTROY", true, false, lv_proc_destroy },
	{ 14, "DOMAIN_GET_XML_DESC", false, false, lv_proc_get_xml_desc },
	{ 15, "DOMAIN_GET_AUTOSTART", false, false, lv_proc_get_autostart },
	{ 16, "DOMAIN_GET_INFO", false, false, lv_proc_get_info },
	{ 19, "DOMAIN_GET_OS_TYPE", false, false, lv_proc_get_os_type },
	{ 21, "CONNECT_LIST_DEFINED_DOMAINS", false, false, lv_proc_list_defined },
	{ 22, "DOMAIN_LOOKUP_BY_ID", false, false, lv_proc_lookup_by_id },
	{ 23, "DOMAIN_LOOKUP_BY_NAME", false, false, lv_proc_lookup_by_name },
	{ 24, "DOMAIN_LOOKUP_BY_UUID", false, false, lv_proc_lookup_by_uuid },
	{ 25, "CONNECT_NUM_OF_DEFINED_DOMAINS", false, false, lv_proc_num_of_defined },
	{ 33, "DOMAIN_SHUTDOWN", true, false, lv_proc_shutdown },
	{ 35, "DOMAIN_UNDEFINE", true, false, lv_proc_undefine },
	{ 37, "CONNECT_LIST_DOMAINS", false, false, lv_proc_list_domains },
	{ 51, "CONNECT_NUM_OF_DOMAINS", false, false, lv_proc_num_of_domains },
	{ 56, "DOMAIN_GET_SCHEDULER_TYPE", false, false, lv_proc_get_sched_type },
	{ 57, "DOMAIN_GET_SCHEDULER_PARAMETERS", false, false, lv_proc_get_sched_params },
	{ 58, "DOMAIN_SET_SCHEDULER_PARAMETERS", true, false, lv_proc_set_sched_params },
	{ 59, "CONNECT_GET_HOSTNAME", false, false, lv_proc_get_hostname },
	{ 60, "CONNECT_SUPPORTS_FEATURE", false, true, lv_proc_supports_feature },
	{ 66, "AUTH_LIST", false, true, lv_proc_auth_list },
	{ 110, "CONNECT_GET_URI", false, false, lv_proc_get_uri },
	{ 121, "DOMAIN_GET_SECURITY_LABEL", false, false, lv_proc_get_security_label },
	{ 122, "NODE_GET_SECURITY_MODEL", false, false, lv_proc_security_model },
	{ 150, "DOMAIN_IS_ACTIVE", false, false, lv_proc_is_active },
	{ 151, "DOMAIN_IS_PERSISTENT", false, false, lv_proc_is_persistent },
	{ 157, "CONNECT_GET_LIB_VERSION", false, false, lv_proc_get_lib_version },
	{ 183, "DOMAIN_HAS_MANAGED_SAVE_IMAGE", false, false, lv_proc_dom_zero_flags },
	{ 187, "DOMAIN_SNAPSHOT_NUM", false, false, lv_proc_dom_zero_flags },
	{ 196, "DOMAIN_CREATE_WITH_FLAGS", true, false, lv_proc_create_with_flags },
	{ 212, "DOMAIN_GET_STATE", false, false, lv_proc_get_state },
	{ 219, "DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS", true, false, lv_proc_set_sched_params_flags },
	{ 223, "DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS", false, false, lv_proc_get_sched_params_flags },
	{ 231, "DOMAIN_UNDEFINE_FLAGS", true, false, lv_proc_undefine_flags },
	{ 234, "DOMAIN_DESTROY_FLAGS", true, false, lv_proc_destroy_flags },
	{ 258, "DOMAIN_SHUTDOWN_FLAGS", true, false, lv_proc_shutdown_flags },
	{ 273, "CONNECT_LIST_ALL_DOMAINS", false, false, lv_proc_list_all },
	{ 316, "CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY", false, false, lv_proc_event_register },
	{ 317, "CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY", false, false, lv_proc_event_deregister },
	{ 350, "DOMAIN_DEFINE_XML_FLAGS", true, false, lv_proc_define_xml_flags },
	{ 360, "CONNECT_REGISTER_CLOSE_CALLBACK", false, false, lv_proc_void },
	{ 361, "CONNECT_UNREGISTER_CLOSE_CALLBACK", false, false, lv_proc_void },
	{ 426, "DOMAIN_GET_MESSAGES", false, false, lv_proc_get_messages },
};

static const struct lv_proc *find_proc(int32_t num)
{
	size_t lo = 0, hi = sizeof(procs) / sizeof(procs[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (procs[mid].num == num)
			return &procs[mid];
		if (procs[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int lv_fail(struct lv_call *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return code;
}

int lv_args_end(struct lv_call *c)
{
	if (lv_xdr_rd_done(c->args))
		return 0;
	c->err_domain = LV_FROM_RPC;
	return lv_fail(c, LV_ERR_RPC, "Unable to decode message payload: %s",
		       c->args->bad ? "malformed or out-of-range arguments" : "trailing bytes after the arguments");
}

/* Keepalive: answer PING with PONG; a PONG (to pings we never send) is dropped. */
static enum lv_disp keepalive(const struct lv_hdr *h, struct lv_xdr_wr *out)
{
	if (h->vers != LV_PROTO_VERSION || h->type != LV_MESSAGE)
		return LV_DISP_CLOSE;
	if (h->proc == LV_KEEPALIVE_PING) {
		struct lv_hdr pong = { LV_PROG_KEEPALIVE, LV_PROTO_VERSION, LV_KEEPALIVE_PONG, LV_MESSAGE, 0, 0 };
		lv_rpc_put_packet(out, &pong, LV_MESSAGE, LV_STATUS_OK, NULL, 0);
		return out->bad ? LV_DISP_CLOSE : LV_DISP_OK;
	}
	return h->proc == LV_KEEPALIVE_PONG ? LV_DISP_OK : LV_DISP_CLOSE;
}

enum lv_disp lv_dispatch(const struct lv_backend *be, struct lv_session *s, const uint8_t *pkt, size_t len,
			 struct lv_xdr_wr *out)
{
	struct lv_xdr_rd r;
	struct lv_hdr h;
	lv_xdr_rd_init(&r, pkt, len);
	if (!lv_rpc_decode_hdr(&r, len, &h))
		return LV_DISP_CLOSE;
	if (h.prog == LV_PROG_KEEPALIVE)
		return keepalive(&h, out);
	/* Anything but a call from a client is a protocol violation: we have no
	 * streams and never sent a call it could reply to. */
	if (h.type != LV_CALL)
		return LV_DISP_CLOSE;

	if (h.prog != LV_PROG_REMOTE) {
		lv_rpc_put_error(out, &h, LV_ERR_RPC, LV_FROM_RPC, "cannot find program: unknown program number");
		return out->bad ? LV_DISP_CLOSE : LV_DISP_OK;
	}
	if (h.vers != LV_PROTO_VERSION) {
		lv_rpc_put_error(out, &h, LV_ERR_RPC, LV_FROM_RPC, "unsupported program version");
		return out->bad ? LV_DISP_CLOSE : LV_DISP_OK;
	}

	struct lv_xdr_rd args;
	lv_xdr_rd_init(&args, pkt + r.pos, len - r.pos);
	struct lv_xdr_wr ret;
	lv_xdr_wr_init(&ret, LV_PACKET_MAX - LV_HDR_LEN);
	struct lv_call c = { .be = be, .s = s, .args = &args, .ret = &ret, .err_domain = LV_FROM_NONE };
	const struct lv_proc *p = find_proc(h.proc);
	int code;
	if (!p) {
		/* code 3, not libvirtd's 39: virsh's fallbacks (e.g. list) key on it */
		code = lv_fail(&c, LV_ERR_NO_SUPPORT, "this function is not supported by the aivisor driver (procedure %d)", h.proc);
	} else if (!p->before_open && !s->opened) {
		code = lv_fail(&c, LV_ERR_INVALID_CONN, "%s: connection is not open", p->name);
	} else if (p->changes && s->readonly) {
		code = lv_fail(&c, LV_ERR_OPERATION_DENIED, "operation forbidden: read only access prevents %s", p->name);
	} else {
		code = p->fn(&c);
		if (!code && ret.bad)
			code = lv_fail(&c, LV_ERR_INTERNAL, "%s: reply too large or out of memory", p->name);
		s->changed |= p->changes && !code;
	}
	if (code)
		lv_rpc_put_error(out, &h, code, c.err_domain, c.msg);
	else
		lv_rpc_put_packet(out, &h, LV_REPLY, LV_STATUS_OK, ret.buf, ret.len);
	lv_xdr_wr_free(&ret);
	return out->bad ? LV_DISP_CLOSE : LV_DISP_OK;
}
