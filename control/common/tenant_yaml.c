/*
 * tenant_yaml.c - YAML config files -> tenant definitions.
 *
 * libyaml's event stream is turned into a JSON tree (jansson) while a side
 * table remembers the line of every node; the one strict decoder in
 * tenant_json.c then does the checking, and its "bad node" is mapped back to
 * a line. So YAML configs and JSON requests accept exactly the same schema.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "tenant_json.h"
#include "tenant_yaml.h"

#define YAML_MAX_DEPTH 16

struct line_map {
	const json_t **node;
	int *line;
	size_t n, cap;
};

struct loader {
	yaml_parser_t parser;
	const char *name;
	struct line_map map;
	char *err;
	size_t errlen;
};

static int lfail(struct loader *l, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s:%d: %s", l->name, line, msg);
	return -1;
}

static int remember(struct loader *l, const json_t *node, int line)
{
	if (l->map.n == l->map.cap) {
		size_t cap = l->map.cap ? l->map.cap * 2 : 64;
		const json_t **nn = realloc(l->map.node, cap * sizeof(*nn));
		if (!nn)
			return -1;
		l->map.node = nn;
		int *nl = realloc(l->map.line, cap * sizeof(*nl));
		if (!nl)
			return -1;
		l->map.line = nl;
		l->map.cap = cap;
	}
	l->map.node[l->map.n] = node;
	l->map.line[l->map.n] = line;
	l->map.n++;
	return 0;
}

static int line_of(const struct loader *l, const json_t *node)
{
	for (size_t i = 0; i < l->map.n; i++)
		if (l->map.node[i] == node)
			return l->map.line[i];
	return 0;
}

static int next_event(struct loader *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev))
		return lfail(l, (int)l->parser.problem_mark.line + 1, "YAML syntax error: %s",
			     l->parser.problem ? l->parser.problem : "unknown");
	return 0;
}

/* Plain scalars become integers, booleans or null where they look like one;
 * quoted scalars are always strings. */
static json_t *scalar_to_json(struct loader *l, const yaml_event_t *ev, int line)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(s, len);
	if (len == 0 || !strcmp(s, "~") || !strcmp(s, "null"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False"))
		return json_false();
	size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
	if (i < len && strspn(s + i, "0123456789") == len - i) {
		errno = 0;
		char *end;
		long long v = strtoll(s, &end, 10);
		if (errno == ERANGE) {
			lfail(l, line, "number '%.40s' is out of range", s);
			return NULL;
		}
		return json_integer(v);
	}
	return json_stringn(s, len);
}

static json_t *parse_node(struct loader *l, yaml_event_t *ev, int depth);

static json_t *parse_mapping(struct loader *l, int line, int depth)
{
	json_t *obj = json_object();
	if (!obj || remember(l, obj, line)) {
		lfail(l, line, "out of memory");
		goto fail;
	}
	for (;;) {
		yaml_event_t kev;
		if (next_event(l, &kev))
			goto fail;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			return obj;
		}
		int kline = (int)kev.start_mark.line + 1;
		if (kev.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&kev);
			lfail(l, kline, "mapping keys must be plain words");
			goto fail;
		}
		char key[128];
		snprintf(key, sizeof(key), "%s", (const char *)kev.data.scalar.value);
		bool dup = json_object_get(obj, key) != NULL;
		bool too_long = kev.data.scalar.length >= sizeof(key);
		yaml_event_delete(&kev);
		if (too_long) {
			lfail(l, kline, "key '%.40s...' is too long", key);
			goto fail;
		}
		if (dup) {
			lfail(l, kline, "duplicate key '%s'", key);
			goto fail;
		}
		yaml_event_t vev;
		if (next_event(l, &vev))
			goto fail;
		json_t *val = parse_node(l, &vev, depth + 1);
		if (!val || json_object_set_new(obj, key, val)) {
			if (val)
				lfail(l, kline, "out of memory");
			goto fail;
		}
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *parse_sequence(struct loader *l, int line, int depth)
{
	json_t *arr = json_array();
	if (!arr || remember(l, arr, line)) {
		lfail(l, line, "out of memory");
		goto fail;
	}
	for (;;) {
		yaml_event_t ev;
		if (next_event(l, &ev))
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return arr;
		}
		json_t *val = parse_node(l, &ev, depth + 1);
		if (!val || json_array_append_new(arr, val)) {
			if (val)
				lfail(l, line, "out of memory");
			goto fail;
		}
	}
fail:
	json_decref(arr);
	return NULL;
}

