/*
 * cgroup_cpu.c - one tenant's CPU cgroup: create, set weight/cap/pinning
 * live, attach threads, read usage, destroy.  cgroup v1 and v2.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_cpu.h"
#include "cgroup_cpu_internal.h"

#define PATH_LEN 512
#define PARENT "aivisor"

enum { DIR_CPU, DIR_ACCT, DIR_SET, NDIRS };

struct cgroup_cpu {
	enum cgroup_cpu_version version;
	/* Group directories per controller; "" when the controller is absent
	 * or shares the directory of an earlier entry (co-mounted, or v2). */
	char dir[NDIRS][PATH_LEN];
	char root[NDIRS][PATH_LEN]; /* the hierarchy roots, to move tasks back */
	char acct_dir[PATH_LEN];    /* where usage is read: cpuacct or cpu dir */
	char set_dir[PATH_LEN];     /* where cpuset.cpus lives, "" if none */
	char set_root[PATH_LEN];    /* v1: root of the cpuset hierarchy */
};

static const char *hint(int e)
{
	return e == EACCES || e == EPERM || e == EROFS
		       ? " (writing cgroups needs root or a cgroup delegated to this user)"
		       : "";
}

static int write_file(const char *dir, const char *file, const char *val, char *err,
		      size_t err_len)
{
	char path[PATH_LEN + 64];
	size_t len = strlen(val);
	int fd, e;
	ssize_t n;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC); /* like `echo >` */
	if (fd < 0) {
		e = errno;
		cgroup_cpu_err(err, err_len, "open %s: %s%s", path, strerror(e), hint(e));
		return -e;
	}
	n = write(fd, val, len);
	e = errno;
	close(fd);
	if (n != (ssize_t)len) {
		if (n >= 0)
			e = EIO;
		cgroup_cpu_err(err, err_len, "write \"%s\" to %s: %s%s", val, path, strerror(e),
			       hint(e));
		return -e;
	}
	return 0;
}

static int read_file(const char *dir, const char *file, char *buf, size_t len, char *err,
		     size_t err_len)
{
	char path[PATH_LEN + 64];
	int fd, e;
	ssize_t n;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		cgroup_cpu_err(err, err_len, "open %s: %s%s", path, strerror(e), hint(e));
		return -e;
	}
	n = read(fd, buf, len - 1);
	e = errno;
	close(fd);
	if (n < 0) {
		cgroup_cpu_err(err, err_len, "read %s: %s", path, strerror(e));
		return -e;
	}
	buf[n] = '\0';
	return 0;
}

static int make_dir(const char *path, char *err, size_t err_len)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		int e = errno;

		cgroup_cpu_err(err, err_len, "mkdir %s: %s%s", path, strerror(e), hint(e));
		return -e;
	}
	return 0;
}

/* v1 cpuset groups start with empty cpus/mems, which refuses tasks: copy
 * the parent's when unset. */
