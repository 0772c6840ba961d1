/*
 * main.c - aivisor-agent: the program tenants run.  One verb per concern
 * (cmd_*.c); the same static binary runs inside a microVM (vGPU found via
 * AIVISOR_VGPU=mvm:...) and on the host as a process tenant
 * (AIVISOR_VGPU=unix:SOCKET).
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"

static const char usage[] =
"usage: aivisor-agent VERB [--option value ...]\n"
"  train    --data CSV --model SPEC [--label COL] [--activation relu|sigmoid|tanh]\n"
"           [--loss xent|mse] [--optimizer sgd|momentum|adam] [--lr X]\n"
"           [--momentum X] [--weight-decay X] [--batch N] [--epochs N] [--seed N]\n"
"           [--val-split F] [--test-split F] [--scale none|standard|minmax|1/N]\n"
"           [--save FILE] [--quiet]\n"
"  eval     --model FILE --data CSV [--label COL] [--test-split F --seed N]\n"
"  predict  --model FILE --data CSV [--label COL] [--proba]   (one prediction per line)\n"
"  quantize --model FILE --out FILE [--data CSV [--label COL] [--test-split F --seed N]]\n"
"  serve    --model FILE [--proba]   (a CSV row per stdin line -> a prediction per line)\n"
"  bench    --data CSV [--label COL] [--epochs N] [--runs N]\n"
"SPEC is layer widths from inputs to outputs, e.g. 64-128-64-10.  --proba prints\n"
"class probabilities instead of the class.\n";

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} verbs[] = {
		{ "train", cmd_train },	      { "eval", cmd_eval },
		{ "predict", cmd_predict },   { "quantize", cmd_quantize },
		{ "serve", cmd_serve },	      { "bench", cmd_bench },
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? AGENT_EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "aivisor-agent: unknown verb '%s'\n%s", argv[1], usage);
	return AGENT_EXIT_USAGE;
}
