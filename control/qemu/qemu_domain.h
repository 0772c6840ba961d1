/*
 * qemu_domain.h - run an aivisor tenant as a libvirt/QEMU domain.
 *
 * The daemon defines the tenant in libvirtd (so it shows in `virsh list`
 * beside the user's other VMs) as a Linux guest booted from the aivisor
 * image (build/images: Debian kernel + initramfs with aivisor-agent) whose
 * vGPU window arrives through an ivshmem-doorbell <shmem> device served by
 * the tenant's aivisor-ivshmem bridge (qemu_bridge.h).
 *
 * The libvirt C API is used directly (not virsh): errors come back as
 * structured values with libvirt's own message, there is no argv quoting
 * or output parsing, and no child process per call.  Each call opens its
 * own connection, so the functions are thread-safe and hold no state.
 *
 * Every function returns 0 or a negative errno with a one-line reason in
 * err (libvirt's message where libvirt failed):
 *   -EINVAL  invalid spec (reason in err)   -ENOENT  no such domain
 *   -ECONNREFUSED  cannot connect to the libvirt URI
 *   -EIO     libvirt refused the operation (its message in err)
 */
#ifndef AIVISOR_QEMU_DOMAIN_H
#define AIVISOR_QEMU_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QEMU_DEFAULT_URI   "qemu:///system"
#define QEMU_JOB_MAX       1024  /* bytes of the aivisor.job kernel argument */

struct qemu_domain_spec {
	const char *name;            /* [A-Za-z0-9][A-Za-z0-9_.-]*, <= 63 chars */
	const char *uuid;            /* NULL or "" = libvirt generates one */
	unsigned vcpus;              /* 1..64 */
	uint64_t memory_mib;         /* guest RAM, 64..1048576 */
	const char *kernel;          /* absolute path of the guest kernel */
	const char *initrd;          /* absolute path of the initramfs */
	const char *job;             /* aivisor.job="..." for the image's /init;
	                                NULL = none (the guest waits on its console) */
	const char *vgpu_socket;     /* the bridge's socket; NULL = no vGPU */
	uint64_t vgpu_memory_mib;    /* window size, a power of two (a PCI BAR) */
	const char *serial_log;      /* file for the serial console; NULL = a pty */
	const char *domain_type;     /* "kvm", "qemu" or NULL = qemu_domain_type_auto() */
};

/* "kvm" when /dev/kvm exists and the CPU has hardware virtualization (VMX
 * or SVM flag), else "qemu" (TCG): on a host whose KVM emulates guest
 * kernel code (see docs/QEMU.md), TCG boots a Linux guest faster. */
const char *qemu_domain_type_auto(void);

/* The domain XML for spec, malloc'd into *xml (caller frees).  Every string
 * is checked and XML-escaped; the job may not contain '"' or control
 * characters (it is one quoted kernel argument). */
int qemu_domain_xml(const struct qemu_domain_spec *spec, char **xml, char *err, size_t errlen);

/* uri: NULL = QEMU_DEFAULT_URI. */
int qemu_domain_define(const char *uri, const struct qemu_domain_spec *spec,
		       char *err, size_t errlen);
int qemu_domain_start(const char *uri, const char *name, char *err, size_t errlen);
/* Graceful: ACPI shutdown, then destroy after timeout_s; force: destroy at
 * once.  A domain that is not running: 0 (nothing to do). */
int qemu_domain_stop(const char *uri, const char *name, bool force, unsigned timeout_s,
		     char *err, size_t errlen);
/* Stops it if running, then removes the definition. */
int qemu_domain_undefine(const char *uri, const char *name, char *err, size_t errlen);

enum qemu_domain_state {
	QEMU_DOMAIN_SHUTOFF,
	QEMU_DOMAIN_RUNNING,   /* running, blocked or paused: the QEMU process lives */
	QEMU_DOMAIN_CRASHED,
	QEMU_DOMAIN_OTHER,
};
int qemu_domain_state(const char *uri, const char *name, enum qemu_domain_state *state,
		      char *err, size_t errlen);
const char *qemu_domain_state_name(enum qemu_domain_state s);

#endif
