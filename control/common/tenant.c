/*
 * tenant.c - defaults and validation of a tenant definition.
 *
 * Validation is the single gate every source of definitions (YAML file,
 * JSON request, libvirt domain XML, state file on disk) goes through, so it
 * checks relations between fields too, not only ranges.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "tenant.h"

void tenant_def_init(struct tenant_def *def)
{
	memset(def, 0, sizeof(*def));
	def->vcpus = 1;
	def->memory_mib = 256;
	def->cpu_weight = 100;
	def->vgpu_priority = TENANT_PRIORITY_NORMAL;
	def->vgpu_weight = 100;
	def->restart = TENANT_RESTART_NO;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

bool tenant_name_valid(const char *name)
{
	size_t n = strnlen(name, TENANT_NAME_MAX + 1);
	if (n == 0 || n > TENANT_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.')))
			return false;
	}
	return true;
}

bool tenant_uuid_valid(const char *uuid)
{
	if (strnlen(uuid, TENANT_UUID_LEN + 1) != TENANT_UUID_LEN)
		return false;
	for (int i = 0; i < TENANT_UUID_LEN; i++) {
		char c = uuid[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return false;
		}
	}
	return true;
}

int tenant_uuid_generate(char *out)
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, TENANT_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
	return 0;
}

/* A NUL-terminated string that fits its field: fixed buffers arrive from
 * decoders that might forget the terminator. */
static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* cpulist: comma-separated CPU numbers or a-b ranges with a <= b < 4096. */
static bool cpulist_valid(const char *s)
{
	const char *p = s;
	while (*p) {
		unsigned long a = 0, b;
		int digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 5) {
			a = a * 10 + (unsigned long)(*p++ - '0');
			digits++;
		}
		if (!digits || a >= 4096)
			return false;
		b = a;
		if (*p == '-') {
			p++;
			b = 0;
			digits = 0;
			while (*p >= '0' && *p <= '9' && digits < 5) {
				b = b * 10 + (unsigned long)(*p++ - '0');
				digits++;
			}
			if (!digits || b >= 4096 || b < a)
				return false;
		}
		if (*p == ',') {
			p++;
			if (!*p)
				return false;
		} else if (*p) {
			return false;
		}
	}
	return true;
}

/* Absolute, and no ".." component: a share must not escape its root. */
static bool absolute_clean_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; (c = strstr(c, "..")) != NULL; c += 2)
		if (c[-1] == '/' && (c[2] == '/' || c[2] == '\0'))
			return false;
	return true;
}

/* A microVM runs its program; the image fields have no meaning there. */
static int validate_microvm(const struct tenant_def *d, char *err, size_t errlen)
{
	if (d->kernel[0] || d->initrd[0] || d->job[0])
		return fail(err, errlen, "%s: only for kind qemu (this tenant is a microvm running its program)",
			    d->kernel[0] ? "kernel" : d->initrd[0] ? "initrd" : "job");
	return 0;
}

/* A QEMU tenant boots the aivisor image and runs its job: the microVM's
 * program fields would be silently ignored, so they are refused; its vGPU
 * window is a PCI BAR, hence a power of two. */
static int validate_qemu(const struct tenant_def *d, char *err, size_t errlen)
{
	if (d->program[0] || d->nargs || d->nshares || d->stdin_path[0])
		return fail(err, errlen, "%s: not used by kind qemu (the guest runs the image's /init and its job)",
			    d->program[0] ? "program" : d->nargs ? "args" : d->nshares ? "shares" : "stdin");
	if (d->memory_mib < TENANT_QEMU_MEMORY_MIB_MIN)
		return fail(err, errlen, "memory_mib: %llu is below %d, the least a Linux guest under QEMU needs",
			    (unsigned long long)d->memory_mib, TENANT_QEMU_MEMORY_MIB_MIN);
	if (!d->vgpu_memory_mib || (d->vgpu_memory_mib & (d->vgpu_memory_mib - 1)))
		return fail(err, errlen,
			    "vgpu.memory_mib: %llu: kind qemu needs a vGPU window whose size is a power of two "
			    "(it becomes the ivshmem device's PCI BAR)",
			    (unsigned long long)d->vgpu_memory_mib);
	/* CPU limits act on a cgroup the daemon puts the VMM in; QEMU runs in
	 * libvirt's cgroups, so a cap or pinning here would not be applied. */
	if (d->cpu_cap_percent || d->cpu_pinning[0])
		return fail(err, errlen, "cpu.%s: not supported for kind qemu (QEMU runs in libvirt's cgroups)",
			    d->cpu_cap_percent ? "cap_percent" : "pinning");
	if (d->kernel[0] && !absolute_clean_path(d->kernel))
		return fail(err, errlen, "kernel: '%.200s' must be an absolute path without '..'", d->kernel);
	if (d->initrd[0] && !absolute_clean_path(d->initrd))
		return fail(err, errlen, "initrd: '%.200s' must be an absolute path without '..'", d->initrd);
	/* The job is one quoted kernel argument (aivisor.job="..."). */
	for (const unsigned char *c = (const unsigned char *)d->job; *c; c++)
		if (*c == '"' || *c < 0x20 || *c == 0x7f)
			return fail(err, errlen, "job: may not contain '\"' or control characters (it is one quoted "
				    "kernel argument)");
	return 0;
}

