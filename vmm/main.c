/*
 * main.c - aivisor-vmm: flags, then the set-up phase (load the program,
 * build guest memory and the VM, start the parked vCPU threads: vm_start),
 * then the run phase (vm_wait).
 *
 * Everything that can fail because of the user's input (flags, the ELF)
 * fails here, before a VM exists, with exit status 2 (usage) or 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot_x86_64.h"
#include "elf_load.h"
#include "policy.h"
#include "sandbox.h"
#include "sandbox_vmm.h"
#include "user_stack.h"
#include "vdso.h"
#include "vgpu_wire.h"
#include "vm.h"

#define MIB (1ULL << 20)
#define HUGE (2 * MIB)
#define DEFAULT_MEMORY_MIB 64
#define MIN_MEMORY_MIB 16
#define MAX_MEMORY_MIB (32ULL * 1024)
#define MAX_ELF_SIZE (1ULL << 30)
#define MAX_ENV 256
#define MAX_VGPU_MIB (16ULL * 1024)

struct options {
	uint64_t memory_mib;
	unsigned vcpus;
	unsigned timeout_s;
	const char *name;
	bool debug, no_sync_regs, no_vdso;
	bool no_sandbox, user_given;
	uint64_t console_rate;  /* bytes/s of guest console output, 0 = unlimited */
	struct vmm_sandbox_opts sandbox;
	char *env[MAX_ENV + 2];
	int nenv;
	struct vgpu_wire_opts vgpu;
	char **argv; /* program and its arguments */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: aivisor-vmm [--memory MIB] [--vcpus N] [--share HOSTDIR[:GUESTDIR][:rw]]...\n"
		"                   [--timeout SECONDS] [--name NAME] [--env KEY=VALUE]...\n"
		"                   [--vgpu-memory MIB [--vgpu-socket PATH] [--priority high|normal|low]\n"
		"                    [--vgpu-weight W]]\n"
		"                   [--user USER[:GROUP]] [--no-sandbox] [--print-seccomp]\n"
		"                   [--console-rate BYTES_PER_S]\n"
		"                   [--debug] [--no-vdso] [--no-sync-regs] PROGRAM [ARGS...]\n"
		"Runs a static x86-64 Linux program in a KVM microVM.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "aivisor-vmm: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	usage(stderr);
	return 2;
}

static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!s || *s < '0' || *s > '9')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

enum { OPT_MEMORY = 1, OPT_VCPUS, OPT_SHARE, OPT_TIMEOUT, OPT_NAME, OPT_ENV, OPT_DEBUG,
       OPT_NO_VDSO, OPT_NO_SYNC, OPT_VGPU_MEMORY, OPT_VGPU_SOCKET, OPT_PRIORITY, OPT_VGPU_WEIGHT,
       OPT_USER, OPT_CONSOLE_RATE, OPT_NO_SANDBOX, OPT_PRINT_SECCOMP, OPT_HELP };

