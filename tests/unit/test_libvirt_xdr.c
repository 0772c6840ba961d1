/*
 * Unit tests: the bounded XDR codec and packet framing (control/libvirt/
 * lv_xdr.c, lv_rpc.c), against byte sequences captured from virsh 9.0.0
 * talking to libvirtd (../shared/libvirt-remote-protocol.md section 12).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lv_rpc.h"
#include "lv_xdr.h"

/* Capture A: AUTH_LIST call, serial 0, no payload. */
static const uint8_t auth_list_call[] = {
	0x00, 0x00, 0x00, 0x1c, 0x20, 0x00, 0x80, 0x86, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x42,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* Capture A: its reply, one auth type (NONE). */
static const uint8_t auth_list_reply[] = {
	0x00, 0x00, 0x00, 0x24, 0x20, 0x00, 0x80, 0x86, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x42,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
};

static void decodes_captured_header(void **state)
{
	(void)state;
	struct lv_xdr_rd r;
	struct lv_hdr h;
	lv_xdr_rd_init(&r, auth_list_call, sizeof(auth_list_call));
	assert_true(lv_rpc_decode_hdr(&r, sizeof(auth_list_call), &h));
	assert_int_equal(h.prog, LV_PROG_REMOTE);
	assert_int_equal(h.vers, 1);
	assert_int_equal(h.proc, 66);
	assert_int_equal(h.type, LV_CALL);
	assert_int_equal(h.serial, 0);
	assert_true(lv_xdr_rd_done(&r));
}

static void encodes_captured_reply(void **state)
{
	(void)state;
	struct lv_xdr_wr pay, out;
	struct lv_hdr h = { LV_PROG_REMOTE, 1, 66, LV_CALL, 0, 0 };
	lv_xdr_wr_init(&pay, 1024);
	lv_xdr_wr_init(&out, 1024);
	lv_xdr_put_u32(&pay, 1);
	lv_xdr_put_i32(&pay, 0);
	lv_rpc_put_packet(&out, &h, LV_REPLY, LV_STATUS_OK, pay.buf, pay.len);
	assert_false(out.bad);
	assert_int_equal(out.len, sizeof(auth_list_reply));
	assert_memory_equal(out.buf, auth_list_reply, sizeof(auth_list_reply));
	lv_xdr_wr_free(&pay);
	lv_xdr_wr_free(&out);
}

static void header_length_must_match(void **state)
{
	(void)state;
	uint8_t pkt[sizeof(auth_list_call)];
	struct lv_xdr_rd r;
	struct lv_hdr h;
	memcpy(pkt, auth_list_call, sizeof(pkt));
	pkt[3] = 0x20;	/* claims 32 bytes, has 28 */
	lv_xdr_rd_init(&r, pkt, sizeof(pkt));
	assert_false(lv_rpc_decode_hdr(&r, sizeof(pkt), &h));
	pkt[3] = 0x18;	/* below the header size */
	lv_xdr_rd_init(&r, pkt, 24);
	assert_false(lv_rpc_decode_hdr(&r, 24, &h));
	lv_xdr_rd_init(&r, pkt, 10);	/* truncated header */
	assert_false(lv_rpc_decode_hdr(&r, 10, &h));
}

static void strings_pad_and_round_trip(void **state)
{
	(void)state;
	struct lv_xdr_wr w;
	lv_xdr_wr_init(&w, 1024);
	lv_xdr_put_cstring(&w, "t1");
	lv_xdr_put_u64(&w, 0x0102030405060708ull);
	lv_xdr_put_opt_cstring(&w, NULL);
	lv_xdr_put_opt_cstring(&w, "abcd");
	static const uint8_t want[] = { 0, 0, 0, 2, 't', '1', 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
					0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4, 'a', 'b', 'c', 'd' };
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(w.buf, want, sizeof(want));

	struct lv_xdr_rd r;
	char s[8];
	uint64_t v;
	bool present;
	lv_xdr_rd_init(&r, w.buf, w.len);
	assert_true(lv_xdr_get_cstring(&r, s, sizeof(s)));
	assert_string_equal(s, "t1");
	assert_true(lv_xdr_get_u64(&r, &v));
	assert_true(v == 0x0102030405060708ull);
	assert_true(lv_xdr_get_bool(&r, &present));
	assert_false(present);
	assert_true(lv_xdr_get_bool(&r, &present));
	assert_true(present);
	assert_true(lv_xdr_get_cstring(&r, s, sizeof(s)));
	assert_string_equal(s, "abcd");
	assert_true(lv_xdr_rd_done(&r));
	lv_xdr_wr_free(&w);
}

static void char_arrays_take_four_bytes_per_char(void **state)
{
	(void)state;
	struct lv_xdr_wr w;
	lv_xdr_wr_init(&w, 1024);
	lv_xdr_put_char_var(&w, "none");	/* capture H: count 5 incl. NUL */
	static const uint8_t want[] = { 0, 0, 0, 5, 0, 0, 0, 'n', 0, 0, 0, 'o', 0, 0, 0, 'n', 0, 0, 0, 'e', 0, 0, 0, 0 };
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(w.buf, want, sizeof(want));
	w.len = 0;
	lv_xdr_put_char_fixed(&w, "x86_64", 32);	/* capture G: model[32] = 128 bytes */
	assert_int_equal(w.len, 128);
	assert_int_equal(w.buf[7], '8');
	assert_int_equal(w.buf[127], 0);
	lv_xdr_wr_free(&w);
}

static void refuses_truncated_input(void **state)
{
	(void)state;
	static const uint8_t three[] = { 0, 0, 0 };
	struct lv_xdr_rd r;
	uint32_t u;
	lv_xdr_rd_init(&r, three, sizeof(three));
	assert_false(lv_xdr_get_u32(&r, &u));
	assert_true(r.bad);
	/* sticky: later reads fail too even if bytes were there */
	assert_false(lv_xdr_get_u32(&r, &u));

	static const uint8_t str[] = { 0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e' };	/* padding missing */
	const char *s;
	size_t n;
	lv_xdr_rd_init(&r, str, sizeof(str));
	assert_false(lv_xdr_get_string_ref(&r, 100, &s, &n));
}

static void refuses_huge_and_negative_lengths(void **state)
{
	(void)state;
	static const uint8_t neg[] = { 0xff, 0xff, 0xff, 0xff, 'a', 'b', 'c', 'd' };
	static const uint8_t big[] = { 0x00, 0x00, 0x01, 0x00, 'a', 'b', 'c', 'd' };
	struct lv_xdr_rd r;
	const char *s;
	size_t n;
	uint32_t c;
	lv_xdr_rd_init(&r, neg, sizeof(neg));
	assert_false(lv_xdr_get_string_ref(&r, LV_STRING_MAX, &s, &n));
	lv_xdr_rd_init(&r, big, sizeof(big));
	assert_false(lv_xdr_get_string_ref(&r, 16, &s, &n));	/* over the protocol max */
	lv_xdr_rd_init(&r, big, sizeof(big));
	assert_false(lv_xdr_get_string_ref(&r, LV_STRING_MAX, &s, &n));	/* over the bytes left */
	/* array counts: over max, and over what the remaining bytes can hold */
	lv_xdr_rd_init(&r, big, sizeof(big));
	assert_false(lv_xdr_get_count(&r, 16, 4, &c));
	lv_xdr_rd_init(&r, big, sizeof(big));
	assert_false(lv_xdr_get_count(&r, 100000, 4, &c));
	static const uint8_t one[] = { 0, 0, 0, 1, 0, 0, 0, 7 };
	lv_xdr_rd_init(&r, one, sizeof(one));
	assert_true(lv_xdr_get_count(&r, 16, 4, &c));
	assert_int_equal(c, 1);
}

static void refuses_bad_optional_and_embedded_nul(void **state)
{
	(void)state;
	static const uint8_t two[] = { 0, 0, 0, 2 };
	static const uint8_t nul[] = { 0, 0, 0, 3, 'a', 0, 'b', 0 };
	struct lv_xdr_rd r;
	bool b;
	char s[8];
	lv_xdr_rd_init(&r, two, sizeof(two));
	assert_false(lv_xdr_get_bool(&r, &b));
	lv_xdr_rd_init(&r, nul, sizeof(nul));
	assert_false(lv_xdr_get_cstring(&r, s, sizeof(s)));
	/* too long for the caller's buffer */
	static const uint8_t longer[] = { 0, 0, 0, 8, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
	lv_xdr_rd_init(&r, longer, sizeof(longer));
	assert_false(lv_xdr_get_cstring(&r, s, sizeof(s)));
}

static void trailing_bytes_are_not_done(void **state)
{
	(void)state;
	static const uint8_t two_words[] = { 0, 0, 0, 1, 0, 0, 0, 2 };
	struct lv_xdr_rd r;
	uint32_t u;
	lv_xdr_rd_init(&r, two_words, sizeof(two_words));
	assert_true(lv_xdr_get_u32(&r, &u));
	assert_false(lv_xdr_rd_done(&r));
}

static void writer_respects_its_limit(void **state)
{
	(void)state;
	struct lv_xdr_wr w;
	lv_xdr_wr_init(&w, 8);
	lv_xdr_put_u32(&w, 1);
	lv_xdr_put_u32(&w, 2);
	assert_false(w.bad);
	lv_xdr_put_u32(&w, 3);
	assert_true(w.bad);
	assert_int_equal(w.len, 8);
	lv_xdr_wr_free(&w);
}

static void error_reply_layout(void **state)
{
	(void)state;
	struct lv_xdr_wr w;
	struct lv_hdr h = { LV_PROG_REMOTE, 1, 23, LV_CALL, 5, 0 };
	lv_xdr_wr_init(&w, 4096);
	lv_rpc_put_error(&w, &h, 42, 0, "Domain not found");
	assert_false(w.bad);
	struct lv_xdr_rd r;
	struct lv_hdr g;
	lv_xdr_rd_init(&r, w.buf, w.len);
	assert_true(lv_rpc_decode_hdr(&r, w.len, &g));
	assert_int_equal(g.type, LV_REPLY);
	assert_int_equal(g.status, LV_STATUS_ERROR);
	assert_int_equal(g.serial, 5);
	assert_int_equal(g.proc, 23);
	int32_t code, dom, level, i1, i2;
	bool present;
	char msg[64];
	assert_true(lv_xdr_get_i32(&r, &code) && lv_xdr_get_i32(&r, &dom));
	assert_int_equal(code, 42);
	assert_true(lv_xdr_get_bool(&r, &present) && present);
	assert_true(lv_xdr_get_cstring(&r, msg, sizeof(msg)));
	assert_string_equal(msg, "Domain not found");
	assert_true(lv_xdr_get_i32(&r, &level));
	assert_int_equal(level, 2);
	for (int i = 0; i < 4; i++) {	/* dom, str1, str2, str3 absent */
		assert_true(lv_xdr_get_bool(&r, &present));
		assert_false(present);
	}
	assert_true(lv_xdr_get_i32(&r, &i1) && lv_xdr_get_i32(&r, &i2));
	assert_true(lv_xdr_get_bool(&r, &present));	/* net */
	assert_true(lv_xdr_rd_done(&r));
	lv_xdr_wr_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_captured_header),
		cmocka_unit_test(encodes_captured_reply),
		cmocka_unit_test(header_length_must_match),
		cmocka_unit_test(strings_pad_and_round_trip),
		cmocka_unit_test(char_arrays_take_four_bytes_per_char),
		cmocka_unit_test(refuses_truncated_input),
		cmocka_unit_test(refuses_huge_and_negative_lengths),
		cmocka_unit_test(refuses_bad_optional_and_embedded_nul),
		cmocka_unit_test(trailing_bytes_are_not_done),
		cmocka_unit_test(writer_respects_its_limit),
		cmocka_unit_test(error_reply_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