static int cpuset_inherit(const char *parent, const char *dir, char *err, size_t err_len)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (unsigned i = 0; i < 2; i++) {
		char cur[256], par[256];
		int rc = read_file(dir, files[i], cur, sizeof cur, err, err_len);

		if (rc < 0)
			return rc;
		if (cur[0] && cur[0] != '\n')
			continue;
		rc = read_file(parent, files[i], par, sizeof par, err, err_len);
		if (rc < 0)
			return rc;
		par[strcspn(par, "\n")] = '\0';
		rc = write_file(dir, files[i], par, err, err_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/*
 * Makes <root>/aivisor/<name>.  v2: v2_ctl ("+cpu", "+cpu +cpuset") is first
 * enabled for the children of root and of aivisor/.  v1: a hierarchy that
 * holds cpuset gets cpus/mems copied down from its parent.
 */
static int make_group(struct cgroup_cpu *cg, unsigned d, const char *root, const char *name,
		      const char *v2_ctl, bool v1_cpuset, char *err, size_t err_len)
{
	char parent[PATH_LEN / 2 + 32]; /* root (< 256) + "/aivisor" */
	int rc;

	if (strlen(root) + sizeof(PARENT) + strlen(name) + 2 >= PATH_LEN) {
		cgroup_cpu_err(err, err_len, "cgroup path too long under %s", root);
		return -ENAMETOOLONG;
	}
	snprintf(parent, sizeof parent, "%s/" PARENT, root);
	snprintf(cg->dir[d], PATH_LEN, "%s/%s", parent, name);
	snprintf(cg->root[d], PATH_LEN, "%s", root);
	rc = make_dir(parent, err, err_len);
	if (rc == 0 && v2_ctl) {
		rc = write_file(root, "cgroup.subtree_control", v2_ctl, err, err_len);
		if (rc == 0)
			rc = write_file(parent, "cgroup.subtree_control", v2_ctl, err, err_len);
	}
	if (rc == 0 && v1_cpuset)
		rc = cpuset_inherit(root, parent, err, err_len);
	if (rc == 0)
		rc = make_dir(cg->dir[d], err, err_len);
	if (rc == 0 && v1_cpuset)
		rc = cpuset_inherit(parent, cg->dir[d], err, err_len);
	return rc;
}

static int create_v2(struct cgroup_cpu *cg, const struct cgroup_cpu_host *host,
		     const char *name, char *err, size_t err_len)
{
	bool set = host->cpuset_root[0] != '\0';
	int rc = make_group(cg, DIR_CPU, host->cpu_root, name, set ? "+cpu +cpuset" : "+cpu",
			    false, err, err_len);

	snprintf(cg->acct_dir, PATH_LEN, "%s", cg->dir[DIR_CPU]);
	if (set)
		snprintf(cg->set_dir, PATH_LEN, "%s", cg->dir[DIR_CPU]);
	return rc;
}

/* v1: cpu, cpuacct and cpuset may each be a hierarchy of its own or be
 * co-mounted; make one group per distinct hierarchy. */
static int create_v1(struct cgroup_cpu *cg, const struct cgroup_cpu_host *host,
		     const char *name, char *err, size_t err_len)
{
	const char *cpu = host->cpu_root, *acct = host->cpuacct_root, *set = host->cpuset_root;
	bool acct_own = acct[0] && strcmp(acct, cpu) != 0;
	bool set_own = set[0] && strcmp(set, cpu) != 0 && strcmp(set, acct) != 0;
	int rc;

	rc = make_group(cg, DIR_CPU, cpu, name, NULL, set[0] && strcmp(set, cpu) == 0, err,
			err_len);
	if (rc == 0 && acct_own)
		rc = make_group(cg, DIR_ACCT, acct, name, NULL, strcmp(set, acct) == 0, err,
				err_len);
	if (rc == 0 && set_own)
		rc = make_group(cg, DIR_SET, set, name, NULL, true, err, err_len);
	if (acct[0])
		snprintf(cg->acct_dir, PATH_LEN, "%s", acct_own ? cg->dir[DIR_ACCT] : cg->dir[DIR_CPU]);
	if (set[0])
		snprintf(cg->set_dir, PATH_LEN, "%s",
			 set_own ? cg->dir[DIR_SET]
			 : strcmp(set, cpu) == 0 ? cg->dir[DIR_CPU] : cg->dir[DIR_ACCT]);
	snprintf(cg->set_root, PATH_LEN, "%s", set);
	return rc;
}

int cgroup_cpu_create(const struct cgroup_cpu_host *host, const char *name,
		      struct cgroup_cpu **out, char *err, size_t err_len)
{
	struct cgroup_cpu *cg;
	int rc;

	*out = NULL;
	if (!valid_name(name)) {
		cgroup_cpu_err(err, err_len,
			       "cgroup name \"%s\": want 1..64 of [A-Za-z0-9_.-]", name);
		return -EINVAL;
	}
	cg = calloc(1, sizeof(*cg));
	if (!cg) {
		cgroup_cpu_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	cg->version = host->version;
	rc = host->version == CGROUP_CPU_V2 ? create_v2(cg, host, name, err, err_len)
					    : create_v1(cg, host, name, err, err_len);
	if (rc < 0) {
		cgroup_cpu_destroy(cg, NULL, 0);
		return rc;
	}
	*out = cg;
	return 0;
}

int cgroup_cpu_open(const struct cgroup_cpu_host *host, const char *name,
		    struct cgroup_cpu **out, char *err, size_t err_len)
{
	char path[PATH_LEN];
	struct stat st;

	*out = NULL;
	snprintf(path, sizeof path, "%s/" PARENT "/%s", host->cpu_root, name);
	if (valid_name(name) && stat(path, &st) < 0) {
		int e = errno;

		cgroup_cpu_err(err, err_len, "no CPU slice %s: %s", path, strerror(e));
		return -e;
	}
	/* The rest is what create does to an existing group: nothing new. */
	return cgroup_cpu_create(host, name, out, err, err_len);
}

void cgroup_cpu_close(struct cgroup_cpu *cg)
{
	free(cg);
}

const char *cgroup_cpu_path(const struct cgroup_cpu *cg)
{
	return cg->dir[DIR_CPU];
}

int cgroup_cpu_set_weight(struct cgroup_cpu *cg, uint32_t weight, char *err, size_t err_len)
{
	char val[32];

	if (weight < CGROUP_CPU_WEIGHT_MIN || weight > CGROUP_CPU_WEIGHT_MAX) {
		cgroup_cpu_err(err, err_len, "cpu weight %u is outside %u..%u", weight,
			       CGROUP_CPU_WEIGHT_MIN, CGROUP_CPU_WEIGHT_MAX);
		return -EINVAL;
	}
	if (cg->version == CGROUP_CPU_V2) {
		snprintf(val, sizeof val, "%u", weight);
		return write_file(cg->dir[DIR_CPU], "cpu.weight", val, err, err_len);
	}
	/* v1 shares: the v2 default 100 maps to the v1 default 1024. */
	snprintf(val, sizeof val, "%u", weight * 1024u / 100u < 2 ? 2 : weight * 1024u / 100u);
	return write_file(cg->dir[DIR_CPU], "cpu.shares", val, err, err_len);
}

int cgroup_cpu_set_cap(struct cgroup_cpu *cg, uint32_t cap_pct, char *err, size_t err_len)
{
	char val[64];
	uint64_t quota = (uint64_t)cap_pct * CGROUP_CPU_PERIOD_US / 100u;
	int rc;

	if (cap_pct > 100u * CGROUP_CPU_MAX_CPUS) {
		cgroup_cpu_err(err, err_len, "cpu cap %u%% is too large", cap_pct);
		return -EINVAL;
	}
	if (cg->version == CGROUP_CPU_V2) {
		if (cap_pct)
			snprintf(val, sizeof val, "%" PRIu64 " %u", quota, CGROUP_CPU_PERIOD_US);
		else
			snprintf(val, sizeof val, "max %u", CGROUP_CPU_PERIOD_US);
		return write_file(cg->dir[DIR_CPU], "cpu.max", val, err, err_len);
	}
	snprintf(val, sizeof val, "%u", CGROUP_CPU_PERIOD_US);
	rc = write_file(cg->dir[DIR_CPU], "cpu.cfs_period_us", val, err, err_len);
	if (rc < 0)
		return rc;
	if (cap_pct)
		snprintf(val, sizeof val, "%" PRIu64, quota);
	else
		snprintf(val, sizeof val, "-1");
	return write_file(cg->dir[DIR_CPU], "cpu.cfs_quota_us", val, err, err_len);
}

int cgroup_cpu_set_cpus(struct cgroup_cpu *cg, const char *cpus, char *err, size_t err_len)
{
	uint64_t mask[CGROUP_CPU_MASK_WORDS];

	if (!cg->set_dir[0]) {
		cgroup_cpu_err(err, err_len, "no cpuset controller on this host: cannot pin to %s",
			       cpus);
		return -ENOTSUP;
	}
	if (cpus[0] && cgroup_cpu_list_parse(cpus, mask) < 0) {
		cgroup_cpu_err(err, err_len, "CPU list \"%s\": want a list like 0-1,3", cpus);
		return -EINVAL;
	}
	if (!cpus[0] && cg->version == CGROUP_CPU_V1) {
		/* Unpin: back to every CPU the hierarchy's root has. */
		char all[256];
		int rc = read_file(cg->set_root, "cpuset.cpus", all, sizeof all, err, err_len);

		if (rc < 0)
			return rc;
		all[strcspn(all, "\n")] = '\0';
		return write_file(cg->set_dir, "cpuset.cpus", all, err, err_len);
	}
	return write_file(cg->set_dir, "cpuset.cpus", cpus, err, err_len);
}

int cgroup_cpu_set_limits(struct cgroup_cpu *cg, const struct cgroup_cpu_limits *lim,
			  char *err, size_t err_len)
{
	int rc;

	/* Unset fields are written too, as the defaults, so a live change can
	 * also lift a cap or a pinning. */
	rc = cgroup_cpu_set_weight(cg, lim->weight ? lim->weight : CGROUP_CPU_WEIGHT_DEFAULT, err,
				   err_len);
	if (rc == 0)
		rc = cgroup_cpu_set_cap(cg, lim->cap_pct, err, err_len);
	/* Without a cpuset controller, "not pinned" is already true. */
	if (rc == 0 && (lim->cpus[0] || cg->set_dir[0]))
		rc = cgroup_cpu_set_cpus(cg, lim->cpus, err, err_len);
	return rc;
}

static int attach(struct cgroup_cpu *cg, pid_t id, const char *v1_file, char *err,
		  size_t err_len)
{
	const char *file = cg->version == CGROUP_CPU_V2 ? "cgroup.procs" : v1_file;
	char val[32];

	if (id <= 0) {
		cgroup_cpu_err(err, err_len, "bad task id %d", (int)id);
		return -EINVAL;
	}
	snprintf(val, sizeof val, "%d", (int)id);
	for (unsigned d = 0; d < NDIRS; d++) {
		int rc;

		if (!cg->dir[d][0])
			continue;
		rc = write_file(cg->dir[d], file, val, err, err_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cgroup_cpu_attach_thread(struct cgroup_cpu *cg, pid_t tid, char *err, size_t err_len)
{
	return attach(cg, tid, "tasks", err, err_len);
}

int cgroup_cpu_attach_process(struct cgroup_cpu *cg, pid_t pid, char *err, size_t err_len)
{
	return attach(cg, pid, "cgroup.procs", err, err_len);
}

int cgroup_cpu_usage_ns(const struct cgroup_cpu *cg, uint64_t *ns, char *err, size_t err_len)
{
	char buf[1024];
	int rc;

	if (!cg->acct_dir[0]) {
		cgroup_cpu_err(err, err_len, "no cpuacct controller on this host: CPU time unknown");
		return -ENOTSUP;
	}
	if (cg->version == CGROUP_CPU_V1) {
		rc = read_file(cg->acct_dir, "cpuacct.usage", buf, sizeof buf, err, err_len);
		if (rc < 0)
			return rc;
		*ns = strtoull(buf, NULL, 10);
		return 0;
	}
	rc = read_file(cg->acct_dir, "cpu.stat", buf, sizeof buf, err, err_len);
	if (rc < 0)
		return rc;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long us;

		if (sscanf(line, "usage_usec %llu", &us) == 1) {
			*ns = us * 1000ull;
			return 0;
		}
	}
	cgroup_cpu_err(err, err_len, "%s/cpu.stat has no usage_usec", cg->acct_dir);
	return -EIO;
}

/* Moves every task of dir back to the hierarchy's root. */
static int evacuate(const struct cgroup_cpu *cg, unsigned d, char *err, size_t err_len)
{
	const char *file = cg->version == CGROUP_CPU_V2 ? "cgroup.procs" : "tasks";
	char path[PATH_LEN + 16];
	char line[32];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof path, "%s/%s", cg->dir[d], file);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		/* A task that exited meanwhile is fine (ESRCH). */
		int r = write_file(cg->root[d], file, line, err, err_len);

		if (r < 0 && r != -ESRCH && rc == 0)
			rc = r;
	}
	fclose(f);
	return rc;
}

int cgroup_cpu_destroy(struct cgroup_cpu *cg, char *err, size_t err_len)
{
	int rc = 0;

	if (!cg)
		return 0;
	for (unsigned d = 0; d < NDIRS; d++) {
		int tries = 0;

		if (!cg->dir[d][0])
			continue;
		/* A task that cannot be moved keeps rmdir failing with EBUSY,
		 * which is what gets reported; tasks also leave a cgroup
		 * asynchronously after exit, hence the retries. */
		evacuate(cg, d, NULL, 0);
		while (rmdir(cg->dir[d]) < 0) {
			int e = errno;
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			if (e == ENOENT)
				break;
			if (e != EBUSY || ++tries > 100) {
				if (rc == 0) {
					cgroup_cpu_err(err, err_len, "rmdir %s: %s", cg->dir[d],
						       strerror(e));
					rc = -e;
				}
				break;
			}
			evacuate(cg, d, NULL, 0);
			nanosleep(&ts, NULL);
		}
	}
	free(cg);
	return rc;
}

int cgroup_cpu_apply(const char *name, const struct cgroup_cpu_limits *lim,
		     const pid_t *tids, size_t ntids, struct cgroup_cpu **out,
		     char *err, size_t err_len)
{
	struct cgroup_cpu_host host;
	struct cgroup_cpu *cg;
	int rc;

	*out = NULL;
	rc = cgroup_cpu_detect(&host, err, err_len);
	if (rc < 0)
		return rc;
	rc = cgroup_cpu_create(&host, name, &cg, err, err_len);
	if (rc < 0)
		return rc;
	rc = cgroup_cpu_set_limits(cg, lim, err, err_len);
	for (size_t i = 0; rc == 0 && i < ntids; i++)
		rc = cgroup_cpu_attach_thread(cg, tids[i], err, err_len);
	if (rc < 0) {
		cgroup_cpu_destroy(cg, NULL, 0);
		return rc;
	}
	*out = cg;
	return 0;
}
