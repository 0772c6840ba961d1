/*
 * aivisor - the user-facing command.
 *
 * Verbs are looked up in one table; each lives in a file by concern
 * (cmd_lifecycle.c, cmd_show.c, cmd_top.c, cmd_run.c). `run` and `daemon`
 * hand their arguments to aivisor-vmm / aivisord found next to this binary,
 * so the CLI and the daemon run the very same code. Exit codes: cli.h.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int cmd_daemon(int argc, char **argv)
{
	return cli_exec_sibling("aivisord", argc, argv);
}

static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} verbs[] = {
	{ "define", cmd_define, "define FILE                 define (or update) the tenants in a YAML file" },
	{ "create", cmd_create, "create FILE                 define and start the tenants in a YAML file" },
	{ "undefine", cmd_undefine, "undefine NAME               remove a stopped tenant's definition" },
	{ "start", cmd_start, "start NAME                  start a defined tenant" },
	{ "shutdown", cmd_shutdown, "shutdown NAME [--timeout S] stop gracefully (SIGTERM, SIGKILL after S, default 10)" },
	{ "destroy", cmd_destroy, "destroy NAME                stop at once (SIGKILL)" },
	{ "list", cmd_list, "list [--all]                running tenants (--all: every defined one)" },
	{ "info", cmd_info, "info NAME                   a tenant's definition and state" },
	{ "set", cmd_set,
	  "set NAME [--vgpu-weight W] [--cpu-weight W] [--cpu-cap PCT] [--priority high|normal|low]" },
	{ "logs", cmd_logs, "logs NAME [--bytes N]       the end of a tenant's console output" },
	{ "console", cmd_console, "console NAME                follow a tenant's console output (Ctrl-C to leave)" },
	{ "stats", cmd_stats, "stats [--json]              per-tenant CPU, memory and vGPU figures" },
	{ "top", cmd_top, "top [--interval S] [--count N]  live per-tenant CPU and vGPU shares" },
	{ "daemon", cmd_daemon, "daemon [AIVISORD FLAGS]     run aivisord in the foreground" },
	{ "run", cmd_run,
	  "run [--memory MIB] [--vcpus N] [--share HOSTDIR[:GUESTDIR][:rw]]... [--timeout S] [--env K=V]...\n"
	  "              [--vgpu-memory MIB [--vgpu-socket PATH] [--priority high|normal|low] [--vgpu-weight W]]\n"
	  "              [--cpu-weight W] [--cpu-cap PCT] [--cpus LIST] [--cpu-slicing required|best-effort]\n"
	  "              [--console-rate B/S] [--user USER] PROGRAM [ARGS...]   (aivisor-vmm --help: all flags)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: aivisor VERB [ARGS...]   (daemon socket: $AIVISOR_SOCKET, default "
		   "/run/aivisor/aivisord.sock)\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  aivisor %s\n", verbs[i].help);
	fprintf(f, "exit codes: 0 ok, 1 failed, 2 usage, 3 daemon unreachable, 4 no such tenant,\n"
		   "            5 invalid definition, 6 conflicts with the tenant's state, 7 host capacity\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "aivisor: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
