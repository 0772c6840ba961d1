/*
 * client_ivshmem.h - the guest side of the vGPU over QEMU's ivshmem device,
 * for a program inside a Linux guest (no kernel module needed).
 *
 * The device is found by PCI id 1af4:1110 (or named by its sysfs
 * directory), its BARs are mapped from user space through sysfs:
 *   resource2  the shared memory = the tenant's vGPU window (vgpu_abi.h)
 *   resource0  registers; a 4-byte store to the doorbell register
 *              (offset 12) with peer 0, vector 0 signals the vGPU server.
 * Waiting is a bounded spin followed by nanosleep polling: the completion
 * interrupt would need a kernel driver, and polling the window's fence
 * from user space is enough.
 *
 * Every function returns 0 or a negative errno and, on error, writes a
 * one-line reason into err (when not NULL).  Nothing is printed.
 */
#ifndef CLIENT_IVSHMEM_H
#define CLIENT_IVSHMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IVSHMEM_PCI_VENDOR      0x1af4
#define IVSHMEM_PCI_DEVICE      0x1110
#define IVSHMEM_SYSFS_PCI       "/sys/bus/pci/devices"
#define IVSHMEM_REG_DOORBELL    12u     /* BAR0 register offset */
#define IVSHMEM_VGPU_PEER       0u      /* the vGPU server's peer id */
#define IVSHMEM_POLL_NS         20000   /* first nap between fence checks */
#define IVSHMEM_POLL_MAX_NS     1000000 /* naps double up to this */

struct ivshmem_client {
	void *window;            /* BAR2 mapping: the vGPU window */
	uint64_t window_size;    /* BAR2 size */
	volatile uint32_t *regs; /* BAR0 mapping */
	uint64_t regs_size;
	char dir[256];           /* sysfs directory of the device used */
};

/* Opens the device in sysfs directory dev_dir (e.g.
 * /sys/bus/pci/devices/0000:00:05.0), or, when dev_dir is NULL or empty,
 * the first device with the ivshmem PCI id under sysfs_root (NULL =
 * IVSHMEM_SYSFS_PCI).  Enables the device's memory decoding (its `enable`
 * file) when nothing else has, and maps both BARs. */
int ivshmem_client_open(const char *dev_dir, const char *sysfs_root,
			struct ivshmem_client *c, char *err, size_t errlen);
void ivshmem_client_close(struct ivshmem_client *c);

/* Rings the vGPU server's doorbell (peer 0, vector 0). */
void ivshmem_client_ring(struct ivshmem_client *c);

/* Waits until done(arg) returns true: spins spin_iters times, then naps
 * and re-checks, the first nap poll_ns nanoseconds (0 = IVSHMEM_POLL_NS),
 * each next one twice as long up to IVSHMEM_POLL_MAX_NS (or poll_ns if
 * larger).  timeout_ns < 0 = forever.  Returns 0 or -ETIMEDOUT. */
int ivshmem_client_wait(bool (*done)(void *arg), void *arg, uint32_t spin_iters,
			uint64_t poll_ns, int64_t timeout_ns);

#endif
