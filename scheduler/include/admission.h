/*
 * admission.h - does one more tenant fit the host?
 *
 * The host's capacity is configured (or detected: memory from sysinfo minus
 * a reserve, CPUs online).  Each admitted tenant holds its guest RAM plus
 * vGPU window of host memory, its window of vGPU memory, and its guaranteed
 * vGPU minimum; a tenant whose needs do not fit next to the ones already
 * admitted is refused with a message that names what does not fit, e.g.
 *   "memory: tenant needs 2048 MiB (RAM 1792 + vGPU window 256), 1024 MiB
 *    free of 4096 MiB"
 *
 * Not thread-safe: the caller serialises calls.
 */
#ifndef AIVISOR_ADMISSION_H
#define AIVISOR_ADMISSION_H

#include <stddef.h>
#include <stdint.h>

struct admission_capacity {
	uint64_t mem_bytes;      /* host memory tenants may use */
	uint64_t vgpu_mem_bytes; /* device memory shared out as vGPU windows */
	uint32_t ncpus;          /* CPUs online: bounds caps and pinning */
};

struct admission_request {
	uint64_t ram_bytes;         /* guest RAM */
	uint64_t vgpu_window_bytes; /* 0 = no vGPU */
	uint32_t vgpu_min_permille; /* guaranteed vGPU share, 0..1000 */
	uint32_t cpu_cap_pct;       /* 0 = none; else 1..100*ncpus */
	uint32_t cpu_max;           /* highest CPU number pinned to; UINT32_MAX = not pinned */
};

/*
 * Detects the host: mem_bytes = total RAM minus reserve_bytes (at least 0),
 * ncpus = online CPUs, vgpu_mem_bytes = vgpu_mem_bytes (the vGPU backend
 * knows it: device memory, or host memory on the CPU backend).
 */
int admission_capacity_detect(struct admission_capacity *cap, uint64_t reserve_bytes,
			      uint64_t vgpu_mem_bytes, char *err, size_t err_len);

struct admission *admission_create(const struct admission_capacity *cap);
void admission_destroy(struct admission *a);

/*
 * Admits tenant id or refuses it: 0, -EEXIST (id already admitted),
 * -EINVAL (a request that can never fit, e.g. a cap above the host's CPUs),
 * -ENOSPC (does not fit now).  why names the resource on refusal.
 */
int admission_admit(struct admission *a, uint32_t id, const struct admission_request *req,
		    char *why, size_t why_len);
/* Replaces an admitted tenant's request (live change); refused as above. */
int admission_update(struct admission *a, uint32_t id, const struct admission_request *req,
		     char *why, size_t why_len);
/* Returns what the tenant held; -ENOENT if it was not admitted. */
int admission_release(struct admission *a, uint32_t id);

/* What is left: for status output and metrics. */
struct admission_usage {
	uint64_t mem_used_bytes;
	uint64_t vgpu_mem_used_bytes;
	uint32_t vgpu_min_permille_used;
	uint32_t tenants;
};
void admission_usage(const struct admission *a, struct admission_usage *u);

#endif
