/*
 * aivisor-vgpu-load - vGPU load generators for measuring the scheduler
 * (tests and benchmarks).
 *
 *   aivisor-vgpu-load gemm  --socket S --name N [--prio high|normal|low]
 *                           [--weight W] [--n 512] [--batch 4] [--inflight 4]
 *                           --seconds T
 *       saturates the vGPU: always inflight x batch N x N GEMMs queued.  With
 *       --report-ms R it prints, per R ms window of the system-wide clock,
 *       "share <window end s> <name> <device ns in window> <window ns>".
 *       Prints "gemm_cmds <count>".
 *   aivisor-vgpu-load infer --socket S --name N [--prio P] [--weight W]
 *                           [--interval-us 1000] --seconds T
 *       batch-1 inference of an MLP 64-128-64-10 (3 GEMMs, bias, ReLU),
 *       one request at a time, interval-us apart; measures each request's
 *       round trip.  Prints "lat_us p50 <x> p99 <y> mean <z> n <count>".
 *   --duty-ms D (gemm, infer): alternate load and quiet phases of D ms on
 *       the system-wide monotonic clock, so separate processes agree on
 *       them: gemm saturates only in even phases; infer then prints
 *       "loaded_lat_us ..." and "quiet_lat_us ..." for requests started in
 *       even and odd phases, leaving out those within --guard-ms G (default
 *       D/4) after a phase edge (queues filling or draining).  Comparing the
 *       two, interleaved, cancels slow drifts of a shared, noisy host.
 *       Before them, "loaded_round_p99_us median M min A max B rounds R"
 *       (and quiet_...): the median over phases of each phase's p99.
 *
 * The same program runs as a host process (--socket PATH) and, built
 * static with musl (build/guest/aivisor-vgpu-load), inside a microVM, where
 * it finds the vGPU the VMM announced in $AIVISOR_VGPU (no --socket; the
 * VMM's --priority and --vgpu-weight set the class and weight).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched.h"
#include "vgpu_client.h"

#define GEMM_INFLIGHT_MAX 64

struct opts {
	const char *mode, *socket, *name;
	int prio;
	uint32_t weight, n, batch, inflight, interval_us, duty_ms, guard_ms, report_ms;
	double seconds;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: aivisor-vgpu-load gemm|infer [--socket PATH] [--name N] "
		"[--prio high|normal|low] [--weight W] [--n N] [--batch B] [--inflight K] [--interval-us U] "
		"[--report-ms R] [--duty-ms D] [--guard-ms G] --seconds T\n");
	return 2;
}

static int num(const char *flag, const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || end == v || x < lo || x > hi) {
		fprintf(stderr, "aivisor-vgpu-load: %s %s: want %u..%u\n", flag, v, lo, hi);
		return -EINVAL;
	}
	*out = (uint32_t)x;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	enum sched_class cls;

	memset(o, 0, sizeof(*o));
	o->prio = VGPU_PRIO_NORMAL;
	o->weight = VGPU_WEIGHT_DEFAULT;
	o->n = 512;
	o->batch = 4;
	o->inflight = 4;
	o->interval_us = 1000;
	if (argc < 2)
		return -EINVAL;
	o->mode = argv[1];
	for (int i = 2; i < argc; i += 2) {
		const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;

		if (!v)
			return -EINVAL;
		if (strcmp(f, "--socket") == 0) {
			o->socket = v;
		} else if (strcmp(f, "--name") == 0) {
			o->name = v;
		} else if (strcmp(f, "--prio") == 0) {
			if (sched_class_parse(v, &cls) < 0) {
				fprintf(stderr, "aivisor-vgpu-load: --prio %s: want high, normal or low\n", v);
				return -EINVAL;
			}
			o->prio = (int)cls;
		} else if (strcmp(f, "--weight") == 0) {
			rc = num(f, v, VGPU_WEIGHT_MIN, VGPU_WEIGHT_MAX, &o->weight);
		} else if (strcmp(f, "--n") == 0) {
			rc = num(f, v, 1, 4096, &o->n);
		} else if (strcmp(f, "--interval-us") == 0) {
			rc = num(f, v, 0, 10000000, &o->interval_us);
		} else if (strcmp(f, "--batch") == 0) {
			rc = num(f, v, 1, 64, &o->batch);
		} else if (strcmp(f, "--inflight") == 0) {
			rc = num(f, v, 1, GEMM_INFLIGHT_MAX, &o->inflight);
		} else if (strcmp(f, "--report-ms") == 0) {
			rc = num(f, v, 10, 60000, &o->report_ms);
		} else if (strcmp(f, "--duty-ms") == 0) {
			rc = num(f, v, 10, 60000, &o->duty_ms);
		} else if (strcmp(f, "--guard-ms") == 0) {
			rc = num(f, v, 0, 60000, &o->guard_ms);
		} else if (strcmp(f, "--seconds") == 0) {
			char *end;

			o->seconds = strtod(v, &end);
			if (*end || !(o->seconds > 0 && o->seconds < 3600))
				rc = -EINVAL;
		} else {
			rc = -EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	if (!o->guard_ms)
		o->guard_ms = o->duty_ms / 4;
	return o->seconds > 0 ? 0 : -EINVAL;
}

/* Duty cycle: phase number of t and the time since the phase began. */
static uint64_t phase_of(const struct opts *o, uint64_t t, uint64_t *into_ns)
{
	uint64_t d = o->duty_ms * 1000000ull;

	*into_ns = t % d;
	return t / d;
}

