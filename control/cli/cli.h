/*
 * cli.h - shared pieces of the aivisor CLI: talking to aivisord and the
 * exit codes scripts rely on (docs/DAEMON.md, "CLI exit codes").
 */
#ifndef AIVISOR_CLI_H
#define AIVISOR_CLI_H

#include <jansson.h>

enum cli_exit {
	CLI_OK = 0,
	CLI_FAILED = 1,       /* the operation failed (daemon-side error, I/O, timeout) */
	CLI_USAGE = 2,        /* bad command line */
	CLI_NO_DAEMON = 3,    /* aivisord is not reachable */
	CLI_NOT_FOUND = 4,    /* no such tenant */
	CLI_INVALID = 5,      /* invalid definition or config file */
	CLI_CONFLICT = 6,     /* exists / busy / not running: the tenant's state forbids it */
	CLI_NO_CAPACITY = 7,  /* the host cannot fit the tenant (admission refused) */
};

/* Socket path: $AIVISOR_SOCKET, else /run/aivisor/aivisord.sock. */
const char *cli_socket_path(void);

/*
 * Sends one request, returns the reply object (new reference) or NULL
 * after printing why (daemon unreachable: *code = CLI_NO_DAEMON). A reply
 * with "ok": false is printed as "aivisor: <message>" and mapped to an exit
 * code in *code; the reply is still returned.
 */
json_t *cli_call(json_t *req, int *code);

/* cli_call for requests whose reply only matters as success/failure. */
int cli_simple(json_t *req);

/* The exit code for an error reply's code string. */
int cli_exit_for(const char *code);

/* Running a sibling program (aivisor-vmm, aivisord) in place of this one. */
int cli_exec_sibling(const char *prog, int argc, char **argv);

int cmd_define(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_undefine(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
