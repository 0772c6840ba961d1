/*
 * aivisor - the user-facing command.
 *
 * Verbs are looked up in one table; each lives in its own file where it is
 * more than a few lines.  `run` hands its arguments to aivisor-vmm, found
 * next to this binary, so that `aivisor run` and a daemon-started VM run
 * the very same VMM code.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int exec_sibling(const char *prog, int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "aivisor: cannot find own path: %s\n", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	char path[PATH_MAX];
	if (!slash || snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - self), self, prog) >= (int)sizeof(path)) {
		fprintf(stderr, "aivisor: path too long\n");
		return 1;
	}
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args) {
		fprintf(stderr, "aivisor: out of memory\n");
		return 1;
	}
	args[0] = (char *)prog;
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	execv(path, args);
	fprintf(stderr, "aivisor: cannot run %s: %s\n", path, strerror(errno));
	free(args);
	return 1;
}

static int cmd_run(int argc, char **argv)
{
	return exec_sibling("aivisor-vmm", argc, argv);
}

static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} verbs[] = {
	{ "run", cmd_run, "run [--memory MIB] [--vcpus N] [--share HOSTDIR[:GUESTDIR]] [--timeout S] PROGRAM [ARGS...]" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: aivisor VERB [ARGS...]\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  aivisor %s\n", verbs[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "aivisor: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