static int open_tenant(const struct opts *o, uint64_t bytes, struct vgpu **g)
{
	struct vgpu_open_opts oo = { .memory_bytes = bytes };
	char spec[160], err[200];
	int rc;

	oo.tenant.name = o->name;
	oo.tenant.prio = o->prio;
	oo.tenant.weight = o->weight;
	/* No --socket: the vGPU named by $AIVISOR_VGPU (a microVM's window). */
	if (o->socket)
		snprintf(spec, sizeof spec, "unix:%s", o->socket);
	rc = vgpu_open_ex(o->socket ? spec : NULL, &oo, g, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "aivisor-vgpu-load: %s\n", err);
	return rc;
}

static void fill_random(float *p, size_t n, unsigned *seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (float)rand_r(seed) / (float)RAND_MAX - 0.5f;
}

/* --inflight batches of --batch GEMMs in flight (default 4 x 4: hundreds
 * of ms of work at N = 1024 on one core), so the tenant never runs dry
 * while its process waits for a CPU on a busy host, and is woken once per
 * batch, not per GEMM (each wake-up may cost the server its CPU here): a tenant that idles between submissions would
 * hand its share to the others (work conservation) and spoil the figures. */

/*
 * --report-ms: the tenant's device time per window, read from its own
 * control page (the server updates busy_ns after every run), so no stats
 * round trip blurs the window.  Windows end on multiples of R of the
 * system-wide monotonic clock, so all tenants' windows line up.
 */
struct reporter {
	uint64_t next, last_t, last_busy;
	bool primed;
};

static void report_tick(const struct opts *o, struct vgpu *g, struct reporter *r)
{
	uint64_t now = now_ns(), period = o->report_ms * 1000000ull, busy;

	if (!o->report_ms || now < r->next)
		return;
	busy = __atomic_load_n(&vgpu_ctrl(g)->busy_ns, __ATOMIC_RELAXED);
	if (r->primed)
		printf("share %.3f %s %llu %llu\n", (double)(now / period * period) / 1e9,
		       o->name ? o->name : "tenant", (unsigned long long)(busy - r->last_busy),
		       (unsigned long long)(now - r->last_t));
	r->primed = true;
	r->last_t = now;
	r->last_busy = busy;
	r->next = (now / period + 1) * period;
}

