/*
 * lv_domxml_format.c - struct tenant_def -> domain XML with libxml2 (see
 * lv_domxml.h).  libxml2 does the escaping; every node and attribute
 * allocation is checked, so an out-of-memory never yields a document with a
 * field silently missing.
 */
#include "lv_domxml.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "lv_cmdline.h"

/* The document being built; ok drops to false at the first failed allocation. */
struct out {
	xmlDocPtr doc;
	bool ok;
};

static xmlNodePtr add_text(struct out *o, xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr n = parent ? xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text) : NULL;
	o->ok &= n != NULL;
	return n;
}

static xmlNodePtr add_u64(struct out *o, xmlNodePtr parent, const char *name, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	return add_text(o, parent, name, b);
}

static xmlNodePtr add_node(struct out *o, xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = parent ? xmlNewChild(parent, NULL, (const xmlChar *)name, NULL) : NULL;
	o->ok &= n != NULL;
	return n;
}

static void set_attr(struct out *o, xmlNodePtr n, const char *name, const char *value)
{
	o->ok &= n && xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)value) != NULL;
}

static void set_attr_u64(struct out *o, xmlNodePtr n, const char *name, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	set_attr(o, n, name, b);
}

/* An element of our namespace under <metadata>, each declaring it (libvirt style). */
static xmlNodePtr add_ours(struct out *o, xmlNodePtr md, const char *name)
{
	xmlNodePtr v = add_node(o, md, name);
	xmlNsPtr ns = v ? xmlNewNs(v, (const xmlChar *)LV_XMLNS_AIVISOR, (const xmlChar *)"aivisor") : NULL;
	o->ok &= ns != NULL;
	if (ns)
		xmlSetNs(v, ns);
	return ns ? v : NULL;
}

static void build_metadata(struct out *o, xmlNodePtr root, const struct tenant_def *def)
{
	xmlNodePtr md = add_node(o, root, "metadata");
	xmlNodePtr v = add_ours(o, md, "vgpu");
	set_attr(o, v, "class", tenant_priority_name(def->vgpu_priority));
	set_attr_u64(o, v, "weight", def->vgpu_weight);
	set_attr_u64(o, v, "memory", def->vgpu_memory_mib);
	set_attr(o, v, "unit", "MiB");
	xmlNodePtr r = add_ours(o, md, "restart");
	set_attr(o, r, "policy", tenant_restart_name(def->restart));
	set_attr_u64(o, r, "max", def->max_restarts);
	for (unsigned i = 0; i < def->nshares && i < TENANT_SHARES_MAX; i++) {
		xmlNodePtr s = add_ours(o, md, "share");
		set_attr(o, s, "host", def->shares[i].host_dir);
		if (def->shares[i].guest_dir[0])
			set_attr(o, s, "guest", def->shares[i].guest_dir);
		set_attr(o, s, "mode", def->shares[i].rw ? "rw" : "ro");
	}
	if (def->console_log[0])
		set_attr(o, add_ours(o, md, "console"), "log", def->console_log);
}

static void build(struct out *o, xmlNodePtr root, const struct tenant_def *def, int32_t id, char *cmdline)
{
	set_attr(o, root, "type", "aivisor");
	if (id >= 0)
		set_attr_u64(o, root, "id", (uint64_t)id);
	add_text(o, root, "name", def->name);
	if (def->uuid[0])	/* a definition not yet stored has none */
		add_text(o, root, "uuid", def->uuid);
	set_attr(o, add_u64(o, root, "memory", def->memory_mib * 1024), "unit", "KiB");
	set_attr(o, add_u64(o, root, "currentMemory", def->memory_mib * 1024), "unit", "KiB");
	xmlNodePtr vcpu = add_u64(o, root, "vcpu", def->vcpus);
	set_attr(o, vcpu, "placement", "static");
	if (def->cpu_pinning[0])
		set_attr(o, vcpu, "cpuset", def->cpu_pinning);
	xmlNodePtr tune = add_node(o, root, "cputune");
	add_u64(o, tune, "shares", def->cpu_weight);
	if (def->cpu_cap_percent) {
		add_u64(o, tune, "period", LV_CFS_PERIOD_US);
		add_u64(o, tune, "quota", (uint64_t)def->cpu_cap_percent * LV_CFS_PERIOD_US / 100);
	}
	build_metadata(o, root, def);
	xmlNodePtr os = add_node(o, root, "os");
	set_attr(o, add_text(o, os, "type", "hvm"), "arch", "x86_64");
	add_text(o, os, "kernel", def->program);
	if (def->nargs) {
		if (lv_cmdline_join(def, cmdline, LV_CMDLINE_MAX + 1))
			o->ok = false;
		else
			add_text(o, os, "cmdline", cmdline);
	}
}

int lv_domxml_format(const struct tenant_def *def, int32_t id, char **out, char *err, size_t errlen)
{
	int rc = LV_ERR_INTERNAL;
	char *cmdline = malloc(LV_CMDLINE_MAX + 1);
	struct out o = { xmlNewDoc((const xmlChar *)"1.0"), true };
	xmlBufferPtr buf = xmlBufferCreate();
	xmlNodePtr root = o.doc ? xmlNewDocNode(o.doc, NULL, (const xmlChar *)"domain", NULL) : NULL;
	if (root)
		xmlDocSetRootElement(o.doc, root);
	if (cmdline && root && buf)
		build(&o, root, def, id, cmdline);
	if (!cmdline || !root || !buf || !o.ok || xmlNodeDump(buf, o.doc, root, 0, 1) < 0) {
		snprintf(err, errlen, "cannot format domain XML (out of memory or arguments too long)");
		goto out;
	}
	size_t n = (size_t)xmlBufferLength(buf);
	*out = malloc(n + 2);
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(*out, xmlBufferContent(buf), n);
	memcpy(*out + n, "\n", 2);
	rc = 0;
out:
	free(cmdline);
	xmlBufferFree(buf);
	xmlFreeDoc(o.doc);
	return rc;
}
