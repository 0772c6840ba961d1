/*
 * cmd_lifecycle.c - verbs that change tenants: define, create, undefine,
 * start, shutdown, destroy, set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tenant_json.h"
#include "tenant_yaml.h"

static int need_name(int argc, char **argv, const char *verb)
{
	if (argc < 1 || !tenant_name_valid(argv[0])) {
		fprintf(stderr, "aivisor %s: %s\n", verb, argc < 1 ? "missing tenant NAME" : "invalid tenant NAME");
		return -1;
	}
	return 0;
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || !*s || *end || s[0] == '-' || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* define/create: the config is parsed and checked here, so errors name
 * file:line; the daemon checks the definition again on arrival. */
static int define_file(int argc, char **argv, const char *verb, bool start)
{
	if (argc != 1) {
		fprintf(stderr, "usage: aivisor %s FILE\n", verb);
		return CLI_USAGE;
	}
	struct tenant_def *defs;
	size_t n;
	char err[600];
	if (tenant_yaml_load_file(argv[0], &defs, &n, err, sizeof(err))) {
		fprintf(stderr, "aivisor %s: %s\n", verb, err);
		return CLI_INVALID;
	}
	int worst = CLI_OK;
	for (size_t i = 0; i < n; i++) {
		json_t *def = tenant_def_to_json(&defs[i]);
		int code;
		json_t *reply = def ? cli_call(json_pack("{s:s, s:o}", "cmd", start ? "create" : "define", "def", def),
					       &code)
				    : NULL;
		if (!def)
			code = CLI_FAILED;
		if (code == CLI_OK) {
			json_int_t pid = json_integer_value(json_object_get(reply, "pid"));
			if (start)
				printf("tenant %s created and started (pid %lld)\n", defs[i].name, (long long)pid);
			else
				printf("tenant %s defined (uuid %s)\n", defs[i].name,
				       json_string_value(json_object_get(reply, "uuid")));
		}
		json_decref(reply);
		if (code != CLI_OK && worst == CLI_OK)
			worst = code;
		if (code == CLI_NO_DAEMON)
			break;
	}
	free(defs);
	return worst;
}

int cmd_define(int argc, char **argv)
{
	return define_file(argc, argv, "define", false);
}

int cmd_create(int argc, char **argv)
{
	return define_file(argc, argv, "create", true);
}

static int name_only(int argc, char **argv, const char *verb, const char *done)
{
	if (need_name(argc, argv, verb) || argc != 1)
		return CLI_USAGE;
	int rc = cli_simple(json_pack("{s:s, s:s}", "cmd", verb, "name", argv[0]));
	if (rc == CLI_OK)
		printf("tenant %s %s\n", argv[0], done);
	return rc;
}

int cmd_undefine(int argc, char **argv)
{
	return name_only(argc, argv, "undefine", "undefined");
}

int cmd_start(int argc, char **argv)
{
	return name_only(argc, argv, "start", "started");
}

int cmd_destroy(int argc, char **argv)
{
	return name_only(argc, argv, "destroy", "destroyed");
}

int cmd_shutdown(int argc, char **argv)
{
	unsigned timeout = 10;
	if (need_name(argc, argv, "shutdown"))
		return CLI_USAGE;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc && parse_uint(argv[i + 1], 3600, &timeout)) {
			i++;
			continue;
		}
		fprintf(stderr, "usage: aivisor shutdown NAME [--timeout SECONDS(0..3600)]\n");
		return CLI_USAGE;
	}
	int rc = cli_simple(json_pack("{s:s, s:s, s:i}", "cmd", "shutdown", "name", argv[0], "timeout", (int)timeout));
	if (rc == CLI_OK)
		printf("tenant %s shut down\n", argv[0]);
	return rc;
}

int cmd_set(int argc, char **argv)
{
	if (need_name(argc, argv, "set"))
		return CLI_USAGE;
	json_t *req = json_pack("{s:s, s:s}", "cmd", "set", "name", argv[0]);
	if (!req)
		return CLI_FAILED;
	int nset = 0;
	for (int i = 1; i < argc; i++) {
		const char *flag = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned v;
		const char *key = !strcmp(flag, "--vgpu-weight")	? "vgpu_weight"
				  : !strcmp(flag, "--cpu-weight")	? "cpu_weight"
				  : !strcmp(flag, "--cpu-cap")		? "cpu_cap_percent"
				  : !strcmp(flag, "--priority")		? "priority"
									: NULL;
		if (!key || !val) {
			fprintf(stderr, "aivisor set: %s %s\n", flag, key ? "needs a value" : "is not a known option");
			json_decref(req);
			return CLI_USAGE;
		}
		if (!strcmp(key, "priority")) {
			enum tenant_priority p;
			if (tenant_priority_parse(val, &p)) {
				fprintf(stderr, "aivisor set: --priority must be high, normal or low\n");
				json_decref(req);
				return CLI_USAGE;
			}
			json_object_set_new(req, key, json_string(val));
		} else {
			if (!parse_uint(val, 1000000, &v)) {
				fprintf(stderr, "aivisor set: %s: '%s' is not a non-negative integer\n", flag, val);
				json_decref(req);
				return CLI_USAGE;
			}
			json_object_set_new(req, key, json_integer(v));
		}
		nset++;
		i++;
	}
	if (!nset) {
		fprintf(stderr, "usage: aivisor set NAME [--vgpu-weight W] [--cpu-weight W] [--cpu-cap PCT] "
				"[--priority P]\n");
		json_decref(req);
		return CLI_USAGE;
	}
	int rc = cli_simple(req);
	if (rc == CLI_OK)
		printf("tenant %s updated\n", argv[0]);
	return rc;
}