static int run_gemm(const struct opts *o)
{
	uint64_t bytes = (uint64_t)o->n * o->n * 4, a, b, c, end, cmds = 0;
	uint32_t seqs[GEMM_INFLIGHT_MAX] = { 0 };
	struct reporter rep = { 0 };
	unsigned seed = 1, k = 0;
	struct vgpu *g;
	int rc;

	rc = open_tenant(o, 3 * bytes + (8u << 20), &g);
	if (rc < 0)
		return 1;
	if (vgpu_alloc(g, bytes, &a) || vgpu_alloc(g, bytes, &b) || vgpu_alloc(g, bytes, &c)) {
		fprintf(stderr, "aivisor-vgpu-load: arena too small\n");
		vgpu_close(g);
		return 1;
	}
	fill_random(vgpu_ptr(g, a), (size_t)o->n * o->n, &seed);
	fill_random(vgpu_ptr(g, b), (size_t)o->n * o->n, &seed);
	end = now_ns() + (uint64_t)(o->seconds * 1e9);
	while (now_ns() < end) {
		uint32_t oldest = seqs[k % o->inflight];
		uint64_t into, ph;

		if (o->duty_ms && (ph = phase_of(o, now_ns(), &into)) % 2) {
			/* Quiet phase: drain, then sleep to the next load phase. */
			rc = vgpu_sync(g);
			if (rc < 0)
				break;
			memset(seqs, 0, sizeof seqs);
			phase_of(o, now_ns(), &into);
			sleep_ns(o->duty_ms * 1000000ull - into);
			continue;
		}

		for (uint32_t i = 0; i < o->batch && rc == 0; i++, cmds++)
			rc = vgpu_gemm(g, 0, o->n, o->n, o->n, 1.0f, a, o->n, b, o->n, 0.0f, c, o->n);
		if (rc == 0)
			rc = vgpu_submit(g);
		/* Waiting, wake up on each window's end to report on time. */
		while (rc == 0 && oldest) {
			uint64_t now = now_ns();
			int64_t left = o->report_ms && rep.next > now ? (int64_t)(rep.next - now) : -1;

			rc = vgpu_wait(g, oldest, o->report_ms && rep.primed ? left : -1);
			if (rc != -ETIMEDOUT)
				break;
			rc = 0;
			report_tick(o, g, &rep);
		}
		if (rc < 0)
			break;
		seqs[k++ % o->inflight] = vgpu_seq(g);
		report_tick(o, g, &rep);
	}
	if (rc < 0) {
		fprintf(stderr, "aivisor-vgpu-load: gemm: %s\n", strerror(-rc));
		vgpu_close(g);
		return 1;
	}
	rc = vgpu_sync(g);
	vgpu_close(g);
	printf("gemm_cmds %llu\n", (unsigned long long)cmds);
	return rc < 0 ? 1 : 0;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* One MLP layer: y = relu(x W + b) for a batch of one row. */
static int layer(struct vgpu *g, uint64_t x, uint64_t w, uint64_t bias, uint64_t y,
		 uint32_t in, uint32_t out, int relu)
{
	int rc = vgpu_gemm(g, 0, 1, out, in, 1.0f, x, in, w, out, 0.0f, y, out);

	if (rc == 0)
		rc = vgpu_bias_add(g, y, bias, 1, out);
	if (rc == 0 && relu)
		rc = vgpu_act_fwd(g, VGPU_ACT_RELU, y, y, out);
	return rc;
}

/* Latency samples of one kind (all, loaded or quiet requests), with the
 * duty phase each was taken in (samples arrive in time order). */
struct samples {
	uint64_t *v, *phase;
	size_t n, cap;
	uint64_t sum;
};

/* A round shorter than this has no meaningful p99 and is left out. */
#define ROUND_MIN_SAMPLES 100

/* The median over rounds (phases) of each round's p99: one busy moment of
 * the shared host spoils one round's p99, not the verdict.  Sorts each
 * round's slice of s->v in place; call before report() sorts it all. */
static void report_rounds(const char *label, struct samples *s)
{
	uint64_t p99[256];
	size_t k = 0;

	for (size_t i = 0; i < s->n && k < 256;) {
		size_t j = i;

		while (j < s->n && s->phase[j] == s->phase[i])
			j++;
		if (j - i >= ROUND_MIN_SAMPLES) {
			qsort(s->v + i, j - i, sizeof(*s->v), cmp_u64);
			p99[k++] = s->v[i + (j - i) * 99 / 100];
		}
		i = j;
	}
	qsort(p99, k, sizeof(*p99), cmp_u64);
	printf("%s median %.1f min %.1f max %.1f rounds %zu\n", label,
	       k ? p99[k / 2] / 1e3 : 0.0, k ? p99[0] / 1e3 : 0.0, k ? p99[k - 1] / 1e3 : 0.0, k);
}

static void report(const char *label, struct samples *s)
{
	if (s->n == 0) {
		printf("%s p50 0 p99 0 mean 0 n 0\n", label);
		return;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	printf("%s p50 %.1f p99 %.1f mean %.1f n %zu\n", label, s->v[s->n / 2] / 1e3,
	       s->v[s->n * 99 / 100] / 1e3, (double)s->sum / (double)s->n / 1e3, s->n);
}

static int run_infer(const struct opts *o)
{
	static const uint32_t dims[4] = { 64, 128, 64, 10 };
	uint64_t w[3], bias[3], act[4], end;
	struct samples set[2] = { { 0 } }; /* [0]: loaded (or all), [1]: quiet */
	unsigned seed = 7;
	struct vgpu *g;
	int rc = 0;

	if (open_tenant(o, 16u << 20, &g) < 0)
		return 1;
	for (int l = 0; l < 4; l++)
		rc |= vgpu_alloc(g, dims[l] * 4u, &act[l]);
	for (int l = 0; l < 3; l++) {
		rc |= vgpu_alloc(g, (uint64_t)dims[l] * dims[l + 1] * 4u, &w[l]);
		rc |= vgpu_alloc(g, dims[l + 1] * 4u, &bias[l]);
	}
	for (int k = 0; k < 2; k++) {
		set[k].cap = 1 << 20;
		set[k].v = calloc(set[k].cap, sizeof(uint64_t));
		set[k].phase = calloc(set[k].cap, sizeof(uint64_t));
	}
	if (rc || !set[0].v || !set[1].v || !set[0].phase || !set[1].phase) {
		fprintf(stderr, "aivisor-vgpu-load: infer: out of memory\n");
		rc = -ENOMEM;
		goto out;
	}
	for (int l = 0; l < 3; l++) {
		fill_random(vgpu_ptr(g, w[l]), (size_t)dims[l] * dims[l + 1], &seed);
		fill_random(vgpu_ptr(g, bias[l]), dims[l + 1], &seed);
	}
	end = now_ns() + (uint64_t)(o->seconds * 1e9);
	while (now_ns() < end) {
		uint64_t t0, into = 0, ph = 0, lat;
		struct samples *dst = &set[0];

		fill_random(vgpu_ptr(g, act[0]), dims[0], &seed);
		t0 = now_ns();
		for (int l = 0; l < 3 && rc == 0; l++)
			rc = layer(g, act[l], w[l], bias[l], act[l + 1], dims[l], dims[l + 1], l < 2);
		if (rc == 0)
			rc = vgpu_sync(g);
		if (rc < 0) {
			fprintf(stderr, "aivisor-vgpu-load: infer: %s\n", strerror(-rc));
			break;
		}
		lat = now_ns() - t0;
		if (o->duty_ms) {
			ph = phase_of(o, t0, &into);
			dst = &set[ph % 2];
		}
		if (into >= o->guard_ms * 1000000ull && dst->n < dst->cap) {
			dst->phase[dst->n] = ph;
			dst->v[dst->n++] = lat;
			dst->sum += lat;
		}
		if (o->interval_us)
			sleep_ns(o->interval_us * 1000ull);
	}
	if (o->duty_ms) {
		report_rounds("loaded_round_p99_us", &set[0]);
		report_rounds("quiet_round_p99_us", &set[1]);
		report("loaded_lat_us", &set[0]);
		report("quiet_lat_us", &set[1]);
	} else {
		report("lat_us", &set[0]);
	}
out:
	for (int k = 0; k < 2; k++) {
		free(set[k].v);
		free(set[k].phase);
	}
	vgpu_close(g);
	return rc < 0 || set[0].n == 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (parse(argc, argv, &o) < 0)
		return usage();
	if (strcmp(o.mode, "gemm") == 0)
		return run_gemm(&o);
	if (strcmp(o.mode, "infer") == 0)
		return run_infer(&o);
	return usage();
}
