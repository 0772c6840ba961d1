/*
 * kvm_x86_64.c - thin, checked wrappers over the KVM ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot_x86_64.h"
#include "kvm_x86_64.h"

#define MSR_IA32_TSC 0x10
#define MSR_STAR     0xc0000081
#define MSR_LSTAR    0xc0000082
#define MSR_CSTAR    0xc0000083
#define MSR_SFMASK   0xc0000084
/* syscall clears TF, DF, IF, IOPL, AC, NT in RFLAGS, as Linux does. */
#define SFMASK_VALUE 0x47700ULL
#define XCR0_X87 0x1ULL
#define XCR0_SSE 0x2ULL
#define XCR0_AVX 0x4ULL
#define XCR0_AVX512 0xe0ULL
#define CPUID_NENT 256

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	int e = errno;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", msg, strerror(e));
	return -1;
}

int kvm_vm_open(struct kvm_vm *vm, bool want_sync_regs, char *err, size_t errlen)
{
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return fail(err, errlen, "cannot open /dev/kvm");
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		errno = EINVAL;
		return fail(err, errlen, "KVM API version %d, want %d", api, KVM_API_VERSION);
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return fail(err, errlen, "KVM_CREATE_VM");
	int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		return fail(err, errlen, "KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = (size_t)sz;
	int sync = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	vm->sync_regs = want_sync_regs && sync > 0 && (sync & KVM_SYNC_X86_REGS);

	vm->cpuid = calloc(1, sizeof(*vm->cpuid) + CPUID_NENT * sizeof(struct kvm_cpuid_entry2));
	if (!vm->cpuid)
		return fail(err, errlen, "out of memory");
	vm->cpuid->nent = CPUID_NENT;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid) < 0)
		return fail(err, errlen, "KVM_GET_SUPPORTED_CPUID");
	return 0;
}

int kvm_vm_add_memory(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host,
		      char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return fail(err, errlen, "KVM_SET_USER_MEMORY_REGION slot %u", slot);
	return 0;
}

int kvm_vm_ioeventfd(struct kvm_vm *vm, uint64_t gpa, int fd, char *err, size_t errlen)
{
	struct kvm_ioeventfd io = { .addr = gpa, .len = 4, .fd = fd };
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return fail(err, errlen, "KVM_IOEVENTFD at 0x%llx", (unsigned long long)gpa);
	return 0;
}

int kvm_vcpu_create(struct kvm_vm *vm, unsigned id, struct kvm_vcpu *c, char *err, size_t errlen)
{
	c->id = id;
	c->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (c->fd < 0)
		return fail(err, errlen, "KVM_CREATE_VCPU %u", id);
	c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->run == MAP_FAILED)
		return fail(err, errlen, "mmap of vCPU %u's kvm_run", id);
	if (ioctl(c->fd, KVM_SET_CPUID2, vm->cpuid) < 0)
		return fail(err, errlen, "KVM_SET_CPUID2");
	return 0;
}

/* XCR0: x87, SSE, AVX, and AVX-512 when the host offers all of its parts. */
static uint64_t pick_xcr0(const struct kvm_cpuid2 *cpuid)
{
	uint64_t supported = XCR0_X87 | XCR0_SSE;
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
		if (e->function == 0xd && e->index == 0)
			supported = e->eax | ((uint64_t)e->edx << 32);
	}
	uint64_t x = XCR0_X87 | XCR0_SSE;
	if (supported & XCR0_AVX)
		x |= XCR0_AVX;
	if ((x & XCR0_AVX) && (supported & XCR0_AVX512) == XCR0_AVX512)
		x |= XCR0_AVX512;
	return x;
}

/* Runs the probe `syscall` and reads the CPL the stub's `out` ran at. */
static int probe_syscall_cpl(struct kvm_vcpu *c, int *cpl, char *err, size_t errlen)
{
	struct kvm_regs r = { .rip = BOOT_SYSCALL_PROBE, .rsp = 0, .rflags = 0x2 };
	if (ioctl(c->fd, KVM_SET_REGS, &r) < 0)
		return fail(err, errlen, "KVM_SET_REGS (syscall probe)");
	int rc;
	do
		rc = ioctl(c->fd, KVM_RUN, 0);
	while (rc < 0 && (errno == EINTR || errno == EAGAIN));
	if (rc < 0)
		return fail(err, errlen, "KVM_RUN (syscall probe)");
	struct kvm_sregs s;
	if (c->run->exit_reason != KVM_EXIT_IO || c->run->io.port != HC_PORT_SYSCALL ||
	    ioctl(c->fd, KVM_GET_REGS, &r) < 0 || r.rip != HC_SYSCALL_RIP) {
		errno = EIO;
		return fail(err, errlen, "syscall probe did not reach the syscall stub (exit %u)",
			    c->run->exit_reason);
	}
	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return fail(err, errlen, "KVM_GET_SREGS (syscall probe)");
	*cpl = s.cs.selector & 3;
	return 0;
}

/* CPL3 long-mode segments and control registers (FS base fs_base),
 * syscall MSRs and XCR0.  *s receives the special registers set. */
