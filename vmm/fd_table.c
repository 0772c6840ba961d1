/*
 * fd_table.c - bounded guest fd table.
 */
#include <errno.h>
#include <unistd.h>

#include "fd_table.h"

void fd_table_init(struct fd_table *t, int host_in, int host_out, int host_err)
{
	int host[3] = { host_in, host_out, host_err };
	for (int i = 0; i < FD_TABLE_MAX; i++)
		t->fd[i] = (struct guest_fd){ .kind = FD_FREE, .host_fd = -1, .share_idx = -1 };
	for (int i = 0; i < 3; i++)
		t->fd[i] = (struct guest_fd){ .kind = FD_CONSOLE, .host_fd = host[i], .share_idx = -1,
					      .open_flags = i == 0 ? 0 : 1 /* O_WRONLY */ };
}

int fd_table_install(struct fd_table *t, int host_fd, int share_idx, int open_flags)
{
	for (int i = 0; i < FD_TABLE_MAX; i++) {
		if (t->fd[i].kind == FD_FREE) {
			t->fd[i] = (struct guest_fd){ .kind = FD_FILE, .host_fd = host_fd,
						      .share_idx = share_idx, .open_flags = open_flags };
			return i;
		}
	}
	close(host_fd);
	return -EMFILE;
}

struct guest_fd *fd_table_get(struct fd_table *t, long fd)
{
	if (fd < 0 || fd >= FD_TABLE_MAX || t->fd[fd].kind == FD_FREE)
		return NULL;
	return &t->fd[fd];
}

int fd_table_close(struct fd_table *t, long fd)
{
	struct guest_fd *f = fd_table_get(t, fd);
	if (!f)
		return -EBADF;
	if (f->kind == FD_FILE)
		close(f->host_fd);
	*f = (struct guest_fd){ .kind = FD_FREE, .host_fd = -1, .share_idx = -1 };
	return 0;
}

void fd_table_close_all(struct fd_table *t)
{
	for (int i = 0; i < FD_TABLE_MAX; i++)
		fd_table_close(t, i);
}
