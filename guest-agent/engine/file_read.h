/*
 * file_read.h - reading a whole input file into memory, with a size cap
 * (internal to the engine: the CSV and model-file loaders).
 */
#ifndef ENGINE_FILE_READ_H
#define ENGINE_FILE_READ_H

#include <stddef.h>

#include "engine_error.h"

/* Reads all of `path` into a new buffer (*buf, *len; free() it).  A file
 * that does not fit in `max` bytes is refused rather than read.  Returns
 * 0, or -1 with err naming the file and the cause. */
int eng_file_read(const char *path, unsigned long long max, void **buf,
		  size_t *len, struct eng_err *err);

#endif
