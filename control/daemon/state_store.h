/*
 * state_store.h - one file per tenant in <state-dir>/tenants/, replaced
 * atomically (write temp, fsync, rename, fsync directory), so a crash at any
 * moment leaves either the old or the new record, never a torn one.
 */
#ifndef AIVISOR_STATE_STORE_H
#define AIVISOR_STATE_STORE_H

#include <jansson.h>
#include <stddef.h>

/* Creates <state_dir>/tenants if needed. -1 with a reason in err. */
int state_store_init(const char *state_dir, char *err, size_t errlen);

/* Writes rec as <state_dir>/tenants/<name>.json atomically. On any failure
 * (ENOSPC included) the previous file is untouched and the temp removed;
 * returns -errno with a reason in err. */
int state_store_save(const char *state_dir, const char *name, const json_t *rec, char *err, size_t errlen);

/* Removes the tenant's record durably. Missing is not an error. */
int state_store_remove(const char *state_dir, const char *name, char *err, size_t errlen);

/* Calls fn for every record found (leftover temp files are deleted; a file
 * that does not parse is renamed to *.corrupt and reported through bad_fn).
 * Stops and returns fn's value when it is non-zero. */
int state_store_load_all(const char *state_dir, int (*fn)(const char *name, json_t *rec, void *ctx),
			 void (*bad_fn)(const char *file, const char *why, void *ctx), void *ctx);

#endif
