/*
 * Unit tests: domain XML <-> tenant_def (control/libvirt/lv_domxml.c,
 * lv_cmdline.c): a full round trip, and every kind of hostile or wrong
 * document refused with a message, without touching the output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lv_backend.h"
#include "lv_cmdline.h"
#include "lv_domxml.h"

static const char full_xml[] =
	"<domain type='aivisor'>\n"
	"  <name>trainer-1</name>\n"
	"  <uuid>8f0c2a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6</uuid>\n"
	"  <title>ignored</title>\n"
	"  <memory unit='GiB'>1</memory>\n"
	"  <currentMemory unit='MiB'>1024</currentMemory>\n"
	"  <vcpu placement='static' cpuset='0-1'>2</vcpu>\n"
	"  <cputune><shares>400</shares><period>100000</period><quota>150000</quota></cputune>\n"
	"  <os>\n"
	"    <type arch='x86_64'>hvm</type>\n"
	"    <kernel>/opt/aivisor/agent</kernel>\n"
	"    <cmdline>train --data /d/digits.csv 'two words' \"it's\" 'a\\b' ''</cmdline>\n"
	"  </os>\n"
	"  <metadata>\n"
	"    <other:x xmlns:other='https://example.com/other'>kept by nobody</other:x>\n"
	"    <aivisor:vgpu xmlns:aivisor='https://aivisor.dev/xmlns/1' class='high' weight='40' memory='128' unit='MiB'/>\n"
	"    <aivisor:restart xmlns:aivisor='https://aivisor.dev/xmlns/1' policy='on-failure' max='3'/>\n"
	"    <aivisor:share xmlns:aivisor='https://aivisor.dev/xmlns/1' host='/srv/data' guest='/data' mode='ro'/>\n"
	"    <aivisor:share xmlns:aivisor='https://aivisor.dev/xmlns/1' host='/srv/out' mode='rw'/>\n"
	"    <aivisor:console xmlns:aivisor='https://aivisor.dev/xmlns/1' log='/var/log/t1.log'/>\n"
	"  </metadata>\n"
	"</domain>\n";

static int parse(const char *xml, struct tenant_def *d, char *err, size_t errlen)
{
	return lv_domxml_parse(xml, strlen(xml), d, err, errlen);
}

static void assert_same_def(const struct tenant_def *a, const struct tenant_def *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->uuid, b->uuid);
	assert_int_equal(a->vcpus, b->vcpus);
	assert_int_equal(a->memory_mib, b->memory_mib);
	assert_int_equal(a->cpu_weight, b->cpu_weight);
	assert_int_equal(a->cpu_cap_percent, b->cpu_cap_percent);
	assert_string_equal(a->cpu_pinning, b->cpu_pinning);
	assert_int_equal(a->vgpu_priority, b->vgpu_priority);
	assert_int_equal(a->vgpu_weight, b->vgpu_weight);
	assert_int_equal(a->vgpu_memory_mib, b->vgpu_memory_mib);
	assert_string_equal(a->program, b->program);
	assert_int_equal(a->nargs, b->nargs);
	for (unsigned i = 0; i < a->nargs; i++)
		assert_string_equal(a->args[i], b->args[i]);
	assert_int_equal(a->nshares, b->nshares);
	for (unsigned i = 0; i < a->nshares; i++) {
		assert_string_equal(a->shares[i].host_dir, b->shares[i].host_dir);
		assert_string_equal(a->shares[i].guest_dir, b->shares[i].guest_dir);
		assert_int_equal(a->shares[i].rw, b->shares[i].rw);
	}
	assert_int_equal(a->restart, b->restart);
	assert_int_equal(a->max_restarts, b->max_restarts);
	assert_string_equal(a->console_log, b->console_log);
}

static void parses_every_field(void **state)
{
	(void)state;
	struct tenant_def *d = calloc(1, sizeof(*d));
	char err[512] = "";
	assert_int_equal(parse(full_xml, d, err, sizeof(err)), 0);
	assert_string_equal(d->name, "trainer-1");
	assert_string_equal(d->uuid, "8f0c2a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6");
	assert_int_equal(d->memory_mib, 1024);
	assert_int_equal(d->vcpus, 2);
	assert_string_equal(d->cpu_pinning, "0-1");
	assert_int_equal(d->cpu_weight, 400);
	assert_int_equal(d->cpu_cap_percent, 150);
	assert_int_equal(d->vgpu_priority, TENANT_PRIORITY_HIGH);
	assert_int_equal(d->vgpu_weight, 40);
	assert_int_equal(d->vgpu_memory_mib, 128);
	assert_string_equal(d->program, "/opt/aivisor/agent");
	assert_int_equal(d->nargs, 7);
	assert_string_equal(d->args[0], "train");
	assert_string_equal(d->args[3], "two words");
	assert_string_equal(d->args[4], "it's");
	assert_string_equal(d->args[5], "a\\b");
	assert_string_equal(d->args[6], "");
	assert_int_equal(d->nshares, 2);
	assert_string_equal(d->shares[0].guest_dir, "/data");
	assert_false(d->shares[0].rw);
	assert_true(d->shares[1].rw);
	assert_int_equal(d->restart, TENANT_RESTART_ON_FAILURE);
	assert_int_equal(d->max_restarts, 3);
	assert_string_equal(d->console_log, "/var/log/t1.log");
	free(d);
}

static void round_trips(void **state)
{
	(void)state;
	struct tenant_def *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char err[512] = "";
	char *xml = NULL, *xml2 = NULL;
	assert_int_equal(parse(full_xml, a, err, sizeof(err)), 0);
	assert_int_equal(lv_domxml_format(a, 7, &xml, err, sizeof(err)), 0);
	assert_non_null(strstr(xml, "id=\"7\""));
	assert_non_null(strstr(xml, "xmlns:aivisor=\"https://aivisor.dev/xmlns/1\""));
	assert_int_equal(parse(xml, b, err, sizeof(err)), 0);
	assert_same_def(a, b);
	/* and the second formatting is identical to the first */
	assert_int_equal(lv_domxml_format(b, 7, &xml2, err, sizeof(err)), 0);
	assert_string_equal(xml, xml2);
	free(xml);
	free(xml2);
	free(a);
	free(b);
}

