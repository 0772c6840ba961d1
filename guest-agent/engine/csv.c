/*
 * csv.c - the CSV reader: one header line of names, then numeric rows.
 *
 * The whole file is read into memory and parsed in place with explicit
 * lengths, so a NUL byte, a missing final newline or a CRLF line ending
 * cannot confuse it.  Blank lines are skipped; quoting is not supported
 * beyond double quotes around header names (numbers are never quoted).
 */
#include <errno.h>
#include <math.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_data.h"
#include "file_read.h"

#define FIELD_MAX 63		      /* longest numeric field accepted */
#define FILE_MAX (1ull << 31)	      /* largest CSV file read */

struct line {
	const char *p;
	size_t len;
	size_t no; /* 1-based line number */
};

/* Cuts the next line from *pos; returns 0 at the end of the buffer. */
static int next_line(const char *buf, size_t len, size_t *pos, size_t *no,
		     struct line *l)
{
	if (*pos >= len)
		return 0;
	const char *start = buf + *pos;
	const char *nl = memchr(start, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - start) : len - *pos;

	*pos += n + (nl ? 1 : 0);
	if (n > 0 && start[n - 1] == '\r')
		n--;
	l->p = start;
	l->len = n;
	l->no = ++*no;
	return 1;
}

static int is_blank(const struct line *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (l->p[i] != ' ' && l->p[i] != '\t')
			return 0;
	return 1;
}

/* Next comma-separated field of l starting at *off, blanks trimmed. */
static void next_field(const struct line *l, size_t *off, const char **f,
		       size_t *flen)
{
	size_t s = *off, e;
	const char *comma = memchr(l->p + s, ',', l->len - s);

	e = comma ? (size_t)(comma - l->p) : l->len;
	*off = comma ? e + 1 : l->len + 1;
	while (s < e && (l->p[s] == ' ' || l->p[s] == '\t'))
		s++;
	while (e > s && (l->p[e - 1] == ' ' || l->p[e - 1] == '\t'))
		e--;
	*f = l->p + s;
	*flen = e - s;
}

static size_t count_fields(const struct line *l)
{
	size_t n = 1;

	for (size_t i = 0; i < l->len; i++)
		n += l->p[i] == ',';
	return n;
}

static int parse_header(const struct line *l, const char *source,
			struct eng_csv *csv, struct eng_err *err)
{
	size_t cols = count_fields(l), off = 0;

	if (cols > ENG_CSV_MAX_COLS)
		return eng_errorf(err, "%s:%zu: %zu columns, at most %u allowed",
				  source, l->no, cols, ENG_CSV_MAX_COLS);
	csv->names = calloc(cols, sizeof(*csv->names));
	if (!csv->names)
		return eng_errorf(err, "%s: out of memory", source);
	csv->cols = cols;
	for (size_t c = 0; c < cols; c++) {
		const char *f;
		size_t n;

		next_field(l, &off, &f, &n);
		if (n >= 2 && f[0] == '"' && f[n - 1] == '"') {
			f++;
			n -= 2;
		}
		if (n == 0)
			return eng_errorf(err, "%s:%zu: column %zu has an empty name",
					  source, l->no, c + 1);
		csv->names[c] = strndup(f, n);
		if (!csv->names[c])
			return eng_errorf(err, "%s: out of memory", source);
	}
	return 0;
}

static int parse_number(const char *f, size_t n, float *out)
{
	char tmp[FIELD_MAX + 1];
	char *end;
	double v;

	if (n == 0 || n > FIELD_MAX)
		return -1;
	memcpy(tmp, f, n);
	tmp[n] = '\0';
	errno = 0;
	v = strtod(tmp, &end);
	if (end != tmp + n || !isfinite(v) || fabs(v) > FLT_MAX)
		return -1;
	*out = (float)v;
	return 0;
}

static int grow(struct eng_csv *csv, size_t *cap, const char *source,
		struct eng_err *err)
{
	size_t ncap = *cap ? *cap * 2 : 64;
	float *nv;
	uint32_t *nl;

