/*
 * cgroup_cpu_limits.c - the `--cpu-weight W --cpu-cap PCT --cpus LIST`
 * flags: parsing and validation, shared by the VMM, the CLI and the daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_cpu.h"
#include "cgroup_cpu_internal.h"

void cgroup_cpu_limits_init(struct cgroup_cpu_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
}

bool cgroup_cpu_limits_any(const struct cgroup_cpu_limits *lim)
{
	return lim->weight || lim->cap_pct || lim->cpus[0];
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Parses a cpuset list ("0-3,6") into a bitmask of CGROUP_CPU_MAX_CPUS
 * bits.  Returns -EINVAL on any syntax error, reversed range or CPU number
 * at or above CGROUP_CPU_MAX_CPUS. */
int cgroup_cpu_list_parse(const char *list, uint64_t mask[CGROUP_CPU_MASK_WORDS])
{
	const char *p = list;

	memset(mask, 0, CGROUP_CPU_MASK_WORDS * sizeof(uint64_t));
	if (!*p)
		return -EINVAL;
	for (;;) {
		unsigned long a, b;
		char *end;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			b = strtoul(p, &end, 10);
		}
		if (a > b || b >= CGROUP_CPU_MAX_CPUS)
			return -EINVAL;
		for (unsigned long c = a; c <= b; c++)
			mask[c / 64] |= 1ull << (c % 64);
		if (*end == '\0' || *end == '\n')
			return 0;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
}

/* The online CPUs, from sysfs (they may be sparse). */
static int online_cpus(uint64_t mask[CGROUP_CPU_MASK_WORDS], unsigned *count)
{
	char buf[512];
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	int rc;

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof buf, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	rc = cgroup_cpu_list_parse(buf, mask);
	if (rc < 0)
		return rc;
	*count = 0;
	for (unsigned i = 0; i < CGROUP_CPU_MASK_WORDS; i++)
		*count += (unsigned)__builtin_popcountll(mask[i]);
	return 0;
}

uint32_t cgroup_cpu_limits_max_cpu(const struct cgroup_cpu_limits *lim)
{
	uint64_t mask[CGROUP_CPU_MASK_WORDS];

	if (!lim->cpus[0] || cgroup_cpu_list_parse(lim->cpus, mask) < 0)
		return UINT32_MAX;
	for (unsigned c = CGROUP_CPU_MAX_CPUS; c-- > 0;)
		if (mask[c / 64] & (1ull << (c % 64)))
			return c;
	return UINT32_MAX;
}

int cgroup_cpu_limits_parse(struct cgroup_cpu_limits *lim, const char *flag,
			    const char *value, char *err, size_t err_len)
{
	uint64_t want[CGROUP_CPU_MASK_WORDS], online[CGROUP_CPU_MASK_WORDS];
	unsigned n = 0;
	int rc;

	if (strcmp(flag, "--cpu-weight") == 0) {
		if (parse_u32(value, CGROUP_CPU_WEIGHT_MIN, CGROUP_CPU_WEIGHT_MAX, &lim->weight) < 0) {
			cgroup_cpu_err(err, err_len, "--cpu-weight %s: want a number in %u..%u", value,
				       CGROUP_CPU_WEIGHT_MIN, CGROUP_CPU_WEIGHT_MAX);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(flag, "--cpu-cap") != 0 && strcmp(flag, "--cpus") != 0) {
		cgroup_cpu_err(err, err_len, "%s is not a CPU slicing flag", flag);
		return -ENOENT;
	}
	rc = online_cpus(online, &n);
	if (rc < 0) {
		cgroup_cpu_err(err, err_len, "read /sys/devices/system/cpu/online: %s", strerror(-rc));
		return rc;
	}
	if (strcmp(flag, "--cpu-cap") == 0) {
		if (parse_u32(value, 1, 100 * n, &lim->cap_pct) < 0) {
			cgroup_cpu_err(err, err_len,
				       "--cpu-cap %s: want a percentage of one CPU in 1..%u (%u CPUs online)",
				       value, 100 * n, n);
			return -EINVAL;
		}
		return 0;
	}
	if (strlen(value) >= sizeof(lim->cpus) || cgroup_cpu_list_parse(value, want) < 0) {
		cgroup_cpu_err(err, err_len, "--cpus %s: want a CPU list like 0-1,3", value);
		return -EINVAL;
	}
	for (unsigned i = 0; i < CGROUP_CPU_MASK_WORDS; i++) {
		if (want[i] & ~online[i]) {
			cgroup_cpu_err(err, err_len, "--cpus %s: CPU %u is not online", value,
				       i * 64 + (unsigned)__builtin_ctzll(want[i] & ~online[i]));
			return -EINVAL;
		}
	}
	snprintf(lim->cpus, sizeof(lim->cpus), "%s", value);
	return 0;
}
