/*
 * lv_domxml_parse.c - domain XML -> struct tenant_def with libxml2 (see
 * lv_domxml.h for the mapping and the hostile-input rules).
 */
#include "lv_domxml.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lv_cmdline.h"

#define MAX_MEMORY_KIB (1ull << 40)	/* 1 PiB: far above any host, catches unit typos */

struct parse {
	struct tenant_def *def;
	char *err;
	size_t errlen;
};

#define FAIL(p, ...) (snprintf((p)->err, (p)->errlen, __VA_ARGS__), LV_ERR_XML_ERROR)

static bool is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

/* The element's text, surrounding whitespace trimmed, into out[outsz].
 * Child elements are refused: these elements hold a value only. */
static int text_of(struct parse *p, const xmlNode *n, char *out, size_t outsz)
{
	size_t len = 0;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type == XML_COMMENT_NODE)
			continue;
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			return FAIL(p, "<%s> must hold text only", (const char *)n->name);
		size_t l = strlen((const char *)c->content);
		if (l >= outsz - len)
			return FAIL(p, "<%s> is longer than %zu bytes", (const char *)n->name, outsz - 1);
		memcpy(out + len, c->content, l);
		len += l;
	}
	out[len] = '\0';
	size_t b = 0;
	while (b < len && strchr(" \t\r\n", out[b]))
		b++;
	while (len > b && strchr(" \t\r\n", out[len - 1]))
		len--;
	memmove(out, out + b, len - b);
	out[len - b] = '\0';
	return 0;
}

static int parse_u64(struct parse *p, const char *what, const char *s, uint64_t *v)
{
	if (*s < '0' || *s > '9')
		return FAIL(p, "%s: '%s' is not a number", what, s);
	errno = 0;
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return FAIL(p, "%s: '%s' is not a number in range", what, s);
	*v = x;
	return 0;
}

static int parse_ranged(struct parse *p, const char *what, const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	int rc = parse_u64(p, what, s, v);
	if (rc)
		return rc;
	if (*v < lo || *v > hi)
		return FAIL(p, "%s: %" PRIu64 " is outside %" PRIu64 "..%" PRIu64, what, *v, lo, hi);
	return 0;
}

/* value in unit -> KiB, rounded up; unit as libvirt spells them. */
static int to_kib(struct parse *p, const char *what, const char *val, const char *unit, const char *dflt, uint64_t *kib)
{
	static const struct { const char *name; uint64_t bytes; } units[] = {
		{ "b", 1 }, { "bytes", 1 },
		{ "KB", 1000 }, { "k", 1024 }, { "K", 1024 }, { "KiB", 1024 },
		{ "MB", 1000000 }, { "M", 1ull << 20 }, { "MiB", 1ull << 20 },
		{ "GB", 1000000000ull }, { "G", 1ull << 30 }, { "GiB", 1ull << 30 },
		{ "TB", 1000000000000ull }, { "T", 1ull << 40 }, { "TiB", 1ull << 40 },
	};
	if (!unit)
		unit = dflt;
	uint64_t mul = 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(unit, units[i].name) == 0)
			mul = units[i].bytes;
	if (!mul)
		return FAIL(p, "%s: unknown unit '%s'", what, unit);
	uint64_t v;
	int rc = parse_u64(p, what, val, &v);
	if (rc)
		return rc;
	if (v > UINT64_MAX / mul)
		return FAIL(p, "%s: %s %s is too large", what, val, unit);
	uint64_t bytes = v * mul;
	*kib = bytes / 1024 + (bytes % 1024 != 0);
	if (*kib == 0 || *kib > MAX_MEMORY_KIB)
		return FAIL(p, "%s: %s %s is outside 1 KiB..1 PiB", what, val, unit);
	return 0;
}

/* An attribute's value (NULL if absent) copied into buf. */
static const char *attr(const xmlNode *n, const char *name, char *buf, size_t bufsz)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (!v)
		return NULL;
	snprintf(buf, bufsz, "%s", (const char *)v);
	xmlFree(v);
	return buf;
}

static bool blank_or_comment(const xmlNode *c)
{
	if (c->type == XML_COMMENT_NODE)
		return true;
	if (c->type != XML_TEXT_NODE)
		return false;
	return strspn((const char *)c->content, " \t\r\n") == strlen((const char *)c->content);
}


