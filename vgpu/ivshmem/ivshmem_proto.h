/*
 * ivshmem_proto.h - the server side of QEMU's ivshmem-doorbell client/server
 * protocol (QEMU docs/specs/ivshmem-spec), as far as the vGPU needs it.
 *
 * The connection is one-way, server to client.  Every message is one
 * 8-byte little-endian signed number, optionally with one file descriptor
 * (SCM_RIGHTS).  On connect the server sends, in order: the protocol
 * version (0); the client's id; -1 with the shared memory fd; for each
 * other peer, that peer's id once per interrupt vector, each with the
 * eventfd that interrupts it; and finally the client's own id once per
 * vector, each with the eventfd on which it receives interrupts.
 *
 * For a vGPU tenant there is exactly one other peer: the vGPU server, as
 * peer IVSHMEM_PEER_VGPU with one vector whose eventfd is the doorbell the
 * server waits on, so a guest's doorbell-register write (peer 0, vector 0)
 * is delivered by QEMU (or by KVM's ioeventfd) straight to the server.  The
 * client's own single vector is the completion eventfd the server signals.
 */
#ifndef IVSHMEM_PROTO_H
#define IVSHMEM_PROTO_H

#include <stdint.h>

#define IVSHMEM_PROTO_VERSION 0
#define IVSHMEM_PEER_VGPU     0   /* id of the vGPU server as a peer */
#define IVSHMEM_PEER_GUEST    1   /* id given to the QEMU client */
#define IVSHMEM_SHM_MSG       (-1)

/* Sends one message: value (little-endian) plus fd when fd >= 0.
 * Returns 0 or a negative errno. */
int ivshmem_proto_send(int sock, int64_t value, int fd);

/* Sends the whole greeting for one vGPU tenant (see above).
 * Returns 0 or a negative errno (the peer may have gone: -EPIPE). */
int ivshmem_proto_greet(int sock, int shm_fd, int doorbell_fd, int complete_fd);

/* Receives one message (for tests and tools that play the QEMU side):
 * *value gets the number, *fd the descriptor or -1.  0, -EPIPE at end of
 * stream, -EPROTO on a short or oversized message, or a negative errno. */
int ivshmem_proto_recv(int sock, int64_t *value, int *fd);

#endif