int tenant_def_validate(const struct tenant_def *d, char *err, size_t errlen)
{
	if (!terminated(d->name, sizeof(d->name)) || !tenant_name_valid(d->name))
		return fail(err, errlen, "name: must be 1-%d characters of [A-Za-z0-9_.-], starting with a letter or digit",
			    TENANT_NAME_MAX);
	if (!terminated(d->uuid, sizeof(d->uuid)) || (d->uuid[0] && !tenant_uuid_valid(d->uuid)))
		return fail(err, errlen, "uuid: must be a lowercase 8-4-4-4-12 hex UUID");
	if (d->vcpus < 1 || d->vcpus > TENANT_VCPUS_MAX)
		return fail(err, errlen, "vcpus: %u is outside 1..%d", d->vcpus, TENANT_VCPUS_MAX);
	if (d->memory_mib < TENANT_MEMORY_MIB_MIN || d->memory_mib > TENANT_MEMORY_MIB_MAX)
		return fail(err, errlen, "memory_mib: %llu is outside %d..%d", (unsigned long long)d->memory_mib,
			    TENANT_MEMORY_MIB_MIN, TENANT_MEMORY_MIB_MAX);
	if (d->cpu_weight < TENANT_CPU_WEIGHT_MIN || d->cpu_weight > TENANT_CPU_WEIGHT_MAX)
		return fail(err, errlen, "cpu.weight: %u is outside %d..%d", d->cpu_weight,
			    TENANT_CPU_WEIGHT_MIN, TENANT_CPU_WEIGHT_MAX);
	if (d->cpu_cap_percent > 100 * d->vcpus)
		return fail(err, errlen, "cpu.cap_percent: %u exceeds 100 x vcpus (%u)", d->cpu_cap_percent,
			    100 * d->vcpus);
	if (!terminated(d->cpu_pinning, sizeof(d->cpu_pinning)) || !cpulist_valid(d->cpu_pinning))
		return fail(err, errlen, "cpu.pinning: '%.64s' is not a cpu list like 0-3,6", d->cpu_pinning);
	if (d->vgpu_priority > TENANT_PRIORITY_LOW)
		return fail(err, errlen, "vgpu.priority: unknown class %d", (int)d->vgpu_priority);
	if (d->vgpu_weight < TENANT_VGPU_WEIGHT_MIN || d->vgpu_weight > TENANT_VGPU_WEIGHT_MAX)
		return fail(err, errlen, "vgpu.weight: %u is outside %d..%d", d->vgpu_weight,
			    TENANT_VGPU_WEIGHT_MIN, TENANT_VGPU_WEIGHT_MAX);
	if (d->vgpu_memory_mib > TENANT_VGPU_MEMORY_MIB_MAX)
		return fail(err, errlen, "vgpu.memory_mib: %llu exceeds %d", (unsigned long long)d->vgpu_memory_mib,
			    TENANT_VGPU_MEMORY_MIB_MAX);
	if (d->kind > TENANT_KIND_QEMU)
		return fail(err, errlen, "kind: unknown kind %d", (int)d->kind);
	if (!terminated(d->program, sizeof(d->program)))
		return fail(err, errlen, "program: path too long");
	if (d->kind == TENANT_KIND_MICROVM) {
		if (!d->program[0])
			return fail(err, errlen, "program: missing");
		if (d->program[0] != '/')
			return fail(err, errlen, "program: '%.200s' must be an absolute path", d->program);
	}
	if (d->nargs > TENANT_ARGS_MAX)
		return fail(err, errlen, "args: %u arguments, at most %d", d->nargs, TENANT_ARGS_MAX);
	for (unsigned i = 0; i < d->nargs; i++)
		if (!terminated(d->args[i], sizeof(d->args[i])))
			return fail(err, errlen, "args[%u]: longer than %d bytes", i, TENANT_ARG_MAX - 1);
	if (d->nshares > TENANT_SHARES_MAX)
		return fail(err, errlen, "shares: %u shares, at most %d", d->nshares, TENANT_SHARES_MAX);
	for (unsigned i = 0; i < d->nshares; i++) {
		const struct tenant_share *s = &d->shares[i];
		if (!terminated(s->host_dir, sizeof(s->host_dir)) || !terminated(s->guest_dir, sizeof(s->guest_dir)))
			return fail(err, errlen, "shares[%u]: path too long", i);
		if (!absolute_clean_path(s->host_dir))
			return fail(err, errlen, "shares[%u].host: '%.200s' must be an absolute path without '..'", i,
				    s->host_dir);
		if (s->guest_dir[0] && !absolute_clean_path(s->guest_dir))
			return fail(err, errlen, "shares[%u].guest: '%.200s' must be an absolute path without '..'", i,
				    s->guest_dir);
		/* The VMM's --share syntax separates fields with ':'. */
		if (strchr(s->host_dir, ':') || strchr(s->guest_dir, ':'))
			return fail(err, errlen, "shares[%u]: paths may not contain ':'", i);
		const char *gi = s->guest_dir[0] ? s->guest_dir : s->host_dir;
		for (unsigned j = 0; j < i; j++) {
			const struct tenant_share *t = &d->shares[j];
			const char *gj = t->guest_dir[0] ? t->guest_dir : t->host_dir;
			if (!strcmp(gi, gj))
				return fail(err, errlen, "shares[%u]: guest directory '%.200s' is also shares[%u]'s", i,
					    gi, j);
		}
	}
	if (d->restart > TENANT_RESTART_ALWAYS)
		return fail(err, errlen, "restart: unknown policy %d", (int)d->restart);
	if (d->max_restarts > TENANT_MAX_RESTARTS_MAX)
		return fail(err, errlen, "max_restarts: %u exceeds %d", d->max_restarts, TENANT_MAX_RESTARTS_MAX);
	if (d->restart == TENANT_RESTART_NO && d->max_restarts)
		return fail(err, errlen, "max_restarts: set, but restart policy is 'no'");
	if (!terminated(d->console_log, sizeof(d->console_log)))
		return fail(err, errlen, "console_log: path too long");
	if (d->console_log[0] && !absolute_clean_path(d->console_log))
		return fail(err, errlen, "console_log: '%.200s' must be an absolute path without '..'", d->console_log);
	if (!terminated(d->stdin_path, sizeof(d->stdin_path)))
		return fail(err, errlen, "stdin: path too long");
	if (d->stdin_path[0] && !absolute_clean_path(d->stdin_path))
		return fail(err, errlen, "stdin: '%.200s' must be an absolute path without '..'", d->stdin_path);
	if (!terminated(d->kernel, sizeof(d->kernel)) || !terminated(d->initrd, sizeof(d->initrd)))
		return fail(err, errlen, "kernel/initrd: path too long");
	if (!terminated(d->job, sizeof(d->job)))
		return fail(err, errlen, "job: longer than %d bytes", TENANT_JOB_MAX);
	return d->kind == TENANT_KIND_QEMU ? validate_qemu(d, err, errlen) : validate_microvm(d, err, errlen);
}

static const char *const restart_names[] = { "no", "on-failure", "always" };
static const char *const priority_names[] = { "high", "normal", "low" };
static const char *const kind_names[] = { "microvm", "qemu" };

const char *tenant_restart_name(enum tenant_restart r)
{
	return (unsigned)r < 3 ? restart_names[r] : "?";
}

int tenant_restart_parse(const char *s, enum tenant_restart *out)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, restart_names[i])) {
			*out = (enum tenant_restart)i;
			return 0;
		}
	return -1;
}

const char *tenant_priority_name(enum tenant_priority p)
{
	return (unsigned)p < 3 ? priority_names[p] : "?";
}

int tenant_priority_parse(const char *s, enum tenant_priority *out)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, priority_names[i])) {
			*out = (enum tenant_priority)i;
			return 0;
		}
	return -1;
}

const char *tenant_kind_name(enum tenant_kind k)
{
	return (unsigned)k < 2 ? kind_names[k] : "?";
}

int tenant_kind_parse(const char *s, enum tenant_kind *out)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(s, kind_names[i])) {
			*out = (enum tenant_kind)i;
			return 0;
		}
	return -1;
}