	if (ncap > ENG_CSV_MAX_ROWS)
		ncap = ENG_CSV_MAX_ROWS;
	if (ncap <= *cap)
		return eng_errorf(err, "%s: more than %u rows", source,
				  ENG_CSV_MAX_ROWS);
	/* cols <= 65536 and rows <= 2^24: the product fits in size_t. */
	nv = realloc(csv->values, ncap * csv->cols * sizeof(float));
	if (!nv)
		return eng_errorf(err, "%s: out of memory", source);
	csv->values = nv;
	nl = realloc(csv->line_no, ncap * sizeof(*nl));
	if (!nl)
		return eng_errorf(err, "%s: out of memory", source);
	csv->line_no = nl;
	*cap = ncap;
	return 0;
}

static int parse_row(const struct line *l, const char *source,
		     struct eng_csv *csv, float *row, struct eng_err *err)
{
	size_t nf = count_fields(l), off = 0;

	if (nf != csv->cols)
		return eng_errorf(err, "%s:%zu: ragged row: %zu fields, the header has %zu",
				  source, l->no, nf, csv->cols);
	for (size_t c = 0; c < csv->cols; c++) {
		const char *f;
		size_t n;

		next_field(l, &off, &f, &n);
		if (n == 0)
			return eng_errorf(err, "%s:%zu: empty field in column '%s'",
					  source, l->no, csv->names[c]);
		if (parse_number(f, n, &row[c]) < 0)
			return eng_errorf(err, "%s:%zu: non-numeric field '%.*s' in column '%s'",
					  source, l->no, (int)(n > 32 ? 32 : n), f,
					  csv->names[c]);
	}
	return 0;
}

int eng_csv_parse(const char *buf, size_t len, const char *source,
		  struct eng_csv *csv, struct eng_err *err)
{
	size_t pos = 0, no = 0, cap = 0;
	struct line l;
	int have_header = 0;

	memset(csv, 0, sizeof(*csv));
	while (next_line(buf, len, &pos, &no, &l)) {
		if (is_blank(&l))
			continue;
		if (!have_header) {
			if (parse_header(&l, source, csv, err) < 0)
				goto fail;
			have_header = 1;
			continue;
		}
		if (csv->rows == cap && grow(csv, &cap, source, err) < 0)
			goto fail;
		if (parse_row(&l, source, csv, csv->values + csv->rows * csv->cols,
			      err) < 0)
			goto fail;
		csv->line_no[csv->rows] = (uint32_t)l.no;
		csv->rows++;
	}
	if (!have_header) {
		eng_errorf(err, "%s: empty file (no header line)", source);
		goto fail;
	}
	if (csv->rows == 0) {
		eng_errorf(err, "%s: no data rows after the header", source);
		goto fail;
	}
	return 0;
fail:
	eng_csv_free(csv);
	return -1;
}

int eng_csv_load(const char *path, struct eng_csv *csv, struct eng_err *err)
{
	void *buf;
	size_t len;
	int rc;

	if (eng_file_read(path, FILE_MAX, &buf, &len, err))
		return -1;
	rc = eng_csv_parse(buf, len, path, csv, err);
	free(buf);
	return rc;
}

void eng_csv_free(struct eng_csv *csv)
{
	if (csv->names)
		for (size_t c = 0; c < csv->cols; c++)
			free(csv->names[c]);
	free(csv->names);
	free(csv->values);
	free(csv->line_no);
	memset(csv, 0, sizeof(*csv));
}

long eng_csv_column(const struct eng_csv *csv, const char *name_or_index,
		    struct eng_err *err)
{
	char *end;
	long v;

	for (size_t c = 0; c < csv->cols; c++)
		if (strcmp(csv->names[c], name_or_index) == 0)
			return (long)c;
	errno = 0;
	v = strtol(name_or_index, &end, 10);
	if (*name_or_index && !*end && errno == 0) {
		if (v < 0)
			v += (long)csv->cols; /* -1: the last column */
		if (v >= 0 && (size_t)v < csv->cols)
			return v;
		eng_errorf(err, "column index %s out of range (the file has %zu columns)",
			   name_or_index, csv->cols);
		return -1;
	}
	eng_errorf(err, "no column named '%s'", name_or_index);
	return -1;
}
