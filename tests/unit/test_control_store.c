/*
 * test_control_store.c - the daemon's per-tenant state files: atomic
 * replacement, removal, loading, leftovers and corrupt files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "state_store.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_control_store.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char err[200];
	return state_store_init(dir, err, sizeof(err));
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

struct seen {
	int count;
	char names[8][64];
	json_int_t values[8];
	int bad;
};

static int collect(const char *name, json_t *rec, void *ctx)
{
	struct seen *s = ctx;
	snprintf(s->names[s->count], sizeof(s->names[0]), "%s", name);
	s->values[s->count] = json_integer_value(json_object_get(rec, "v"));
	s->count++;
	return 0;
}

static void on_bad(const char *file, const char *why, void *ctx)
{
	(void)file;
	(void)why;
	((struct seen *)ctx)->bad++;
}

static void write_raw(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/tenants/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_save_replace_load(void **state)
{
	(void)state;
	char err[300];
	json_t *a = json_pack("{s:i}", "v", 1);
	assert_int_equal(state_store_save(dir, "a", a, err, sizeof(err)), 0);
	json_object_set_new(a, "v", json_integer(2));
	assert_int_equal(state_store_save(dir, "a", a, err, sizeof(err)), 0);
	json_decref(a);
	struct seen s = { 0 };
	assert_int_equal(state_store_load_all(dir, collect, on_bad, &s), 0);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.names[0], "a");
	assert_int_equal(s.values[0], 2);
}

static void test_remove(void **state)
{
	(void)state;
	char err[300];
	json_t *a = json_pack("{s:i}", "v", 1);
	assert_int_equal(state_store_save(dir, "gone", a, err, sizeof(err)), 0);
	json_decref(a);
	assert_int_equal(state_store_remove(dir, "gone", err, sizeof(err)), 0);
	assert_int_equal(state_store_remove(dir, "gone", err, sizeof(err)), 0); /* missing is fine */
	struct seen s = { 0 };
	assert_int_equal(state_store_load_all(dir, collect, on_bad, &s), 0);
	assert_int_equal(s.count, 0);
}

static void test_leftovers_and_corrupt(void **state)
{
	(void)state;
	write_raw(".x.json.tmp.123", "{\"v\":");
	write_raw("torn.json", "{\"v\": 1");
	write_raw("notes.txt", "ignored");
	write_raw("ok.json", "{\"v\": 5}");
	struct seen s = { 0 };
	assert_int_equal(state_store_load_all(dir, collect, on_bad, &s), 0);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.values[0], 5);
	assert_int_equal(s.bad, 1);
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/tenants/.x.json.tmp.123", dir);
	assert_int_equal(stat(path, &st), -1); /* temp removed */
	snprintf(path, sizeof(path), "%s/tenants/torn.json.corrupt", dir);
	assert_int_equal(stat(path, &st), 0); /* moved aside */
}

static void test_failed_save_keeps_old(void **state)
{
	(void)state;
	char err[300];
	json_t *a = json_pack("{s:i}", "v", 7);
	assert_int_equal(state_store_save(dir, "keep", a, err, sizeof(err)), 0);
	/* A directory where the temp file must go makes the write fail (as
	 * a full disk would, which daemon_badinput.sh tests on a tmpfs). */
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s/tenants/.keep.json.tmp.%d", dir, (int)getpid());
	assert_int_equal(mkdir(tmp, 0700), 0);
	json_object_set_new(a, "v", json_integer(8));
	assert_true(state_store_save(dir, "keep", a, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "previous state kept"));
	json_decref(a);
	assert_int_equal(rmdir(tmp), 0);
	struct seen s = { 0 };
	assert_int_equal(state_store_load_all(dir, collect, on_bad, &s), 0);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.values[0], 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_save_replace_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_and_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_save_keeps_old, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
