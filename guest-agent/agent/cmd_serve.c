/*
 * cmd_serve.c - `aivisor-agent serve`: answers inference requests, one CSV
 * row of raw features per stdin line, one prediction per stdout line, and
 * reports latency percentiles (parse + scale + vGPU inference + answer
 * formatting) on stderr at the end.  A bad request gets an "error: ..."
 * answer line and the server goes on.
 *
 * Answers are flushed whenever the input runs dry, just before blocking
 * in read(): an interactive client gets each answer at once, a pipelined
 * one gets them in batches, without a write system call per request (in a
 * microVM each system call is an exit to the VMM, and the pause it makes
 * lets the vGPU server stop polling, which costs a wake-up per request).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "vgpu_client.h"

/* Parses one request into x[0..n); returns 0 or -1 with err filled. */
static int parse_request(char *line, float *x, uint32_t n, struct eng_err *err)
{
	char *p = line, *end;
	uint32_t i = 0;

	line[strcspn(line, "\r")] = '\0';
	for (;;) {
		double v;

		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno || !isfinite(v) || fabs(v) > 3.4e38)
			return eng_errorf(err, "field %u is not a number", i + 1);
		if (i == n)
			return eng_errorf(err, "more than %u fields", n);
		x[i++] = (float)v;
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end == '\0')
			break;
		if (*end != ',')
			return eng_errorf(err, "field %u: unexpected '%c'", i, *end);
		p = end + 1;
	}
	if (i != n)
		return eng_errorf(err, "%u fields, the model takes %u", i, n);
	return 0;
}

/* Lines from a file descriptor, with the flush-before-blocking rule. */
struct line_reader {
	int fd;
	char buf[65536];
	size_t start, end;
	bool eof;
};

/* Returns the next line (NUL-terminated, newline stripped) or NULL at the
 * end of input; a line longer than the buffer is cut into pieces (each
 * then fails to parse and is answered with an error). */
static char *next_line(struct line_reader *r)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		ssize_t n;

		if (nl || (r->eof && r->start < r->end) ||
		    (r->start == 0 && r->end == sizeof(r->buf) - 1)) {
			char *line = r->buf + r->start;
			size_t len = nl ? (size_t)(nl - line) : r->end - r->start;

			line[len] = '\0';
			r->start += len + (nl ? 1 : 0);
			return line;
		}
		if (r->eof)
			return NULL;
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		fflush(stdout); /* about to block: answer what we have */
		do
			n = read(r->fd, r->buf + r->end, sizeof(r->buf) - 1 - r->end);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			r->eof = true;
		else
			r->end += (size_t)n;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report_latency(double *lat, size_t n)
{
	if (n == 0) {
		fprintf(stderr, "served 0 requests\n");
		return;
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	fprintf(stderr, "served %zu requests: latency p50 %.1f us, p90 %.1f us, p99 %.1f us, "
		"max %.1f us\n", n, lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100], lat[n - 1]);
}

static int serve(struct eng_model *m, bool proba, struct eng_err *err)
{
	const struct eng_arch *a = eng_model_arch(m);
	const struct eng_scaler *sc = eng_model_scaler(m);
	uint32_t in = eng_arch_inputs(a);
	float *x = malloc(in * sizeof(float));
	float *out = malloc(eng_arch_outputs(a) * sizeof(float));
	struct line_reader *rd = calloc(1, sizeof(*rd));
	double *lat = NULL;
	size_t n = 0, cap = 0, line_no = 0;
	char *line;
	int rc = -1;

	if (!x || !out || !rd)
		goto oom;
	rd->fd = STDIN_FILENO;
	/* Warm-up: the workspace is allocated and touched before the first
	 * request, so its latency is not that of a cold start. */
	memset(x, 0, in * sizeof(float));
	if (eng_model_predict(m, x, 1, out, err) < 0)
		goto out;
	while ((line = next_line(rd)) != NULL) {
		struct eng_err why;
		double t0 = agent_now_us();

		line_no++;
		if (parse_request(line, x, in, &why) < 0) {
			printf("error: line %zu: %s\n", line_no, why.msg);
			continue;
		}
		for (uint32_t j = 0; j < in; j++)
			x[j] = (x[j] - sc->offset[j]) * sc->mul[j];
		if (eng_model_predict(m, x, 1, out, err) < 0)
			goto out;
		agent_print_prediction(stdout, a, out, proba);
		if (n == cap) {
			double *nl = realloc(lat, (cap = cap ? cap * 2 : 1024) * sizeof(*lat));

			if (!nl)
				goto oom;
			lat = nl;
		}
		lat[n++] = agent_now_us() - t0;
	}
	fflush(stdout);
	report_latency(lat, n);
	rc = 0;
	goto out;
oom:
	eng_errorf(err, "out of memory");
out:
	free(rd);
	free(lat);
	free(x);
	free(out);
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	struct agent_opt o[] = { { "model", NULL, false }, { "proba", NULL, true } };
	struct eng_err err;
	struct vgpu *g = NULL;
	struct eng_model *m = NULL;
	int rc = 0;

	if (agent_parse_opts(argc, argv, o, 2, &err) < 0 ||
	    (!o[0].value && eng_errorf(&err, "serve needs --model FILE") < 0)) {
		fprintf(stderr, "aivisor-agent serve: %s\n", err.msg);
		return AGENT_EXIT_USAGE;
	}
	if (agent_open_vgpu(&g, &err) < 0 || eng_model_load(g, o[0].value, &m, NULL, &err) < 0 ||
	    serve(m, o[1].value != NULL, &err) < 0) {
		fprintf(stderr, "aivisor-agent serve: %s\n", err.msg);
		rc = AGENT_EXIT_FAIL;
	}
	eng_model_free(m);
	if (g)
		vgpu_close(g);
	return rc;
}
