/*
 * boot_x86_64.c - page tables, descriptor tables and stubs for a program
 * that runs at CPL3 with a tiny CPL0 part that only reports exceptions.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "boot_x86_64.h"

#define PTE_P  0x1ULL
#define PTE_RW 0x2ULL
#define PTE_US 0x4ULL
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)
#define MIB2   0x200000ULL
#define GIB    0x40000000ULL

/* 64-bit TSS (104 bytes), then an I/O bitmap for ports 0-127 and the
 * terminating all-ones byte the CPU requires. */
#define TSS_IOMAP 104
#define TSS_IOMAP_BYTES 16
#define TSS_LIMIT (TSS_IOMAP + TSS_IOMAP_BYTES)

#define CR0_PE 0x1ULL
#define CR0_MP 0x2ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_WP 0x10000ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define CR4_OSFXSR 0x200ULL
#define CR4_OSXMMEXCPT 0x400ULL
#define CR4_OSXSAVE 0x40000ULL
#define EFER_SCE 0x1ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define EFER_NXE 0x800ULL

/* Vectors for which the CPU pushes an error code. */
static int has_error_code(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

static void write_page_tables(uint8_t *ram, const struct boot_map *maps, int nmaps, unsigned gibs)
{
	uint64_t *pml4 = (uint64_t *)(ram + BOOT_PML4);
	uint64_t *pdpt = (uint64_t *)(ram + BOOT_PDPT);
	uint64_t *pt0 = (uint64_t *)(ram + BOOT_PT0);
	pml4[0] = BOOT_PDPT | PTE_P | PTE_RW | PTE_US;
	for (unsigned g = 0; g < gibs; g++)
		pdpt[g] = (BOOT_PD + g * 4096) | PTE_P | PTE_RW | PTE_US;
	uint64_t *pd0 = (uint64_t *)(ram + BOOT_PD);
	pd0[0] = BOOT_PT0 | PTE_P | PTE_RW | PTE_US;

	/* Boot area: what the CPU reaches by linear address (descriptor
	 * tables, TSS, stack, stubs), supervisor-only except the stub, time
	 * and vDSO pages. */
	static const uint64_t kernel_rw[] = { BOOT_PML4, BOOT_PDPT, BOOT_PT0, BOOT_GDT, BOOT_IDT,
					      BOOT_TSS, BOOT_EXC_STACK, BOOT_EXC_STACK + 0x1000,
					      BOOT_EXC_STACK + 0x2000 };
	for (size_t i = 0; i < sizeof(kernel_rw) / sizeof(kernel_rw[0]); i++)
		pt0[kernel_rw[i] / 4096] = kernel_rw[i] | PTE_P | PTE_RW | PTE_NX;
	pt0[BOOT_FAULT_STUBS / 4096] = BOOT_FAULT_STUBS | PTE_P;
	pt0[BOOT_SYSCALL_STUB / 4096] = BOOT_SYSCALL_STUB | PTE_P | PTE_US;
	pt0[BOOT_TIME_PAGE / 4096] = BOOT_TIME_PAGE | PTE_P | PTE_US | PTE_NX;
	for (uint64_t a = BOOT_VDSO; a < BOOT_VDSO + BOOT_VDSO_MAX; a += 4096)
		pt0[a / 4096] = a | PTE_P | PTE_US;

	for (int i = 0; i < nmaps; i++)
		for (uint64_t a = maps[i].start; a < maps[i].start + maps[i].size; a += MIB2) {
			uint64_t *pd = (uint64_t *)(ram + BOOT_PD + (a / GIB) * 4096);
			pd[(a % GIB) / MIB2] = a | PTE_P | PTE_RW | PTE_US | PTE_PS;
		}
}

static void write_gdt_tss(uint8_t *ram)
{
	uint64_t *gdt = (uint64_t *)(ram + BOOT_GDT);
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffULL; /* kernel code, 64-bit */
	gdt[2] = 0x00cf92000000ffffULL; /* kernel data */
	gdt[3] = 0x00cffa000000ffffULL; /* user code, 32-bit (sysret layout) */
	gdt[4] = 0x00cff2000000ffffULL; /* user data */
	gdt[5] = 0x00affa000000ffffULL; /* user code, 64-bit */
	uint64_t base = BOOT_TSS, limit = TSS_LIMIT;
	gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x8bULL << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[7] = base >> 32;

	uint8_t *tss = ram + BOOT_TSS;
	uint64_t top = BOOT_EXC_STACK_TOP;
	memcpy(tss + 4, &top, 8);   /* rsp0 */
	memcpy(tss + 36, &top, 8);  /* ist1: every exception runs on a known-good stack */
	/* I/O permission bitmap: the stubs' two ports are open at CPL3 too,
	 * because on some hosts `syscall` leaves the stub at CPL3; every
	 * other port stays closed (#GP). */
	uint16_t iomap = TSS_IOMAP;
	memcpy(tss + 102, &iomap, 2);
	memset(tss + TSS_IOMAP, 0xff, TSS_IOMAP_BYTES + 1);
	tss[TSS_IOMAP + HC_PORT_SYSCALL / 8] &= (uint8_t)~(1u << (HC_PORT_SYSCALL % 8));
	tss[TSS_IOMAP + HC_PORT_FAULT / 8] &= (uint8_t)~(1u << (HC_PORT_FAULT % 8));
}

/*
 * Each stub: [push $0 if the CPU pushes no error code]; push $vector;
 * out %al, $HC_PORT_FAULT; hlt; jmp .-1.  The VMM reads the frame
 * (vector, error, rip, cs, rflags, rsp, ss) at the stub's rsp.
 */
static void write_stubs(uint8_t *ram)
{
	uint64_t *idt = (uint64_t *)(ram + BOOT_IDT);
	for (unsigned v = 0; v < 32; v++) {
		uint8_t *s = ram + BOOT_FAULT_STUBS + v * FAULT_STUB_SIZE;
		size_t n = 0;
		if (!has_error_code(v)) {
			s[n++] = 0x6a;
			s[n++] = 0x00;
		}
		s[n++] = 0x6a;
		s[n++] = (uint8_t)v;
		s[n++] = 0xe6;
		s[n++] = HC_PORT_FAULT;
		s[n++] = 0xf4;
		s[n++] = 0xeb;
		s[n++] = 0xfd;
		uint64_t off = BOOT_FAULT_STUBS + v * FAULT_STUB_SIZE;
		/* #BP and #OF may be raised by int3/into at CPL3: gate DPL 3. */
		uint64_t type = (v == 3 || v == 4) ? 0xeeULL : 0x8eULL;
		idt[2 * v] = (off & 0xffff) | ((uint64_t)SEL_KERNEL_CS << 16) | (1ULL << 32) /* ist1 */ |
			     (type << 40) | (((off >> 16) & 0xffff) << 48);
		idt[2 * v + 1] = off >> 32;
	}
	/*
	 * syscall entry: out %al, $HC_PORT_SYSCALL; sysretq; ud2.  Where
	 * `syscall` entered CPL0 (VMX/SVM) the VMM leaves rip after the out and
	 * sysretq returns to the program; where it stayed at CPL3 the VMM
	 * itself sets rip = rcx and rflags = r11, so no stack is touched.
	 */
	static const uint8_t sys[] = { 0xe6, HC_PORT_SYSCALL, 0x48, 0x0f, 0x07, 0x0f, 0x0b };
	memcpy(ram + BOOT_SYSCALL_STUB, sys, sizeof(sys));
	static const uint8_t probe[] = { 0x0f, 0x05, 0x0f, 0x0b }; /* syscall; ud2 */
	memcpy(ram + BOOT_SYSCALL_PROBE, probe, sizeof(probe));
}

int boot_write_tables(const struct guest_mem *m, const struct boot_map *maps, int nmaps,
		      char *err, size_t errlen)
{
	uint8_t *ram = guest_mem_ptr(m, 0, GUEST_USER_BASE);
	if (!ram) {
		snprintf(err, errlen, "guest RAM smaller than the 2 MiB boot area");
		return -1;
	}
	unsigned gibs = 1;
	for (int i = 0; i < nmaps; i++) {
		if (maps[i].start % MIB2 || maps[i].size % MIB2 || maps[i].start < MIB2 ||
		    maps[i].start > BOOT_MAX_GIB * GIB || maps[i].size > BOOT_MAX_GIB * GIB - maps[i].start) {
			snprintf(err, errlen, "guest-physical range [0x%llx, +0x%llx) cannot be mapped",
				 (unsigned long long)maps[i].start, (unsigned long long)maps[i].size);
			return -1;
		}
		unsigned need = (unsigned)((maps[i].start + maps[i].size + GIB - 1) / GIB);
		if (need > gibs)
			gibs = need;
	}
	memset(ram, 0, BOOT_PD + BOOT_MAX_GIB * 4096);
	write_page_tables(ram, maps, nmaps, gibs);
	write_gdt_tss(ram);
	write_stubs(ram);
	return 0;
}

static struct kvm_segment user_seg(uint16_t sel, int code)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = code ? 11 : 3,
		.present = 1, .dpl = 3, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
	};
}

