/*
 * model_file.c - the model file: encode, decode, save, load.
 * Layout (little-endian) in docs/MODEL-FORMAT.md: a 32-byte header, a
 * layer table, the input scaler, the parameters, and a CRC-32 of all the
 * bytes before it.  Decoding trusts nothing: sizes are derived from the
 * checked architecture and compared with the real length before any
 * parameter is read.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_params.h"
#include "file_read.h"

#define HEADER_SIZE 32u
#define LAYER_ENTRY 8u
#define MAX_FILE (1ull << 31)

struct writer {
	uint8_t *p;
};

static void put_u32(struct writer *w, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		*w->p++ = (uint8_t)(v >> (8 * i));
}

static void put_f32s(struct writer *w, const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u;

		memcpy(&u, &v[i], 4);
		put_u32(w, u);
	}
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Reads n floats; returns -1 if any is NaN or infinite. */
static int get_f32s(const uint8_t **p, float *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u = get_u32(*p);

		memcpy(&v[i], &u, 4);
		*p += 4;
		if (!isfinite(v[i]))
			return -1;
	}
	return 0;
}

static size_t payload_size(const struct eng_arch *a, enum eng_param_kind kind)
{
	if (kind == ENG_PARAMS_F32)
		return eng_arch_param_count(a) * 4;
	return (size_t)a->n_layers * 4 + eng_params_col_offset(a, a->n_layers) * 4 +
	       eng_params_q_offset(a, a->n_layers);
}

static size_t file_size(const struct eng_arch *a, enum eng_param_kind kind)
{
	return HEADER_SIZE + (size_t)a->n_layers * LAYER_ENTRY +
	       (size_t)eng_arch_inputs(a) * 8 + payload_size(a, kind) + 4;
}

size_t eng_params_file_size(const struct eng_params *p)
{
	return file_size(&p->arch, p->kind);
}

int eng_params_encode(const struct eng_params *p, uint8_t **buf, size_t *len,
		      struct eng_err *err)
{
	const struct eng_arch *a = &p->arch;
	size_t n = file_size(a, p->kind);
	struct writer w;

	if (eng_arch_check(a, err) < 0)
		return -1;
	*buf = malloc(n);
	if (!*buf)
		return eng_errorf(err, "out of memory encoding the model");
	w.p = *buf;
	memcpy(w.p, ENG_MODEL_MAGIC, 8);
	w.p += 8;
	put_u32(&w, ENG_MODEL_VERSION);
	put_u32(&w, (uint32_t)p->kind);
	put_u32(&w, a->n_layers);
	put_u32(&w, (uint32_t)a->loss);
	put_u32(&w, eng_arch_inputs(a));
	put_u32(&w, 0);
	for (uint32_t l = 0; l < a->n_layers; l++) {
		put_u32(&w, a->layer[l].out);
		put_u32(&w, (uint32_t)a->layer[l].act);
	}
	put_f32s(&w, p->scaler.offset, p->scaler.d);
	put_f32s(&w, p->scaler.mul, p->scaler.d);
	if (p->kind == ENG_PARAMS_F32) {
		put_f32s(&w, p->f, eng_arch_param_count(a));
	} else {
		size_t nq = eng_params_q_offset(a, a->n_layers);
		size_t nc = eng_params_col_offset(a, a->n_layers);

		put_f32s(&w, p->qscale, a->n_layers);
		put_f32s(&w, p->qbias, nc);
		memcpy(w.p, p->q, nq);
		w.p += nq;
	}
	put_u32(&w, eng_crc32(*buf, n - 4));
	*len = n;
	return 0;
}

/* Header and layer table into an arch; checks it. */
static int decode_arch(const uint8_t *buf, size_t len, const char *source,
		       struct eng_arch *a, enum eng_param_kind *kind,
		       struct eng_err *err)
{
	uint32_t version, n_layers, inputs;

