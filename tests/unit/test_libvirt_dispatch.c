/*
 * Unit tests: the dispatcher (control/libvirt/lv_dispatch.c, lv_proc_*.c)
 * over the in-memory registry, packet in, packet out: virsh's handshake and
 * command sequences, and every malformed-packet case the issue lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lv_dispatch.h"
#include "lv_memstore.h"
#include "lv_rpc.h"

struct fx {
	struct lv_memstore *m;
	struct lv_backend be;
	struct lv_session s;
	struct lv_xdr_wr out;
	uint32_t serial;
};

/* The reply to the last call: header and a reader over its payload. */
struct reply {
	struct lv_hdr h;
	struct lv_xdr_rd r;
	int32_t code;	/* error code when h.status is ERROR */
	char msg[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->m = lv_memstore_new();
	lv_memstore_backend(f->m, &f->be);
	lv_xdr_wr_init(&f->out, LV_PACKET_MAX);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	lv_xdr_wr_free(&f->out);
	lv_memstore_free(f->m);
	free(f);
	return 0;
}

static enum lv_disp send_raw(struct fx *f, const uint8_t *pkt, size_t len)
{
	f->out.len = 0;
	return lv_dispatch(&f->be, &f->s, pkt, len, &f->out);
}

/* Sends a CALL with payload args; fills rep from the single reply packet. */
static enum lv_disp call_prog(struct fx *f, uint32_t prog, uint32_t vers, int32_t proc, const struct lv_xdr_wr *args,
			      struct reply *rep)
{
	struct lv_xdr_wr pkt;
	struct lv_hdr h = { prog, vers, proc, LV_CALL, f->serial++, 0 };
	lv_xdr_wr_init(&pkt, LV_PACKET_MAX);
	lv_rpc_put_packet(&pkt, &h, LV_CALL, LV_STATUS_OK, args ? args->buf : NULL, args ? args->len : 0);
	enum lv_disp d = send_raw(f, pkt.buf, pkt.len);
	lv_xdr_wr_free(&pkt);
	memset(rep, 0, sizeof(*rep));
	if (d == LV_DISP_OK && f->out.len) {
		lv_xdr_rd_init(&rep->r, f->out.buf, f->out.len);
		assert_true(lv_rpc_decode_hdr(&rep->r, f->out.len, &rep->h));
		assert_int_equal(rep->h.serial, h.serial);	/* virsh matches replies by serial */
		assert_int_equal(rep->h.proc, proc);
		assert_int_equal(rep->h.prog, prog);
		if (rep->h.status == LV_STATUS_ERROR) {
			int32_t dom;
			bool present;
			assert_true(lv_xdr_get_i32(&rep->r, &rep->code) && lv_xdr_get_i32(&rep->r, &dom));
			assert_true(lv_xdr_get_bool(&rep->r, &present) && present);
			assert_true(lv_xdr_get_cstring(&rep->r, rep->msg, sizeof(rep->msg)));
		}
	}
	return d;
}

static enum lv_disp call(struct fx *f, int32_t proc, const struct lv_xdr_wr *args, struct reply *rep)
{
	return call_prog(f, LV_PROG_REMOTE, 1, proc, args, rep);
}

static void expect_ok(struct fx *f, int32_t proc, const struct lv_xdr_wr *args, struct reply *rep)
{
	assert_int_equal(call(f, proc, args, rep), LV_DISP_OK);
	if (rep->h.status != LV_STATUS_OK)
		fail_msg("procedure %d failed: code %d: %s", proc, rep->code, rep->msg);
}

static void expect_error(struct fx *f, int32_t proc, const struct lv_xdr_wr *args, int32_t code)
{
	struct reply rep;
	assert_int_equal(call(f, proc, args, &rep), LV_DISP_OK);
	assert_int_equal(rep.h.type, LV_REPLY);
	assert_int_equal(rep.h.status, LV_STATUS_ERROR);
	if (rep.code != code)
		fail_msg("procedure %d: code %d (%s), wanted %d", proc, rep.code, rep.msg, code);
}

static void open_conn(struct fx *f, uint32_t flags)
{
	struct lv_xdr_wr a;
	struct reply rep;
	lv_xdr_wr_init(&a, 4096);
	lv_xdr_put_opt_cstring(&a, "aivisor:///system");
	lv_xdr_put_u32(&a, flags);
	expect_ok(f, 1, &a, &rep);
	lv_xdr_wr_free(&a);
}

static const char tenant_xml[] =
	"<domain type='aivisor'><name>t1</name><uuid>11111111-2222-4333-8444-555555555555</uuid>"
	"<memory unit='MiB'>128</memory><cputune><shares>300</shares></cputune>"
	"<os><kernel>/bin/agent</kernel></os>"
	"<metadata><aivisor:vgpu xmlns:aivisor='https://aivisor.dev/xmlns/1' weight='5'/></metadata></domain>";
static const unsigned char t1_uuid[16] = { 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x43, 0x33,
					   0x84, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55 };

static void put_dom(struct lv_xdr_wr *a, const char *name, const unsigned char *uuid, int32_t id)
{
	lv_xdr_put_cstring(a, name);
	lv_xdr_put_fixed(a, uuid, 16);
	lv_xdr_put_i32(a, id);
}

static void define_t1(struct fx *f)
{
	struct lv_xdr_wr a;
	struct reply rep;
	char name[64];
	unsigned char uuid[16];
	int32_t id;
	lv_xdr_wr_init(&a, 65536);
	lv_xdr_put_cstring(&a, tenant_xml);
	expect_ok(f, 11, &a, &rep);
	assert_true(lv_xdr_get_cstring(&rep.r, name, sizeof(name)));
	assert_true(lv_xdr_get_fixed(&rep.r, uuid, 16));
	assert_true(lv_xdr_get_i32(&rep.r, &id));
	assert_string_equal(name, "t1");
	assert_memory_equal(uuid, t1_uuid, 16);
	assert_int_equal(id, -1);
	lv_xdr_wr_free(&a);
}

static void handshake_as_virsh_does(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr a;
	struct reply rep;
	uint32_t n;
	int32_t v;
	lv_xdr_wr_init(&a, 64);
	expect_ok(f, 66, NULL, &rep);	/* AUTH_LIST before open: [NONE] */
	assert_true(lv_xdr_get_u32(&rep.r, &n) && n == 1);
	assert_true(lv_xdr_get_i32(&rep.r, &v) && v == 0);
	lv_xdr_put_i32(&a, 10);		/* keepalive: yes */
	expect_ok(f, 60, &a, &rep);
	assert_true(lv_xdr_get_i32(&rep.r, &v) && v == 1);
	open_conn(f, 0);
	a.len = 0;
	lv_xdr_put_i32(&a, 9);		/* typed string params: no */
	expect_ok(f, 60, &a, &rep);
	assert_true(lv_xdr_get_i32(&rep.r, &v) && v == 0);
	expect_ok(f, 360, NULL, &rep);
	expect_ok(f, 361, NULL, &rep);
	expect_ok(f, 2, NULL, &rep);
	assert_false(f->s.opened);
	lv_xdr_wr_free(&a);
}

static void refuses_calls_before_open_and_other_drivers(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr a;
	lv_xdr_wr_init(&a, 4096);
	expect_error(f, 273, NULL, LV_ERR_INVALID_CONN);
	lv_xdr_put_opt_cstring(&a, "qemu:///system");
	lv_xdr_put_u32(&a, 0);
	expect_error(f, 1, &a, LV_ERR_NO_CONNECT);
	assert_false(f->s.opened);
	lv_xdr_wr_free(&a);
}

static void lifecycle_and_lookups(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr a;
	struct reply rep;
	int32_t st, reason, active;
	uint32_t count;
	lv_xdr_wr_init(&a, 4096);
	open_conn(f, 0);
	define_t1(f);

	lv_xdr_put_cstring(&a, "t1");
	expect_ok(f, 23, &a, &rep);		/* LOOKUP_BY_NAME */
	a.len = 0;
	lv_xdr_put_cstring(&a, "nosuch");
	expect_error(f, 23, &a, LV_ERR_NO_DOMAIN);

	a.len = 0;
	put_dom(&a, "stale-name", t1_uuid, 99);	/* resolved by uuid, name/id ignored */
	expect_ok(f, 9, &a, &rep);		/* DOMAIN_CREATE */
	expect_error(f, 9, &a, LV_ERR_OPERATION_INVALID);	/* already running */

	a.len = 0;
	lv_xdr_put_fixed(&a, t1_uuid, 16);
	expect_ok(f, 24, &a, &rep);		/* LOOKUP_BY_UUID gives the new id */
	char name[64];
	unsigned char u[16];
	int32_t id;
	assert_true(lv_xdr_get_cstring(&rep.r, name, sizeof(name)) && lv_xdr_get_fixed(&rep.r, u, 16) &&
		    lv_xdr_get_i32(&rep.r, &id));
	assert_true(id > 0);

	a.len = 0;
	put_dom(&a, "t1", t1_uuid, id);
	lv_xdr_put_u32(&a, 0);
	expect_ok(f, 212, &a, &rep);		/* GET_STATE: running (booted) */
	assert_true(lv_xdr_get_i32(&rep.r, &st) && lv_xdr_get_i32(&rep.r, &reason));
	assert_int_equal(st, LV_STATE_RUNNING);
	assert_int_equal(reason, 1);

	a.len = 0;
	lv_xdr_put_i32(&a, 1);
	lv_xdr_put_u32(&a, 1);			/* LIST_ALL_DOMAINS active */
	expect_ok(f, 273, &a, &rep);
	assert_true(lv_xdr_get_u32(&rep.r, &count));
	assert_int_equal(count, 1);

	a.len = 0;
	put_dom(&a, "t1", t1_uuid, id);
	expect_error(f, 35, &a, LV_ERR_OPERATION_INVALID);	/* undefine while running */
	expect_ok(f, 33, &a, &rep);		/* shutdown */
	expect_ok(f, 150, &a, &rep);		/* IS_ACTIVE: 0 */
	assert_true(lv_xdr_get_i32(&rep.r, &active));
	assert_int_equal(active, 0);
	lv_xdr_put_u32(&a, 0);
	expect_ok(f, 231, &a, &rep);		/* UNDEFINE_FLAGS */
	a.len = 0;
	lv_xdr_put_fixed(&a, t1_uuid, 16);
	expect_error(f, 24, &a, LV_ERR_NO_DOMAIN);
	lv_xdr_wr_free(&a);
}

static void schedinfo_respects_nparams_and_ranges(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr a;
	struct reply rep;
	char field[81];
	int32_t type;
	uint32_t n;
	uint64_t v;
	lv_xdr_wr_init(&a, 4096);
	open_conn(f, 0);
	define_t1(f);

	put_dom(&a, "t1", t1_uuid, -1);
	lv_xdr_put_i32(&a, 1);			/* virsh may ask for fewer than we have */
	expect_ok(f, 57, &a, &rep);
	assert_true(lv_xdr_get_u32(&rep.r, &n));
	assert_int_equal(n, 1);
	assert_true(lv_xdr_get_cstring(&rep.r, field, sizeof(field)) && lv_xdr_get_i32(&rep.r, &type) &&
		    lv_xdr_get_u64(&rep.r, &v));
	assert_string_equal(field, "cpu_shares");
	assert_int_equal(type, 4);
	assert_int_equal(v, 300);
	assert_true(lv_xdr_rd_done(&rep.r));

	/* --config set of vgpu_weight (UINT), with the STRING_OKAY bit masked on get */
	a.len = 0;
	put_dom(&a, "t1", t1_uuid, -1);
	lv_xdr_put_u32(&a, 1);
	lv_xdr_put_cstring(&a, "vgpu_weight");
	lv_xdr_put_i32(&a, 2);
	lv_xdr_put_u32(&a, 42);
	lv_xdr_put_u32(&a, LV_AFFECT_CONFIG);
	expect_ok(f, 219, &a, &rep);
	a.len = 0;
	put_dom(&a, "t1", t1_uuid, -1);
	lv_xdr_put_i32(&a, 2);
	lv_xdr_put_u32(&a, LV_AFFECT_CONFIG | 4);
	expect_ok(f, 223, &a, &rep);
	uint32_t w;
	assert_true(lv_xdr_get_u32(&rep.r, &n) && n == 2);
	assert_true(lv_xdr_get_cstring(&rep.r, field, sizeof(field)) && lv_xdr_get_i32(&rep.r, &type) &&
		    lv_xdr_get_u64(&rep.r, &v));
	assert_true(lv_xdr_get_cstring(&rep.r, field, sizeof(field)) && lv_xdr_get_i32(&rep.r, &type) &&
		    lv_xdr_get_u32(&rep.r, &w));
	assert_string_equal(field, "vgpu_weight");
	assert_int_equal(w, 42);

	/* --live on a stopped tenant, out-of-range and unknown parameters */
	a.len = 0;
	put_dom(&a, "t1", t1_uuid, -1);
	lv_xdr_put_u32(&a, 1);
	lv_xdr_put_cstring(&a, "cpu_shares");
	lv_xdr_put_i32(&a, 4);
	lv_xdr_put_u64(&a, 500);
	lv_xdr_put_u32(&a, LV_AFFECT_LIVE);
	expect_error(f, 219, &a, LV_ERR_OPERATION_INVALID);
	a.len = 0;
	put_dom(&a, "t1", t1_uuid, -1);
	lv_xdr_put_u32(&a, 1);
	lv_xdr_put_cstring(&a, "cpu_shares");
	lv_xdr_put_i32(&a, 4);
	lv_xdr_put_u64(&a, 1u << 20);
	lv_xdr_put_u32(&a, LV_AFFECT_CONFIG);
	expect_error(f, 219, &a, LV_ERR_INVALID_ARG);
	a.len = 0;
	put_dom(&a, "t1", t1_uuid, -1);
	lv_xdr_put_u32(&a, 1);
	lv_xdr_put_cstring(&a, "vcpu_period");
	lv_xdr_put_i32(&a, 4);
	lv_xdr_put_u64(&a, 1000);
	lv_xdr_put_u32(&a, LV_AFFECT_CONFIG);
	expect_error(f, 219, &a, LV_ERR_INVALID_ARG);
	/* nothing above changed the shares */
	a.len = 0;
	put_dom(&a, "t1", t1_uuid, -1);
	lv_xdr_put_i32(&a, 1);
	expect_ok(f, 57, &a, &rep);
	assert_true(lv_xdr_get_u32(&rep.r, &n) && lv_xdr_get_cstring(&rep.r, field, sizeof(field)) &&
		    lv_xdr_get_i32(&rep.r, &type) && lv_xdr_get_u64(&rep.r, &v));
	assert_int_equal(v, 300);
	lv_xdr_wr_free(&a);
}

static void read_only_refuses_every_change(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr a;
	struct reply rep;
	lv_xdr_wr_init(&a, 65536);
	open_conn(f, 0);
	define_t1(f);
	f->s = (struct lv_session){ .ro_socket = true, .readonly = true };
	open_conn(f, 0);
	assert_true(f->s.readonly);
	lv_xdr_put_cstring(&a, tenant_xml);
	expect_error(f, 11, &a, LV_ERR_OPERATION_DENIED);
	a.len = 0;
	put_dom(&a, "t1", t1_uuid, -1);
	static const int32_t changing[] = { 9, 12, 33, 35 };
	for (size_t i = 0; i < sizeof(changing) / sizeof(changing[0]); i++)
		expect_error(f, changing[i], &a, LV_ERR_OPERATION_DENIED);
	expect_ok(f, 16, &a, &rep);	/* reading is fine */
	/* a read-write socket asked for read-only (virsh -r with socket=) */
	f->s = (struct lv_session){ 0 };
	open_conn(f, 1);
	expect_error(f, 9, &a, LV_ERR_OPERATION_DENIED);
	lv_xdr_wr_free(&a);
}

static void unknown_procedure_program_and_version(void **state)
{
	struct fx *f = *state;
	struct reply rep;
	open_conn(f, 0);
	expect_error(f, 9999, NULL, LV_ERR_NO_SUPPORT);	/* virsh falls back only on code 3 */
	expect_error(f, 61, NULL, LV_ERR_NO_SUPPORT);
	expect_error(f, -5, NULL, LV_ERR_NO_SUPPORT);
	assert_int_equal(call_prog(f, 0x20008087, 1, 1, NULL, &rep), LV_DISP_OK);	/* QEMU program */
	assert_int_equal(rep.h.status, LV_STATUS_ERROR);
	assert_int_equal(rep.code, LV_ERR_RPC);
	assert_int_equal(call_prog(f, LV_PROG_REMOTE, 2, 4, NULL, &rep), LV_DISP_OK);	/* wrong version */
	assert_int_equal(rep.h.status, LV_STATUS_ERROR);
	assert_int_equal(rep.code, LV_ERR_RPC);
}

static void malformed_arguments_change_nothing(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr a;
	struct reply rep;
	uint32_t n;
	lv_xdr_wr_init(&a, 65536);
	open_conn(f, 0);
	/* string length claims more than the packet holds */
	lv_xdr_put_u32(&a, 1000);
	lv_xdr_put_fixed(&a, "<domain", 7);
	expect_error(f, 11, &a, LV_ERR_RPC);
	/* a huge length (4 GiB - 1) */
	a.len = 0;
	lv_xdr_put_u32(&a, 0xffffffffu);
	expect_error(f, 11, &a, LV_ERR_RPC);
	/* a whole valid define with trailing garbage must not define */
	a.len = 0;
	lv_xdr_put_cstring(&a, tenant_xml);
	lv_xdr_put_u32(&a, 7);
	expect_error(f, 11, &a, LV_ERR_RPC);
	/* a truncated domain reference */
	a.len = 0;
	lv_xdr_put_cstring(&a, "t1");
	lv_xdr_put_fixed(&a, t1_uuid, 8);
	expect_error(f, 9, &a, LV_ERR_RPC);
	/* huge typed-parameter count */
	a.len = 0;
	put_dom(&a, "t1", t1_uuid, -1);
	lv_xdr_put_u32(&a, 100000);
	expect_error(f, 219, &a, LV_ERR_RPC);
	/* hostile XML through the wire */
	a.len = 0;
	lv_xdr_put_cstring(&a, "<!DOCTYPE x [<!ENTITY a 'aaaa'>]><domain type='aivisor'><name>&a;</name></domain>");
	expect_error(f, 11, &a, LV_ERR_XML_ERROR);
	a.len = 0;
	lv_xdr_put_i32(&a, 1);
	lv_xdr_put_u32(&a, 3);
	expect_ok(f, 273, &a, &rep);
	assert_true(lv_xdr_get_u32(&rep.r, &n));
	assert_int_equal(n, 0);		/* nothing got defined */
	lv_xdr_wr_free(&a);
}

static void broken_framing_closes(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr p;
	struct lv_hdr h = { LV_PROG_REMOTE, 1, 4, LV_CALL, 1, 0 };
	lv_xdr_wr_init(&p, 4096);
	lv_rpc_put_packet(&p, &h, LV_CALL, 0, NULL, 0);
	assert_int_equal(send_raw(f, p.buf, 20), LV_DISP_CLOSE);	/* truncated header */
	p.buf[3] = 0x40;						/* length disagrees */
	assert_int_equal(send_raw(f, p.buf, p.len), LV_DISP_CLOSE);
	p.buf[3] = 0x1c;
	p.buf[19] = LV_REPLY;						/* clients don't send replies */
	assert_int_equal(send_raw(f, p.buf, p.len), LV_DISP_CLOSE);
	lv_xdr_wr_free(&p);
}

static void keepalive_ping_gets_pong(void **state)
{
	struct fx *f = *state;
	/* capture K, client side */
	static const uint8_t ping[] = { 0, 0, 0, 0x1c, 0x6b, 0x65, 0x65, 0x70, 0, 0, 0, 1, 0, 0, 0, 1,
					0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t pong[] = { 0, 0, 0, 0x1c, 0x6b, 0x65, 0x65, 0x70, 0, 0, 0, 1, 0, 0, 0, 2,
					0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(send_raw(f, ping, sizeof(ping)), LV_DISP_OK);
	assert_int_equal(f->out.len, sizeof(pong));
	assert_memory_equal(f->out.buf, pong, sizeof(pong));
	assert_int_equal(send_raw(f, pong, sizeof(pong)), LV_DISP_OK);	/* a PONG needs no answer */
	assert_int_equal(f->out.len, 0);
	uint8_t bad[sizeof(ping)];
	memcpy(bad, ping, sizeof(bad));
	bad[15] = 9;
	assert_int_equal(send_raw(f, bad, sizeof(bad)), LV_DISP_CLOSE);
}

static void dumpxml_and_dominfo_calls(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr a;
	struct reply rep;
	const char *xml;
	size_t n;
	lv_xdr_wr_init(&a, 4096);
	open_conn(f, 0);
	define_t1(f);
	put_dom(&a, "t1", t1_uuid, -1);
	lv_xdr_put_u32(&a, 0);
	expect_ok(f, 14, &a, &rep);
	assert_true(lv_xdr_get_string_ref(&rep.r, LV_STRING_MAX, &xml, &n));
	assert_non_null(memmem(xml, n, "<shares>300</shares>", 20));
	assert_non_null(memmem(xml, n, "weight=\"5\"", 10));
	/* dominfo's optional calls answer, not fail */
	static const int32_t dom_only[] = { 19, 16, 151, 15, 121 };
	a.len = 0;
	put_dom(&a, "t1", t1_uuid, -1);
	for (size_t i = 0; i < sizeof(dom_only) / sizeof(dom_only[0]); i++)
		expect_ok(f, dom_only[i], &a, &rep);
	lv_xdr_put_u32(&a, 0);
	static const int32_t dom_flags[] = { 183, 187, 426 };
	for (size_t i = 0; i < sizeof(dom_flags) / sizeof(dom_flags[0]); i++)
		expect_ok(f, dom_flags[i], &a, &rep);
	expect_ok(f, 122, NULL, &rep);
	static const int32_t host[] = { 3, 4, 6, 7, 59, 110, 157 };
	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++)
		expect_ok(f, host[i], NULL, &rep);
	lv_xdr_wr_free(&a);
}

static void event_callbacks_register_and_deregister(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr a;
	struct reply rep;
	int32_t id0, id1;
	lv_xdr_wr_init(&a, 4096);
	open_conn(f, 0);
	define_t1(f);
	lv_xdr_put_i32(&a, 0);		/* lifecycle, every domain */
	lv_xdr_put_u32(&a, 0);
	expect_ok(f, 316, &a, &rep);
	assert_true(lv_xdr_get_i32(&rep.r, &id0));
	a.len = 0;
	lv_xdr_put_i32(&a, 0);		/* lifecycle, one domain */
	lv_xdr_put_u32(&a, 1);
	put_dom(&a, "t1", t1_uuid, -1);
	expect_ok(f, 316, &a, &rep);
	assert_true(lv_xdr_get_i32(&rep.r, &id1));
	assert_true(id1 != id0);
	assert_int_equal(f->s.ncb, 2);
	assert_true(f->s.cb[1].has_dom);
	assert_memory_equal(f->s.cb[1].uuid, t1_uuid, 16);
	a.len = 0;
	lv_xdr_put_i32(&a, 5);		/* a reboot event: not ours */
	lv_xdr_put_u32(&a, 0);
	expect_error(f, 316, &a, LV_ERR_NO_SUPPORT);
	a.len = 0;
	lv_xdr_put_i32(&a, 0);
	lv_xdr_put_u32(&a, 1);
	put_dom(&a, "x", (const unsigned char *)"0123456789abcdef", -1);
	expect_error(f, 316, &a, LV_ERR_NO_DOMAIN);
	a.len = 0;
	lv_xdr_put_i32(&a, id0);
	expect_ok(f, 317, &a, &rep);
	expect_error(f, 317, &a, LV_ERR_INVALID_ARG);	/* already gone */
	assert_int_equal(f->s.ncb, 1);
	/* the callback table is bounded */
	a.len = 0;
	lv_xdr_put_i32(&a, 0);
	lv_xdr_put_u32(&a, 0);
	for (int i = 1; i < LV_SESSION_CALLBACKS; i++)
		expect_ok(f, 316, &a, &rep);
	expect_error(f, 316, &a, LV_ERR_OPERATION_FAILED);
	lv_xdr_wr_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(handshake_as_virsh_does, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_calls_before_open_and_other_drivers, setup, teardown),
		cmocka_unit_test_setup_teardown(lifecycle_and_lookups, setup, teardown),
		cmocka_unit_test_setup_teardown(schedinfo_respects_nparams_and_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only_refuses_every_change, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_procedure_program_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_arguments_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(broken_framing_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(keepalive_ping_gets_pong, setup, teardown),
		cmocka_unit_test_setup_teardown(dumpxml_and_dominfo_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(event_callbacks_register_and_deregister, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
