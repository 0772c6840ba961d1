/*
 * admission.c - admit a tenant only if its memory, vGPU memory, guaranteed
 * vGPU minimum and CPU requests fit the host next to those already admitted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "admission.h"

#define MiB (1024ull * 1024ull)

struct admitted {
	uint32_t id;
	struct admission_request req;
};

struct admission {
	struct admission_capacity cap;
	struct admitted *t;
	size_t n, alloc;
};

static void why_set(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || why_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

int admission_capacity_detect(struct admission_capacity *cap, uint64_t reserve_bytes,
			      uint64_t vgpu_mem_bytes, char *err, size_t err_len)
{
	struct sysinfo si;
	uint64_t total;
	long n;

	if (sysinfo(&si) < 0) {
		int e = errno;

		why_set(err, err_len, "sysinfo: %s", strerror(e));
		return -e;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1) {
		why_set(err, err_len, "sysconf(_SC_NPROCESSORS_ONLN) failed");
		return -EIO;
	}
	total = (uint64_t)si.totalram * si.mem_unit;
	cap->mem_bytes = total > reserve_bytes ? total - reserve_bytes : 0;
	cap->vgpu_mem_bytes = vgpu_mem_bytes;
	cap->ncpus = (uint32_t)n;
	return 0;
}

struct admission *admission_create(const struct admission_capacity *cap)
{
	struct admission *a = calloc(1, sizeof(*a));

	if (a)
		a->cap = *cap;
	return a;
}

void admission_destroy(struct admission *a)
{
	if (!a)
		return;
	free(a->t);
	free(a);
}

static struct admitted *find(const struct admission *a, uint32_t id)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->t[i].id == id)
			return &a->t[i];
	return NULL;
}

/* Totals of everyone admitted except skip. */
static void used_except(const struct admission *a, const struct admitted *skip,
			struct admission_usage *u)
{
	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < a->n; i++) {
		const struct admission_request *r = &a->t[i].req;

		if (&a->t[i] == skip)
			continue;
		u->mem_used_bytes += r->ram_bytes + r->vgpu_window_bytes;
		u->vgpu_mem_used_bytes += r->vgpu_window_bytes;
		u->vgpu_min_permille_used += r->vgpu_min_permille;
		u->tenants++;
	}
}

/* Requests that can never fit on this host, whatever else runs. */
static int check_alone(const struct admission *a, const struct admission_request *r,
		       char *why, size_t why_len)
{
	if (r->ram_bytes > UINT64_MAX / 2 || r->vgpu_window_bytes > UINT64_MAX / 2) {
		why_set(why, why_len, "memory: request too large");
		return -EINVAL;
	}
	if (r->vgpu_min_permille > 1000) {
		why_set(why, why_len, "vGPU minimum: %u permille is above 1000",
			r->vgpu_min_permille);
		return -EINVAL;
	}
	if (r->vgpu_min_permille && !r->vgpu_window_bytes) {
		why_set(why, why_len, "vGPU minimum: %u permille asked for a tenant without a vGPU",
			r->vgpu_min_permille);
		return -EINVAL;
	}
	if (r->cpu_cap_pct > 100u * a->cap.ncpus) {
		why_set(why, why_len, "CPU: cap %u%% is more than the host's %u CPUs (%u%%)",
			r->cpu_cap_pct, a->cap.ncpus, 100u * a->cap.ncpus);
		return -EINVAL;
	}
	if (r->cpu_max != UINT32_MAX && r->cpu_max >= a->cap.ncpus) {
		why_set(why, why_len, "CPU: pinned to CPU %u but the host has CPUs 0-%u",
			r->cpu_max, a->cap.ncpus - 1);
		return -EINVAL;
	}
	return 0;
}

static int check_fit(const struct admission *a, const struct admitted *skip,
		     const struct admission_request *r, char *why, size_t why_len)
{
	struct admission_usage u;
	uint64_t need = r->ram_bytes + r->vgpu_window_bytes;
	int rc = check_alone(a, r, why, why_len);

	if (rc < 0)
		return rc;
	used_except(a, skip, &u);
	if (u.mem_used_bytes > a->cap.mem_bytes || need > a->cap.mem_bytes - u.mem_used_bytes) {
		why_set(why, why_len,
			"memory: tenant needs %llu MiB (RAM %llu + vGPU window %llu), "
			"%llu MiB free of %llu MiB",
			(unsigned long long)((need + MiB - 1) / MiB),
			(unsigned long long)((r->ram_bytes + MiB - 1) / MiB),
			(unsigned long long)((r->vgpu_window_bytes + MiB - 1) / MiB),
			(unsigned long long)(u.mem_used_bytes > a->cap.mem_bytes
						     ? 0
						     : (a->cap.mem_bytes - u.mem_used_bytes) / MiB),
			(unsigned long long)(a->cap.mem_bytes / MiB));
		return -ENOSPC;
	}
	if (u.vgpu_mem_used_bytes > a->cap.vgpu_mem_bytes ||
	    r->vgpu_window_bytes > a->cap.vgpu_mem_bytes - u.vgpu_mem_used_bytes) {
		why_set(why, why_len,
			"vGPU memory: tenant needs a %llu MiB window, %llu MiB free of %llu MiB",
			(unsigned long long)((r->vgpu_window_bytes + MiB - 1) / MiB),
			(unsigned long long)(u.vgpu_mem_used_bytes > a->cap.vgpu_mem_bytes
						     ? 0
						     : (a->cap.vgpu_mem_bytes - u.vgpu_mem_used_bytes) / MiB),
			(unsigned long long)(a->cap.vgpu_mem_bytes / MiB));
		return -ENOSPC;
	}
	if (u.vgpu_min_permille_used + r->vgpu_min_permille > 1000) {
		why_set(why, why_len,
			"vGPU minimum: tenant asks %u permille guaranteed, only %u of 1000 left",
			r->vgpu_min_permille, 1000 - u.vgpu_min_permille_used);
		return -ENOSPC;
	}
	return 0;
}

int admission_admit(struct admission *a, uint32_t id, const struct admission_request *req,
		    char *why, size_t why_len)
{
	int rc;

	if (find(a, id)) {
		why_set(why, why_len, "tenant %u is already admitted", id);
		return -EEXIST;
	}
	rc = check_fit(a, NULL, req, why, why_len);
	if (rc < 0)
		return rc;
	if (a->n == a->alloc) {
		size_t na = a->alloc ? a->alloc * 2 : 8;
		struct admitted *nt = realloc(a->t, na * sizeof(*nt));

		if (!nt) {
			why_set(why, why_len, "out of memory");
			return -ENOMEM;
		}
		a->t = nt;
		a->alloc = na;
	}
	a->t[a->n].id = id;
	a->t[a->n].req = *req;
	a->n++;
	return 0;
}

int admission_update(struct admission *a, uint32_t id, const struct admission_request *req,
		     char *why, size_t why_len)
{
	struct admitted *t = find(a, id);
	int rc;

	if (!t) {
		why_set(why, why_len, "tenant %u is not admitted", id);
		return -ENOENT;
	}
	rc = check_fit(a, t, req, why, why_len);
	if (rc < 0)
		return rc;
	t->req = *req;
	return 0;
}

int admission_release(struct admission *a, uint32_t id)
{
	struct admitted *t = find(a, id);

	if (!t)
		return -ENOENT;
	*t = a->t[--a->n];
	return 0;
}

void admission_usage(const struct admission *a, struct admission_usage *u)
{
	used_except(a, NULL, u);
}
