/*
 * test_vgpu_cuda_select.c - backend choice (auto/cuda/openblas) over
 * synthetic probes and over the real CUDA runtime of this host (or, in a
 * build without the toolkit, the probe that says so).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../vgpu/backend/cuda_select.h"

/*
 * This test runs under AddressSanitizer.  On a GPU the CUDA driver maps
 * memory where ASan's shadow gap is protected, and keeps allocations it
 * never frees: the runtime needs the gap unprotected, and the driver's own
 * allocations are not our leaks.
 */
const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);

const char *__asan_default_options(void)
{
	return "protect_shadow_gap=0";
}

const char *__lsan_default_suppressions(void)
{
	return "leak:libcuda.so\nleak:libcudart.so\nleak:libcublas.so\nleak:libcublasLt.so\n"
	       "leak:libnvidia\n";
}

static struct cuda_probe gpu_probe(void)
{
	struct cuda_probe p = { .usable = 1, .device_count = 1, .cc_major = 9, .cc_minor = 0,
				.mem_total = 80ull << 30 };
	strcpy(p.name, "Test GPU");
	return p;
}

static struct cuda_probe no_gpu_probe(void)
{
	struct cuda_probe p = { 0 };
	strcpy(p.why, "no CUDA device: CUDA driver version is insufficient");
	return p;
}

static void test_auto(void **state)
{
	(void)state;
	enum vgpu_backend_kind k = VGPU_BACKEND_CUDA;
	char why[200];
	struct cuda_probe p = no_gpu_probe();
	assert_int_equal(cuda_select_backend(NULL, &p, &k, why, sizeof why), 0);
	assert_int_equal(k, VGPU_BACKEND_OPENBLAS);
	assert_non_null(strstr(why, "no CUDA device: CUDA driver version is insufficient"));
	assert_non_null(strstr(why, "openblas"));
	assert_int_equal(cuda_select_backend("auto", &p, &k, why, sizeof why), 0);
	assert_int_equal(k, VGPU_BACKEND_OPENBLAS);

	p = gpu_probe();
	assert_int_equal(cuda_select_backend("auto", &p, &k, why, sizeof why), 0);
	assert_int_equal(k, VGPU_BACKEND_CUDA);
	assert_non_null(strstr(why, "Test GPU"));
	assert_non_null(strstr(why, "sm_90"));
}

static void test_explicit(void **state)
{
	(void)state;
	enum vgpu_backend_kind k = VGPU_BACKEND_OPENBLAS;
	char why[200];
	struct cuda_probe none = no_gpu_probe(), gpu = gpu_probe();
	assert_int_equal(cuda_select_backend("cuda", &none, &k, why, sizeof why), -ENODEV);
	assert_non_null(strstr(why, "backend cuda requested but no CUDA device"));
	assert_int_equal(cuda_select_backend("cuda", &gpu, &k, why, sizeof why), 0);
	assert_int_equal(k, VGPU_BACKEND_CUDA);
	assert_int_equal(cuda_select_backend("openblas", &gpu, &k, why, sizeof why), 0);
	assert_int_equal(k, VGPU_BACKEND_OPENBLAS);
	assert_int_equal(cuda_select_backend("tpu", &gpu, &k, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "unknown backend 'tpu'"));
	assert_string_equal(vgpu_backend_name(VGPU_BACKEND_CUDA), "cuda");
	assert_string_equal(vgpu_backend_name(VGPU_BACKEND_OPENBLAS), "openblas");
	/* A tiny buffer truncates, never overflows. */
	char small[8];
	assert_int_equal(cuda_select_backend("cuda", &none, &k, small, sizeof small), -ENODEV);
	assert_int_equal(strlen(small), sizeof small - 1);
}

/* The real runtime: whatever this host has, the probe and the choice agree,
 * and without a GPU `auto` says why it fell back. */
static void test_real_probe(void **state)
{
	(void)state;
	struct cuda_probe p;
	cuda_probe_device(&p);
	enum vgpu_backend_kind k;
	char why[200];
	assert_int_equal(cuda_select_backend("auto", &p, &k, why, sizeof why), 0);
	printf("# this host: %s\n", why);
	if (p.usable) {
		assert_int_equal(k, VGPU_BACKEND_CUDA);
		assert_true(p.device_count > 0 && p.cc_major >= CUDA_MIN_CC_MAJOR);
		assert_true(p.mem_total > 0);
	} else {
		assert_int_equal(k, VGPU_BACKEND_OPENBLAS);
		assert_int_equal(strncmp(p.why, "no CUDA device: ", 16), 0);
		assert_true(strlen(p.why) > 16);
		assert_int_equal(cuda_select_backend("cuda", &p, &k, why, sizeof why), -ENODEV);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto),
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_real_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
