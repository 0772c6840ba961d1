/*
 * ivshmem_proto.c - encoding of QEMU's ivshmem server messages (see
 * ivshmem_proto.h).
 */
#include "ivshmem_proto.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int ivshmem_proto_send(int sock, int64_t value, int fd)
{
	uint64_t le = htole64((uint64_t)value);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof le };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&u, 0, sizeof u);
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof u.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n == (ssize_t)sizeof le)
			return 0;
		if (n >= 0)
			return -EPROTO;  /* a stream socket never sends 8 bytes partly here */
		if (errno != EINTR)
			return -errno;
	}
}

int ivshmem_proto_greet(int sock, int shm_fd, int doorbell_fd, int complete_fd)
{
	int rc;
	if ((rc = ivshmem_proto_send(sock, IVSHMEM_PROTO_VERSION, -1)) ||
	    (rc = ivshmem_proto_send(sock, IVSHMEM_PEER_GUEST, -1)) ||
	    (rc = ivshmem_proto_send(sock, IVSHMEM_SHM_MSG, shm_fd)) ||
	    (rc = ivshmem_proto_send(sock, IVSHMEM_PEER_VGPU, doorbell_fd)) ||
	    (rc = ivshmem_proto_send(sock, IVSHMEM_PEER_GUEST, complete_fd)))
		return rc;
	return 0;
}

int ivshmem_proto_recv(int sock, int64_t *value, int *fd)
{
	uint64_t le;
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof le };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof u.buf,
	};
	*fd = -1;
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* Take ownership of any descriptor before judging the message, so a
	 * bad one never leaks an fd. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
			if (*fd < 0)
				*fd = f;
			else
				close(f);
		}
	}
	if (n == 0)
		return -EPIPE;
	if (n != (ssize_t)sizeof le || (msg.msg_flags & MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	*value = (int64_t)le64toh(le);
	return 0;
}
