/*
 * libFuzzer target build/fuzz/xdr: arbitrary bytes as a client's packet
 * stream through the framing, the XDR decoder and the dispatcher, against
 * the in-memory registry.  Input: one flags byte (bit 0: connection already
 * open, bit 1: read-only socket), then packets, each taken by its own length
 * word (truncated to what is left, as a lying client would send it).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lv_dispatch.h"
#include "lv_memstore.h"
#include "lv_rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct lv_memstore *m = lv_memstore_new();
	struct lv_backend be;
	struct lv_xdr_wr out;
	struct lv_session s = { .opened = data[0] & 1, .ro_socket = (data[0] >> 1) & 1 };
	s.readonly = s.ro_socket;
	if (!m)
		return 0;
	lv_memstore_backend(m, &be);
	lv_xdr_wr_init(&out, LV_PACKET_MAX);
	size_t pos = 1;
	while (size - pos >= 4) {
		const uint8_t *p = data + pos;
		size_t len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
		if (len < 4 || len > size - pos)
			len = size - pos;	/* the endpoint would wait or close; the dispatcher must cope */
		out.len = 0;
		if (lv_dispatch(&be, &s, p, len, &out) == LV_DISP_CLOSE)
			break;
		/* every reply must itself be a well-formed packet */
		if (out.len) {
			struct lv_xdr_rd r;
			struct lv_hdr h;
			lv_xdr_rd_init(&r, out.buf, out.len);
			size_t plen = (size_t)out.buf[0] << 24 | (size_t)out.buf[1] << 16 | (size_t)out.buf[2] << 8 | out.buf[3];
			if (plen != out.len || !lv_rpc_decode_hdr(&r, plen, &h))
				abort();
		}
		pos += len;
	}
	lv_xdr_wr_free(&out);
	lv_memstore_free(m);
	return 0;
}
