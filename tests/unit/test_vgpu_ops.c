/*
 * test_vgpu_ops - every opcode against the C reference (the selftest
 * cases, vgpu/tests-guest/selftest.c), through a host-process tenant
 * attached over a real socket to a real server running in this process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "selftest.h"
#include "vgpu_client.h"
#include "vgpu_host.h"
#include "vgpu_test_server.h"

static struct vgpu_server *server;
static struct vgpu *tenant;
static char sock_path[VGPU_TEST_SOCK_MAX];

static int group_setup(void **state)
{
	(void)state;
	char err[256], spec[VGPU_TEST_SPEC_MAX];
	server = vgpu_test_server_start("vgpu-ops", 0, sock_path, spec);
	if (!server)
		return -1;
	struct vgpu_open_opts o = { .memory_bytes = 16 << 20, .tenant = { .name = "ops" } };
	if (vgpu_open_ex(spec, &o, &tenant, err, sizeof(err))) {
		fprintf(stderr, "open: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	vgpu_close(tenant);
	vgpu_server_stop(server);
	return 0;
}

static void run_case(void **state)
{
	const struct selftest_case *c = *state;
	char why[256] = "";
	int rc = c->run(tenant, why, sizeof(why));
	if (rc)
		fail_msg("%s: %s", c->name, why);
}

int main(void)
{
	struct CMUnitTest tests[32];
	unsigned n = selftest_ncases < 32 ? selftest_ncases : 32;
	for (unsigned i = 0; i < n; i++) {
		struct CMUnitTest t = cmocka_unit_test_prestate(run_case, (void *)&selftest_cases[i]);
		t.name = selftest_cases[i].name;
		tests[i] = t;
	}
	return _cmocka_run_group_tests("vgpu_ops", tests, n, group_setup, group_teardown);
}
