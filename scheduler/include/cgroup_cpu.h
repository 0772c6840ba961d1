/*
 * cgroup_cpu.h - a CPU cgroup per tenant: weight, hard cap, pinning, usage.
 *
 * Works on cgroup v2 (cpu.weight, cpu.max, cpuset.cpus, cpu.stat) where the
 * unified hierarchy has the cpu controller, else on cgroup v1 (cpu.shares,
 * cpu.cfs_quota_us/cpu.cfs_period_us in the cpu hierarchy, cpuset.cpus in
 * the cpuset hierarchy, cpuacct.usage in the cpuacct hierarchy; each may be
 * a separate mount or co-mounted).  Groups live under <root>/aivisor/<name>.
 *
 * Every function returns 0 or -errno and, on failure, writes a message that
 * names the file and the reason into err (err may be NULL).
 *
 * Typical use by the VMM, after creating its vCPU threads:
 *
 *   struct cgroup_cpu_limits lim;
 *   cgroup_cpu_limits_init(&lim);
 *   cgroup_cpu_limits_parse(&lim, "--cpu-weight", "300", err, sizeof err);
 *   ...
 *   struct cgroup_cpu *cg;
 *   if (cgroup_cpu_limits_any(&lim) &&
 *       cgroup_cpu_apply(name, &lim, tids, ntids, &cg, err, sizeof err) < 0)
 *           fail: print err (no permission -> "open /sys/fs/cgroup/...: ...")
 *   ...
 *   cgroup_cpu_destroy(cg, err, sizeof err);   at exit
 */
#ifndef AIVISOR_CGROUP_CPU_H
#define AIVISOR_CGROUP_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP_CPU_WEIGHT_MIN 1u
#define CGROUP_CPU_WEIGHT_MAX 10000u
#define CGROUP_CPU_WEIGHT_DEFAULT 100u /* = v2 default, = v1 cpu.shares 1024 */
#define CGROUP_CPU_PERIOD_US 100000u   /* cfs period used for caps */

enum cgroup_cpu_version { CGROUP_CPU_V1 = 1, CGROUP_CPU_V2 = 2 };

/* Where the controllers are mounted (found by cgroup_cpu_detect). */
struct cgroup_cpu_host {
	enum cgroup_cpu_version version;
	char cpu_root[256];    /* v2: the unified mount; v1: the cpu hierarchy */
	char cpuacct_root[256]; /* v1 only; may equal cpu_root */
	char cpuset_root[256];  /* "" when no cpuset controller is available */
};

/*
 * Finds the cgroup mounts in /proc/self/mounts.  Prefers v2 when its
 * cgroup.controllers lists "cpu"; else v1's cpu controller.  -ENOENT with a
 * message when neither is mounted.  The environment variable
 * AIVISOR_CGROUP_ROOT, if set, replaces the search with one v2 root (tests).
 */
int cgroup_cpu_detect(struct cgroup_cpu_host *host, char *err, size_t err_len);

/* What `--cpu-weight W --cpu-cap PCT --cpus LIST` ask for. */
struct cgroup_cpu_limits {
	uint32_t weight;  /* 0 = not set (kernel default) */
	uint32_t cap_pct; /* percent of one CPU, 1..100*ncpus; 0 = no cap */
	char cpus[128];   /* cpuset list like "0-1,3"; "" = not pinned */
};

void cgroup_cpu_limits_init(struct cgroup_cpu_limits *lim);
bool cgroup_cpu_limits_any(const struct cgroup_cpu_limits *lim);
/*
 * Parses one flag: "--cpu-weight" (1..10000), "--cpu-cap" (percent of one
 * CPU, 1..100*online CPUs), "--cpus" (a CPU list of online CPUs).  -EINVAL
 * with a message for a bad value, -ENOENT for a flag that is not one of these.
 */
int cgroup_cpu_limits_parse(struct cgroup_cpu_limits *lim, const char *flag,
			    const char *value, char *err, size_t err_len);

/* Highest CPU in lim->cpus, or UINT32_MAX when not pinned (for admission). */
uint32_t cgroup_cpu_limits_max_cpu(const struct cgroup_cpu_limits *lim);

struct cgroup_cpu;

/* Creates (or reuses) the group <root>/aivisor/<name> in each controller.
 * name: [A-Za-z0-9_.-], 1..64 characters. */
int cgroup_cpu_create(const struct cgroup_cpu_host *host, const char *name,
		      struct cgroup_cpu **out, char *err, size_t err_len);

/*
 * Opens an existing group (e.g. of a tenant that outlived its manager):
 * -ENOENT with a message when there is none.  cgroup_cpu_close() frees the
 * handle and leaves the group as it is.
 */
int cgroup_cpu_open(const struct cgroup_cpu_host *host, const char *name,
		    struct cgroup_cpu **out, char *err, size_t err_len);
void cgroup_cpu_close(struct cgroup_cpu *cg);

/* Live settings; each takes effect at once for every task in the group. */
int cgroup_cpu_set_weight(struct cgroup_cpu *cg, uint32_t weight, char *err, size_t err_len);
int cgroup_cpu_set_cap(struct cgroup_cpu *cg, uint32_t cap_pct, char *err, size_t err_len);
int cgroup_cpu_set_cpus(struct cgroup_cpu *cg, const char *cpus, char *err, size_t err_len);
/* Makes the group match lim: fields not set go back to the defaults
 * (weight 100, no cap, every CPU), so a live change can lift a cap or a
 * pinning. */
int cgroup_cpu_set_limits(struct cgroup_cpu *cg, const struct cgroup_cpu_limits *lim,
			  char *err, size_t err_len);

/*
 * Moves one thread (v1: just that thread; v2: the whole process containing
 * it, since v2 domain groups hold processes) or a whole process.
 */
int cgroup_cpu_attach_thread(struct cgroup_cpu *cg, pid_t tid, char *err, size_t err_len);
int cgroup_cpu_attach_process(struct cgroup_cpu *cg, pid_t pid, char *err, size_t err_len);

/* CPU time consumed by the group's tasks, in ns. */
int cgroup_cpu_usage_ns(const struct cgroup_cpu *cg, uint64_t *ns, char *err, size_t err_len);

/*
 * Create + set limits + attach threads, in one call.  On failure nothing is
 * left behind and *out is NULL.
 */
int cgroup_cpu_apply(const char *name, const struct cgroup_cpu_limits *lim,
		     const pid_t *tids, size_t ntids, struct cgroup_cpu **out,
		     char *err, size_t err_len);

/*
 * Moves any remaining tasks back to the root group, removes the group's
 * directories and frees cg (also on error).  cg may be NULL.
 */
int cgroup_cpu_destroy(struct cgroup_cpu *cg, char *err, size_t err_len);

/* The group's directory in the cpu controller (for messages, metrics). */
const char *cgroup_cpu_path(const struct cgroup_cpu *cg);

#endif
