/*
 * qemu_xml.c - the libvirt domain XML of an aivisor QEMU tenant, and the
 * choice between KVM and TCG (see qemu_domain.h).
 */
#include "qemu_domain.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_err.h"

const char *qemu_domain_type_auto(void)
{
	if (access("/dev/kvm", R_OK | W_OK) != 0)
		return "qemu";
	FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return "qemu";
	char line[4096];
	bool hw = false;
	while (!hw && fgets(line, sizeof line, f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		hw = strstr(line, " vmx") != NULL || strstr(line, " svm") != NULL;
		break;
	}
	fclose(f);
	return hw ? "kvm" : "qemu";
}

static bool valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

static bool valid_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];
		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* Well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points
 * past U+10FFFF) without U+FFFE/U+FFFF: what XML 1.0 text may hold. */
static bool valid_utf8(const unsigned char *p)
{
	while (*p) {
		unsigned c = *p, n;
		uint32_t cp;
		if (c < 0x80) {
			p++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
			return false;
		p += n + 1;
	}
	return true;
}

/* An absolute path without control characters (it goes into XML and, for
 * QEMU, onto a command line libvirt builds). */
static bool valid_path(const char *s)
{
	if (!s || s[0] != '/' || strlen(s) >= 4096 || !valid_utf8((const unsigned char *)s))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* The job is one kernel argument in double quotes: UTF-8, no quote, no
 * control character, and it must fit the kernel command line with room to spare. */
static bool valid_job(const char *s)
{
	if (strlen(s) > QEMU_JOB_MAX || !valid_utf8((const unsigned char *)s))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '"')
			return false;
	return true;
}

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fputc(*s, f);
		}
	}
}

static int check_spec(const struct qemu_domain_spec *s, char *err, size_t errlen)
{
	if (!valid_name(s->name))
		return qemu_err(err, errlen, -EINVAL, "bad domain name '%s' (want [A-Za-z0-9][A-Za-z0-9_.-]*, at most 63)",
				s->name ? s->name : "");
	if (s->uuid && s->uuid[0] && !valid_uuid(s->uuid))
		return qemu_err(err, errlen, -EINVAL, "bad uuid '%s'", s->uuid);
	if (s->vcpus < 1 || s->vcpus > 64)
		return qemu_err(err, errlen, -EINVAL, "vcpus %u out of range 1..64", s->vcpus);
	if (s->memory_mib < 64 || s->memory_mib > 1024 * 1024)
		return qemu_err(err, errlen, -EINVAL, "memory %llu MiB out of range 64..1048576",
				(unsigned long long)s->memory_mib);
	if (!valid_path(s->kernel) || !valid_path(s->initrd))
		return qemu_err(err, errlen, -EINVAL, "kernel and initrd need absolute paths");
	if (access(s->kernel, R_OK) != 0)
		return qemu_err(err, errlen, -EINVAL, "guest kernel %s: %s (run `make images`)",
				s->kernel, strerror(errno));
	if (access(s->initrd, R_OK) != 0)
		return qemu_err(err, errlen, -EINVAL, "guest initramfs %s: %s (run `make images`)",
				s->initrd, strerror(errno));
	if (s->job && !valid_job(s->job))
		return qemu_err(err, errlen, -EINVAL,
				"bad job: at most %d bytes, no '\"' and no control characters", QEMU_JOB_MAX);
	if (s->vgpu_socket) {
		if (!valid_path(s->vgpu_socket))
			return qemu_err(err, errlen, -EINVAL, "vGPU socket needs an absolute path");
		uint64_t m = s->vgpu_memory_mib;
		if (m == 0 || (m & (m - 1)) || m > 256 * 1024)
			return qemu_err(err, errlen, -EINVAL,
					"vGPU memory %llu MiB must be a power of two up to 262144 (it is a PCI BAR)",
					(unsigned long long)m);
	}
	if (s->serial_log && !valid_path(s->serial_log))
		return qemu_err(err, errlen, -EINVAL, "serial log needs an absolute path");
	if (s->domain_type && strcmp(s->domain_type, "kvm") && strcmp(s->domain_type, "qemu"))
		return qemu_err(err, errlen, -EINVAL, "domain type '%s' is neither kvm nor qemu",
				s->domain_type);
	return 0;
}

int qemu_domain_xml(const struct qemu_domain_spec *s, char **xml, char *err, size_t errlen)
{
	*xml = NULL;
	int rc = check_spec(s, err, errlen);
	if (rc)
		return rc;
	const char *type = s->domain_type ? s->domain_type : qemu_domain_type_auto();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return qemu_err(err, errlen, -ENOMEM, "out of memory");

	fprintf(f, "<domain type='%s'>\n  <name>", type);
	put_escaped(f, s->name);
	fputs("</name>\n", f);
	if (s->uuid && s->uuid[0])
		fprintf(f, "  <uuid>%s</uuid>\n", s->uuid);
	fputs("  <description>aivisor tenant (QEMU guest)</description>\n", f);
	fprintf(f, "  <memory unit='MiB'>%llu</memory>\n  <vcpu>%u</vcpu>\n",
		(unsigned long long)s->memory_mib, s->vcpus);
	fputs("  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n    <kernel>", f);
	put_escaped(f, s->kernel);
	fputs("</kernel>\n    <initrd>", f);
	put_escaped(f, s->initrd);
	/* panic=-1: a guest kernel panic powers the domain off instead of
	 * hanging it; quiet keeps boot noise out of the job's console log. */
	fputs("</initrd>\n    <cmdline>console=ttyS0 quiet panic=-1", f);
	if (s->job) {
		fputs(" aivisor.job=\"", f);
		put_escaped(f, s->job);
		fputs("\"", f);
	}
	fputs("</cmdline>\n  </os>\n  <features><acpi/></features>\n", f);
	if (!strcmp(type, "kvm"))
		fputs("  <cpu mode='host-passthrough'/>\n", f);
	/* The guest powers off when its job ends: the domain then shuts off
	 * rather than rebooting into the job again. */
	fputs("  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
	      "  <on_crash>destroy</on_crash>\n  <devices>\n", f);
	if (s->serial_log) {
		fputs("    <serial type='file'>\n      <source path='", f);
		put_escaped(f, s->serial_log);
		fputs("'/>\n      <target port='0'/>\n    </serial>\n", f);
	} else {
		fputs("    <serial type='pty'><target port='0'/></serial>\n", f);
	}
	fputs("    <console type='pty'><target type='serial' port='0'/></console>\n", f);
	if (s->vgpu_socket) {
		/* One vector: the completion eventfd QEMU may turn into an MSI-X
		 * interrupt (the guest polls instead).  ioeventfd lets KVM deliver
		 * the doorbell write without a QEMU exit.
		 * The window's size is not stated: with a server, QEMU takes it
		 * from the shared memory fd (libvirt refuses <size> here). */
		fputs("    <shmem name='aivisor-vgpu-", f);
		put_escaped(f, s->name);
		fputs("'>\n      <model type='ivshmem-doorbell'/>\n      <server path='", f);
		put_escaped(f, s->vgpu_socket);
		fputs("'/>\n      <msi vectors='1' ioeventfd='on'/>\n    </shmem>\n", f);
	}
	/* Nothing the job does not need: no USB controller, no balloon. */
	fputs("    <controller type='usb' model='none'/>\n    <memballoon model='none'/>\n"
	      "  </devices>\n</domain>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return qemu_err(err, errlen, -ENOMEM, "out of memory");
	}
	*xml = buf;
	return 0;
}
