/*
 * lv_backend.h - what the libvirt endpoint needs from the tenant registry.
 *
 * The endpoint (lv_endpoint.h) speaks libvirt's remote protocol and turns
 * each virsh call into one call of this table.  aivisord implements it over
 * its registry; tests and fuzzers use the in-memory lv_memstore.
 *
 * Conventions:
 *  - Every domain is identified by its 16-byte UUID (virsh sends back the
 *    whole reference; libvirt itself resolves by UUID, so do we).
 *  - Every function returns 0 on success or a libvirt error number
 *    (LV_ERR_*, the public virErrorNumber values) with a human message in
 *    err[errlen]; virsh prints that message after "error: ".
 *  - Functions are called from the endpoint's own thread, one at a time;
 *    the implementation must lock its registry against its other users.
 *  - A call may block (start spawns a VM); other virsh clients wait meanwhile.
 */
#ifndef AIVISOR_LV_BACKEND_H
#define AIVISOR_LV_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lv_uuid.h"
#include "tenant.h"

/* libvirt error numbers (public virterror.h values) the endpoint uses. */
enum lv_err {
	LV_OK = 0,
	LV_ERR_INTERNAL = 1,
	LV_ERR_NO_SUPPORT = 3,
	LV_ERR_NO_CONNECT = 5,
	LV_ERR_INVALID_CONN = 6,
	LV_ERR_INVALID_ARG = 8,
	LV_ERR_OPERATION_FAILED = 9,
	LV_ERR_XML_ERROR = 27,
	LV_ERR_DOM_EXIST = 28,
	LV_ERR_OPERATION_DENIED = 29,
	LV_ERR_RPC = 39,
	LV_ERR_NO_DOMAIN = 42,
	LV_ERR_OPERATION_INVALID = 55,
};

/* Domain states and reasons (virDomainState and its reason enums). */
enum lv_state {
	LV_STATE_NOSTATE = 0,
	LV_STATE_RUNNING = 1,
	LV_STATE_PAUSED = 3,
	LV_STATE_SHUTDOWN = 4,	/* shutting down */
	LV_STATE_SHUTOFF = 5,
	LV_STATE_CRASHED = 6,
};
#define LV_REASON_RUNNING_BOOTED 1
#define LV_REASON_SHUTOFF_UNKNOWN 0
#define LV_REASON_SHUTOFF_SHUTDOWN 1
#define LV_REASON_SHUTOFF_DESTROYED 2
#define LV_REASON_SHUTOFF_CRASHED 3
#define LV_REASON_SHUTOFF_FAILED 6


/* A domain as listings and lookups return it. */
struct lv_dom_info {
	char name[TENANT_NAME_MAX + 1];
	unsigned char uuid[LV_UUID_LEN];
	int32_t id;		/* -1 when not running */
	enum lv_state state;
	int32_t reason;
	uint64_t cpu_time_ns;
	uint64_t memory_kib;	/* current */
	uint64_t max_memory_kib;
	uint32_t vcpus;
	bool autostart;
};

/*
 * Scheduler parameters shown and set by `virsh schedinfo`: "cpu_shares" is
 * the tenant's cpu_weight (libvirt on cgroup v2 also writes shares as
 * cpu.weight, 1..10000), "vgpu_weight" its vGPU weight.
 */
struct lv_sched {
	bool has_cpu_weight, has_vgpu_weight;	/* for set: which to change */
	unsigned cpu_weight;
	unsigned vgpu_weight;
};
/* Which copy get_sched/set_sched touch (virDomainModificationImpact). */
#define LV_AFFECT_CURRENT 0u	/* live if running, else config */
#define LV_AFFECT_LIVE 1u
#define LV_AFFECT_CONFIG 2u

struct lv_host_info {
	char model[32];		/* e.g. "x86_64", NUL-terminated */
	uint64_t memory_kib;
	int32_t cpus, mhz, nodes, sockets, cores, threads;
	char hostname[256];
};

/* One domain found by list(); return nonzero to stop early. */
typedef int (*lv_list_cb)(void *arg, const struct lv_dom_info *dom);

struct lv_backend {
	void *ctx;
	/* Every defined tenant, in a stable order. */
	int (*list)(void *ctx, lv_list_cb cb, void *arg, char *err, size_t errlen);
	int (*lookup_uuid)(void *ctx, const unsigned char uuid[LV_UUID_LEN], struct lv_dom_info *out, char *err, size_t errlen);
	int (*lookup_name)(void *ctx, const char *name, struct lv_dom_info *out, char *err, size_t errlen);
	int (*lookup_id)(void *ctx, int32_t id, struct lv_dom_info *out, char *err, size_t errlen);
	/* The definition; live=true gives the running copy where it differs. */
	int (*get_def)(void *ctx, const unsigned char uuid[LV_UUID_LEN], bool live, struct tenant_def *out, char *err, size_t errlen);
	/* Defines a new tenant or updates the one with this name (uuid "" =
	 * generate or keep); def is already validated; whole or nothing. */
	int (*define)(void *ctx, const struct tenant_def *def, struct lv_dom_info *out, char *err, size_t errlen);
	int (*undefine)(void *ctx, const unsigned char uuid[LV_UUID_LEN], char *err, size_t errlen);
	int (*start)(void *ctx, const unsigned char uuid[LV_UUID_LEN], char *err, size_t errlen);
	/* Asks the guest to stop; may return before it has. */
	int (*shutdown)(void *ctx, const unsigned char uuid[LV_UUID_LEN], char *err, size_t errlen);
	int (*destroy)(void *ctx, const unsigned char uuid[LV_UUID_LEN], char *err, size_t errlen);
	int (*get_sched)(void *ctx, const unsigned char uuid[LV_UUID_LEN], unsigned affect, struct lv_sched *out, char *err, size_t errlen);
	int (*set_sched)(void *ctx, const unsigned char uuid[LV_UUID_LEN], unsigned affect, const struct lv_sched *in, char *err, size_t errlen);
	int (*host_info)(void *ctx, struct lv_host_info *out, char *err, size_t errlen);
};

#endif