void boot_fill_sregs(struct kvm_sregs *s)
{
	s->cs = user_seg(SEL_USER_CS, 1);
	s->ds = s->es = s->fs = s->gs = s->ss = user_seg(SEL_USER_DS, 0);
	s->tr = (struct kvm_segment){ .base = BOOT_TSS, .limit = TSS_LIMIT, .selector = SEL_TSS,
				      .type = 11, .present = 1 };
	s->ldt = (struct kvm_segment){ .type = 2, .present = 0, .unusable = 1 };
	s->gdt.base = BOOT_GDT;
	s->gdt.limit = 8 * 8 - 1;
	s->idt.base = BOOT_IDT;
	s->idt.limit = 32 * 16 - 1;
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s->cr3 = BOOT_PML4;
	s->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	s->efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
}

static const struct vector_info {
	const char *name;
	int sig;
} vectors[32] = {
	[0] = { "divide error (#DE)", SIGFPE },
	[1] = { "debug (#DB)", SIGTRAP },
	[2] = { "NMI", SIGSEGV },
	[3] = { "breakpoint (#BP)", SIGTRAP },
	[4] = { "overflow (#OF)", SIGSEGV },
	[5] = { "bound range (#BR)", SIGSEGV },
	[6] = { "invalid opcode (#UD)", SIGILL },
	[7] = { "device not available (#NM)", SIGSEGV },
	[8] = { "double fault (#DF)", SIGSEGV },
	[10] = { "invalid TSS (#TS)", SIGSEGV },
	[11] = { "segment not present (#NP)", SIGSEGV },
	[12] = { "stack fault (#SS)", SIGSEGV },
	[13] = { "general protection (#GP)", SIGSEGV },
	[14] = { "page fault (#PF)", SIGSEGV },
	[16] = { "x87 floating point (#MF)", SIGFPE },
	[17] = { "alignment check (#AC)", SIGBUS },
	[18] = { "machine check (#MC)", SIGSEGV },
	[19] = { "SIMD floating point (#XM)", SIGFPE },
	[21] = { "control protection (#CP)", SIGSEGV },
};

const char *boot_vector_name(unsigned vec)
{
	return vec < 32 && vectors[vec].name ? vectors[vec].name : "reserved exception";
}

int boot_vector_signal(unsigned vec)
{
	return vec < 32 && vectors[vec].sig ? vectors[vec].sig : SIGSEGV;
}
