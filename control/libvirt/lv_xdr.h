/*
 * lv_xdr.h - bounded XDR (RFC 4506) reader and writer, as libvirt's remote
 * protocol uses it: big-endian 4-byte units, everything padded to 4.
 *
 * The reader never trusts a length: each one is checked against the bytes
 * left and against the caller's protocol maximum before anything is copied
 * or allocated.  Both sides keep a sticky error flag so a handler can decode
 * or encode a whole struct and check once at the end.
 */
#ifndef AIVISOR_LV_XDR_H
#define AIVISOR_LV_XDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lv_xdr_rd {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

void lv_xdr_rd_init(struct lv_xdr_rd *r, const void *buf, size_t len);
bool lv_xdr_get_u32(struct lv_xdr_rd *r, uint32_t *v);
bool lv_xdr_get_i32(struct lv_xdr_rd *r, int32_t *v);
bool lv_xdr_get_u64(struct lv_xdr_rd *r, uint64_t *v);
bool lv_xdr_get_i64(struct lv_xdr_rd *r, int64_t *v);
/* An optional's "present" word: only 0 or 1 are valid. */
bool lv_xdr_get_bool(struct lv_xdr_rd *r, bool *v);
bool lv_xdr_get_fixed(struct lv_xdr_rd *r, void *out, size_t n);
/*
 * A string of at most `max` bytes, borrowed from the buffer (not NUL-
 * terminated).  Refused if longer than max or than the bytes left.
 */
bool lv_xdr_get_string_ref(struct lv_xdr_rd *r, size_t max, const char **s, size_t *n);
/* A string copied NUL-terminated into out[outsz]; embedded NULs refused. */
bool lv_xdr_get_cstring(struct lv_xdr_rd *r, char *out, size_t outsz);
/* An array count, refused above max or above what the bytes left can hold
 * at min_elem_bytes per element. */
bool lv_xdr_get_count(struct lv_xdr_rd *r, uint32_t max, size_t min_elem_bytes, uint32_t *n);
/* True when all input was consumed and nothing went wrong. */
bool lv_xdr_rd_done(const struct lv_xdr_rd *r);

struct lv_xdr_wr {
	uint8_t *buf;
	size_t len, cap, limit;
	bool bad;
};

/* limit: the most bytes this writer may ever hold (the packet maximum). */
void lv_xdr_wr_init(struct lv_xdr_wr *w, size_t limit);
void lv_xdr_wr_free(struct lv_xdr_wr *w);
void lv_xdr_put_u32(struct lv_xdr_wr *w, uint32_t v);
void lv_xdr_put_i32(struct lv_xdr_wr *w, int32_t v);
void lv_xdr_put_u64(struct lv_xdr_wr *w, uint64_t v);
void lv_xdr_put_i64(struct lv_xdr_wr *w, int64_t v);
void lv_xdr_put_fixed(struct lv_xdr_wr *w, const void *p, size_t n);
void lv_xdr_put_string(struct lv_xdr_wr *w, const char *s, size_t n);
void lv_xdr_put_cstring(struct lv_xdr_wr *w, const char *s);
/* An optional string: absent when s is NULL. */
void lv_xdr_put_opt_cstring(struct lv_xdr_wr *w, const char *s);
/* libvirt's char arrays: 4 bytes per character. */
void lv_xdr_put_char_fixed(struct lv_xdr_wr *w, const char *s, size_t n);
/* Counted char array including the trailing NUL (security model/label). */
void lv_xdr_put_char_var(struct lv_xdr_wr *w, const char *s);
/* Overwrites 4 bytes at off (used to patch the packet length). */
void lv_xdr_patch_u32(struct lv_xdr_wr *w, size_t off, uint32_t v);

#endif
