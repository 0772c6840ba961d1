/* libFuzzer target: the syscall decoder and every handler over a fake
 * guest (no KVM).  Input: 64 bytes copied into guest memory, then records
 * of 8 x 8 bytes: a selector, the number and six arguments.  Selector bits
 * turn an argument into an address inside the data window, so handlers
 * see both hostile and plausible pointers. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall.h"
#include "../unit/test_vmm_fake_guest.h"

#define WINDOW 0x300000ULL     /* user address of the data window */
#define WINDOW_SIZE 0x10000ULL
#define MAX_CALLS 64

static struct guest g;
static struct fake_state st;
static int devnull;
static char dir[] = "/tmp/fuzz_syscall.XXXXXX", path[64];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = open("/dev/null", O_RDWR);
	if (devnull < 0 || !mkdtemp(dir) || fake_guest_init(&g, &st, devnull, devnull, devnull))
		abort();
	atexit(cleanup);
	char spec[64], err[256];
	snprintf(path, sizeof(path), "%s/f", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fputs("shared file contents\n", f);
	fclose(f);
	snprintf(spec, sizeof(spec), "%s:/data", dir);
	if (shares_add(&g.shares, spec, err, sizeof(err)))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *win = guest_mem_ptr(&g.mem, WINDOW, WINDOW_SIZE);
	memset(win, 0, WINDOW_SIZE);
	size_t head = size < 64 ? size : 64;
	memcpy(win, data, head);
	memcpy(win + 0x1000, "/data/f", 8);
	data += head;
	size -= head;
	mm_free(&g.mm);
	if (mm_init(&g.mm, FAKE_MM_LO, FAKE_MM_HI, fake_discard, &g.mem))
		abort();
	fd_table_close_all(&g.fds);
	fd_table_init(&g.fds, devnull, devnull, devnull);

	for (int n = 0; size >= 64 && n < MAX_CALLS; n++, data += 64, size -= 64) {
		uint64_t w[8];
		memcpy(w, data, sizeof(w));
		struct syscall_args a = { .nr = w[1] };
		if (w[0] & 0x100)
			a.nr &= 0x1ff; /* mostly numbers that exist */
		for (int i = 0; i < 6; i++) {
			a.a[i] = w[2 + i];
			if (w[0] & (1u << i))
				a.a[i] = WINDOW + a.a[i] % WINDOW_SIZE;
		}
		/* Megabytes of randomness per call only make inputs slow
		 * (libFuzzer timeouts), not more interesting. */
		if (a.nr == SYS_getrandom && a.a[1] > 4096)
			a.a[1] = 4096;
		g.exited = false;
		syscall_dispatch(&g, &a);
	}
	return 0;
}
