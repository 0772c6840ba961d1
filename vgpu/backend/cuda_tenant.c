/*
 * cuda_tenant.c - per-tenant device state: reservation at attach, the
 * arena -> tenant table, rebuilding after faults, explicit transfers.
 *
 * Threading.  The server calls the backend from two threads at once (the
 * executor and the priority lane, always for different tenants), plus
 * attach/detach from its listener.  Nothing mutable is shared between
 * tenants except the table and the device itself:
 *   - device_rw: every use of the device (a command, a transfer, attach,
 *     detach) holds it for reading; a device reset (cudaDeviceReset
 *     destroys every tenant's stream, handle and memory) holds it for
 *     writing, so it waits for the other thread's command in flight
 *     instead of pulling its memory from under it.  Writer-preferring,
 *     so two busy readers cannot starve a reset; never taken recursively.
 *   - table_lock: the arena -> tenant table and device_gen.
 *   - a tenant's lock: its commands and transfers, one at a time.
 * Order: device_rw, then table_lock, then a tenant's lock, never back.
 * Per-thread CUDA state (the current device, cudaGetLastError) is set or
 * read by the thread that uses it.
 */
#include "cuda_tenant.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "cuda_backend.h"
#include "cuda_kernels.h"
#include "../common/vgpu_err.h"

static pthread_once_t device_rw_once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t device_rw;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cuda_tenant *table[CUDA_BACKEND_MAX_TENANTS];
static uint64_t device_gen;  /* bumped by every device reset */

/* Frees what build made (never handles of an older device generation:
 * see forget). */
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

/* The device was reset: the handles and pointers are gone with it. */
static void forget(struct cuda_tenant *t)
{
	memset(&t->dev, 0, offsetof(struct cuda_tenant, busy_ns) - offsetof(struct cuda_tenant, dev));
}

static int fail(struct cuda_tenant *t, char *err, size_t errlen, const char *what,
		cudaError_t e)
{
	teardown(t);
	return vgpu_err(err, errlen, e == cudaErrorMemoryAllocation ? -ENOMEM : -EIO,
			"%s: %s", what, cudaGetErrorString(e));
}

static void device_rw_init(void)
{
	pthread_rwlockattr_t a;
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&device_rw, &a);
	pthread_rwlockattr_destroy(&a);
}

static void device_use_begin(void)
{
	pthread_once(&device_rw_once, device_rw_init);
	pthread_rwlock_rdlock(&device_rw);
	/* The current device is per thread: the lane thread never ran
	 * cuda_init.  Device 0 is every thread's default; say it anyway. */
	cudaSetDevice(0);
}

static void device_use_end(void)
{
	pthread_rwlock_unlock(&device_rw);
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

	device_use_begin();
	pthread_mutex_lock(&table_lock);
	int slot = -1;
	for (int i = 0; i < CUDA_BACKEND_MAX_TENANTS; i++) {
		if (table[i] && table[i]->arena == arena) {
			pthread_mutex_unlock(&table_lock);
			device_use_end();
			pthread_mutex_destroy(&t->lock);
			free(t);
			return vgpu_err(err, errlen, -EEXIST, "arena already attached");
		}
		if (!table[i] && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		pthread_mutex_unlock(&table_lock);
		device_use_end();
		pthread_mutex_destroy(&t->lock);
		free(t);
		return vgpu_err(err, errlen, -EBUSY, "CUDA backend has %d tenants, its maximum",
				CUDA_BACKEND_MAX_TENANTS);
	}
	t->gen = device_gen;
	int rc = build(t, err, errlen);
	if (rc == 0)
		table[slot] = t;
	pthread_mutex_unlock(&table_lock);
	device_use_end();
	if (rc != 0) {
		pthread_mutex_destroy(&t->lock);
		free(t);
	}
	return rc;
}

static void destroy(struct cuda_tenant *t)
{
	device_use_begin(); /* device_gen cannot move until device_use_end */
	pthread_mutex_lock(&table_lock);
	uint64_t gen = device_gen;
	pthread_mutex_unlock(&table_lock);
	pthread_mutex_lock(&t->lock); /* waits for a running command */
	/* A tenant built for an older device generation holds pointers the
	 * reset already freed; the new context may have handed the same
	 * addresses to another tenant: forget them, never free them. */
	if (t->gen != gen)
		forget(t);
	if (t->stream)
		cudaStreamSynchronize(t->stream);
	teardown(t);
	pthread_mutex_unlock(&t->lock);
	device_use_end();
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
	device_use_begin();
	pthread_mutex_lock(&table_lock);
	for (int i = 0; i < CUDA_BACKEND_MAX_TENANTS; i++)
		if (table[i] && table[i]->arena == arena) {
			t = table[i];
			break;
		}
	if (t) {
		pthread_mutex_lock(&t->lock);
		if (t->gen != device_gen) {
			forget(t);
			t->gen = device_gen;
			t->lost = t->resident; /* coherent: the window holds it all */
			char why[160];
			if (build(t, why, sizeof why) != 0)
				t->dev = NULL; /* stays unusable; every command fails */
		}
	}
	pthread_mutex_unlock(&table_lock);
	if (!t)
		device_use_end();
	return t;
}

void cuda_tenant_put(struct cuda_tenant *t)
{
	pthread_mutex_unlock(&t->lock);
	device_use_end();
}

uint64_t cuda_tenant_busy_ns(const uint8_t *arena)
{
	uint64_t ns = 0;
	/* Only the table lock: a stats reader must not wait for (nor make
	 * the other thread's lookups wait behind) a long running command. */
	pthread_mutex_lock(&table_lock);
	for (int i = 0; i < CUDA_BACKEND_MAX_TENANTS; i++)
		if (table[i] && table[i]->arena == arena) {
			ns = __atomic_load_n(&table[i]->busy_ns, __ATOMIC_RELAXED);
			break;
		}
	pthread_mutex_unlock(&table_lock);
	return ns;
}

void cuda_tenant_device_lost(uint64_t seen_gen)
{
	/* Exclusive: no other thread is inside a command or transfer now. */
	pthread_once(&device_rw_once, device_rw_init);
	pthread_rwlock_wrlock(&device_rw);
	pthread_mutex_lock(&table_lock);
	if (device_gen == seen_gen) {
		cudaDeviceReset();
		device_gen++;
	}
	pthread_mutex_unlock(&table_lock);
	pthread_rwlock_unlock(&device_rw);
}

int cuda_tenant_reset(struct cuda_tenant *t)
{
	char why[160];
	teardown(t);
	t->lost = t->resident;
	return build(t, why, sizeof why);
}
