/*
 * lv_xdr.c - bounded XDR codec (see lv_xdr.h).
 */
#include "lv_xdr.h"

#include <stdlib.h>
#include <string.h>

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

void lv_xdr_rd_init(struct lv_xdr_rd *r, const void *buf, size_t len)
{
	r->p = buf;
	r->len = len;
	r->pos = 0;
	r->bad = false;
}

static const uint8_t *take(struct lv_xdr_rd *r, size_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p + r->pos;
	r->pos += n;
	return p;
}

bool lv_xdr_get_u32(struct lv_xdr_rd *r, uint32_t *v)
{
	const uint8_t *p = take(r, 4);
	if (!p)
		return false;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return true;
}

bool lv_xdr_get_i32(struct lv_xdr_rd *r, int32_t *v)
{
	uint32_t u;
	if (!lv_xdr_get_u32(r, &u))
		return false;
	*v = (int32_t)u;
	return true;
}

bool lv_xdr_get_u64(struct lv_xdr_rd *r, uint64_t *v)
{
	uint32_t hi, lo;
	if (!lv_xdr_get_u32(r, &hi) || !lv_xdr_get_u32(r, &lo))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

bool lv_xdr_get_i64(struct lv_xdr_rd *r, int64_t *v)
{
	uint64_t u;
	if (!lv_xdr_get_u64(r, &u))
		return false;
	*v = (int64_t)u;
	return true;
}

bool lv_xdr_get_bool(struct lv_xdr_rd *r, bool *v)
{
	uint32_t u;
	if (!lv_xdr_get_u32(r, &u))
		return false;
	if (u > 1) {
		r->bad = true;
		return false;
	}
	*v = u == 1;
	return true;
}

bool lv_xdr_get_fixed(struct lv_xdr_rd *r, void *out, size_t n)
{
	const uint8_t *p = take(r, n);
	if (!p || !take(r, pad4(n)))
		return false;
	memcpy(out, p, n);
	return true;
}

bool lv_xdr_get_string_ref(struct lv_xdr_rd *r, size_t max, const char **s, size_t *n)
{
	uint32_t len;
	if (!lv_xdr_get_u32(r, &len))
		return false;
	if (len > max) {
		r->bad = true;
		return false;
	}
	const uint8_t *p = take(r, len);
	if (!p || !take(r, pad4(len)))
		return false;
	*s = (const char *)p;
	*n = len;
	return true;
}

bool lv_xdr_get_cstring(struct lv_xdr_rd *r, char *out, size_t outsz)
{
	const char *s;
	size_t n;
	if (outsz == 0 || !lv_xdr_get_string_ref(r, outsz - 1, &s, &n))
		return false;
	if (memchr(s, '\0', n)) {
		r->bad = true;
		return false;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

bool lv_xdr_get_count(struct lv_xdr_rd *r, uint32_t max, size_t min_elem_bytes, uint32_t *n)
{
	uint32_t c;
	if (!lv_xdr_get_u32(r, &c))
		return false;
	if (c > max || (min_elem_bytes && c > (r->len - r->pos) / min_elem_bytes)) {
		r->bad = true;
		return false;
	}
	*n = c;
	return true;
}

bool lv_xdr_rd_done(const struct lv_xdr_rd *r)
{
	return !r->bad && r->pos == r->len;
}

void lv_xdr_wr_init(struct lv_xdr_wr *w, size_t limit)
{
	w->buf = NULL;
	w->len = w->cap = 0;
	w->limit = limit;
	w->bad = false;
}

void lv_xdr_wr_free(struct lv_xdr_wr *w)
{
	free(w->buf);
	lv_xdr_wr_init(w, w->limit);
}

static uint8_t *room(struct lv_xdr_wr *w, size_t n)
{
	if (w->bad || n > w->limit - w->len) {
		w->bad = true;
		return NULL;
	}
	if (n > w->cap - w->len) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap - w->len < n)
			cap = cap > w->limit / 2 ? w->limit : cap * 2;
		uint8_t *b = realloc(w->buf, cap);
		if (!b) {
			w->bad = true;
			return NULL;
		}
		w->buf = b;
		w->cap = cap;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void lv_xdr_put_u32(struct lv_xdr_wr *w, uint32_t v)
{
	uint8_t *p = room(w, 4);
	if (p)
		be32(p, v);
}

void lv_xdr_put_i32(struct lv_xdr_wr *w, int32_t v)
{
	lv_xdr_put_u32(w, (uint32_t)v);
}

void lv_xdr_put_u64(struct lv_xdr_wr *w, uint64_t v)
{
	lv_xdr_put_u32(w, (uint32_t)(v >> 32));
	lv_xdr_put_u32(w, (uint32_t)v);
}

void lv_xdr_put_i64(struct lv_xdr_wr *w, int64_t v)
{
	lv_xdr_put_u64(w, (uint64_t)v);
}

void lv_xdr_put_fixed(struct lv_xdr_wr *w, const void *src, size_t n)
{
	uint8_t *p = room(w, n + pad4(n));
	if (!p)
		return;
	if (n)
		memcpy(p, src, n);
	memset(p + n, 0, pad4(n));
}

void lv_xdr_put_string(struct lv_xdr_wr *w, const char *s, size_t n)
{
	if (n > UINT32_MAX) {
		w->bad = true;
		return;
	}
	lv_xdr_put_u32(w, (uint32_t)n);
	lv_xdr_put_fixed(w, s, n);
}

void lv_xdr_put_cstring(struct lv_xdr_wr *w, const char *s)
{
	lv_xdr_put_string(w, s, strlen(s));
}

void lv_xdr_put_opt_cstring(struct lv_xdr_wr *w, const char *s)
{
	lv_xdr_put_u32(w, s != NULL);
	if (s)
		lv_xdr_put_cstring(w, s);
}

void lv_xdr_put_char_fixed(struct lv_xdr_wr *w, const char *s, size_t n)
{
	size_t sl = strnlen(s, n);
	for (size_t i = 0; i < n; i++)
		lv_xdr_put_u32(w, i < sl ? (uint32_t)(unsigned char)s[i] : 0);
}

void lv_xdr_put_char_var(struct lv_xdr_wr *w, const char *s)
{
	size_t n = strlen(s) + 1;
	if (n > UINT32_MAX) {
		w->bad = true;
		return;
	}
	lv_xdr_put_u32(w, (uint32_t)n);
	lv_xdr_put_char_fixed(w, s, n);
}

void lv_xdr_patch_u32(struct lv_xdr_wr *w, size_t off, uint32_t v)
{
	if (w->bad || off > w->len || w->len - off < 4) {
		w->bad = true;
		return;
	}
	be32(w->buf + off, v);
}
