/*
 * lv_proc.h - internal to the dispatcher: the call context every
 * procedure handler gets, shared argument helpers, and the handlers.
 *
 * A handler decodes its arguments from c->args, calls lv_args_end(c) before
 * it changes anything (so a malformed call has no effect), acts through
 * c->be and encodes its result into c->ret.  It returns 0, or an LV_ERR_*
 * code with c->msg filled in (lv_fail does both).
 */
#ifndef AIVISOR_LV_PROC_H
#define AIVISOR_LV_PROC_H

#include <stdbool.h>

#include "lv_backend.h"
#include "lv_dispatch.h"
#include "lv_xdr.h"

struct lv_call {
	const struct lv_backend *be;
	struct lv_session *s;
	struct lv_xdr_rd *args;
	struct lv_xdr_wr *ret;
	int32_t err_domain;
	char msg[1024];
};

int lv_fail(struct lv_call *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Checks the arguments were well-formed and fully consumed. */
int lv_args_end(struct lv_call *c);
/* Reads a domain reference (name, uuid, id); keeps only the UUID. */
void lv_get_ref(struct lv_call *c, unsigned char uuid[LV_UUID_LEN]);
/* Resolves a UUID through the backend; NO_DOMAIN if unknown. */
int lv_resolve(struct lv_call *c, const unsigned char uuid[LV_UUID_LEN], struct lv_dom_info *d);
/* The common argument shapes: `dom` and `dom; u32 flags`, read, checked
 * complete and resolved. */
int lv_args_dom(struct lv_call *c, struct lv_dom_info *d);
int lv_args_dom_flags(struct lv_call *c, struct lv_dom_info *d, uint32_t *flags);
void lv_put_dom(struct lv_call *c, const struct lv_dom_info *d);

#define LV_DOMAIN_LIST_MAX 16384	/* REMOTE_DOMAIN_LIST_MAX */

/* connection and host (lv_proc_conn.c) */
int lv_proc_open(struct lv_call *c);
int lv_proc_close(struct lv_call *c);
int lv_proc_get_type(struct lv_call *c);
int lv_proc_get_version(struct lv_call *c);
int lv_proc_get_lib_version(struct lv_call *c);
int lv_proc_get_hostname(struct lv_call *c);
int lv_proc_get_uri(struct lv_call *c);
int lv_proc_node_get_info(struct lv_call *c);
int lv_proc_get_capabilities(struct lv_call *c);
int lv_proc_supports_feature(struct lv_call *c);
int lv_proc_auth_list(struct lv_call *c);
int lv_proc_security_model(struct lv_call *c);
int lv_proc_void(struct lv_call *c);

/* listing, lookup and queries (lv_proc_dom.c) */
int lv_proc_list_all(struct lv_call *c);
int lv_proc_num_of_domains(struct lv_call *c);
int lv_proc_list_domains(struct lv_call *c);
int lv_proc_num_of_defined(struct lv_call *c);
int lv_proc_list_defined(struct lv_call *c);
int lv_proc_lookup_by_id(struct lv_call *c);
int lv_proc_lookup_by_name(struct lv_call *c);
int lv_proc_lookup_by_uuid(struct lv_call *c);
int lv_proc_get_state(struct lv_call *c);
int lv_proc_get_info(struct lv_call *c);
int lv_proc_get_os_type(struct lv_call *c);
int lv_proc_is_active(struct lv_call *c);
int lv_proc_is_persistent(struct lv_call *c);
int lv_proc_get_autostart(struct lv_call *c);
int lv_proc_dom_zero_flags(struct lv_call *c);
int lv_proc_get_security_label(struct lv_call *c);
int lv_proc_get_messages(struct lv_call *c);
int lv_proc_get_xml_desc(struct lv_call *c);

/* lifecycle (lv_proc_life.c) */
int lv_proc_define_xml(struct lv_call *c);
int lv_proc_define_xml_flags(struct lv_call *c);
int lv_proc_undefine(struct lv_call *c);
int lv_proc_undefine_flags(struct lv_call *c);
int lv_proc_create(struct lv_call *c);
int lv_proc_create_with_flags(struct lv_call *c);
int lv_proc_shutdown(struct lv_call *c);
int lv_proc_shutdown_flags(struct lv_call *c);
int lv_proc_destroy(struct lv_call *c);
int lv_proc_destroy_flags(struct lv_call *c);

/* lifecycle event registration (lv_proc_event.c) */
int lv_proc_event_register(struct lv_call *c);
int lv_proc_event_deregister(struct lv_call *c);

/* scheduler (lv_proc_sched.c) */
int lv_proc_get_sched_type(struct lv_call *c);
int lv_proc_get_sched_params(struct lv_call *c);
int lv_proc_get_sched_params_flags(struct lv_call *c);
int lv_proc_set_sched_params(struct lv_call *c);
int lv_proc_set_sched_params_flags(struct lv_call *c);

#endif
