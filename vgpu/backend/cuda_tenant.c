/*
 * cuda_tenant.c - per-tenant device state: reservation at attach, the
 * arena -> tenant table, rebuilding after faults, explicit transfers.
 *
 * Locking: the table lock is taken before a tenant's lock, never after.
 * A tenant's lock serialises its commands and transfers; different
 * tenants run concurrently on their own streams.
 */
#include "cuda_tenant.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "cuda_backend.h"
#include "cuda_kernels.h"
#include "../common/vgpu_err.h"

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cuda_tenant *table[CUDA_BACKEND_MAX_TENANTS];
static uint64_t device_gen;  /* bumped by every device reset */

/* Frees what build made.  After a device reset the handles are already
 * invalid: the calls then fail harmlessly, nothing is leaked on the host. */
static void teardown(struct cuda_tenant *t)
{
	if (t->blas)
		cublasDestroy(t->blas);
	if (t->stream)
		cudaStreamDestroy(t->stream);
	cudaEvent_t *evs[] = { &t->t0, &t->t1, &t->staged[0], &t->staged[1] };
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (*evs[i])
			cudaEventDestroy(*evs[i]);
	for (int i = 0; i < 2; i++)
		if (t->staging[i])
			cudaFreeHost(t->staging[i]);
	if (t->err_host)
		cudaFreeHost(t->err_host);
	if (t->err_dev)
		cudaFree(t->err_dev);
	if (t->scratch)
		cudaFree(t->scratch);
	if (t->dev)
		cudaFree(t->dev);
	t->blas = NULL;
	t->stream = NULL;
	t->t0 = t->t1 = t->staged[0] = t->staged[1] = NULL;
	t->staging[0] = t->staging[1] = NULL;
	t->err_host = t->err_dev = NULL;
	t->scratch = NULL;
	t->dev = NULL;
}

static int fail(struct cuda_tenant *t, char *err, size_t errlen, const char *what,
		cudaError_t e)
{
	teardown(t);
	return vgpu_err(err, errlen, e == cudaErrorMemoryAllocation ? -ENOMEM : -EIO,
			"%s: %s", what, cudaGetErrorString(e));
}

static int build(struct cuda_tenant *t, char *err, size_t errlen)
{
	cudaError_t e = cudaMalloc((void **)&t->dev, t->size);
	if (e != cudaSuccess) {
		size_t free_b = 0, total_b = 0;
		cudaMemGetInfo(&free_b, &total_b);
		teardown(t);
		return vgpu_err(err, errlen, -ENOMEM,
				"device memory quota of %llu MiB does not fit: %s (%llu MiB free of %llu)",
				(unsigned long long)(t->size >> 20), cudaGetErrorString(e),
				(unsigned long long)(free_b >> 20),
				(unsigned long long)(total_b >> 20));
	}
	if ((e = cudaMalloc((void **)&t->scratch, CUDA_KERNELS_SCRATCH_FLOATS * sizeof(float))) ||
	    (e = cudaMalloc((void **)&t->err_dev, sizeof(int))))
		return fail(t, err, errlen, "device scratch", e);
	if ((e = cudaHostAlloc((void **)&t->err_host, sizeof(int), cudaHostAllocDefault)) ||
	    (e = cudaHostAlloc((void **)&t->staging[0], CUDA_BACKEND_STAGING_BYTES,
			       cudaHostAllocDefault)) ||
	    (e = cudaHostAlloc((void **)&t->staging[1], CUDA_BACKEND_STAGING_BYTES,
			       cudaHostAllocDefault)))
		return fail(t, err, errlen, "pinned staging", e);
	/* Non-blocking: a tenant's stream never waits for the legacy stream. */
	if ((e = cudaStreamCreateWithFlags(&t->stream, cudaStreamNonBlocking)))
		return fail(t, err, errlen, "stream", e);
	if ((e = cudaEventCreate(&t->t0)) || (e = cudaEventCreate(&t->t1)) ||
	    (e = cudaEventCreateWithFlags(&t->staged[0], cudaEventDisableTiming)) ||
	    (e = cudaEventCreateWithFlags(&t->staged[1], cudaEventDisableTiming)))
		return fail(t, err, errlen, "events", e);
	cublasStatus_t bs = cublasCreate(&t->blas);
	if (bs == CUBLAS_STATUS_SUCCESS)
		bs = cublasSetStream(t->blas, t->stream);
	if (bs != CUBLAS_STATUS_SUCCESS) {
		teardown(t);
		return vgpu_err(err, errlen, -EIO, "cuBLAS handle: %s", cublasGetStatusString(bs));
	}
	/* A fresh tenant sees a zeroed device arena, like a fresh window. */
	if ((e = cudaMemsetAsync(t->dev, 0, t->size, t->stream)) ||
	    (e = cudaStreamSynchronize(t->stream)))
		return fail(t, err, errlen, "clearing device arena", e);
	return 0;
}

