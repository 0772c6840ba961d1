/*
 * test_sched_admission.c - admission control refuses what does not fit and
 * names the resource.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "admission.h"

#define MiB (1024ull * 1024ull)

static const struct admission_capacity host = {
	.mem_bytes = 4096 * MiB, .vgpu_mem_bytes = 1024 * MiB, .ncpus = 2
};

static struct admission_request req(uint64_t ram_mib, uint64_t win_mib, uint32_t min)
{
	struct admission_request r = { .ram_bytes = ram_mib * MiB,
				       .vgpu_window_bytes = win_mib * MiB,
				       .vgpu_min_permille = min,
				       .cpu_max = UINT32_MAX };
	return r;
}

static void test_memory(void **state)
{
	struct admission *a = admission_create(&host);
	struct admission_request r;
	struct admission_usage u;
	char why[256];
	(void)state;

	r = req(1792, 256, 0);
	assert_int_equal(admission_admit(a, 1, &r, why, sizeof why), 0);
	assert_int_equal(admission_admit(a, 1, &r, why, sizeof why), -EEXIST);
	assert_int_equal(admission_admit(a, 2, &r, why, sizeof why), 0);
	/* Host memory is now full: RAM + window is what counts. */
	r = req(1, 0, 0);
	assert_int_equal(admission_admit(a, 3, &r, why, sizeof why), -ENOSPC);
	assert_non_null(strstr(why, "memory: tenant needs 1 MiB"));
	assert_non_null(strstr(why, "0 MiB free of 4096 MiB"));
	admission_usage(a, &u);
	assert_int_equal(u.tenants, 2);
	assert_int_equal(u.mem_used_bytes, 4096 * MiB);
	assert_int_equal(admission_release(a, 2), 0);
	assert_int_equal(admission_release(a, 2), -ENOENT);
	r = req(2048, 0, 0);
	assert_int_equal(admission_admit(a, 3, &r, why, sizeof why), 0);
	/* Growing in place counts the tenant's own holding once. */
	r = req(1792, 256, 0);
	assert_int_equal(admission_update(a, 3, &r, why, sizeof why), 0);
	r = req(1793, 256, 0);
	assert_int_equal(admission_update(a, 3, &r, why, sizeof why), -ENOSPC);
	assert_int_equal(admission_update(a, 9, &r, why, sizeof why), -ENOENT);
	/* Absurd sizes are refused, not wrapped. */
	r.ram_bytes = UINT64_MAX;
	assert_int_equal(admission_admit(a, 4, &r, why, sizeof why), -EINVAL);
	admission_destroy(a);
}

static void test_vgpu(void **state)
{
	struct admission *a = admission_create(&host);
	struct admission_request r;
	char why[256];
	(void)state;

	r = req(64, 768, 600);
	assert_int_equal(admission_admit(a, 1, &r, why, sizeof why), 0);
	r = req(64, 512, 0);
	assert_int_equal(admission_admit(a, 2, &r, why, sizeof why), -ENOSPC);
	assert_non_null(strstr(why, "vGPU memory: tenant needs a 512 MiB window, 256 MiB free"));
	r = req(64, 256, 500);
	assert_int_equal(admission_admit(a, 2, &r, why, sizeof why), -ENOSPC);
	assert_non_null(strstr(why, "vGPU minimum: tenant asks 500 permille guaranteed, only 400"));
	r = req(64, 256, 400);
	assert_int_equal(admission_admit(a, 2, &r, why, sizeof why), 0);
	r = req(64, 0, 10);
	assert_int_equal(admission_admit(a, 3, &r, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "without a vGPU"));
	admission_destroy(a);
}

static void test_cpu(void **state)
{
	struct admission *a = admission_create(&host);
	struct admission_request r = req(64, 0, 0);
	char why[256];
	(void)state;

	r.cpu_cap_pct = 201;
	assert_int_equal(admission_admit(a, 1, &r, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "CPU: cap 201%"));
	r.cpu_cap_pct = 200;
	r.cpu_max = 2;
	assert_int_equal(admission_admit(a, 1, &r, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "pinned to CPU 2"));
	r.cpu_max = 1;
	assert_int_equal(admission_admit(a, 1, &r, why, sizeof why), 0);
	admission_destroy(a);
}

static void test_detect(void **state)
{
	struct admission_capacity c;
	char err[128];
	(void)state;

	assert_int_equal(admission_capacity_detect(&c, 256 * MiB, 512 * MiB, err, sizeof err), 0);
	assert_true(c.ncpus >= 1);
	assert_true(c.mem_bytes > 0);
	assert_int_equal(c.vgpu_mem_bytes, 512 * MiB);
	assert_int_equal(admission_capacity_detect(&c, UINT64_MAX, 0, err, sizeof err), 0);
	assert_int_equal(c.mem_bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_vgpu),
		cmocka_unit_test(test_cpu),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
