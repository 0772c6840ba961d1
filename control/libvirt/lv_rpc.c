/*
 * lv_rpc.c - packet header and error replies (see lv_rpc.h).
 */
#include "lv_rpc.h"

#include <string.h>

bool lv_rpc_decode_hdr(struct lv_xdr_rd *r, size_t len, struct lv_hdr *h)
{
	uint32_t plen;
	if (!lv_xdr_get_u32(r, &plen) || plen != len || plen < LV_HDR_LEN)
		return false;
	return lv_xdr_get_u32(r, &h->prog) && lv_xdr_get_u32(r, &h->vers) &&
	       lv_xdr_get_i32(r, &h->proc) && lv_xdr_get_i32(r, &h->type) &&
	       lv_xdr_get_u32(r, &h->serial) && lv_xdr_get_i32(r, &h->status);
}

void lv_rpc_put_packet(struct lv_xdr_wr *w, const struct lv_hdr *h, int32_t type, int32_t status, const uint8_t *payload, size_t n)
{
	size_t start = w->len;
	if (n > LV_PACKET_MAX - LV_HDR_LEN) {
		w->bad = true;
		return;
	}
	lv_xdr_put_u32(w, (uint32_t)(LV_HDR_LEN + n));
	lv_xdr_put_u32(w, h->prog);
	lv_xdr_put_u32(w, h->vers);
	lv_xdr_put_i32(w, h->proc);
	lv_xdr_put_i32(w, type);
	lv_xdr_put_u32(w, h->serial);
	lv_xdr_put_i32(w, status);
	/* payload is already XDR-encoded (a multiple of 4), copy as is */
	if (n && !w->bad) {
		size_t at = w->len;
		lv_xdr_put_fixed(w, payload, n);
		if (!w->bad && w->len - at != n)
			w->bad = true;
	}
	if (w->bad)
		w->len = start;	/* drop the partial packet */
}

void lv_rpc_put_error(struct lv_xdr_wr *w, const struct lv_hdr *h, int32_t code, int32_t domain, const char *msg)
{
	struct lv_xdr_wr e;
	lv_xdr_wr_init(&e, 64 * 1024);
	lv_xdr_put_i32(&e, code);
	lv_xdr_put_i32(&e, domain);
	/* keep the message well under the writer limit whatever the caller passes */
	lv_xdr_put_u32(&e, 1);
	lv_xdr_put_string(&e, msg, strnlen(msg, 4096));
	lv_xdr_put_i32(&e, 2);		/* level: VIR_ERR_ERROR */
	lv_xdr_put_u32(&e, 0);		/* dom: absent */
	lv_xdr_put_u32(&e, 0);		/* str1 */
	lv_xdr_put_u32(&e, 0);		/* str2 */
	lv_xdr_put_u32(&e, 0);		/* str3 */
	lv_xdr_put_i32(&e, -1);		/* int1 */
	lv_xdr_put_i32(&e, -1);		/* int2 */
	lv_xdr_put_u32(&e, 0);		/* net: absent */
	if (e.bad)
		w->bad = true;
	else
		lv_rpc_put_packet(w, h, LV_REPLY, LV_STATUS_ERROR, e.buf, e.len);
	lv_xdr_wr_free(&e);
}
