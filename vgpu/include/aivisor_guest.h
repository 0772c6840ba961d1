/*
 * aivisor_guest.h - the contract between aivisor-vmm and the static program
 * it runs in a microVM, beyond ordinary Linux system calls.
 *
 * Shared by the VMM (host side) and the guest's vGPU client.  Kept tiny on
 * purpose: the vGPU's own ABI (window layout, rings, opcodes) lives in
 * vgpu_abi.h and is the same for every kind of tenant; only discovery and
 * waiting differ for a microVM.
 */
#ifndef AIVISOR_GUEST_H
#define AIVISOR_GUEST_H

/*
 * Discovery.  When a microVM has a vGPU, the VMM maps the tenant's window
 * into the guest and puts this variable into the program's environment:
 *
 *   AIVISOR_VGPU=mvm:<window-addr>:<window-size>:<doorbell-addr>
 *
 * all three in hexadecimal with a 0x prefix.  <window-addr> is the guest
 * virtual (= guest physical, identity-mapped) address of the window,
 * <doorbell-addr> an address where a 4-byte store rings the doorbell (the
 * VMM routes it to the vGPU server with KVM_IOEVENTFD, no exit to the VMM).
 *
 * A host process tenant instead sets AIVISOR_VGPU=unix:<socket-path> (or
 * the client falls back to the default server socket); a QEMU guest uses
 * ivshmem:<pci-sysfs-dir>.
 */
#define AIVISOR_VGPU_ENV "AIVISOR_VGPU"

/*
 * Hypercalls are system call numbers no Linux kernel uses.  They are made
 * with the ordinary `syscall` instruction, so the same guest code works on
 * every host.  Results follow the Linux convention: >= 0 success, -errno.
 */
#define AIVISOR_SYS_BASE 0x1000

/*
 * AIVISOR_SYS_VGPU_WAIT(uint64_t timeout_ns)
 * Blocks the calling vCPU until the vGPU server signals the tenant's
 * completion eventfd, or timeout_ns passes.  The eventfd counter is sticky,
 * so a signal that arrived before the call returns at once.  The guest sets
 * the control page's waiting flag and re-checks its fence before calling.
 * Returns 0 when signalled, -ETIMEDOUT, or -ENODEV when the VM has no vGPU.
 */
#define AIVISOR_SYS_VGPU_WAIT (AIVISOR_SYS_BASE + 0)

#endif