/* Consumes ev (and, for collections, the events up to its end). */
static json_t *parse_node(struct loader *l, yaml_event_t *ev, int depth)
{
	int line = (int)ev->start_mark.line + 1;
	json_t *out = NULL;
	if (depth > YAML_MAX_DEPTH) {
		lfail(l, line, "nesting deeper than %d levels", YAML_MAX_DEPTH);
	} else if (ev->type == YAML_SCALAR_EVENT) {
		out = scalar_to_json(l, ev, line);
		if (out && remember(l, out, line)) {
			json_decref(out);
			out = NULL;
			lfail(l, line, "out of memory");
		}
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		out = parse_mapping(l, line, depth);
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		out = parse_sequence(l, line, depth);
	} else if (ev->type == YAML_ALIAS_EVENT) {
		lfail(l, line, "YAML aliases are not supported in tenant configs");
	} else {
		lfail(l, line, "unexpected YAML structure");
	}
	yaml_event_delete(ev);
	return out;
}

static int decode_doc(struct loader *l, json_t *doc, int doc_line, const char *base_dir, struct tenant_def *def)
{
	char why[300];
	const json_t *bad = NULL;
	if (tenant_def_from_json_at(doc, base_dir, def, why, sizeof(why), &bad)) {
		int line = bad ? line_of(l, bad) : 0;
		return lfail(l, line ? line : doc_line, "%s", why);
	}
	return 0;
}

int tenant_yaml_load_buffer(const char *data, size_t len, const char *name, const char *base_dir,
			    struct tenant_def **defs_out, size_t *count_out, char *err, size_t errlen)
{
	struct loader l = { .name = name, .err = err, .errlen = errlen };
	struct tenant_def *defs = NULL;
	size_t count = 0;
	int rc = -1;
	bool stream_done = false;

	if (len > TENANT_YAML_MAX_BYTES)
		return lfail(&l, 0, "file larger than %d bytes", TENANT_YAML_MAX_BYTES);
	if (!yaml_parser_initialize(&l.parser))
		return lfail(&l, 0, "out of memory");
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)data, len);

	while (!stream_done) {
		yaml_event_t ev;
		if (next_event(&l, &ev))
			goto out;
		int line = (int)ev.start_mark.line + 1;
		yaml_event_type_t type = ev.type;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_START_EVENT || type == YAML_DOCUMENT_END_EVENT)
			continue;
		if (type == YAML_STREAM_END_EVENT) {
			stream_done = true;
			continue;
		}
		if (type != YAML_DOCUMENT_START_EVENT) {
			lfail(&l, line, "unexpected YAML structure");
			goto out;
		}
		yaml_event_t root;
		if (next_event(&l, &root))
			goto out;
		int root_line = (int)root.start_mark.line + 1;
		if (root.type == YAML_SCALAR_EVENT && root.data.scalar.length == 0 &&
		    root.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			yaml_event_delete(&root); /* an empty document, e.g. a trailing "---" */
			continue;
		}
		if (count == TENANT_YAML_MAX_DOCS) {
			yaml_event_delete(&root);
			lfail(&l, root_line, "more than %d tenants in one file", TENANT_YAML_MAX_DOCS);
			goto out;
		}
		json_t *doc = parse_node(&l, &root, 0);
		if (!doc)
			goto out;
		struct tenant_def *nd = realloc(defs, (count + 1) * sizeof(*defs));
		if (!nd) {
			json_decref(doc);
			lfail(&l, root_line, "out of memory");
			goto out;
		}
		defs = nd;
		int drc = decode_doc(&l, doc, root_line, base_dir, &defs[count]);
		if (!drc) {
			for (size_t i = 0; i < count; i++)
				if (!strcmp(defs[i].name, defs[count].name)) {
					const json_t *n = json_object_get(doc, "name");
					int nl = n ? line_of(&l, n) : root_line;
					drc = lfail(&l, nl, "duplicate tenant name '%s'", defs[count].name);
					break;
				}
		}
		json_decref(doc);
		l.map.n = 0; /* nodes of this document are gone */
		if (drc)
			goto out;
		count++;
	}
	if (count == 0) {
		lfail(&l, 1, "no tenant definition in file");
		goto out;
	}
	*defs_out = defs;
	*count_out = count;
	defs = NULL;
	rc = 0;
out:
	free(defs);
	free(l.map.node);
	free(l.map.line);
	yaml_parser_delete(&l.parser);
	return rc;
}

int tenant_yaml_load_file(const char *path, struct tenant_def **defs, size_t *count, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size > TENANT_YAML_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, TENANT_YAML_MAX_BYTES);
		close(fd);
		return -1;
	}
	size_t size = (size_t)st.st_size;
	char *buf = malloc(size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: read failed: %s", path, n < 0 ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[size] = '\0';

	/* Relative paths in the file are relative to the file's directory. */
	char abs[PATH_MAX];
	char dir[PATH_MAX];
	if (!realpath(path, abs)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", dirname(abs));
	int rc = tenant_yaml_load_buffer(buf, size, path, dir, defs, count, err, errlen);
	free(buf);
	return rc;
}