/* An attribute's value copied whole into out[outsz]; too long is an error. */
static int attr_copy(struct parse *p, const xmlNode *n, const char *name, char *out, size_t outsz)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	int rc = 0;
	if (!v)
		return 0;
	if (strlen((const char *)v) >= outsz)
		rc = FAIL(p, "attribute %s of <%s> is longer than %zu bytes", name, (const char *)n->name, outsz - 1);
	else
		strcpy(out, (const char *)v);
	xmlFree(v);
	return rc;
}

static int only_attrs(struct parse *p, const xmlNode *n, const char *const *names)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		size_t i = 0;
		while (names[i] && strcmp(names[i], (const char *)a->name))
			i++;
		if (!names[i])
			return FAIL(p, "unsupported attribute '%s' of <%s>", (const char *)a->name, (const char *)n->name);
	}
	return 0;
}

static int parse_unsigned(struct parse *p, const char *what, const char *s, uint64_t max, unsigned *out)
{
	uint64_t v;
	int rc = parse_ranged(p, what, s, 0, max, &v);
	if (!rc)
		*out = (unsigned)v;
	return rc;
}

static int parse_cputune(struct parse *p, const xmlNode *n)
{
	char buf[32];
	uint64_t period = LV_CFS_PERIOD_US, quota = 0;
	bool has_quota = false;
	for (const xmlNode *c = n->children; c; c = c->next) {
		int rc;
		if (blank_or_comment(c))
			continue;
		if ((rc = text_of(p, c, buf, sizeof(buf))))
			return rc;
		if (is_el(c, "shares"))
			rc = parse_unsigned(p, "cputune/shares", buf, UINT32_MAX, &p->def->cpu_weight);
		else if (is_el(c, "period"))
			rc = parse_ranged(p, "cputune/period", buf, 1000, 1000000, &period);
		else if (is_el(c, "quota")) {
			/* libvirt writes -1 for "no quota" */
			has_quota = strcmp(buf, "-1") != 0;
			if (has_quota)
				rc = parse_ranged(p, "cputune/quota", buf, 1000, UINT32_MAX, &quota);
		} else
			rc = FAIL(p, "unsupported element <cputune>/<%s>", (const char *)c->name);
		if (rc)
			return rc;
	}
	if (has_quota) {
		uint64_t pct = (quota * 100 + period / 2) / period;
		p->def->cpu_cap_percent = pct ? (unsigned)(pct > UINT32_MAX ? UINT32_MAX : pct) : 1;
	}
	return 0;
}

static int parse_os(struct parse *p, const xmlNode *n)
{
	char *buf = malloc(LV_CMDLINE_MAX + 1);
	bool kernel = false;
	int rc = 0;
	if (!buf)
		return FAIL(p, "out of memory");
	for (const xmlNode *c = n->children; c && !rc; c = c->next) {
		if (blank_or_comment(c))
			continue;
		if (is_el(c, "type")) {
			char arch[32];
			rc = text_of(p, c, buf, LV_CMDLINE_MAX + 1);
			if (!rc && strcmp(buf, "hvm") != 0)
				rc = FAIL(p, "os type '%s' is not supported (use hvm)", buf);
			if (!rc && attr(c, "arch", arch, sizeof(arch)) && strcmp(arch, "x86_64") != 0)
				rc = FAIL(p, "arch '%s' is not supported (use x86_64)", arch);
		} else if (is_el(c, "kernel")) {
			rc = text_of(p, c, p->def->program, sizeof(p->def->program));
			kernel = true;
		} else if (is_el(c, "cmdline")) {
			rc = text_of(p, c, buf, LV_CMDLINE_MAX + 1);
			if (!rc && lv_cmdline_split(buf, p->def, p->err, p->errlen))
				rc = LV_ERR_XML_ERROR;
		} else {
			rc = FAIL(p, "unsupported element <os>/<%s>", (const char *)c->name);
		}
	}
	free(buf);
	if (!rc && !kernel)
		rc = FAIL(p, "<os> needs <kernel>: the program the tenant runs");
	return rc;
}

static int parse_vgpu(struct parse *p, const xmlNode *n)
{
	static const char *const names[] = { "class", "weight", "memory", "unit", NULL };
	char buf[64], unit[16];
	struct tenant_def *d = p->def;
	int rc = only_attrs(p, n, names);
	if (rc)
		return rc;
	if (attr(n, "class", buf, sizeof(buf)) && tenant_priority_parse(buf, &d->vgpu_priority))
		return FAIL(p, "aivisor:vgpu class '%s' is not high, normal or low", buf);
	if (attr(n, "weight", buf, sizeof(buf)) &&
	    (rc = parse_unsigned(p, "aivisor:vgpu weight", buf, UINT32_MAX, &d->vgpu_weight)))
		return rc;
	if (attr(n, "memory", buf, sizeof(buf))) {
		uint64_t kib = 0;
		if (strcmp(buf, "0") != 0 &&	/* 0: no vGPU */
		    (rc = to_kib(p, "aivisor:vgpu memory", buf, attr(n, "unit", unit, sizeof(unit)), "MiB", &kib)))
			return rc;
		d->vgpu_memory_mib = kib / 1024 + (kib % 1024 != 0);
	}
	return 0;
}