static int parse_flags(int argc, char **argv, struct options *o, struct shares *sh)
{
	static const struct option longopts[] = {
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "vcpus", required_argument, NULL, OPT_VCPUS },
		{ "share", required_argument, NULL, OPT_SHARE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "no-vdso", no_argument, NULL, OPT_NO_VDSO },
		{ "no-sync-regs", no_argument, NULL, OPT_NO_SYNC },
		{ "vgpu-memory", required_argument, NULL, OPT_VGPU_MEMORY },
		{ "vgpu-socket", required_argument, NULL, OPT_VGPU_SOCKET },
		{ "priority", required_argument, NULL, OPT_PRIORITY },
		{ "vgpu-weight", required_argument, NULL, OPT_VGPU_WEIGHT },
		{ "user", required_argument, NULL, OPT_USER },
		{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
		{ "console-rate", required_argument, NULL, OPT_CONSOLE_RATE },
		{ "print-seccomp", no_argument, NULL, OPT_PRINT_SECCOMP },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 },
	};
	*o = (struct options){ .memory_mib = DEFAULT_MEMORY_MIB, .vcpus = 1,
			       .vgpu = { .prio = VGPU_PRIO_NORMAL, .server_uid = -1, .server_gid = -1 },
			       .console_rate = CONSOLE_RATE_DEFAULT };
	opterr = 0;
	int c;
	uint64_t v;
	char err[256];
	/* The run phase's user when started as root (see sandbox_vmm.c). */
	if (sandbox_parse_user(NULL, &o->sandbox.uid, &o->sandbox.gid, err, sizeof(err)))
		o->sandbox.uid = o->sandbox.gid = 65534;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MEMORY:
			if (parse_uint(optarg, MIN_MEMORY_MIB, MAX_MEMORY_MIB, &v))
				return usage_error("--memory %s: want MiB between 16 and 32768", optarg);
			o->memory_mib = v;
			break;
		case OPT_VCPUS:
			if (parse_uint(optarg, 1, VM_MAX_VCPUS, &v))
				return usage_error("--vcpus %s: want 1 to 64", optarg);
			o->vcpus = (unsigned)v;
			break;
		case OPT_SHARE:
			if (shares_add(sh, optarg, err, sizeof(err)))
				return usage_error("%s", err);
			break;
		case OPT_TIMEOUT:
			if (parse_uint(optarg, 0, 86400 * 365, &v))
				return usage_error("--timeout %s: want whole seconds", optarg);
			o->timeout_s = (unsigned)v;
			break;
		case OPT_NAME:
			if (strlen(optarg) == 0 || strlen(optarg) > 64)
				return usage_error("--name %s: want 1 to 64 characters", optarg);
			o->name = optarg;
			break;
		case OPT_ENV:
			if (!strchr(optarg, '=') || o->nenv >= MAX_ENV)
				return usage_error("--env %s: want KEY=VALUE (at most 256)", optarg);
			o->env[o->nenv++] = optarg;
			break;
		case OPT_VGPU_MEMORY:
			if (parse_uint(optarg, 1, MAX_VGPU_MIB, &v))
				return usage_error("--vgpu-memory %s: want MiB between 1 and 16384", optarg);
			o->vgpu.memory_mib = v;
			break;
		case OPT_VGPU_SOCKET:
			if (strlen(optarg) == 0 || strlen(optarg) >= 108)
				return usage_error("--vgpu-socket %s: want a socket path", optarg);
			o->vgpu.socket = optarg;
			break;
		case OPT_PRIORITY:
			if (strcmp(optarg, "high") == 0)
				o->vgpu.prio = VGPU_PRIO_HIGH;
			else if (strcmp(optarg, "normal") == 0)
				o->vgpu.prio = VGPU_PRIO_NORMAL;
			else if (strcmp(optarg, "low") == 0)
				o->vgpu.prio = VGPU_PRIO_LOW;
			else
				return usage_error("--priority %s: want high, normal or low", optarg);
			break;
		case OPT_VGPU_WEIGHT:
			/* 0 asks for the server's default, as in vgpu_host.h. */
			if (parse_uint(optarg, 0, VGPU_WEIGHT_MAX, &v))
				return usage_error("--vgpu-weight %s: want 1 to 10000 (0: server default)", optarg);
			o->vgpu.weight = (uint32_t)v;
			break;
		case OPT_USER:
			if (sandbox_parse_user(optarg, &o->sandbox.uid, &o->sandbox.gid, err, sizeof(err)))
				return usage_error("--user: %s", err);
			o->user_given = true;
			break;
		case OPT_NO_SANDBOX: o->no_sandbox = true; break;
		case OPT_CONSOLE_RATE:
			if (parse_uint(optarg, 0, 1ull << 32, &v))
				return usage_error("--console-rate %s: want bytes per second (0: unlimited)", optarg);
			o->console_rate = v;
			break;
		case OPT_PRINT_SECCOMP:
			policy_print("aivisor-vmm", policy_vmm, policy_vmm_len);
			exit(0);
		case OPT_DEBUG: o->debug = true; break;
		case OPT_NO_VDSO: o->no_vdso = true; break;
		case OPT_NO_SYNC: o->no_sync_regs = true; break;
		case OPT_HELP: usage(stdout); exit(0);
		default:
			return usage_error("unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "missing PROGRAM");
	if (!o->vgpu.memory_mib && (o->vgpu.socket || o->vgpu.weight))
		return usage_error("%s", "--vgpu-socket and --vgpu-weight need --vgpu-memory");
	o->vgpu.name = o->name;
	o->vgpu.quiet_server = !o->debug;
	o->sandbox.verbose = o->debug;
	o->argv = &argv[optind];
	return 0;
}

/* Reads the whole program file (bounded). */
static uint8_t *read_program(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "aivisor-vmm: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	uint8_t *buf = NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_ELF_SIZE) {
		fprintf(stderr, "aivisor-vmm: %s: not a regular file of at most 1 GiB\n", path);
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			fprintf(stderr, "aivisor-vmm: %s: read failed: %s\n", path, n ? strerror(errno) : "short file");
			free(buf);
			buf = NULL;
			goto out;
		}
		got += (size_t)n;
	}
	*len = got;
