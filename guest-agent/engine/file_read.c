/*
 * file_read.c - reads a whole file into a growing buffer, refusing one
 * larger than the caller's cap before it can exhaust memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"

#define FIRST_CHUNK 65536

int eng_file_read(const char *path, unsigned long long max, void **buf,
		  size_t *len, struct eng_err *err)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t used = 0, cap = 0, n;

	if (!f)
		return eng_errorf(err, "%s: %s", path, strerror(errno));
	do {
		if (used == cap) {
			char *nb;

			if (cap >= max) {
				fclose(f);
				free(b);
				return eng_errorf(err, "%s: larger than %llu bytes",
						  path, max);
			}
			cap = cap ? cap * 2 : FIRST_CHUNK;
			nb = realloc(b, cap);
			if (!nb) {
				fclose(f);
				free(b);
				return eng_errorf(err, "%s: out of memory", path);
			}
			b = nb;
		}
		n = fread(b + used, 1, cap - used, f);
		used += n;
	} while (n > 0);
	if (ferror(f)) {
		fclose(f);
		free(b);
		return eng_errorf(err, "%s: read error", path);
	}
	fclose(f);
	*buf = b;
	*len = used;
	return 0;
}
