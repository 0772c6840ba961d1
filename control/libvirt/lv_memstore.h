/*
 * lv_memstore.h - an in-memory tenant registry behind struct lv_backend.
 *
 * It runs no VMs: start marks a tenant running and gives it an id.  It is
 * what the unit tests, the fuzzer and aivisor-lvtestd (the protocol test
 * server) serve, and the reference for the semantics aivisord implements:
 * define = create or update by name/uuid, undefine refuses a running tenant,
 * live scheduler changes need a running tenant and last until it stops.
 */
#ifndef AIVISOR_LV_MEMSTORE_H
#define AIVISOR_LV_MEMSTORE_H

#include "lv_backend.h"

struct lv_memstore;

struct lv_memstore *lv_memstore_new(void);
void lv_memstore_free(struct lv_memstore *m);
/* Fills be so that its calls go to m (thread-safe). */
void lv_memstore_backend(struct lv_memstore *m, struct lv_backend *be);

#endif
