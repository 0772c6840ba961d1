/*
 * fuzz_qemu_xml.c - control/qemu's domain XML builder on hostile specs
 * (names, jobs and paths come from the daemon's clients).  Input: fields
 * separated by newlines - name, job, vGPU socket, serial log, uuid, vGPU
 * MiB.  Property: the spec is refused with a reason, or the XML is
 * well-formed and carries exactly the given strings (libxml2 parses it
 * back), so no client string can inject XML or escape its kernel argument.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "../../control/qemu/qemu_domain.h"

static char kernel[64], initrd[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(kernel, sizeof kernel, "/tmp/fuzz-qemu-xml-kernel.%d", (int)getpid());
	snprintf(initrd, sizeof initrd, "/tmp/fuzz-qemu-xml-initrd.%d", (int)getpid());
	FILE *f = fopen(kernel, "w");
	if (f)
		fclose(f);
	f = fopen(initrd, "w");
	if (f)
		fclose(f);
	return 0;
}

static char *xpath_text(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	char *out = NULL;
	if (o && o->nodesetval && o->nodesetval->nodeNr == 1)
		out = (char *)xmlNodeGetContent(o->nodesetval->nodeTab[0]);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *field[6] = { 0 };
	char *p = buf;
	for (int i = 0; i < 6 && p; i++) {
		field[i] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
	}
	struct qemu_domain_spec s = {
		.name = field[0], .job = field[1], .vgpu_socket = field[2],
		.serial_log = field[3], .uuid = field[4],
		.vcpus = 1, .memory_mib = 256, .kernel = kernel, .initrd = initrd,
		.vgpu_memory_mib = field[5] ? strtoull(field[5], NULL, 10) : 64,
		.domain_type = "qemu",
	};
	char *xml = NULL, err[256] = "";
	int rc = qemu_domain_xml(&s, &xml, err, sizeof err);
	if (rc) {
		if (xml || err[0] == '\0')
			abort();   /* a refusal has a reason and no output */
		free(buf);
		return 0;
	}
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		abort();   /* accepted but not well-formed */
	char *name = xpath_text(doc, "/domain/name");
	if (!name || strcmp(name, s.name))
		abort();
	char *cmdline = xpath_text(doc, "/domain/os/cmdline");
	if (!cmdline)
		abort();
	if (s.job) {
		char want[QEMU_JOB_MAX + 32];
		snprintf(want, sizeof want, " aivisor.job=\"%s\"", s.job);
		size_t n = strlen(want), m = strlen(cmdline);
		/* The job is the last argument, whole, inside its quotes. */
		if (m < n || strcmp(cmdline + m - n, want))
			abort();
	}
	if (s.vgpu_socket) {
		char *path = xpath_text(doc, "/domain/devices/shmem/server/@path");
		if (!path || strcmp(path, s.vgpu_socket))
			abort();
		xmlFree(path);
	}
	xmlFree(name);
	xmlFree(cmdline);
	xmlFreeDoc(doc);
	free(xml);
	free(buf);
	return 0;
}
