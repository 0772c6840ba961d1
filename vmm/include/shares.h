/*
 * shares.h - host directories shared into the guest (--share).
 *
 * Each share is a directory fd opened at set-up; guest paths are resolved
 * relative to it with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV), so neither `..` nor a symlink can leave it.
 */
#ifndef AIVISOR_SHARES_H
#define AIVISOR_SHARES_H

#include <stdbool.h>

#define SHARES_MAX 16
#define SHARE_PATH_MAX 4096

struct share {
	char guest_dir[SHARE_PATH_MAX]; /* absolute, no trailing slash ("/" allowed) */
	int dir_fd;                     /* O_PATH|O_DIRECTORY on the host dir */
	bool writable;
};

struct shares {
	struct share s[SHARES_MAX];
	int n;
};

/* Parses HOSTDIR[:GUESTDIR][:rw] and opens HOSTDIR.  GUESTDIR defaults to
 * HOSTDIR's absolute path, so a program sees the same paths inside and
 * outside the VM.  Returns 0 or -1 with a message in err. */
int shares_add(struct shares *sh, const char *spec, char *err, size_t errlen);

/* Opens guest path `path` (relative paths are taken from "/") with Linux
 * open flags and mode.  Returns a host fd, or a negative errno (-ENOENT when
 * no share covers the path, -EROFS for writes to a read-only share, -EXDEV
 * for attempts to escape).  *share_idx tells which share it came from. */
int shares_open(const struct shares *sh, const char *path, int flags, unsigned mode, int *share_idx);

/* Same for a path relative to an fd the guest already holds. */
int shares_open_at(const struct shares *sh, int share_idx, int dir_host_fd, const char *path,
		   int flags, unsigned mode);

void shares_close(struct shares *sh);

#endif