int cuda_tenant_attach(uint8_t *arena, uint64_t size, char *err, size_t errlen)
{
	struct cuda_tenant *t = calloc(1, sizeof *t);
	if (!t)
		return vgpu_err(err, errlen, -ENOMEM, "out of host memory");
	t->arena = arena;
	t->size = size;
	pthread_mutex_init(&t->lock, NULL);

	pthread_mutex_lock(&table_lock);
	int slot = -1;
	for (int i = 0; i < CUDA_BACKEND_MAX_TENANTS; i++) {
		if (table[i] && table[i]->arena == arena) {
			pthread_mutex_unlock(&table_lock);
			free(t);
			return vgpu_err(err, errlen, -EEXIST, "arena already attached");
		}
		if (!table[i] && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		pthread_mutex_unlock(&table_lock);
		free(t);
		return vgpu_err(err, errlen, -EBUSY, "CUDA backend has %d tenants, its maximum",
				CUDA_BACKEND_MAX_TENANTS);
	}
	t->gen = device_gen;
	int rc = build(t, err, errlen);
	if (rc == 0)
		table[slot] = t;
	pthread_mutex_unlock(&table_lock);
	if (rc != 0) {
		pthread_mutex_destroy(&t->lock);
		free(t);
	}
	return rc;
}

static void destroy(struct cuda_tenant *t)
{
	pthread_mutex_lock(&t->lock); /* waits for a running command */
	if (t->stream)
		cudaStreamSynchronize(t->stream);
	teardown(t);
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void cuda_tenant_detach(uint8_t *arena)
{
	struct cuda_tenant *t = NULL;
	pthread_mutex_lock(&table_lock);
	for (int i = 0; i < CUDA_BACKEND_MAX_TENANTS; i++)
		if (table[i] && table[i]->arena == arena) {
			t = table[i];
			table[i] = NULL;
			break;
		}
	pthread_mutex_unlock(&table_lock);
	if (t)
		destroy(t);
}

void cuda_tenant_detach_all(void)
{
	for (int i = 0; i < CUDA_BACKEND_MAX_TENANTS; i++) {
		pthread_mutex_lock(&table_lock);
		struct cuda_tenant *t = table[i];
		table[i] = NULL;
		pthread_mutex_unlock(&table_lock);
		if (t)
			destroy(t);
	}
}

struct cuda_tenant *cuda_tenant_get(const uint8_t *arena)
{
	struct cuda_tenant *t = NULL;
	pthread_mutex_lock(&table_lock);
	for (int i = 0; i < CUDA_BACKEND_MAX_TENANTS; i++)
		if (table[i] && table[i]->arena == arena) {
			t = table[i];
			break;
		}
	if (t) {
		pthread_mutex_lock(&t->lock);
		if (t->gen != device_gen) {
			/* The device was reset: old pointers are gone, do not free. */
			memset(&t->dev, 0, offsetof(struct cuda_tenant, busy_ns) -
						   offsetof(struct cuda_tenant, dev));
			t->gen = device_gen;
			t->lost = t->resident; /* coherent: the window holds it all */
			char why[160];
			if (build(t, why, sizeof why) != 0)
				t->dev = NULL; /* stays unusable; every command fails */
		}
	}
	pthread_mutex_unlock(&table_lock);
	return t;
}

void cuda_tenant_put(struct cuda_tenant *t)
{
	pthread_mutex_unlock(&t->lock);
}

void cuda_tenant_device_lost(uint64_t seen_gen)
{
	pthread_mutex_lock(&table_lock);
	if (device_gen == seen_gen) {
		cudaDeviceReset();
		device_gen++;
	}
	pthread_mutex_unlock(&table_lock);
}

int cuda_tenant_reset(struct cuda_tenant *t)
{
	char why[160];
	teardown(t);
	t->lost = t->resident;
	return build(t, why, sizeof why);
}
