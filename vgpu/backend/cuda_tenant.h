/*
 * cuda_tenant.h - per-tenant device state of the CUDA backend (internal to
 * cuda_*.c): the device mirror of the arena, stream, cuBLAS handle, timing
 * events, error words and staging, and the table that finds a tenant by
 * its arena.
 */
#ifndef AIVISOR_CUDA_TENANT_H
#define AIVISOR_CUDA_TENANT_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <pthread.h>
#include <stdint.h>
#include "vgpu_abi.h"

struct cuda_tenant {
	uint8_t *arena;          /* the window's arena: the lookup key */
	uint64_t size;
	uint8_t *dev;            /* device mirror of the arena, size bytes */
	float *scratch;          /* CUDA_KERNELS_SCRATCH_FLOATS floats */
	int *err_dev;            /* device error word of the running command */
	int *err_host;           /* its pinned host copy */
	uint8_t *staging[2];     /* pinned, CUDA_BACKEND_STAGING_BYTES each */
	cudaEvent_t staged[2];   /* a staging buffer's copy finished */
	unsigned stage_turn;     /* next staging buffer for an upload */
	cudaStream_t stream;
	cublasHandle_t blas;
	cudaEvent_t t0, t1;      /* around each command: device time */
	/* Coherent mode: the GEMM band that ran last, so that the next band of
	 * the same command does not copy B again (zeroed with the handles
	 * when the device is reset). */
	struct vgpu_cmd last_cmd;
	uint32_t last_re;
	int last_ok;
	uint64_t busy_ns;        /* atomic: read without the tenant lock */
	int resident;            /* 0: coherent mode, each command's spans are
	                            copied in and out; 1: the tenant moves data
	                            itself (it used an explicit transfer) */
	uint64_t gen;            /* device generation the state belongs to */
	int lost;                /* a resident tenant's device data was lost in
	                            a rebuild: report once, then clear */
	pthread_mutex_t lock;    /* one command or transfer at a time */
};

/* Finds the tenant attached with this arena and returns it locked, after
 * rebuilding its state if the device was reset since (t->lost set); NULL
 * when no such tenant. */
struct cuda_tenant *cuda_tenant_get(const uint8_t *arena);
void cuda_tenant_put(struct cuda_tenant *t);
/* Device time charged so far (0 for an unknown arena), without waiting
 * for the tenant's running command. */
uint64_t cuda_tenant_busy_ns(const uint8_t *arena);

/* A sticky error made the CUDA context unusable: reset the device once
 * (every tenant rebuilds on its next use; their device data is lost). */
void cuda_tenant_device_lost(uint64_t seen_gen);
/* A tenant-level fault: rebuild this tenant's stream, handle and events
 * and clear its device memory (called with t locked). */
int cuda_tenant_reset(struct cuda_tenant *t);

/* Window arena <-> device for [off, off + bytes) of a locked tenant whose
 * range was checked; VGPU_OK or VGPU_E_BACKEND (cuda_transfer.c).  An
 * upload returns once the window bytes are staged, with the DMA queued on
 * the tenant's stream (later work on the stream sees the data); a
 * download returns with the bytes in the window. */
int cuda_tenant_upload(struct cuda_tenant *t, uint64_t off, uint64_t bytes);
int cuda_tenant_download(struct cuda_tenant *t, uint64_t off, uint64_t bytes);

int cuda_tenant_attach(uint8_t *arena, uint64_t size, char *err, size_t errlen);
void cuda_tenant_detach(uint8_t *arena);
void cuda_tenant_detach_all(void);

#endif
