/*
 * cmd_show.c - verbs that only look: list, info, stats, logs, console.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tenant.h"

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

static long long jint(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_exit(const json_t *t)
{
	const char *last = jstr(t, "last_exit");
	if (!strcmp(last, "exit"))
		printf("exit %lld", jint(t, "exit_code"));
	else if (!strcmp(last, "signal"))
		printf("signal %lld", jint(t, "exit_signal"));
	else
		printf("%s", last);
}

int cmd_list(int argc, char **argv)
{
	bool all = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--all")) {
			fprintf(stderr, "usage: aivisor list [--all]\n");
			return CLI_USAGE;
		}
		all = true;
	}
	int code;
	json_t *reply = cli_call(json_pack("{s:s, s:b}", "cmd", "list", "all", all), &code);
	if (code != CLI_OK) {
		json_decref(reply);
		return code;
	}
	printf("%-20s %-9s %7s %5s %8s %-7s %5s %8s %8s  %s\n", "NAME", "STATE", "PID", "VCPUS", "MEM_MIB", "PRIO",
	       "VGPUW", "RESTARTS", "CRASHES", "LAST_EXIT");
	size_t i;
	const json_t *t;
	json_array_foreach(json_object_get(reply, "tenants"), i, t) {
		printf("%-20s %-9s %7lld %5lld %8lld %-7s %5lld %8lld %8lld  ", jstr(t, "name"), jstr(t, "state"),
		       jint(t, "pid"), jint(t, "vcpus"), jint(t, "memory_mib"), jstr(t, "vgpu_priority"),
		       jint(t, "vgpu_weight"), jint(t, "restarts"), jint(t, "crashes"));
		print_exit(t);
		printf("\n");
	}
	json_decref(reply);
	return CLI_OK;
}

int cmd_info(int argc, char **argv)
{
	if (argc != 1 || !tenant_name_valid(argv[0])) {
		fprintf(stderr, "usage: aivisor info NAME\n");
		return CLI_USAGE;
	}
	int code;
	json_t *reply = cli_call(json_pack("{s:s, s:s}", "cmd", "info", "name", argv[0]), &code);
	if (code != CLI_OK) {
		json_decref(reply);
		return code;
	}
	printf("name:        %s\nuuid:        %s\nkind:        %s\nstate:       %s\n", jstr(reply, "name"),
	       jstr(reply, "uuid"), jstr(reply, "kind"), jstr(reply, "state"));
	/* A qemu tenant's process is its ivshmem bridge; QEMU is libvirt's. */
	if (jint(reply, "pid"))
		printf("pid:         %lld%s\n", jint(reply, "pid"),
		       strcmp(jstr(reply, "kind"), "qemu") ? "" : " (ivshmem bridge)");
	printf("restarts:    %lld\ncrashes:     %lld\nlast exit:   ", jint(reply, "restarts"), jint(reply, "crashes"));
	print_exit(reply);
	printf("\ncpu time:    %.3f s\nmemory:      %lld KiB resident\nvgpu time:   %.3f s (queue wait %.3f s, "
	       "%lld commands)\nconsole log: %s\ndefinition:\n",
	       (double)jint(reply, "cpu_time_ns") / 1e9, jint(reply, "rss_kib"),
	       (double)jint(reply, "vgpu_time_ns") / 1e9, (double)jint(reply, "vgpu_queue_wait_ns") / 1e9,
	       jint(reply, "vgpu_commands"), jstr(reply, "console_log"));
	json_dumpf(json_object_get(reply, "def"), stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("\n");
	json_decref(reply);
	return CLI_OK;
}

int cmd_stats(int argc, char **argv)
{
	bool as_json = argc == 1 && !strcmp(argv[0], "--json");
	if (argc > 1 || (argc == 1 && !as_json)) {
		fprintf(stderr, "usage: aivisor stats [--json]\n");
		return CLI_USAGE;
	}
	int code;
	json_t *reply = cli_call(json_pack("{s:s}", "cmd", "stats"), &code);
	if (code != CLI_OK) {
		json_decref(reply);
		return code;
	}
	if (as_json) {
		json_dumpf(reply, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("\n");
		json_decref(reply);
		return CLI_OK;
	}
	const json_t *h = json_object_get(reply, "host");
	printf("tenants: %lld defined, %lld running; vGPU server: %s, backend %s (%lld restarts)\n",
	       jint(h, "tenants"), jint(h, "running"), jstr(h, "vgpu_server"),
	       *jstr(h, "vgpu_backend") ? jstr(h, "vgpu_backend") : "unknown", jint(h, "vgpu_server_restarts"));
	printf("%-20s %-9s %10s %10s %10s %12s %9s\n", "NAME", "STATE", "CPU_S", "RSS_KIB", "VGPU_S", "VGPU_WAIT_S",
	       "VGPU_CMDS");
	size_t i;
	const json_t *t;
	json_array_foreach(json_object_get(reply, "tenants"), i, t) {
		printf("%-20s %-9s %10.3f %10lld %10.3f %12.3f %9lld\n", jstr(t, "name"), jstr(t, "state"),
		       (double)jint(t, "cpu_time_ns") / 1e9, jint(t, "rss_kib"), (double)jint(t, "vgpu_time_ns") / 1e9,
		       (double)jint(t, "vgpu_queue_wait_ns") / 1e9, jint(t, "vgpu_commands"));
	}
	json_decref(reply);
	return CLI_OK;
}

/* Fetches the log from offset (-1: the last max bytes) and prints it;
 * returns the next offset or -1 after an error (its code in *code). */
static long long fetch_log(const char *name, long long offset, long long max, int *code)
{
	json_t *req = json_pack("{s:s, s:s, s:I}", "cmd", "logs", "name", name, "max_bytes", (json_int_t)max);
	if (req && offset >= 0)
		json_object_set_new(req, "offset", json_integer(offset));
	json_t *reply = cli_call(req, code);
	if (*code != CLI_OK) {
		json_decref(reply);
		return -1;
	}
	const json_t *data = json_object_get(reply, "data");
	fwrite(json_string_value(data), 1, json_string_length(data), stdout);
	fflush(stdout);
	long long next = jint(reply, "next_offset");
	json_decref(reply);
	return next;
}

int cmd_logs(int argc, char **argv)
{
	unsigned long max = 65536;
	if (argc < 1 || !tenant_name_valid(argv[0]) || (argc != 1 && argc != 3) ||
	    (argc == 3 && (strcmp(argv[1], "--bytes") || !(max = strtoul(argv[2], NULL, 10)) || max > 262144))) {
		fprintf(stderr, "usage: aivisor logs NAME [--bytes N (1..262144)]\n");
		return CLI_USAGE;
	}
	int code;
	fetch_log(argv[0], -1, (long long)max, &code);
	return code;
}

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

int cmd_console(int argc, char **argv)
{
	if (argc != 1 || !tenant_name_valid(argv[0])) {
		fprintf(stderr, "usage: aivisor console NAME\n");
		return CLI_USAGE;
	}
	/* Read-only: guests take no console input (stdin is /dev/null). */
	signal(SIGINT, on_sigint);
	int code;
	long long off = fetch_log(argv[0], -1, 65536, &code);
	while (off >= 0 && !interrupted) {
		struct timespec ts = { 0, 200 * 1000000L };
		nanosleep(&ts, NULL);
		off = fetch_log(argv[0], off, 262144, &code);
	}
	return interrupted ? CLI_OK : code;
}
