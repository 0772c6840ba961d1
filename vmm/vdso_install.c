/*
 * vdso_install.c - puts the vDSO image and the time page into the guest.
 *
 * The guest TSC and the host clocks are read back to back, so the vDSO's
 * clocks start within a few microseconds of the host's and then advance at
 * the TSC rate KVM reports.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "boot_x86_64.h"
#include "vdso.h"
#include "vdso_time.h"

extern const uint8_t vdso_image[], vdso_image_end[];

_Static_assert(VDSO_TIME_PAGE_ADDR == BOOT_TIME_PAGE, "vDSO and VMM agree on the time page");

static int64_t ts_ns(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec; }

int vdso_install(const struct guest_mem *m, struct kvm_vcpu *c, uint64_t *addr, char *err, size_t errlen)
{
	size_t len = (size_t)(vdso_image_end - vdso_image);
	uint8_t *dst = guest_mem_ptr(m, BOOT_VDSO, BOOT_VDSO_MAX);
	struct vdso_time *t = guest_mem_ptr(m, BOOT_TIME_PAGE, sizeof(*t));
	if (!dst || !t || len > BOOT_VDSO_MAX || len < 4 || memcmp(vdso_image, "\177ELF", 4) != 0) {
		snprintf(err, errlen, "embedded vDSO image is invalid (%zu bytes)", len);
		return -1;
	}
	memcpy(dst, vdso_image, len);

	uint64_t tsc, khz;
	struct timespec mono, real;
	if (kvm_vcpu_tsc(c, &tsc, &khz) < 0) {
		/* No usable TSC: the vDSO answers -ENOSYS and musl makes the call. */
		t->valid = 0;
	} else {
		clock_gettime(CLOCK_MONOTONIC, &mono);
		clock_gettime(CLOCK_REALTIME, &real);
		*t = (struct vdso_time){
			.seq = 0, .valid = 1, .tsc_base = tsc,
			.mult = (uint64_t)((1000000ULL << VDSO_TIME_SHIFT) / khz),
			.mono_ns = ts_ns(&mono), .real_ns = ts_ns(&real),
		};
	}
	*addr = BOOT_VDSO;
	return 0;
}
