/*
 * vgpu_proto.h - the messages on the vGPU server's UNIX socket
 * (SOCK_SEQPACKET).  Internal to vgpu/: tenants use vgpu_host.h.
 *
 * ATTACH: one vgpu_req message carrying three fds with SCM_RIGHTS (window
 * memfd, doorbell eventfd, completion eventfd); the server answers one
 * vgpu_resp.  The connection then stays open for the tenant's lifetime; its
 * hang-up detaches the tenant.
 * STATS: one vgpu_req without fds; the answer is a vgpu_resp whose
 * payload_len bytes of JSON follow in messages of at most
 * VGPU_PROTO_CHUNK bytes.
 * SET: one vgpu_req without fds naming an attached tenant by tenant_id
 * (nonzero) or else by name, with its new prio and weight; the answer is a
 * vgpu_resp (0, -ENOENT, -EINVAL, or -EEXIST when several tenants have
 * that name) with the tenant's id.
 */
#ifndef VGPU_PROTO_H
#define VGPU_PROTO_H

#include <stdint.h>
#include "vgpu_host.h"

#define VGPU_PROTO_MAGIC   0x56475052u /* "RPGV" */
#define VGPU_PROTO_VERSION 1u
#define VGPU_PROTO_CHUNK   32768u
#define VGPU_PROTO_MSG_MAX 160u
#define VGPU_STATS_MAX     (4u << 20)

enum vgpu_req_kind {
	VGPU_REQ_ATTACH = 1,
	VGPU_REQ_STATS = 2,
	VGPU_REQ_SET = 3,
};

struct vgpu_req {
	uint32_t magic, version, kind, prio, weight;
	uint32_t tenant_id;       /* SET: the tenant, or 0 to go by name */
	char name[VGPU_NAME_MAX];
};

struct vgpu_resp {
	int32_t result;           /* 0 or -errno */
	uint32_t tenant_id;
	uint32_t payload_len;
	uint32_t reserved;
	char message[VGPU_PROTO_MSG_MAX];
};

#endif