static int set_cpu_state(struct kvm_vm *vm, struct kvm_vcpu *c, uint64_t fs_base, struct kvm_sregs *s,
			 char *err, size_t errlen)
{
	if (ioctl(c->fd, KVM_GET_SREGS, s) < 0)
		return fail(err, errlen, "KVM_GET_SREGS");
	boot_fill_sregs(s);
	s->fs.base = fs_base;
	if (ioctl(c->fd, KVM_SET_SREGS, s) < 0)
		return fail(err, errlen, "KVM_SET_SREGS");

	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[4];
	} msrs = { .h.nmsrs = 4, .e = {
		/* syscall: CS 0x08/SS 0x10; sysret: CS 0x1b+16 = 0x2b, SS 0x1b+8 = 0x23 */
		{ .index = MSR_STAR, .data = ((uint64_t)(0x18 | 3) << 48) | ((uint64_t)SEL_KERNEL_CS << 32) },
		{ .index = MSR_LSTAR, .data = BOOT_SYSCALL_STUB },
		{ .index = MSR_CSTAR, .data = BOOT_SYSCALL_STUB },
		{ .index = MSR_SFMASK, .data = SFMASK_VALUE },
	} };
	if (ioctl(c->fd, KVM_SET_MSRS, &msrs) != 4)
		return fail(err, errlen, "KVM_SET_MSRS");

	struct kvm_xcrs xcrs = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = pick_xcr0(vm->cpuid) } } };
	if (ioctl(c->fd, KVM_SET_XCRS, &xcrs) < 0)
		return fail(err, errlen, "KVM_SET_XCRS (XCR0 0x%llx)", (unsigned long long)xcrs.xcrs[0].value);
	return 0;
}

int kvm_vcpu_setup(struct kvm_vm *vm, struct kvm_vcpu *c, uint64_t entry, uint64_t rsp,
		   int *syscall_cpl, char *err, size_t errlen)
{
	struct kvm_sregs s;
	if (set_cpu_state(vm, c, 0, &s, err, errlen))
		return -1;
	/* The probe may leave the vCPU at CPL0 in the stub: reload CPL3 state. */
	if (probe_syscall_cpl(c, syscall_cpl, err, errlen))
		return -1;
	boot_fill_sregs(&s);
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		return fail(err, errlen, "KVM_SET_SREGS");

	struct kvm_regs r = { .rip = entry, .rsp = rsp, .rflags = 0x2 };
	if (ioctl(c->fd, KVM_SET_REGS, &r) < 0)
		return fail(err, errlen, "KVM_SET_REGS");
	if (vm->sync_regs)
		c->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	return 0;
}

int kvm_vcpu_prepare(struct kvm_vm *vm, struct kvm_vcpu *c, char *err, size_t errlen)
{
	struct kvm_sregs s;
	return set_cpu_state(vm, c, 0, &s, err, errlen);
}

int kvm_vcpu_setup_thread(struct kvm_vm *vm, struct kvm_vcpu *c, const struct kvm_regs *r,
			  uint64_t fs_base, char *err, size_t errlen)
{
	/* Full CPL3 segments again: a reused vCPU may have stopped at CPL0,
	 * in the syscall stub of its previous thread's exit (VMX/SVM). */
	struct kvm_sregs s;
	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return fail(err, errlen, "KVM_GET_SREGS");
	boot_fill_sregs(&s);
	s.fs.base = fs_base;
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		return fail(err, errlen, "KVM_SET_SREGS");
	if (ioctl(c->fd, KVM_SET_REGS, r) < 0)
		return fail(err, errlen, "KVM_SET_REGS");
	if (vm->sync_regs)
		c->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	return 0;
}

int kvm_vcpu_get_fs_base(struct kvm_vcpu *c, uint64_t *base)
{
	struct kvm_sregs s;
	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	*base = s.fs.base;
	return 0;
}

int kvm_vcpu_get_regs(struct kvm_vm *vm, struct kvm_vcpu *c, struct kvm_regs *r)
{
	if (vm->sync_regs) {
		*r = c->run->s.regs.regs;
		return 0;
	}
	return ioctl(c->fd, KVM_GET_REGS, r);
}

int kvm_vcpu_put_regs(struct kvm_vm *vm, struct kvm_vcpu *c, struct kvm_regs *r)
{
	if (vm->sync_regs) {
		c->run->s.regs.regs = *r;
		c->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	return ioctl(c->fd, KVM_SET_REGS, r);
}

int kvm_vcpu_set_fs_base(struct kvm_vcpu *c, uint64_t base)
{
	struct kvm_sregs s;
	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	s.fs.base = base;
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		return -errno;
	return 0;
}

int kvm_vcpu_tsc(struct kvm_vcpu *c, uint64_t *tsc, uint64_t *khz)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = MSR_IA32_TSC };
	if (ioctl(c->fd, KVM_GET_MSRS, &m) != 1)
		return -1;
	int k = ioctl(c->fd, KVM_GET_TSC_KHZ, 0);
	if (k <= 0)
		return -1;
	*tsc = m.e.data;
	*khz = (uint64_t)k;
	return 0;
}

void kvm_vm_close(struct kvm_vm *vm)
{
	free(vm->cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}
