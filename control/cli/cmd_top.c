/*
 * cmd_top.c - `aivisor top`: a live view of each tenant's share of CPU and
 * vGPU time, computed from the daemon's counters between two refreshes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tenant.h"

#define TOP_MAX 1024

struct sample {
	char name[TENANT_NAME_MAX + 1];
	unsigned long long cpu_ns, vgpu_ns;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const struct sample *find(const struct sample *s, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].name, name))
			return &s[i];
	return NULL;
}

int cmd_top(int argc, char **argv)
{
	double interval = 1.0;
	long count = -1;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--interval") && i + 1 < argc && (interval = atof(argv[i + 1])) >= 0.1 &&
		    interval <= 60) {
			i++;
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc && (count = atol(argv[i + 1])) > 0) {
			i++;
		} else {
			fprintf(stderr, "usage: aivisor top [--interval S (0.1..60)] [--count N]\n");
			return CLI_USAGE;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	static struct sample prev[TOP_MAX], cur[TOP_MAX];
	size_t nprev = 0;
	unsigned long long prev_t = 0;
	bool tty = isatty(1);
	for (long round = 0; !stop && (count < 0 || round <= count); round++) {
		int code;
		json_t *reply = cli_call(json_pack("{s:s}", "cmd", "stats"), &code);
		if (code != CLI_OK) {
			json_decref(reply);
			return code;
		}
		const json_t *host = json_object_get(reply, "host");
		unsigned long long now = (unsigned long long)json_integer_value(json_object_get(host, "monotonic_ns"));
		const json_t *ts = json_object_get(reply, "tenants");
		size_t ncur = 0, i;
		const json_t *t;
		unsigned long long dcpu_total = 0, dvgpu_total = 0;
		json_array_foreach(ts, i, t) {
			if (ncur == TOP_MAX)
				break;
			struct sample *s = &cur[ncur++];
			snprintf(s->name, sizeof(s->name), "%s", json_string_value(json_object_get(t, "name")));
			s->cpu_ns = (unsigned long long)json_integer_value(json_object_get(t, "cpu_time_ns"));
			s->vgpu_ns = (unsigned long long)json_integer_value(json_object_get(t, "vgpu_time_ns"));
			const struct sample *p = find(prev, nprev, s->name);
			if (p && s->cpu_ns >= p->cpu_ns)
				dcpu_total += s->cpu_ns - p->cpu_ns;
			if (p && s->vgpu_ns >= p->vgpu_ns)
				dvgpu_total += s->vgpu_ns - p->vgpu_ns;
		}
		if (round > 0) {
			double wall = now > prev_t ? (double)(now - prev_t) : 1.0;
			if (tty)
				printf("\033[H\033[2J");
			printf("aivisor top - %zu tenants, vGPU server %s (every %.1fs, Ctrl-C to quit)\n", ncur,
			       json_string_value(json_object_get(host, "vgpu_server")), interval);
			printf("%-20s %-9s %-7s %6s %6s %9s %9s %9s %9s\n", "NAME", "STATE", "PRIO", "CPU_W", "VGPU_W",
			       "CPU%", "CPU_SHARE", "VGPU%", "VGPU_SHR");
			json_array_foreach(ts, i, t) {
				if (i >= ncur)
					break;
				const struct sample *p = find(prev, nprev, cur[i].name);
				double dc = p && cur[i].cpu_ns >= p->cpu_ns ? (double)(cur[i].cpu_ns - p->cpu_ns) : 0;
				double dv = p && cur[i].vgpu_ns >= p->vgpu_ns ? (double)(cur[i].vgpu_ns - p->vgpu_ns) : 0;
				printf("%-20s %-9s %-7s %6lld %6lld %8.1f%% %8.1f%% %8.1f%% %8.1f%%\n", cur[i].name,
				       json_string_value(json_object_get(t, "state")),
				       json_string_value(json_object_get(t, "vgpu_priority")),
				       (long long)json_integer_value(json_object_get(t, "cpu_weight")),
				       (long long)json_integer_value(json_object_get(t, "vgpu_weight")), 100.0 * dc / wall,
				       dcpu_total ? 100.0 * dc / (double)dcpu_total : 0.0, 100.0 * dv / wall,
				       dvgpu_total ? 100.0 * dv / (double)dvgpu_total : 0.0);
			}
			fflush(stdout);
		}
		json_decref(reply);
		memcpy(prev, cur, ncur * sizeof(cur[0]));
		nprev = ncur;
		prev_t = now;
		if (count >= 0 && round == count)
			break;
		struct timespec d = { (time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9) };
		nanosleep(&d, NULL);
	}
	return CLI_OK;
}