static void minimal_gets_defaults_and_a_uuid_later(void **state)
{
	(void)state;
	struct tenant_def *d = calloc(1, sizeof(*d)), *ref = calloc(1, sizeof(*ref));
	char err[512] = "";
	const char *xml = "<domain type='aivisor'><name>m</name><memory>65536</memory>"
			  "<os><kernel>/bin/prog</kernel></os></domain>";
	assert_int_equal(parse(xml, d, err, sizeof(err)), 0);
	tenant_def_init(ref);
	assert_string_equal(d->uuid, "");	/* the registry generates it */
	assert_int_equal(d->memory_mib, 64);	/* default unit KiB */
	assert_int_equal(d->vcpus, ref->vcpus);
	assert_int_equal(d->cpu_weight, ref->cpu_weight);
	assert_int_equal(d->vgpu_weight, ref->vgpu_weight);
	assert_int_equal(d->nargs, 0);
	free(d);
	free(ref);
}

static void cmdline_quoting_round_trips(void **state)
{
	(void)state;
	struct tenant_def *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char out[LV_CMDLINE_MAX + 1], err[256];
	const char *args[] = { "plain", "with space", "quote'single", "dq\"x", "back\\slash", "", "tab\there" };
	a->nargs = 7;
	for (unsigned i = 0; i < a->nargs; i++)
		strcpy(a->args[i], args[i]);
	assert_int_equal(lv_cmdline_join(a, out, sizeof(out)), 0);
	assert_int_equal(lv_cmdline_split(out, b, err, sizeof(err)), 0);
	assert_int_equal(b->nargs, 7);
	for (unsigned i = 0; i < 7; i++)
		assert_string_equal(b->args[i], args[i]);
	assert_int_equal(lv_cmdline_split("'open", b, err, sizeof(err)), -1);
	assert_int_equal(lv_cmdline_split("trailing\\", b, err, sizeof(err)), -1);
	free(a);
	free(b);
}

/* Each of these must be refused with a message and leave *out untouched. */
static void refuses(const char *xml, size_t len, const char *want_in_msg)
{
	struct tenant_def *d = calloc(1, sizeof(*d));
	char err[512] = "";
	strcpy(d->name, "untouched");
	int rc = lv_domxml_parse(xml, len, d, err, sizeof(err));
	if (rc == 0 || !strstr(err, want_in_msg))
		fail_msg("rc %d, message '%s', wanted '%s' for: %.200s", rc, err, want_in_msg, xml);
	assert_string_equal(d->name, "untouched");
	free(d);
}

#define REFUSES(xml, msg) refuses(xml, strlen(xml), msg)
#define DOM(body) "<domain type='aivisor'><name>x</name><memory>65536</memory><os><kernel>/p</kernel></os>" body "</domain>"

static void refuses_entities_and_doctype(void **state)
{
	(void)state;
	REFUSES("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;'>]>"
		"<domain type='aivisor'><name>&lol2;</name></domain>", "DOCTYPE");
	REFUSES("<!DOCTYPE d SYSTEM 'http://example.com/x.dtd'><domain type='aivisor'/>", "DOCTYPE");
	/* an undeclared entity is a well-formedness error, never a fetch */
	REFUSES("<domain type='aivisor'><name>&xxe;</name></domain>", "malformed");
}

static void refuses_huge_and_malformed(void **state)
{
	(void)state;
	size_t n = LV_DOMXML_MAX + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	refuses(big, n, "more than");
	free(big);
	REFUSES("<domain type='aivisor'><name>x</name>", "malformed");
	REFUSES("", "malformed");
	REFUSES("not xml at all", "malformed");
}

