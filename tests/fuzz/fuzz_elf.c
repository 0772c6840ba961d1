/* libFuzzer target: elf_load() on arbitrary bytes.  A refused file must
 * leave guest memory untouched; an accepted one must respect the bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf_load.h"

#define RAM (16ULL << 20)
#define MIN 0x200000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	if (!ram)
		ram = calloc(1, RAM);
	struct elf_image img;
	char err[160];
	ram[MIN] = 0x5a;
	if (elf_load(data, size, ram, RAM, MIN, &img, err, sizeof(err)) != 0) {
		if (ram[MIN] != 0x5a || strlen(err) == 0)
			abort();
		return 0;
	}
	if (img.lo < MIN || img.hi > RAM || img.lo >= img.hi || img.entry < img.lo || img.entry >= img.hi)
		abort();
	return 0;
}