out:
	close(fd);
	return buf;
}

/* Guest RAM: anonymous, 2 MiB aligned so transparent huge pages can back
 * it (see the MADV_HUGEPAGE below). */
static uint8_t *alloc_ram(uint64_t size)
{
	uint8_t *p = mmap(NULL, size + HUGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint8_t *aligned = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	if (aligned > p)
		munmap(p, (size_t)(aligned - p));
	if (p + HUGE > aligned)
		munmap(aligned + size, (size_t)(p + HUGE - aligned));
	/* Label it in /proc/PID/smaps ("[anon:aivisor-guest-ram]") so tools
	 * can tell guest memory from the VMM's own; kernels without
	 * CONFIG_ANON_VMA_NAME refuse, which changes nothing else. */
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)aligned, size, (unsigned long)"aivisor-guest-ram");
	return aligned;
}

static void discard_pages(void *ctx, gpa_t addr, uint64_t len)
{
	struct guest_mem *m = ctx;
	void *p = guest_mem_ptr(m, addr, len);
	/* MADV_DONTNEED on private anonymous memory: next touch reads zero. */
	if (p && madvise(p, len, MADV_DONTNEED) < 0)
		memset(p, 0, len);
}

static uint64_t host_hwcap(const struct kvm_cpuid2 *cpuid)
{
	for (uint32_t i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 1)
			return cpuid->entries[i].edx;
	return 0;
}

