/*
 * cuda_backend.h - the vGPU backend on an NVIDIA GPU (CUDA runtime +
 * cuBLAS), built when the CUDA toolkit is present (vgpu/cuda.mk defines
 * AIVISOR_WITH_CUDA for code that may refer to it).
 *
 * Each tenant's arena is mirrored by a device allocation of the same size,
 * reserved at attach: a command's offsets name bytes of that allocation,
 * so quota enforcement and the validator's range checks carry over as is.
 * Two ways data moves between the window's arena (host) and the device,
 * both through the tenant's pinned staging buffers:
 *   - coherent mode (a new tenant's): before each command the bytes it
 *     reads (and writes) are uploaded, after it the bytes it wrote are
 *     downloaded (cuda_spans.h), so the window behaves exactly as on the
 *     OpenBLAS backend, at the cost of the copies;
 *   - resident mode, from a tenant's first explicit transfer
 *     (cuda_backend_upload/download) on: nothing moves implicitly, data
 *     stays on the device between commands (full device speed).
 *
 * Per tenant: one CUDA stream and cuBLAS handle (tenants never wait on
 * each other's work), CUDA events around every command (device time,
 * charged to the tenant), and a device error word per command (labels,
 * indices, Adam's step and finiteness are checked on the device).
 */
#ifndef AIVISOR_CUDA_BACKEND_H
#define AIVISOR_CUDA_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "backend.h"

/* Most tenants attached at once (each holds a stream and a handle). */
#define CUDA_BACKEND_MAX_TENANTS 256
/* Each tenant's two pinned staging buffers for transfers. */
#define CUDA_BACKEND_STAGING_BYTES (4u << 20)

extern const struct vgpu_backend vgpu_backend_cuda;

/*
 * Reserves arena_size bytes on the device for the tenant whose arena
 * starts at arena (the key of every later call), plus its stream, cuBLAS
 * handle, events and staging.  Returns 0; -ENOMEM with "device memory
 * quota of N MiB does not fit: ..." when the reservation fails (the server
 * refuses the attach with that message); -EBUSY when the table is full;
 * -EEXIST when arena is already attached; -ENODEV when the backend is not
 * initialised.
 */
int cuda_backend_attach(uint8_t *arena, uint64_t arena_size, char *err, size_t errlen);
/* Waits for the tenant's work and frees everything attach reserved. */
void cuda_backend_detach(uint8_t *arena);

/* Window arena -> device (upload) and device -> window arena (download)
 * for [off, off + bytes); puts the tenant in resident mode.  VGPU_OK,
 * VGPU_E_RANGE / VGPU_E_OVERFLOW for a bad range, VGPU_E_BACKEND when the
 * transfer failed. */
int cuda_backend_upload(uint8_t *arena, uint64_t off, uint64_t bytes);
int cuda_backend_download(uint8_t *arena, uint64_t off, uint64_t bytes);

/* Device time (CUDA events) charged to the tenant so far, in ns. */
uint64_t cuda_backend_busy_ns(const uint8_t *arena);

#endif
