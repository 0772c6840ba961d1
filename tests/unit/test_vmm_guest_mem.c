/* Unit tests: guest_mem.c, the one checked way from guest addresses to
 * host pointers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "guest_mem.h"

#define RAM (8ULL << 20)
static uint8_t ram[RAM];
static uint8_t win[1 << 20];

static struct guest_mem mem(void)
{
	return (struct guest_mem){
		.ram = { .start = 0, .size = RAM, .host = ram },
		.window = { .start = 1ULL << 32, .size = sizeof(win), .host = win },
	};
}

static void test_ptr_bounds(void **state)
{
	(void)state;
	struct guest_mem m = mem();
	assert_ptr_equal(guest_mem_ptr(&m, 0, RAM), ram);
	assert_ptr_equal(guest_mem_ptr(&m, RAM - 1, 1), ram + RAM - 1);
	assert_ptr_equal(guest_mem_ptr(&m, RAM, 0), ram + RAM);
	assert_null(guest_mem_ptr(&m, RAM, 1));
	assert_null(guest_mem_ptr(&m, RAM - 1, 2));
	assert_null(guest_mem_ptr(&m, 1, UINT64_MAX));
	assert_null(guest_mem_ptr(&m, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(&m, UINT64_MAX - 10, 20)); /* would wrap */
}

static void test_user_refuses_boot_area(void **state)
{
	(void)state;
	struct guest_mem m = mem();
	assert_null(guest_mem_user(&m, 0, 1));
	assert_null(guest_mem_user(&m, 0x1000, 8));
	assert_null(guest_mem_user(&m, GUEST_USER_BASE - 1, 2)); /* straddles into user memory */
	assert_ptr_equal(guest_mem_user(&m, GUEST_USER_BASE, 8), ram + GUEST_USER_BASE);
	assert_ptr_equal(guest_mem_user(&m, RAM - 8, 8), ram + RAM - 8);
	assert_null(guest_mem_user(&m, RAM - 8, 9));
	assert_null(guest_mem_user(&m, GUEST_USER_BASE, UINT64_MAX));
}

static void test_user_window(void **state)
{
	(void)state;
	struct guest_mem m = mem();
	assert_ptr_equal(guest_mem_user(&m, 1ULL << 32, 16), win);
	assert_ptr_equal(guest_mem_user(&m, (1ULL << 32) + sizeof(win) - 4, 4), win + sizeof(win) - 4);
	assert_null(guest_mem_user(&m, (1ULL << 32) + sizeof(win) - 4, 8));
	assert_null(guest_mem_user(&m, (1ULL << 32) - 4, 8)); /* gap between RAM and window */
	assert_null(guest_mem_user(&m, RAM, 1));
	m.window.size = 0;
	assert_null(guest_mem_user(&m, 1ULL << 32, 1));
}

static void test_user_str(void **state)
{
	(void)state;
	struct guest_mem m = mem();
	char buf[16];
	strcpy((char *)ram + GUEST_USER_BASE, "hello");
	assert_int_equal(guest_mem_user_str(&m, GUEST_USER_BASE, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	memset(ram + GUEST_USER_BASE, 'a', 32);
	assert_int_equal(guest_mem_user_str(&m, GUEST_USER_BASE, buf, sizeof(buf)), -ENAMETOOLONG);
	memset(ram + RAM - 4, 'b', 4); /* unterminated at the very end of RAM */
	assert_int_equal(guest_mem_user_str(&m, RAM - 4, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(guest_mem_user_str(&m, 0x1000, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(guest_mem_user_str(&m, UINT64_MAX, buf, sizeof(buf)), -EFAULT);
	ram[RAM - 1] = 0;
	assert_int_equal(guest_mem_user_str(&m, RAM - 4, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "bbb");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ptr_bounds),
		cmocka_unit_test(test_user_refuses_boot_area),
		cmocka_unit_test(test_user_window),
		cmocka_unit_test(test_user_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