	if (len < HEADER_SIZE + 4)
		return eng_errorf(err, "%s: truncated model file (%zu bytes)", source, len);
	if (memcmp(buf, ENG_MODEL_MAGIC, 8) != 0)
		return eng_errorf(err, "%s: not an aivisor model file (bad magic)", source);
	version = get_u32(buf + 8);
	if (version != ENG_MODEL_VERSION)
		return eng_errorf(err, "%s: model format version %u, this agent reads %u",
				  source, version, ENG_MODEL_VERSION);
	*kind = (enum eng_param_kind)get_u32(buf + 12);
	if (*kind != ENG_PARAMS_F32 && *kind != ENG_PARAMS_I8)
		return eng_errorf(err, "%s: corrupt model file: unknown kind %u",
				  source, (unsigned)*kind);
	n_layers = get_u32(buf + 16);
	inputs = get_u32(buf + 24);
	if (n_layers == 0 || n_layers > ENG_MAX_LAYERS)
		return eng_errorf(err, "%s: corrupt model file: %u layers", source, n_layers);
	if (get_u32(buf + 28) != 0)
		return eng_errorf(err, "%s: corrupt model file: reserved field set", source);
	if (len < HEADER_SIZE + (size_t)n_layers * LAYER_ENTRY + 4)
		return eng_errorf(err, "%s: truncated model file (%zu bytes)", source, len);
	memset(a, 0, sizeof(*a));
	a->n_layers = n_layers;
	a->loss = (enum eng_loss)get_u32(buf + 20);
	for (uint32_t l = 0; l < n_layers; l++) {
		const uint8_t *e = buf + HEADER_SIZE + l * LAYER_ENTRY;

		a->layer[l].in = l ? a->layer[l - 1].out : inputs;
		a->layer[l].out = get_u32(e);
		a->layer[l].act = (enum eng_act)get_u32(e + 4);
	}
	if (eng_arch_check(a, err) < 0) {
		char why[sizeof(err->msg)];

		memcpy(why, err->msg, sizeof(why));
		return eng_errorf(err, "%s: corrupt model file: %.400s", source, why);
	}
	return 0;
}

int eng_params_decode(const uint8_t *buf, size_t len, const char *source,
		      struct eng_params *p, struct eng_err *err)
{
	struct eng_arch a;
	enum eng_param_kind kind = ENG_PARAMS_F32;
	const uint8_t *r;
	size_t want;
	uint32_t in;

	memset(p, 0, sizeof(*p));
	if (decode_arch(buf, len, source, &a, &kind, err) < 0)
		return -1;
	want = file_size(&a, kind);
	if (len < want)
		return eng_errorf(err, "%s: truncated model file: %zu bytes, the header promises %zu",
				  source, len, want);
	if (len > want)
		return eng_errorf(err, "%s: corrupt model file: %zu bytes after the end",
				  source, len - want);
	if (get_u32(buf + len - 4) != eng_crc32(buf, len - 4))
		return eng_errorf(err, "%s: corrupt model file: checksum mismatch", source);
	if (eng_params_alloc(p, &a, kind, err) < 0)
		return -1;
	in = eng_arch_inputs(&a);
	r = buf + HEADER_SIZE + (size_t)a.n_layers * LAYER_ENTRY;
	if (get_f32s(&r, p->scaler.offset, in) < 0 || get_f32s(&r, p->scaler.mul, in) < 0)
		goto nonfinite;
	if (kind == ENG_PARAMS_F32) {
		if (get_f32s(&r, p->f, eng_arch_param_count(&a)) < 0)
			goto nonfinite;
	} else {
		size_t nc = eng_params_col_offset(&a, a.n_layers);

		if (get_f32s(&r, p->qscale, a.n_layers) < 0 ||
		    get_f32s(&r, p->qbias, nc) < 0)
			goto nonfinite;
		memcpy(p->q, r, eng_params_q_offset(&a, a.n_layers));
	}
	return 0;
nonfinite:
	eng_params_free(p);
	return eng_errorf(err, "%s: corrupt model file: a parameter is NaN or infinite",
			  source);
}

int eng_params_save(const struct eng_params *p, const char *path,
		    struct eng_err *err)
{
	uint8_t *buf;
	size_t len;
	FILE *f;
	int ok;

	if (eng_params_encode(p, &buf, &len, err) < 0)
		return -1;
	f = fopen(path, "wb");
	if (!f) {
		free(buf);
		return eng_errorf(err, "%s: %s", path, strerror(errno));
	}
	ok = fwrite(buf, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	free(buf);
	if (!ok)
		return eng_errorf(err, "%s: write failed", path);
	return 0;
}

int eng_params_load(const char *path, struct eng_params *p, struct eng_err *err)
{
	void *buf;
	size_t len;
	int rc;

	if (eng_file_read(path, MAX_FILE, &buf, &len, err))
		return -1;
	rc = eng_params_decode(buf, len, path, p, err);
	free(buf);
	return rc;
}
