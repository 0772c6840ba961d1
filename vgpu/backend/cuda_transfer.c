/*
 * cuda_transfer.c - explicit transfers between a tenant's window arena
 * (host, shared with the tenant) and its device mirror.
 *
 * The window is the tenant's memory, not ours to pin: data goes through
 * the tenant's two pinned staging buffers, double-buffered so the copy
 * of one chunk on the host overlaps the DMA of the other.
 */
#include <string.h>
#include "cuda_backend.h"
#include "cuda_errmap.h"
#include "cuda_tenant.h"

static int check_range(const struct cuda_tenant *t, uint64_t off, uint64_t bytes)
{
	if (off > UINT64_MAX - bytes)
		return VGPU_E_OVERFLOW;
	if (off + bytes > t->size)
		return VGPU_E_RANGE;
	return VGPU_OK;
}

int cuda_tenant_upload(struct cuda_tenant *t, uint64_t off, uint64_t bytes)
{
	cudaError_t e = cudaSuccess;
	for (uint64_t done = 0; done < bytes && e == cudaSuccess;) {
		size_t n = bytes - done < CUDA_BACKEND_STAGING_BYTES ? bytes - done
								       : CUDA_BACKEND_STAGING_BYTES;
		/* Alternate across calls too: a command's small spans overlap. */
		int b = (int)(t->stage_turn++ & 1);
		/* The DMA that last read this staging buffer must be done. */
		if ((e = cudaEventSynchronize(t->staged[b])))
			break;
		memcpy(t->staging[b], t->arena + off + done, n);
		if ((e = cudaMemcpyAsync(t->dev + off + done, t->staging[b], n,
					 cudaMemcpyHostToDevice, t->stream)))
			break;
		e = cudaEventRecord(t->staged[b], t->stream);
		done += n;
	}
	/* No wait here: work queued after it on the stream sees the data. */
	return cuda_errmap_runtime(e).code;
}

int cuda_tenant_download(struct cuda_tenant *t, uint64_t off, uint64_t bytes)
{
	cudaError_t e = cudaSuccess;
	uint64_t issued = 0, copied = 0;
	size_t len[2] = { 0, 0 };
	/* Keep one chunk in flight ahead of the one being copied out. */
	for (uint64_t i = 0; copied < bytes && e == cudaSuccess; i++) {
		for (; issued < bytes && issued - copied < 2ull * CUDA_BACKEND_STAGING_BYTES &&
		       e == cudaSuccess;) {
			int b = (int)((issued / CUDA_BACKEND_STAGING_BYTES) & 1);
			size_t n = bytes - issued < CUDA_BACKEND_STAGING_BYTES
					   ? bytes - issued : CUDA_BACKEND_STAGING_BYTES;
			e = cudaMemcpyAsync(t->staging[b], t->dev + off + issued, n,
					    cudaMemcpyDeviceToHost, t->stream);
			if (e == cudaSuccess)
				e = cudaEventRecord(t->staged[b], t->stream);
			len[b] = n;
			issued += n;
		}
		int b = (int)(i & 1);
		if (e == cudaSuccess && (e = cudaEventSynchronize(t->staged[b])) == cudaSuccess) {
			memcpy(t->arena + off + copied, t->staging[b], len[b]);
			copied += len[b];
		}
	}
	return cuda_errmap_runtime(e).code;
}

static int transfer(uint8_t *arena, uint64_t off, uint64_t bytes, int up)
{
	struct cuda_tenant *t = cuda_tenant_get(arena);
	if (!t)
		return VGPU_E_BACKEND;
	int rc = check_range(t, off, bytes);
	if (rc == VGPU_OK && !t->dev)
		rc = VGPU_E_BACKEND;
	if (rc == VGPU_OK) {
		/* From now on the tenant moves its data itself. */
		t->resident = 1;
		if (bytes && up) {
			rc = cuda_tenant_upload(t, off, bytes);
			if (rc == VGPU_OK)
				rc = cuda_errmap_runtime(cudaStreamSynchronize(t->stream)).code;
		} else if (bytes) {
			rc = cuda_tenant_download(t, off, bytes);
		}
	}
	cuda_tenant_put(t);
	return rc;
}

int cuda_backend_upload(uint8_t *arena, uint64_t off, uint64_t bytes)
{
	return transfer(arena, off, bytes, 1);
}

int cuda_backend_download(uint8_t *arena, uint64_t off, uint64_t bytes)
{
	return transfer(arena, off, bytes, 0);
}
