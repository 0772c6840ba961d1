/* files: file operations on shared directories, one per argument pair:
 *   cat PATH      print the file (via read), its size (fstat) and a pread
 *   write PATH T  create/truncate PATH and write T
 *   stat PATH     print the size
 *   mmap PATH     map the file privately and print its first line
 *   ls DIR        list the directory (sorted, without . and ..)
 * Each prints "ok ..." or "error OP PATH: <strerror>" and goes on; the exit
 * status is the number of errors. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *op, const char *path)
{
	printf("error %s %s: %s\n", op, path, strerror(errno));
	return 1;
}

static int do_cat(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("open", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return fail("fstat", path);
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return fail("read", path);
	buf[n] = '\0';
	char p[8] = "";
	ssize_t m = st.st_size > 1 ? pread(fd, p, 4, 1) : 0;
	if (m < 0)
		return fail("pread", path);
	if (lseek(fd, 0, SEEK_END) != st.st_size)
		return fail("lseek", path);
	close(fd);
	printf("ok cat %s size=%lld pread=%.*s\n%s", path, (long long)st.st_size, (int)m, p, buf);
	return 0;
}

static int do_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("open", path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return fail("write", path);
	close(fd);
	printf("ok write %s\n", path);
	return 0;
}

static int do_stat(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return fail("stat", path);
	printf("ok stat %s size=%lld\n", path, (long long)st.st_size);
	return 0;
}

static int do_mmap(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("open", path);
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap", path);
	printf("ok mmap %s first=%.*s\n", path, (int)strcspn(p, "\n"), p);
	munmap(p, 4096);
	close(fd);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_ls(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return fail("opendir", path);
	char *names[64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), by_name);
	printf("ok ls %s:", path);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	int errors = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "cat") == 0)
			errors += do_cat(argv[i + 1]);
		else if (strcmp(argv[i], "stat") == 0)
			errors += do_stat(argv[i + 1]);
		else if (strcmp(argv[i], "ls") == 0)
			errors += do_ls(argv[i + 1]);
		else if (strcmp(argv[i], "mmap") == 0)
			errors += do_mmap(argv[i + 1]);
		else if (strcmp(argv[i], "write") == 0 && i + 2 < argc) {
			errors += do_write(argv[i + 1], argv[i + 2]);
			i++;
		} else {
			printf("error usage %s\n", argv[i]);
			return 100;
		}
	}
	return errors;
}
