/*
 * vdso.h - installs the embedded vDSO and its time page in the boot area.
 */
#ifndef AIVISOR_VDSO_H
#define AIVISOR_VDSO_H

#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "kvm_x86_64.h"

/* Copies the vDSO to BOOT_VDSO and fills the time page from vCPU c's TSC.
 * *addr receives the AT_SYSINFO_EHDR value.  Returns 0 or -1 with err. */
int vdso_install(const struct guest_mem *m, struct kvm_vcpu *c, uint64_t *addr, char *err, size_t errlen);

#endif
