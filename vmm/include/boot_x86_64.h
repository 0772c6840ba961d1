/*
 * boot_x86_64.h - the VMM's boot area in the low 2 MiB of guest RAM and the
 * CPU state that starts the program at CPL3 in long mode.
 *
 * Layout (guest-physical = guest-virtual, 4 KiB pages):
 *   0x0000  unmapped (null dereferences fault)
 *   0x1000  PML4          0x2000 PDPT       0x3000 page table for 0-2 MiB
 *   0x4000  GDT           0x5000 IDT        0x6000 TSS
 *   0x7000  exception stubs (CPL0, read-only, executable)
 *   0x8000  syscall entry stub (user, read-only, executable)
 *   0x9000-0xbfff  CPL0 exception stack
 *   0xe000  time page for the vDSO (user, read-only)
 *   0x10000-0x17fff vDSO image (user, read-only, executable)
 *   0x20000 page directories, one per GiB of guest-physical space
 * All but the three user pages are supervisor-only, so the program cannot
 * touch its page tables, descriptor tables or exception stack.  Above
 * 2 MiB, RAM (and the vGPU window) is mapped with 2 MiB user pages.
 */
#ifndef AIVISOR_BOOT_X86_64_H
#define AIVISOR_BOOT_X86_64_H

#include <linux/kvm.h>
#include <stdint.h>

#include "guest_mem.h"

#define BOOT_PML4          0x1000ULL
#define BOOT_PDPT          0x2000ULL
#define BOOT_PT0           0x3000ULL
#define BOOT_GDT           0x4000ULL
#define BOOT_IDT           0x5000ULL
#define BOOT_TSS           0x6000ULL
#define BOOT_FAULT_STUBS   0x7000ULL
#define BOOT_SYSCALL_STUB  0x8000ULL
#define BOOT_EXC_STACK     0x9000ULL
#define BOOT_EXC_STACK_TOP 0xc000ULL
#define BOOT_TIME_PAGE     0xe000ULL
#define BOOT_VDSO          0x10000ULL
#define BOOT_VDSO_MAX      0x8000ULL
#define BOOT_PD            0x20000ULL
#define BOOT_MAX_GIB       64      /* guest-physical space the tables can map */

/* Port numbers the stubs use to reach the VMM (`out %al, $port`). */
#define HC_PORT_SYSCALL 0x50
#define HC_PORT_FAULT   0x51
/* rip after the `out` of each stub: how the VMM knows an exit is genuine. */
#define HC_SYSCALL_RIP  (BOOT_SYSCALL_STUB + 2)
/* A `syscall` instruction the VMM runs once at set-up to learn whether
 * `syscall` enters CPL0 on this host (VMX/SVM) or stays at CPL3 (PVM). */
#define BOOT_SYSCALL_PROBE (BOOT_SYSCALL_STUB + 16)
#define FAULT_STUB_SIZE 16

/* Selectors (GDT: null, kernel code, kernel data, user32 code (unused,
 * there for the sysret layout), user data, user code, TSS). */
#define SEL_KERNEL_CS 0x08
#define SEL_KERNEL_DS 0x10
#define SEL_USER_DS   0x23
#define SEL_USER_CS   0x2b
#define SEL_TSS       0x30

/* A mapped range above 2 MiB (RAM or the vGPU window). */
struct boot_map {
	uint64_t start, size;
};

/*
 * Writes page tables, GDT, IDT, TSS and stubs into the boot area.  maps:
 * ranges above 2 MiB to identity-map with 2 MiB user pages (each start and
 * size 2 MiB aligned, below BOOT_MAX_GIB).  Returns 0 or -1 with err.
 */
int boot_write_tables(const struct guest_mem *m, const struct boot_map *maps, int nmaps,
		      char *err, size_t errlen);

/* Fills special registers for CPL3 long mode on top of what KVM reported. */
void boot_fill_sregs(struct kvm_sregs *s);

/* Name and signal of an exception vector: "page fault (#PF)", SIGSEGV. */
const char *boot_vector_name(unsigned vec);
int boot_vector_signal(unsigned vec);

#endif
