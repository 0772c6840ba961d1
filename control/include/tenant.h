/*
 * tenant.h - the definition of one tenant: what the daemon persists, what
 * the YAML configs, the JSON API and the libvirt endpoint (domain XML) all
 * map onto.
 *
 * The struct is plain data with fixed-size fields, so it can be copied by
 * assignment, zeroed, and handed across threads without ownership rules.
 * Start from tenant_def_init() (sane defaults), fill fields, then call
 * tenant_def_validate() before use: the registry refuses an invalid one.
 */
#ifndef AIVISOR_TENANT_H
#define AIVISOR_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TENANT_NAME_MAX     63    /* [A-Za-z0-9][A-Za-z0-9_.-]* */
#define TENANT_UUID_LEN     36    /* 8-4-4-4-12 lowercase hex */
#define TENANT_PATH_MAX     1024
#define TENANT_ARGS_MAX     32    /* program arguments, excluding the program */
#define TENANT_ARG_MAX      256
#define TENANT_SHARES_MAX   8
#define TENANT_CPULIST_MAX  128   /* "0-3,6,8-9" */
#define TENANT_JOB_MAX      1024  /* qemu kind: bytes of the aivisor.job= kernel argument */

/* Limits checked by tenant_def_validate(). */
#define TENANT_VCPUS_MAX        64
#define TENANT_MEMORY_MIB_MIN   16
#define TENANT_MEMORY_MIB_MAX   (1024 * 1024)
#define TENANT_CPU_WEIGHT_MIN   1
#define TENANT_CPU_WEIGHT_MAX   10000     /* cgroup v2 cpu.weight range */
#define TENANT_VGPU_WEIGHT_MIN  1
#define TENANT_VGPU_WEIGHT_MAX  10000     /* = the vGPU server's range */
#define TENANT_VGPU_MEMORY_MIB_MAX (256 * 1024)
#define TENANT_MAX_RESTARTS_MAX 1000
#define TENANT_QEMU_MEMORY_MIB_MIN 64     /* a Linux guest under QEMU needs more than a microVM */

/* Where a tenant runs: a microVM of aivisor-vmm running one static program,
 * or a libvirt/QEMU domain booting the aivisor Linux image (docs/QEMU.md),
 * whose vGPU arrives through an ivshmem bridge. */
enum tenant_kind {
	TENANT_KIND_MICROVM,
	TENANT_KIND_QEMU,
};

enum tenant_restart {
	TENANT_RESTART_NO,
	TENANT_RESTART_ON_FAILURE,
	TENANT_RESTART_ALWAYS,
};

/* vGPU priority class: strict priority between classes, weights within. */
enum tenant_priority {
	TENANT_PRIORITY_HIGH,
	TENANT_PRIORITY_NORMAL,
	TENANT_PRIORITY_LOW,
};

struct tenant_share {
	char host_dir[TENANT_PATH_MAX];
	char guest_dir[TENANT_PATH_MAX];   /* "" means the same as host_dir */
	bool rw;
};

struct tenant_def {
	char name[TENANT_NAME_MAX + 1];
	char uuid[TENANT_UUID_LEN + 1];    /* "" = the registry generates one */
	enum tenant_kind kind;

	unsigned vcpus;                    /* 1..TENANT_VCPUS_MAX */
	uint64_t memory_mib;               /* guest RAM */

	unsigned cpu_weight;               /* relative CPU share, 1..10000 (default 100) */
	unsigned cpu_cap_percent;          /* hard cap, % of one CPU; 0 = none; <= 100*vcpus */
	char cpu_pinning[TENANT_CPULIST_MAX]; /* cpulist, "" = not pinned */

	enum tenant_priority vgpu_priority;
	unsigned vgpu_weight;              /* 1..10000 (default 100, as the vGPU server) */
	uint64_t vgpu_memory_mib;          /* 0 = no vGPU attached */

	char program[TENANT_PATH_MAX];     /* microvm: host path of the static ELF to run */
	unsigned nargs;
	char args[TENANT_ARGS_MAX][TENANT_ARG_MAX];

	unsigned nshares;
	struct tenant_share shares[TENANT_SHARES_MAX];

	enum tenant_restart restart;
	unsigned max_restarts;             /* 0 = unlimited (for on-failure/always) */

	char console_log[TENANT_PATH_MAX]; /* "" = <state-dir>/logs/<name>.log */
	char stdin_path[TENANT_PATH_MAX];  /* the program's standard input; "" = /dev/null */

	/* kind qemu only (empty for microvm). The daemon fills an empty kernel
	 * or initrd with its images directory's vmlinuz / initramfs.cpio.gz
	 * when the tenant is defined. */
	char kernel[TENANT_PATH_MAX];
	char initrd[TENANT_PATH_MAX];
	char job[TENANT_JOB_MAX + 1];      /* aivisor.job= for the image's /init; "" = none */
};

/* Defaults: kind microvm, 1 vCPU, 256 MiB, cpu weight 100, normal priority, vGPU weight
 * 100, no vGPU memory, restart no. Name and program left empty. */
void tenant_def_init(struct tenant_def *def);

/*
 * Checks every field and the relations between them (cap vs vcpus, weights,
 * paths absolute, cpulist syntax, duplicate guest dirs, ...). Returns 0, or
 * -1 with a one-line reason ("memory_mib: 8 is below the minimum 16") in err.
 * Does not touch the file system: whether the program exists is checked when
 * a tenant starts, since a definition may legitimately precede its program.
 */
int tenant_def_validate(const struct tenant_def *def, char *err, size_t errlen);

/* Name syntax alone, for lookups by name from clients. */
bool tenant_name_valid(const char *name);
bool tenant_uuid_valid(const char *uuid);
/* Fills out[TENANT_UUID_LEN + 1] with a random version-4 UUID; -1 on error. */
int tenant_uuid_generate(char *out);

/* Enum <-> text ("no", "on-failure", "always"; "high", "normal", "low").
 * The parse functions return 0 or -1 for an unknown word. */
const char *tenant_restart_name(enum tenant_restart r);
int tenant_restart_parse(const char *s, enum tenant_restart *out);
const char *tenant_priority_name(enum tenant_priority p);
int tenant_priority_parse(const char *s, enum tenant_priority *out);
/* "microvm", "qemu". */
const char *tenant_kind_name(enum tenant_kind k);
int tenant_kind_parse(const char *s, enum tenant_kind *out);

#endif
