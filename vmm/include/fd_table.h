/*
 * fd_table.h - the guest's file descriptors: a bounded table mapping guest
 * fd numbers to host fds.  0, 1 and 2 start as the console.
 */
#ifndef AIVISOR_FD_TABLE_H
#define AIVISOR_FD_TABLE_H

#include <stdbool.h>

#define FD_TABLE_MAX 64

enum fd_kind { FD_FREE = 0, FD_CONSOLE, FD_FILE };

struct guest_fd {
	enum fd_kind kind;
	int host_fd;
	int share_idx;   /* FD_FILE: which share it was opened under */
	int open_flags;  /* guest's O_ACCMODE | O_APPEND, for F_GETFL */
	bool cloexec;
};

struct fd_table {
	struct guest_fd fd[FD_TABLE_MAX];
};

/* Console fds 0, 1, 2 refer to the given host fds (not owned). */
void fd_table_init(struct fd_table *t, int host_in, int host_out, int host_err);
/* Lowest free guest fd for a host fd, or -EMFILE (the host fd is closed). */
int fd_table_install(struct fd_table *t, int host_fd, int share_idx, int open_flags);
/* The entry for a guest fd number, or NULL (EBADF). */
struct guest_fd *fd_table_get(struct fd_table *t, long fd);
int fd_table_close(struct fd_table *t, long fd);
void fd_table_close_all(struct fd_table *t);

#endif