static int parse_restart(struct parse *p, const xmlNode *n)
{
	static const char *const names[] = { "policy", "max", NULL };
	char buf[32];
	int rc = only_attrs(p, n, names);
	if (rc)
		return rc;
	if (attr(n, "policy", buf, sizeof(buf)) && tenant_restart_parse(buf, &p->def->restart))
		return FAIL(p, "aivisor:restart policy '%s' is not no, on-failure or always", buf);
	if (attr(n, "max", buf, sizeof(buf)))
		rc = parse_unsigned(p, "aivisor:restart max", buf, UINT32_MAX, &p->def->max_restarts);
	return rc;
}

static int parse_share(struct parse *p, const xmlNode *n)
{
	static const char *const names[] = { "host", "guest", "mode", NULL };
	struct tenant_def *d = p->def;
	char mode[8] = "ro";
	if (d->nshares == TENANT_SHARES_MAX)
		return FAIL(p, "more than %d aivisor:share elements", TENANT_SHARES_MAX);
	struct tenant_share *s = &d->shares[d->nshares];
	*s = (struct tenant_share){ 0 };
	int rc = only_attrs(p, n, names);
	if (!rc)
		rc = attr_copy(p, n, "host", s->host_dir, sizeof(s->host_dir));
	if (!rc)
		rc = attr_copy(p, n, "guest", s->guest_dir, sizeof(s->guest_dir));
	if (!rc)
		rc = attr_copy(p, n, "mode", mode, sizeof(mode));
	if (!rc && !s->host_dir[0])
		rc = FAIL(p, "aivisor:share needs host='DIR'");
	if (!rc && strcmp(mode, "ro") && strcmp(mode, "rw"))
		rc = FAIL(p, "aivisor:share mode '%s' is not ro or rw", mode);
	if (rc)
		return rc;
	s->rw = strcmp(mode, "rw") == 0;
	d->nshares++;
	return 0;
}

