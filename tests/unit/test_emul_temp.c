// SPDX-License-Identifier: MIT
/*
 * The temperature sensors' degrees C <-> ADC steps conversion (emul_temp.h):
 * floor toward minus infinity, decimal inputs that binary cannot hold
 * exactly, saturation at the register's range, and the way back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "emul_temp.h"

/* 0.0625 C steps in a 13-bit register, as tmp102 and jc42 use them. */
static int32_t steps16(double c)
{
	return emul_temp_steps(c, 16, -4096, 4095);
}

static void test_floor(void **state)
{
	(void)state;
	assert_int_equal(steps16(0.0), 0);
	assert_int_equal(steps16(25.0), 400);
	assert_int_equal(steps16(0.0624), 0);
	assert_int_equal(steps16(0.0625), 1);
	assert_int_equal(steps16(0.1), 1);
	assert_int_equal(steps16(25.99), 415);
	/* negative values go down, not toward zero */
	assert_int_equal(steps16(-0.0001), -1);
	assert_int_equal(steps16(-0.0625), -1);
	assert_int_equal(steps16(-0.0626), -2);
	assert_int_equal(steps16(-25.0), -400);
	assert_int_equal(steps16(-25.01), -401);
	/* 0.5 C steps (lm75) */
	assert_int_equal(emul_temp_steps(25.7, 2, -256, 255), 51);
	assert_int_equal(emul_temp_steps(25.4996, 2, -256, 255), 50);
	assert_int_equal(emul_temp_steps(-0.2, 2, -256, 255), -1);
	assert_int_equal(emul_temp_steps(-0.5, 2, -256, 255), -1);
	assert_int_equal(emul_temp_steps(-0.501, 2, -256, 255), -2);
}

/* Decimal inputs a double holds just below the step still reach it. */
static void test_binary_error(void **state)
{
	(void)state;
	/* 25.1 * 16 = 401.6 and 0.3 * 16 = 4.8: not on a step, floor */
	assert_int_equal(steps16(25.1), 401);
	assert_int_equal(steps16(0.3), 4);
	/* on a step: exact in binary, or just below it (0.29 * 100 is 28.999999999999996) */
	assert_int_equal(steps16(0.1875), 3);
	assert_int_equal(steps16(-0.1875), -3);
	assert_int_equal(emul_temp_steps(0.29, 100, -1000, 1000), 29);
	assert_int_equal(emul_temp_steps(-0.29, 100, -1000, 1000), -29);
	assert_int_equal(emul_temp_steps(4.35, 100, -1000, 1000), 435);
}

static void test_saturation(void **state)
{
	(void)state;
	assert_int_equal(steps16(255.9375), 4095);
	assert_int_equal(steps16(256.0), 4095);
	assert_int_equal(steps16(1e6), 4095);
	assert_int_equal(steps16(-256.0), -4096);
	assert_int_equal(steps16(-256.0001), -4096);
	assert_int_equal(steps16(-1e6), -4096);
	/* just under 128 C: the floor would be the step past the 9-bit range */
	assert_int_equal(emul_temp_steps(127.99999999999, 2, -256, 255), 255);
	assert_int_equal(emul_temp_steps(128.0, 2, -256, 255), 255);
	assert_int_equal(emul_temp_steps(-128.0, 2, -256, 255), -256);
	assert_int_equal(emul_temp_steps(-128.5, 2, -256, 255), -256);
}

static void test_celsius(void **state)
{
	(void)state;
	assert_true(emul_temp_celsius(0, 16) == 0.0);
	assert_true(emul_temp_celsius(401, 16) == 25.0625);
	assert_true(emul_temp_celsius(-1, 16) == -0.0625);
	assert_true(emul_temp_celsius(-4096, 16) == -256.0);
	assert_true(emul_temp_celsius(255, 2) == 127.5);
	assert_true(emul_temp_celsius(-1, 2) == -0.5);
	/* a step converts back to itself */
	for (int32_t s = -4096; s <= 4095; s++)
		assert_int_equal(steps16(emul_temp_celsius(s, 16)), s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_binary_error),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_celsius),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
