/*
 * test_qemu_xml.c - the domain XML of a QEMU tenant: the parts libvirt and
 * the guest image depend on are present, hostile strings are escaped or
 * refused, and bad specs get a reason.  (libvirt itself accepting and
 * running the XML is the qemu_* integration test.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../qemu_domain.h"

static char kernel[64], initrd[64];

static int setup(void **state)
{
	(void)state;
	snprintf(kernel, sizeof kernel, "/tmp/qemu-xml-kernel.%d", (int)getpid());
	snprintf(initrd, sizeof initrd, "/tmp/qemu-xml-initrd.%d", (int)getpid());
	FILE *f = fopen(kernel, "w");
	fclose(f);
	f = fopen(initrd, "w");
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(kernel);
	unlink(initrd);
	return 0;
}

static struct qemu_domain_spec base(void)
{
	return (struct qemu_domain_spec){
		.name = "t1", .vcpus = 2, .memory_mib = 256, .kernel = kernel, .initrd = initrd,
		.job = "train --data digits.csv --epochs 5",
		.vgpu_socket = "/run/aivisor/qemu/t1.sock", .vgpu_memory_mib = 64,
		.serial_log = "/tmp/t1.log", .domain_type = "qemu",
	};
}

static void has(const char *xml, const char *needle)
{
	if (!strstr(xml, needle))
		fail_msg("missing %s in:\n%s", needle, xml);
}

static void test_full_spec(void **state)
{
	(void)state;
	struct qemu_domain_spec s = base();
	char *xml, err[256];
	assert_int_equal(qemu_domain_xml(&s, &xml, err, sizeof err), 0);
	has(xml, "<domain type='qemu'>");
	has(xml, "<name>t1</name>");
	has(xml, "<memory unit='MiB'>256</memory>");
	has(xml, "<vcpu>2</vcpu>");
	has(xml, "aivisor.job=\"train --data digits.csv --epochs 5\"</cmdline>");
	has(xml, "console=ttyS0");
	has(xml, "<model type='ivshmem-doorbell'/>");
	assert_null(strstr(xml, "<size"));   /* libvirt refuses it for ivshmem-doorbell */
	has(xml, "<server path='/run/aivisor/qemu/t1.sock'/>");
	has(xml, "<msi vectors='1' ioeventfd='on'/>");
	has(xml, "<serial type='file'>");
	has(xml, "<on_poweroff>destroy</on_poweroff>");
	has(xml, "<controller type='usb' model='none'/>");
	assert_null(strstr(xml, "host-passthrough"));
	free(xml);

	s.domain_type = "kvm";
	s.vgpu_socket = NULL;
	s.job = NULL;
	s.serial_log = NULL;
	assert_int_equal(qemu_domain_xml(&s, &xml, err, sizeof err), 0);
	has(xml, "<domain type='kvm'>");
	has(xml, "host-passthrough");
	has(xml, "<serial type='pty'>");
	assert_null(strstr(xml, "<shmem"));
	assert_null(strstr(xml, "aivisor.job"));
	free(xml);
}

static void test_paths_are_escaped(void **state)
{
	(void)state;
	struct qemu_domain_spec s = base();
	s.vgpu_socket = "/tmp/a'b<c>&d.sock";
	s.job = "train --out /tmp/x&y<z>";
	char *xml, err[256];
	assert_int_equal(qemu_domain_xml(&s, &xml, err, sizeof err), 0);
	has(xml, "<server path='/tmp/a&apos;b&lt;c&gt;&amp;d.sock'/>");
	has(xml, "x&amp;y&lt;z&gt;");
	assert_null(strstr(xml, "a'b"));
	free(xml);
}

static void expect_einval(struct qemu_domain_spec s, const char *why)
{
	char *xml = (char *)1, err[256] = "";
	assert_int_equal(qemu_domain_xml(&s, &xml, err, sizeof err), -EINVAL);
	assert_null(xml);
	if (!strstr(err, why))
		fail_msg("error '%s' does not mention '%s'", err, why);
}

static void test_bad_specs_are_refused(void **state)
{
	(void)state;
	struct qemu_domain_spec s;
	s = base(); s.name = "../etc"; expect_einval(s, "domain name");
	s = base(); s.name = "a<b"; expect_einval(s, "domain name");
	s = base(); s.name = ""; expect_einval(s, "domain name");
	s = base(); s.uuid = "not-a-uuid"; expect_einval(s, "uuid");
	s = base(); s.vcpus = 0; expect_einval(s, "vcpus");
	s = base(); s.memory_mib = 16; expect_einval(s, "memory");
	s = base(); s.kernel = "vmlinuz"; expect_einval(s, "absolute");
	s = base(); s.kernel = "/nonexistent/vmlinuz"; expect_einval(s, "make images");
	s = base(); s.job = "train \" panic=1"; expect_einval(s, "job");
	s = base(); s.job = "train\nx"; expect_einval(s, "job");
	s = base(); s.vgpu_memory_mib = 48; expect_einval(s, "power of two");
	s = base(); s.vgpu_memory_mib = 0; expect_einval(s, "power of two");
	s = base(); s.domain_type = "xen"; expect_einval(s, "domain type");
	s = base(); s.serial_log = "rel.log"; expect_einval(s, "serial log");
	s = base(); s.vgpu_socket = "/tmp/\xa3\xef.sock"; expect_einval(s, "vGPU socket");
	s = base(); s.job = "train \xc0\xaf"; expect_einval(s, "job");       /* overlong '/' */
	s = base(); s.job = "train \xed\xa0\x80"; expect_einval(s, "job");   /* surrogate */
	s = base(); s.job = "train --name caf\xc3\xa9"; {                   /* UTF-8 is fine */
		char *xml, err[256];
		assert_int_equal(qemu_domain_xml(&s, &xml, err, sizeof err), 0);
		free(xml);
	}
}

static void test_auto_type_matches_the_host(void **state)
{
	(void)state;
	const char *t = qemu_domain_type_auto();
	assert_true(!strcmp(t, "kvm") || !strcmp(t, "qemu"));
	if (access("/dev/kvm", R_OK | W_OK) != 0)
		assert_string_equal(t, "qemu");
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	int hw = 0;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "flags", 5)) {
			hw = strstr(line, " vmx") || strstr(line, " svm");
			break;
		}
	if (f)
		fclose(f);
	if (!hw)
		assert_string_equal(t, "qemu");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_spec),
		cmocka_unit_test(test_paths_are_escaped),
		cmocka_unit_test(test_bad_specs_are_refused),
		cmocka_unit_test(test_auto_type_matches_the_host),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
