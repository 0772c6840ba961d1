/*
 * lv_hostinfo.c - host facts from uname, sysinfo, sysconf and /proc/cpuinfo.
 */
#include "lv_hostinfo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

/* "cpu MHz : 2596.000" from /proc/cpuinfo; 0 when the kernel does not say. */
static int cpu_mhz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	double mhz = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "cpu MHz", 7) == 0 && sscanf(strchr(line, ':') ? strchr(line, ':') + 1 : "", "%lf", &mhz) == 1)
			break;
	fclose(f);
	return mhz > 0 && mhz < 1e6 ? (int)mhz : 0;
}

int lv_hostinfo_read(struct lv_host_info *hi, char *err, size_t errlen)
{
	struct utsname u;
	struct sysinfo si;
	*hi = (struct lv_host_info){ 0 };
	if (uname(&u) || sysinfo(&si)) {
		snprintf(err, errlen, "cannot read host information: %s", strerror(errno));
		return LV_ERR_OPERATION_FAILED;
	}
	snprintf(hi->model, sizeof(hi->model), "%.31s", u.machine);
	hi->memory_kib = (uint64_t)si.totalram * si.mem_unit / 1024;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	hi->cpus = n > 0 && n < 1 << 20 ? (int32_t)n : 1;
	hi->mhz = cpu_mhz();
	/* topology as libvirt's fallback reports it when it cannot tell: one node, one socket */
	hi->nodes = 1;
	hi->sockets = 1;
	hi->cores = hi->cpus;
	hi->threads = 1;
	if (gethostname(hi->hostname, sizeof(hi->hostname) - 1)) {
		snprintf(err, errlen, "cannot read the host name: %s", strerror(errno));
		return LV_ERR_OPERATION_FAILED;
	}
	return 0;
}
