/*
 * lv_rpc.h - libvirt RPC packet framing: the length word, the 24-byte
 * header, and error replies (virNetMessageError).
 *
 * Packet = u32 length (including itself) | prog | vers | proc | type |
 * serial | status | payload.  Replies echo prog, vers, proc and serial,
 * because virsh matches them against its pending call.
 */
#ifndef AIVISOR_LV_RPC_H
#define AIVISOR_LV_RPC_H

#include <stdbool.h>
#include <stdint.h>

#include "lv_xdr.h"

#define LV_PROG_REMOTE 0x20008086u
#define LV_PROG_KEEPALIVE 0x6b656570u	/* "keep" */
#define LV_PROTO_VERSION 1u

#define LV_KEEPALIVE_PING 1
#define LV_KEEPALIVE_PONG 2

enum lv_msg_type { LV_CALL = 0, LV_REPLY = 1, LV_MESSAGE = 2, LV_STREAM = 3 };
enum lv_msg_status { LV_STATUS_OK = 0, LV_STATUS_ERROR = 1 };

/* Error domains (virErrorDomain) we report from. */
#define LV_FROM_NONE 0
#define LV_FROM_RPC 7

#define LV_HDR_LEN 28u		/* length word + header */
/* libvirt's packet maximum: 16 MiB of header plus payload, plus the length word. */
#define LV_PACKET_MAX (16u * 1024 * 1024 + 4)
/* We accept smaller calls: the largest one we serve is DEFINE_XML, whose
 * document is capped far lower (LV_DOMXML_MAX). */
#define LV_CALL_MAX (2u * 1024 * 1024)
#define LV_STRING_MAX (4u * 1024 * 1024)	/* REMOTE_STRING_MAX */

struct lv_hdr {
	uint32_t prog, vers;
	int32_t proc, type;
	uint32_t serial;
	int32_t status;
};

/* Reads length word and header; false if malformed or length disagrees with len. */
bool lv_rpc_decode_hdr(struct lv_xdr_rd *r, size_t len, struct lv_hdr *h);
/* Appends a whole packet: header (from h, with type/status given) + payload. */
void lv_rpc_put_packet(struct lv_xdr_wr *w, const struct lv_hdr *h, int32_t type, int32_t status, const uint8_t *payload, size_t n);
/* Appends an error REPLY to call h. */
void lv_rpc_put_error(struct lv_xdr_wr *w, const struct lv_hdr *h, int32_t code, int32_t domain, const char *msg);

#endif
