/*
 * lv_proc_conn.c - connection and host procedures: the handshake virsh
 * makes on every command (AUTH_LIST, SUPPORTS_FEATURE, OPEN, CLOSE) and the
 * host queries (version, hostname, nodeinfo, capabilities).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "lv_proc.h"
#include "lv_rpc.h"

#define LV_HV_VERSION 1000u	/* aivisor 0.1.0 as major*1e6 + minor*1e3 + micro */
#define LV_LIB_VERSION 9000000u	/* the libvirt API level whose protocol we speak */

/* Features of CONNECT_SUPPORTS_FEATURE (libvirt-internal numbering). */
#define FEATURE_PROGRAM_KEEPALIVE 10
#define FEATURE_REMOTE_EVENT_CALLBACK 14
#define FEATURE_REMOTE_CLOSE_CALLBACK 15

static int host(struct lv_call *c, struct lv_host_info *hi)
{
	char err[512] = "";
	*hi = (struct lv_host_info){ 0 };
	int rc = c->be->host_info(c->be->ctx, hi, err, sizeof(err));
	if (rc)
		return lv_fail(c, rc, "%s", err);
	hi->model[sizeof(hi->model) - 1] = '\0';
	hi->hostname[sizeof(hi->hostname) - 1] = '\0';
	return 0;
}

int lv_proc_auth_list(struct lv_call *c)
{
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	lv_xdr_put_u32(c->ret, 1);
	lv_xdr_put_i32(c->ret, 0);	/* REMOTE_AUTH_NONE: socket permissions are the access control */
	return 0;
}

int lv_proc_supports_feature(struct lv_call *c)
{
	int32_t f = 0;
	lv_xdr_get_i32(c->args, &f);
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	/* Keepalive: we answer PINGs so idle virsh sessions stay up.  Event
	 * callbacks: lifecycle events through 316/317/318.  Close callback:
	 * 360/361 are no-ops, saying yes keeps virsh quiet.  Everything else
	 * (typed string params, migration, fd passing) no. */
	lv_xdr_put_i32(c->ret, f == FEATURE_PROGRAM_KEEPALIVE || f == FEATURE_REMOTE_EVENT_CALLBACK ||
				       f == FEATURE_REMOTE_CLOSE_CALLBACK);
	return 0;
}

int lv_proc_open(struct lv_call *c)
{
	bool has_name = false;
	const char *name = NULL;
	size_t n = 0;
	uint32_t flags = 0;
	if (lv_xdr_get_bool(c->args, &has_name) && has_name)
		lv_xdr_get_string_ref(c->args, LV_STRING_MAX, &name, &n);
	lv_xdr_get_u32(c->args, &flags);
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	if (c->s->opened)
		return lv_fail(c, LV_ERR_OPERATION_INVALID, "connection is already open");
	/* virsh sends "aivisor:///system" for aivisor:// and aivisor+unix:// URIs */
	if (has_name && n && (n < 8 || strncasecmp(name, "aivisor:", 8) != 0))
		return lv_fail(c, LV_ERR_NO_CONNECT, "no connection driver available for %.*s (this socket serves aivisor:///system)",
			       (int)(n > 200 ? 200 : n), name);
	c->s->opened = true;
	c->s->readonly = c->s->ro_socket || (flags & 1u);
	return 0;
}

int lv_proc_close(struct lv_call *c)
{
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	c->s->opened = false;
	return 0;
}

int lv_proc_void(struct lv_call *c)
{
	return lv_args_end(c);
}

int lv_proc_get_type(struct lv_call *c)
{
	int rc = lv_args_end(c);
	if (!rc)
		lv_xdr_put_cstring(c->ret, "aivisor");
	return rc;
}

int lv_proc_get_version(struct lv_call *c)
{
	int rc = lv_args_end(c);
	if (!rc)
		lv_xdr_put_u64(c->ret, LV_HV_VERSION);
	return rc;
}

int lv_proc_get_lib_version(struct lv_call *c)
{
	int rc = lv_args_end(c);
	if (!rc)
		lv_xdr_put_u64(c->ret, LV_LIB_VERSION);
	return rc;
}

int lv_proc_get_uri(struct lv_call *c)
{
	int rc = lv_args_end(c);
	if (!rc)
		lv_xdr_put_cstring(c->ret, "aivisor:///system");
	return rc;
}

int lv_proc_get_hostname(struct lv_call *c)
{
	struct lv_host_info hi;
	int rc = lv_args_end(c);
	if (!rc)
		rc = host(c, &hi);
	if (!rc)
		lv_xdr_put_cstring(c->ret, hi.hostname);
	return rc;
}

int lv_proc_node_get_info(struct lv_call *c)
{
	struct lv_host_info hi;
	int rc = lv_args_end(c);
	if (!rc)
		rc = host(c, &hi);
	if (rc)
		return rc;
	lv_xdr_put_char_fixed(c->ret, hi.model, 32);
	lv_xdr_put_u64(c->ret, hi.memory_kib);
	lv_xdr_put_i32(c->ret, hi.cpus);
	lv_xdr_put_i32(c->ret, hi.mhz);
	lv_xdr_put_i32(c->ret, hi.nodes);
	lv_xdr_put_i32(c->ret, hi.sockets);
	lv_xdr_put_i32(c->ret, hi.cores);
	lv_xdr_put_i32(c->ret, hi.threads);
	return 0;
}

int lv_proc_get_capabilities(struct lv_call *c)
{
	struct lv_host_info hi;
	int rc = lv_args_end(c);
	if (!rc)
		rc = host(c, &hi);
	if (rc)
		return rc;
	char xml[2048];
	int n = snprintf(xml, sizeof(xml),
			 "<capabilities>\n"
			 "  <host>\n"
			 "    <cpu>\n"
			 "      <arch>x86_64</arch>\n"
			 "      <topology sockets='%" PRId32 "' dies='1' cores='%" PRId32 "' threads='%" PRId32 "'/>\n"
			 "    </cpu>\n"
			 "    <memory unit='KiB'>%" PRIu64 "</memory>\n"
			 "  </host>\n"
			 "  <guest>\n"
			 "    <os_type>hvm</os_type>\n"
			 "    <arch name='x86_64'>\n"
			 "      <wordsize>64</wordsize>\n"
			 "      <domain type='aivisor'/>\n"
			 "    </arch>\n"
			 "  </guest>\n"
			 "</capabilities>\n",
			 hi.sockets, hi.cores, hi.threads, hi.memory_kib);
	if (n < 0 || (size_t)n >= sizeof(xml))
		return lv_fail(c, LV_ERR_INTERNAL, "capabilities XML does not fit");
	lv_xdr_put_string(c->ret, xml, (size_t)n);
	return 0;
}

int lv_proc_security_model(struct lv_call *c)
{
	int rc = lv_args_end(c);
	if (rc)
		return rc;
	/* "none": no security driver labels our VMs; dominfo then asks 121 */
	lv_xdr_put_char_var(c->ret, "none");
	lv_xdr_put_char_var(c->ret, "0");
	return 0;
}
