/*
 * shares.c - --share parsing and confined path resolution.
 *
 * The guest names files by guest path; the share whose guest directory is
 * the longest prefix (on a component boundary) is picked and the rest of
 * the path is resolved by the kernel with openat2(RESOLVE_BENEATH...) from
 * the share's directory fd: the kernel, not string checks, keeps `..` and
 * symlinks inside the share.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shares.h"

#define RESOLVE_CONFINED (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

/* Host open flags a guest may ask for; anything else is dropped. */
#define GUEST_OPEN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECTORY | \
			  O_NOFOLLOW | O_NONBLOCK | O_PATH)

static void strip_trailing_slashes(char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
}

int shares_add(struct shares *sh, const char *spec, char *err, size_t errlen)
{
	if (sh->n >= SHARES_MAX) {
		snprintf(err, errlen, "too many --share options (at most %d)", SHARES_MAX);
		return -1;
	}
	char buf[SHARE_PATH_MAX * 2];
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "--share argument too long");
		return -1;
	}
	strcpy(buf, spec);
	bool writable = false;
	size_t len = strlen(buf);
	if (len > 3 && strcmp(buf + len - 3, ":rw") == 0) {
		writable = true;
		buf[len - 3] = '\0';
	} else if (len > 3 && strcmp(buf + len - 3, ":ro") == 0) {
		buf[len - 3] = '\0';
	}
	char *guest = strchr(buf, ':');
	if (guest)
		*guest++ = '\0';
	if (buf[0] == '\0') {
		snprintf(err, errlen, "--share %s: empty host directory", spec);
		return -1;
	}
	struct share *s = &sh->s[sh->n];
	char host_abs[PATH_MAX];
	if (!realpath(buf, host_abs)) {
		snprintf(err, errlen, "--share %s: %s: %s", spec, buf, strerror(errno));
		return -1;
	}
	const char *gdir = guest && *guest ? guest : host_abs;
	if (gdir[0] != '/' || strlen(gdir) >= sizeof(s->guest_dir)) {
		snprintf(err, errlen, "--share %s: guest directory must be an absolute path", spec);
		return -1;
	}
	s->dir_fd = open(host_abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0) {
		snprintf(err, errlen, "--share %s: cannot open %s: %s", spec, host_abs, strerror(errno));
		return -1;
	}
	strcpy(s->guest_dir, gdir);
	strip_trailing_slashes(s->guest_dir);
	s->writable = writable;
	sh->n++;
	return 0;
}

/* Length of prefix `dir` of `path` on a component boundary, or -1. */
static long prefix_len(const char *dir, const char *path)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return 1;
	if (strncmp(dir, path, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return -1;
	return (long)n;
}

static bool wants_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_APPEND));
}

int shares_open_at(const struct shares *sh, int share_idx, int dir_host_fd, const char *path,
		   int flags, unsigned mode)
{
	if (share_idx < 0 || share_idx >= sh->n)
		return -ENOENT;
	if (wants_write(flags) && !sh->s[share_idx].writable)
		return -EROFS;
	struct open_how how = {
		.flags = (uint64_t)((flags & GUEST_OPEN_FLAGS) | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? (mode & 0777) : 0,
		.resolve = RESOLVE_CONFINED,
	};
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	long fd = syscall(SYS_openat2, dir_host_fd, path, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

int shares_open(const struct shares *sh, const char *path, int flags, unsigned mode, int *share_idx)
{
	char abs[SHARE_PATH_MAX + 1];
	if (path[0] != '/') {
		if (strlen(path) + 1 >= sizeof(abs))
			return -ENAMETOOLONG;
		abs[0] = '/';
		strcpy(abs + 1, path);
		path = abs;
	}
	int best = -1;
	long best_len = -1;
	for (int i = 0; i < sh->n; i++) {
		long l = prefix_len(sh->s[i].guest_dir, path);
		if (l > best_len) {
			best = i;
			best_len = l;
		}
	}
	if (best < 0)
		return -ENOENT;
	*share_idx = best;
	return shares_open_at(sh, best, sh->s[best].dir_fd, path + best_len, flags, mode);
}

void shares_close(struct shares *sh)
{
	for (int i = 0; i < sh->n; i++)
		close(sh->s[i].dir_fd);
	sh->n = 0;
}