static int parse_metadata(struct parse *p, const xmlNode *n)
{
	static const char *const names[] = { "vgpu", "restart", "share", "console", NULL };
	unsigned seen = 0;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		/* Other applications' metadata is theirs; we keep only ours. */
		if (!c->ns || xmlStrcmp(c->ns->href, (const xmlChar *)LV_XMLNS_AIVISOR))
			continue;
		unsigned k = 0;
		while (names[k] && !is_el(c, names[k]))
			k++;
		if (!names[k])
			return FAIL(p, "unsupported aivisor metadata element <%s>", (const char *)c->name);
		if (k != 2 && (seen & (1u << k)))
			return FAIL(p, "more than one aivisor:%s element", names[k]);
		seen |= 1u << k;
		int rc;
		if (k == 0)
			rc = parse_vgpu(p, c);
		else if (k == 1)
			rc = parse_restart(p, c);
		else if (k == 2)
			rc = parse_share(p, c);
		else {
			static const char *const log_only[] = { "log", NULL };
			rc = only_attrs(p, c, log_only);
			if (!rc)
				rc = attr_copy(p, c, "log", p->def->console_log, sizeof(p->def->console_log));
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_domain(struct parse *p, const xmlNode *root)
{
	struct tenant_def *d = p->def;
	char buf[128], unit[16];
	unsigned seen = 0;	/* one bit per element below, to refuse duplicates */
	static const char *const known[] = { "name", "uuid", "memory", "currentMemory", "vcpu", "cputune", "os",
					     "metadata", "title", "description", "on_poweroff", "on_reboot", "on_crash" };
	enum { K_NAME, K_UUID, K_MEMORY, K_CURMEM, K_VCPU, K_CPUTUNE, K_OS, K_METADATA, K_N = 13 };

	if (!is_el(root, "domain"))
		return FAIL(p, "root element must be <domain>, not <%s>", (const char *)root->name);
	if (!attr(root, "type", buf, sizeof(buf)) || (strcmp(buf, "aivisor") && strcmp(buf, "kvm")))
		return FAIL(p, "<domain type='...'> must be 'aivisor'");

	for (const xmlNode *c = root->children; c; c = c->next) {
		if (blank_or_comment(c))
			continue;
		unsigned k = 0;
		while (k < K_N && !is_el(c, known[k]))
			k++;
		if (k == K_N) {
			if (c->type == XML_ELEMENT_NODE)
				return FAIL(p, "unsupported element <%s> in <domain>", (const char *)c->name);
			return FAIL(p, "unexpected content in <domain>");
		}
		if (seen & (1u << k))
			return FAIL(p, "<%s> appears twice", known[k]);
		seen |= 1u << k;

		int rc = 0;
		uint64_t kib;
		switch (k) {
		case K_NAME:
			rc = text_of(p, c, d->name, sizeof(d->name));
			if (!rc && !tenant_name_valid(d->name))
				rc = FAIL(p, "name '%s' must be 1-%d of A-Z a-z 0-9 _ - . starting with a letter or digit", d->name, TENANT_NAME_MAX);
			break;
		case K_UUID: {
			unsigned char u[LV_UUID_LEN];
			rc = text_of(p, c, buf, sizeof(buf));
			if (!rc && lv_uuid_parse(buf, u))
				rc = FAIL(p, "uuid '%s' is malformed", buf);
			if (!rc)
				lv_uuid_format(u, d->uuid);
			break;
		}
		case K_MEMORY:
		case K_CURMEM: /* no ballooning: currentMemory is checked, memory is what counts */
			rc = text_of(p, c, buf, sizeof(buf));
			if (!rc)
				rc = to_kib(p, known[k], buf, attr(c, "unit", unit, sizeof(unit)), "KiB", &kib);
			if (!rc && k == K_MEMORY)
				d->memory_mib = kib / 1024 + (kib % 1024 != 0);
			break;
		case K_VCPU:
			rc = text_of(p, c, buf, sizeof(buf));
			if (!rc)
				rc = parse_unsigned(p, "vcpu", buf, UINT32_MAX, &d->vcpus);
			if (!rc)
				rc = attr_copy(p, c, "cpuset", d->cpu_pinning, sizeof(d->cpu_pinning));
			break;
		case K_CPUTUNE:
			rc = parse_cputune(p, c);
			break;
		case K_OS:
			rc = parse_os(p, c);
			break;
		case K_METADATA:
			rc = parse_metadata(p, c);
			break;
		default: /* title, description, lifecycle actions: accepted, not kept */
			break;
		}
		if (rc)
			return rc;
	}
	if (!(seen & (1u << K_NAME)))
		return FAIL(p, "<name> is required");
	if (!(seen & (1u << K_MEMORY)))
		return FAIL(p, "<memory> is required");
	if (!(seen & (1u << K_OS)))
		return FAIL(p, "<os> with <kernel> is required");
	return 0;
}

void lv_domxml_init(void)
{
	xmlInitParser();
}

int lv_domxml_parse(const char *xml, size_t len, struct tenant_def *out, char *err, size_t errlen)
{
	struct tenant_def *def = malloc(sizeof(*def));
	struct parse p = { def, err, errlen };
	if (!def) {
		snprintf(err, errlen, "out of memory");
		return LV_ERR_INTERNAL;
	}
	tenant_def_init(def);
	int rc;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	if (len > LV_DOMXML_MAX) {
		rc = FAIL(&p, "domain XML is %zu bytes, more than the %u allowed", len, LV_DOMXML_MAX);
	} else if (memmem(xml, len, "<!DOCTYPE", 9) || memmem(xml, len, "<!ENTITY", 8)) {
		/* No DTD means no entity can be declared, so none can expand. */
		rc = FAIL(&p, "domain XML must not contain a DOCTYPE or entity declarations");
	} else if (!(ctxt = xmlNewParserCtxt())) {
		rc = FAIL(&p, "out of memory creating the XML parser");
	} else if (!(doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", NULL,
					     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING))) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		rc = FAIL(&p, "malformed domain XML: line %d: %s", e ? e->line : 0,
			  e && e->message ? e->message : "parse error");
		size_t l = strlen(err);
		if (l && err[l - 1] == '\n')
			err[l - 1] = '\0';
	} else if (doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc)) {
		rc = FAIL(&p, "domain XML must have a root element and no DOCTYPE");
	} else {
		rc = parse_domain(&p, xmlDocGetRootElement(doc));
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (!rc && tenant_def_validate(def, err, errlen))
		rc = LV_ERR_INVALID_ARG;
	if (!rc)
		*out = *def;
	free(def);
	return rc;
}
