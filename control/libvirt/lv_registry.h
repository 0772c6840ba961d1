/*
 * lv_registry.h - struct lv_backend over aivisord's tenant registry
 * (control/include/registry.h), so virsh and the aivisor CLI see one set of
 * tenants.  aivisord wires the endpoint with:
 *
 *   struct lv_registry *lr = lv_registry_new(reg, 10);
 *   struct lv_backend be;
 *   lv_registry_backend(lr, &be);
 *   struct lv_endpoint_opts o = { .rw_sock = NULL, .ro_sock = NULL };  // defaults
 *   lv_endpoint_start(&o, &be, &ep, err, sizeof(err));
 *   ...
 *   lv_endpoint_stop(ep);   // first: no more calls into the backend
 *   lv_registry_free(lr);   // waits for shutdowns still in progress
 *   registry_close(reg);
 *
 * Domain ids are the VMM process ids (positive, unique while running).
 * `virsh shutdown` returns at once, as libvirt's does: the graceful stop
 * (SIGTERM, SIGKILL after the timeout) runs on a thread of its own so other
 * virsh clients are not held up.  The registry keeps one copy of the
 * scheduler parameters: --config on a running tenant also applies live.
 */
#ifndef AIVISOR_LV_REGISTRY_H
#define AIVISOR_LV_REGISTRY_H

#include "lv_backend.h"
#include "registry.h"

struct lv_registry;

struct lv_registry *lv_registry_new(struct registry *reg, unsigned shutdown_timeout_s);
void lv_registry_backend(struct lv_registry *lr, struct lv_backend *be);
void lv_registry_free(struct lv_registry *lr);

#endif
