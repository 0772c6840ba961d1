/*
 * state_store.c - durable per-tenant records.
 *
 * The rename is the commit point. fsync of the temp file before it makes
 * the new content durable; fsync of the directory after it makes the rename
 * itself durable. A failed write (full disk, quota) never reaches the
 * rename, so the old record stays as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_store.h"

#define TENANTS_SUBDIR "tenants"

static int dir_path(const char *state_dir, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/" TENANTS_SUBDIR, state_dir);
	return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

int state_store_init(const char *state_dir, char *err, size_t errlen)
{
	char dir[4096];
	if (dir_path(state_dir, dir, sizeof(dir))) {
		snprintf(err, errlen, "state directory path too long");
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(e));
		return -e;
	}
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

int state_store_save(const char *state_dir, const char *name, const json_t *rec, char *err, size_t errlen)
{
	char dir[4096], path[4200], tmp[4300];
	int rc;
	if (dir_path(state_dir, dir, sizeof(dir))) {
		snprintf(err, errlen, "state directory path too long");
		return -ENAMETOOLONG;
	}
	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	/* The pid makes the temp name unique against a second daemon that
	 * lost the lock race; the registry serialises saves within one. */
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp.%d", dir, name, (int)getpid());

	char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text) {
		snprintf(err, errlen, "cannot encode state of '%s'", name);
		return -ENOMEM;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot save state of '%s': %s: %s (previous state kept)", name, tmp, strerror(-rc));
		free(text);
		return rc;
	}
	rc = write_all(fd, text, strlen(text));
	if (!rc)
		rc = write_all(fd, "\n", 1);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	free(text);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		snprintf(err, errlen, "cannot save state of '%s' in %s: %s (previous state kept)", name, dir,
			 strerror(-rc));
		return rc;
	}
	rc = fsync_dir(dir);
	if (rc) {
		snprintf(err, errlen, "cannot sync %s: %s", dir, strerror(-rc));
		return rc;
	}
	return 0;
}

int state_store_remove(const char *state_dir, const char *name, char *err, size_t errlen)
{
	char dir[4096], path[4200];
	if (dir_path(state_dir, dir, sizeof(dir))) {
		snprintf(err, errlen, "state directory path too long");
		return -ENAMETOOLONG;
	}
	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	if (unlink(path) && errno != ENOENT) {
		int e = errno;
		snprintf(err, errlen, "cannot remove %s: %s", path, strerror(e));
		return -e;
	}
	int rc = fsync_dir(dir);
	if (rc)
		snprintf(err, errlen, "cannot sync %s: %s", dir, strerror(-rc));
	return rc;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

int state_store_load_all(const char *state_dir, int (*fn)(const char *name, json_t *rec, void *ctx),
			 void (*bad_fn)(const char *file, const char *why, void *ctx), void *ctx)
{
	char dir[4096];
	if (dir_path(state_dir, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	int rc = 0;
	struct dirent *e;
	while (!rc && (e = readdir(d))) {
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' && strstr(e->d_name, ".json.tmp.")) {
			unlink(path); /* a save that never reached its rename */
			continue;
		}
		if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".json"))
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(e->d_name) - 5), e->d_name);
		json_error_t jerr;
		json_t *rec = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
		if (!rec) {
			char bad[4500];
			snprintf(bad, sizeof(bad), "%s.corrupt", path);
			/* Moved aside so the next start does not trip on it again,
			 * and kept for a human to look at. */
			if (rename(path, bad) && bad_fn)
				bad_fn(path, strerror(errno), ctx);
			if (bad_fn)
				bad_fn(path, jerr.text, ctx);
			continue;
		}
		rc = fn(name, rec, ctx);
		json_decref(rec);
	}
	closedir(d);
	return rc;
}