int main(int argc, char **argv)
{
	static struct vm vm;
	struct options o;
	char err[512];
	struct guest *g = &vm.guest;
	int r = parse_flags(argc, argv, &o, &g->shares);
	if (r)
		return r;

	/* Set-up phase. */
	if (!o.no_sandbox && vmm_sandbox_choose_user(&o.sandbox, o.user_given, &g->shares, err, sizeof(err))) {
		fprintf(stderr, "aivisor-vmm: %s\n", err);
		return 1;
	}
	if (!o.no_sandbox && geteuid() == 0) {
		o.vgpu.server_uid = o.sandbox.uid;
		o.vgpu.server_gid = o.sandbox.gid;
	}
	size_t elf_len = 0;
	uint8_t *elf = read_program(o.argv[0], &elf_len);
	if (!elf)
		return 1;
	uint64_t ram_size = (o.memory_mib * MIB + HUGE - 1) & ~(HUGE - 1);
	uint8_t *ram = alloc_ram(ram_size);
	if (!ram) {
		fprintf(stderr, "aivisor-vmm: cannot reserve %llu MiB of guest memory: %s\n",
			(unsigned long long)o.memory_mib, strerror(errno));
		return 1;
	}
	g->mem.ram = (struct guest_region){ .start = 0, .size = ram_size, .host = ram };

	/* Stack at the top of RAM, 2 to 8 MiB, with an unmapped 2 MiB guard
	 * below it so that an overflow faults instead of eating the heap. */
	uint64_t stack_size = (ram_size / 8) & ~(HUGE - 1);
	stack_size = stack_size < HUGE ? HUGE : stack_size > 8 * MIB ? 8 * MIB : stack_size;
	gpa_t stack_top = ram_size, stack_bottom = ram_size - stack_size, guard = stack_bottom - HUGE;
	/* Huge pages for the program and its heap, where first touches are
	 * 2.65x slower with 4 KiB pages; not for the boot area and the stack,
	 * which touch a few pages each and would otherwise cost 2 MiB of
	 * zeroed memory apiece.  A hint: without THP, 4 KiB pages work. */
	madvise(ram + GUEST_USER_BASE, guard - GUEST_USER_BASE, MADV_HUGEPAGE);
	struct elf_image img;
	if (elf_load(elf, elf_len, ram, guard, GUEST_USER_BASE, &img, err, sizeof(err))) {
		fprintf(stderr, "aivisor-vmm: %s: bad ELF: %s\n", o.argv[0], err);
		return 1;
	}
	free(elf);

	static struct vgpu_wire vgpu;
	if (o.vgpu.memory_mib) {
		if (vgpu_wire_attach(&vgpu, &o.vgpu, ram_size, err, sizeof(err))) {
			fprintf(stderr, "aivisor-vmm: %s\n", err);
			return 1;
		}
		/* First, so that getenv() finds the VMM's value even if --env
		 * also named the variable. */
		memmove(&o.env[1], &o.env[0], (size_t)o.nenv * sizeof(o.env[0]));
		o.env[0] = vgpu.env;
		o.nenv++;
	}

	if (kvm_vm_open(&vm.kvm, !o.no_sync_regs, err, sizeof(err)) ||
	    kvm_vm_add_memory(&vm.kvm, 0, 0, ram_size, ram, err, sizeof(err))) {
		fprintf(stderr, "aivisor-vmm: %s\n", err);
		return 1;
	}
	struct boot_map maps[3] = { { GUEST_USER_BASE, guard - GUEST_USER_BASE }, { stack_bottom, stack_size } };
	int nmaps = 2;
	vm.vgpu_complete_fd = -1;
	if (o.vgpu.memory_mib) {
		if (vgpu_wire_map(&vgpu, &vm.kvm, 1, &g->mem, err, sizeof(err))) {
			fprintf(stderr, "aivisor-vmm: vGPU: %s\n", err);
			vgpu_wire_close(&vgpu);
			return 1;
		}
		/* The window and the doorbell page after it, one range. */
		maps[nmaps++] = (struct boot_map){ vgpu.win_gpa, vgpu.win_size + HUGE };
		vm.vgpu_complete_fd = vgpu.att.complete_fd;
	}
	if (boot_write_tables(&g->mem, maps, nmaps, err, sizeof(err))) {
		fprintf(stderr, "aivisor-vmm: %s\n", err);
		return 1;
	}
	vm.nr_vcpus = o.vcpus;
	for (unsigned i = 0; i < o.vcpus; i++)
		if (kvm_vcpu_create(&vm.kvm, i, &vm.vcpus[i], err, sizeof(err))) {
			fprintf(stderr, "aivisor-vmm: %s\n", err);
			return 1;
		}
	uint64_t vdso = 0;
	if (!o.no_vdso && vdso_install(&g->mem, &vm.vcpus[0], &vdso, err, sizeof(err))) {
		fprintf(stderr, "aivisor-vmm: %s\n", err);
		return 1;
	}

	uint8_t rnd[16];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		fprintf(stderr, "aivisor-vmm: getrandom: %s\n", strerror(errno));
		return 1;
	}
	struct user_stack_info si = { .img = &img, .vdso = vdso, .hwcap = host_hwcap(vm.kvm.cpuid),
				      .argv = o.argv, .envp = o.env, .random = rnd };
	gpa_t rsp = user_stack_build(&g->mem, stack_bottom, stack_top, &si);
	if (!rsp) {
		fprintf(stderr, "aivisor-vmm: arguments and environment do not fit the guest stack\n");
		return 1;
	}
	if (kvm_vcpu_setup(&vm.kvm, &vm.vcpus[0], img.entry, rsp, &vm.syscall_cpl, err, sizeof(err))) {
		fprintf(stderr, "aivisor-vmm: %s\n", err);
		return 1;
	}
	for (unsigned i = 1; i < o.vcpus; i++)
		if (kvm_vcpu_prepare(&vm.kvm, &vm.vcpus[i], err, sizeof(err))) {
			fprintf(stderr, "aivisor-vmm: vCPU %u: %s\n", i, err);
			return 1;
		}
	if (mm_init(&g->mm, img.hi, guard, discard_pages, &g->mem)) {
		fprintf(stderr, "aivisor-vmm: out of memory\n");
		return 1;
	}
	fd_table_init(&g->fds, 0, 1, 2);
	g->ops = &vm_guest_ops;
	g->ops_ctx = &vm;
	g->name = o.name;
	g->nr_vcpus = o.vcpus;
	g->stack_size = stack_size;
	g->debug = o.debug;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	console_rate_init(&g->console, o.console_rate, CONSOLE_BURST_DEFAULT,
			  (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);

	if (vm_start(&vm)) {
		if (o.vgpu.memory_mib)
			vgpu_wire_close(&vgpu);
		return 1;
	}
	/* Set-up ends here: nothing after this needs a path or a privilege. */
	if (!o.no_sandbox && vmm_sandbox(&o.sandbox, err, sizeof(err))) {
		fprintf(stderr, "aivisor-vmm: sandbox: %s\n", err);
		/* The parked vCPU threads end with the process. */
		if (o.vgpu.memory_mib)
			vgpu_wire_close(&vgpu);
		return 1;
	}

	/* Run phase. */
	r = vm_wait(&vm, o.timeout_s);
	if (o.vgpu.memory_mib)
		vgpu_wire_close(&vgpu);
	fflush(stdout);
	return r;
}
