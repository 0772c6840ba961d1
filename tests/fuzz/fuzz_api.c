/*
 * Fuzz target: one request line to the daemon's JSON control API, against
 * a real registry in a throw-away state directory on tmpfs.  The VMM path
 * points nowhere, so `start` fails the way a missing binary does instead of
 * spawning VMs, and no vGPU server runs.  Every request must get a JSON object back with "ok".
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "registry_daemon.h"
#include "vgpud.h"


static struct registry *reg;
static char state_dir[] = "/dev/shm/aivisor-fuzz-api.XXXXXX";

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	nftw(state_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
static struct vgpud *vgpu; /* "absent": no server binary, as with --no-vgpud */

static void setup(void)
{
	struct registry_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (!mkdtemp(state_dir))
		abort();
	atexit(cleanup);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", state_dir);
	snprintf(cfg.vmm_path, sizeof(cfg.vmm_path), "/nonexistent/aivisor-vmm");
	cfg.log_cap_bytes = 4096;
	char err[256];
	reg = registry_open(&cfg, err, sizeof(err));
	if (!reg) {
		fprintf(stderr, "registry_open: %s\n", err);
		abort();
	}
	vgpu = vgpud_start(NULL, "/nonexistent/vgpu.sock", "/dev/null", 0, err, sizeof(err));
	if (!vgpu) {
		fprintf(stderr, "vgpud_start: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!reg)
		setup();
	json_t *reply = api_handle_line(reg, vgpu, (const char *)data, size);
	if (!reply || !json_is_object(reply) || !json_is_boolean(json_object_get(reply, "ok")))
		abort();
	if (json_is_false(json_object_get(reply, "ok")) && !json_object_get(reply, "error"))
		abort(); /* a refusal always says why */
	json_decref(reply);
	return 0;
}
