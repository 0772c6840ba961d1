/*
 * vdso_time.h - the time page the VMM writes and the guest's vDSO reads,
 * so clock_gettime costs an rdtsc instead of a ~25-35 us exit.
 *
 * time = base_ns + ((rdtsc - tsc_base) * mult) >> 32.  Written once at
 * set-up from the guest's TSC (KVM_GET_MSRS) and KVM_GET_TSC_KHZ; seq is
 * odd while the VMM updates it.
 */
#ifndef AIVISOR_VDSO_TIME_H
#define AIVISOR_VDSO_TIME_H

#include <stdint.h>

#define VDSO_TIME_PAGE_ADDR 0xe000UL
#define VDSO_TIME_SHIFT 32

struct vdso_time {
	uint32_t seq;
	uint32_t valid;       /* 0: the vDSO answers -ENOSYS, musl falls back */
	uint64_t tsc_base;
	uint64_t mult;        /* ns per tick << VDSO_TIME_SHIFT */
	int64_t mono_ns;      /* CLOCK_MONOTONIC at tsc_base */
	int64_t real_ns;      /* CLOCK_REALTIME at tsc_base */
};

#endif
