/*
 * cgroup_cpu_detect.c - find where the cpu, cpuacct and cpuset controllers
 * are mounted (cgroup v2 preferred when it has the cpu controller).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_cpu.h"
#include "cgroup_cpu_internal.h"

void cgroup_cpu_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* True when the comma-separated list has the exact token. */
static bool has_token(const char *list, const char *tok, const char *seps)
{
	size_t n = strlen(tok);
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, seps);

		if (len == n && strncmp(p, tok, n) == 0)
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

/* /proc/self/mounts escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static bool v2_has(const char *root, const char *ctrl)
{
	char path[300], buf[512];
	FILE *f;
	bool yes = false;

	snprintf(path, sizeof path, "%s/cgroup.controllers", root);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof buf, f))
		yes = has_token(buf, ctrl, " \n");
	fclose(f);
	return yes;
}

static int set_root(char *dst, size_t len, const char *src, char *err, size_t err_len)
{
	if (strlen(src) >= len) {
		cgroup_cpu_err(err, err_len, "cgroup mount path too long: %s", src);
		return -ENAMETOOLONG;
	}
	snprintf(dst, len, "%s", src);
	return 0;
}

static int detect_override(struct cgroup_cpu_host *host, const char *root, char *err,
			   size_t err_len)
{
	host->version = CGROUP_CPU_V2;
	if (!v2_has(root, "cpu")) {
		cgroup_cpu_err(err, err_len,
			       "AIVISOR_CGROUP_ROOT=%s: %s/cgroup.controllers does not list cpu", root,
			       root);
		return -ENOENT;
	}
	if (set_root(host->cpu_root, sizeof host->cpu_root, root, err, err_len) < 0)
		return -ENAMETOOLONG;
	if (v2_has(root, "cpuset"))
		snprintf(host->cpuset_root, sizeof host->cpuset_root, "%s", root);
	return 0;
}

int cgroup_cpu_detect(struct cgroup_cpu_host *host, char *err, size_t err_len)
{
	char line[1024], v1_cpu[256] = "", v1_acct[256] = "", v1_set[256] = "", v2[256] = "";
	const char *over = getenv("AIVISOR_CGROUP_ROOT");
	FILE *f;

	memset(host, 0, sizeof(*host));
	if (over && *over)
		return detect_override(host, over, err, err_len);
	f = fopen("/proc/self/mounts", "re");
	if (!f) {
		int e = errno;

		cgroup_cpu_err(err, err_len, "open /proc/self/mounts: %s", strerror(e));
		return -e;
	}
	while (fgets(line, sizeof line, f)) {
		char dev[256], dir[256], type[64], opts[512];

		if (sscanf(line, "%255s %255s %63s %511s", dev, dir, type, opts) != 4)
			continue;
		unescape(dir);
		if (strcmp(type, "cgroup2") == 0 && !v2[0] && v2_has(dir, "cpu"))
			snprintf(v2, sizeof v2, "%s", dir);
		if (strcmp(type, "cgroup") != 0)
			continue;
		if (has_token(opts, "cpu", ",") && !v1_cpu[0])
			snprintf(v1_cpu, sizeof v1_cpu, "%s", dir);
		if (has_token(opts, "cpuacct", ",") && !v1_acct[0])
			snprintf(v1_acct, sizeof v1_acct, "%s", dir);
		if (has_token(opts, "cpuset", ",") && !v1_set[0])
			snprintf(v1_set, sizeof v1_set, "%s", dir);
	}
	fclose(f);
	if (v2[0]) {
		host->version = CGROUP_CPU_V2;
		snprintf(host->cpu_root, sizeof host->cpu_root, "%s", v2);
		if (v2_has(v2, "cpuset"))
			snprintf(host->cpuset_root, sizeof host->cpuset_root, "%s", v2);
		return 0;
	}
	if (v1_cpu[0]) {
		host->version = CGROUP_CPU_V1;
		snprintf(host->cpu_root, sizeof host->cpu_root, "%s", v1_cpu);
		snprintf(host->cpuacct_root, sizeof host->cpuacct_root, "%s", v1_acct);
		snprintf(host->cpuset_root, sizeof host->cpuset_root, "%s", v1_set);
		return 0;
	}
	cgroup_cpu_err(err, err_len,
		       "no cgroup cpu controller: neither a cgroup2 mount listing cpu in "
		       "cgroup.controllers nor a cgroup v1 cpu hierarchy in /proc/self/mounts");
	return -ENOENT;
}