static void refuses_wrong_structure(void **state)
{
	(void)state;
	REFUSES("<vm type='aivisor'/>", "root element");
	REFUSES("<domain type='qemu'><name>x</name></domain>", "must be 'aivisor'");
	REFUSES(DOM("<devices><disk/></devices>"), "unsupported element <devices>");
	REFUSES(DOM("<vcpu>1</vcpu><vcpu>2</vcpu>"), "appears twice");
	REFUSES("<domain type='aivisor'><memory>65536</memory><os><kernel>/p</kernel></os></domain>", "<name> is required");
	REFUSES("<domain type='aivisor'><name>x</name><os><kernel>/p</kernel></os></domain>", "<memory> is required");
	REFUSES("<domain type='aivisor'><name>x</name><memory>65536</memory></domain>", "<os>");
	REFUSES("<domain type='aivisor'><name>x</name><memory>65536</memory><os><type>hvm</type></os></domain>", "kernel");
	REFUSES(DOM("<cputune><emulatorpin/></cputune>"), "unsupported element <cputune>");
	REFUSES(DOM("<metadata><aivisor:gpu xmlns:aivisor='https://aivisor.dev/xmlns/1'/></metadata>"), "unsupported aivisor");
	REFUSES(DOM("<metadata><aivisor:vgpu xmlns:aivisor='https://aivisor.dev/xmlns/1' colour='red'/></metadata>"), "unsupported attribute");
}

static void refuses_bad_values(void **state)
{
	(void)state;
	REFUSES("<domain type='aivisor'><name>-bad</name><memory>65536</memory><os><kernel>/p</kernel></os></domain>", "name");
	REFUSES("<domain type='aivisor'><name>a/b</name><memory>65536</memory><os><kernel>/p</kernel></os></domain>", "name");
	REFUSES(DOM("<uuid>not-a-uuid</uuid>"), "uuid");
	REFUSES("<domain type='aivisor'><name>x</name><memory unit='TiB'>99999999999</memory><os><kernel>/p</kernel></os></domain>", "memory");
	REFUSES("<domain type='aivisor'><name>x</name><memory>-5</memory><os><kernel>/p</kernel></os></domain>", "not a number");
	REFUSES("<domain type='aivisor'><name>x</name><memory unit='parsecs'>5</memory><os><kernel>/p</kernel></os></domain>", "unknown unit");
	REFUSES("<domain type='aivisor'><name>x</name><memory>18446744073709551616</memory><os><kernel>/p</kernel></os></domain>", "range");
	REFUSES(DOM("<vcpu>0</vcpu>"), "vcpu");
	REFUSES(DOM("<vcpu>100000</vcpu>"), "vcpu");
	REFUSES(DOM("<cputune><shares>0</shares></cputune>"), "weight");
	REFUSES(DOM("<metadata><aivisor:vgpu xmlns:aivisor='https://aivisor.dev/xmlns/1' class='urgent'/></metadata>"), "class");
	REFUSES(DOM("<metadata><aivisor:vgpu xmlns:aivisor='https://aivisor.dev/xmlns/1' weight='0'/></metadata>"), "weight");
	REFUSES(DOM("<metadata><aivisor:vgpu xmlns:aivisor='https://aivisor.dev/xmlns/1' weight='99999'/></metadata>"), "weight");
	REFUSES("<domain type='aivisor'><name>x</name><memory>65536</memory><os><kernel>relative</kernel></os></domain>", "program");
	REFUSES("<domain type='aivisor'><name>x</name><memory>65536</memory><os><type>exe</type><kernel>/p</kernel></os></domain>", "hvm");
	REFUSES("<domain type='aivisor'><name>x</name><memory>65536</memory><os><kernel>/p</kernel><cmdline>'open</cmdline></os></domain>", "quote");
}

static void refuses_too_many_args(void **state)
{
	(void)state;
	char xml[4096];
	int n = snprintf(xml, sizeof(xml), "<domain type='aivisor'><name>x</name><memory>65536</memory><os><kernel>/p</kernel><cmdline>");
	for (int i = 0; i < TENANT_ARGS_MAX + 1; i++)
		n += snprintf(xml + n, sizeof(xml) - (size_t)n, "a%d ", i);
	snprintf(xml + n, sizeof(xml) - (size_t)n, "</cmdline></os></domain>");
	REFUSES(xml, "more than");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_every_field),
		cmocka_unit_test(round_trips),
		cmocka_unit_test(minimal_gets_defaults_and_a_uuid_later),
		cmocka_unit_test(cmdline_quoting_round_trips),
		cmocka_unit_test(refuses_entities_and_doctype),
		cmocka_unit_test(refuses_huge_and_malformed),
		cmocka_unit_test(refuses_wrong_structure),
		cmocka_unit_test(refuses_bad_values),
		cmocka_unit_test(refuses_too_many_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
