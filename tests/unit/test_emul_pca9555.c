// SPDX-License-Identifier: MIT
/*
 * PCA9555 emulation against NXP's datasheet: power-up values, register
 * pairs (the command toggles within a pair), input port = pins XOR
 * polarity, outputs driving pins, and the properties.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "emul_test.h"

static struct emul_dev *create(void)
{
	return emul_test_create(EMUL_PCA9555, 0x20, "pca9555@0x20");
}

/* Both registers of a pair, starting at cmd. */
static unsigned pair(struct emul_dev *dev, uint8_t cmd)
{
	uint8_t b[2];

	assert_int_equal(emul_test_read(dev, &cmd, 1, b, 2), 0);
	return (unsigned)b[1] << 8 | b[0];
}

static void test_power_up(void **state)
{
	struct emul_dev *dev = create();

	assert_hex_equal(pair(dev, 0), 0x0000); /* all inputs, nothing driven */
	assert_hex_equal(pair(dev, 2), 0xffff);
	assert_hex_equal(pair(dev, 4), 0x0000);
	assert_hex_equal(pair(dev, 6), 0xffff);
	emul_destroy(dev);
}

/* The command toggles within its pair: 4 bytes from 3 read 3, 2, 3, 2. */
static void test_pair_toggle(void **state)
{
	struct emul_dev *dev = create();
	uint8_t b[4];

	WRITE(dev, 2, 0x12, 0x34, 0x56); /* port 0, port 1, port 0 again */
	assert_hex_equal(pair(dev, 2), 0x3456);
	assert_int_equal(emul_test_read(dev, (const uint8_t[]){3}, 1, b, 4), 0);
	assert_memory_equal(b, ((uint8_t[]){0x34, 0x56, 0x34, 0x56}), 4);
	assert_int_equal(emul_test_write(dev, (const uint8_t[]){8, 0}, 2), -ENXIO);
	emul_destroy(dev);
}

/* Inputs read the levels set from outside, XOR polarity; outputs drive their pins. */
static void test_io(void **state)
{
	struct emul_dev *dev = create();
	double v;

	assert_int_equal(emul_set_prop(dev, "inputs", 0xa55a), 0);
	assert_hex_equal(pair(dev, 0), 0xa55a);
	WRITE(dev, 4, 0xff, 0x00); /* invert port 0 */
	assert_hex_equal(pair(dev, 0), 0xa5a5);
	WRITE(dev, 4, 0x00, 0x00);
	WRITE(dev, 2, 0x0f, 0x00); /* output register */
	WRITE(dev, 6, 0x00, 0xff); /* port 0 outputs */
	assert_hex_equal(pair(dev, 0), 0xa50f);
	assert_int_equal(emul_get_prop(dev, "outputs", &v), 0);
	assert_true(v == 0x000f);
	assert_int_equal(emul_get_prop(dev, "config", &v), 0);
	assert_true(v == 0xff00);
	WRITE(dev, 0, 0x00, 0x00); /* input port: ignored */
	assert_hex_equal(pair(dev, 0), 0xa50f);
	emul_destroy(dev);
}

static void test_properties(void **state)
{
	struct emul_dev *dev = create();

	assert_true(emul_test_prop(dev, "inputs") == 0);
	assert_true(emul_test_prop(dev, "outputs") == 0);
	assert_true(emul_test_prop(dev, "config") == 0xffff);
	assert_int_equal(emul_set_prop(dev, "outputs", 1), -EROFS);
	assert_int_equal(emul_set_prop(dev, "config", 1), -EROFS);
	assert_int_equal(emul_set_prop(dev, "inputs", 65536), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "inputs", 1.5), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "inputs", -1), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "x", 1), -ENOENT);
	emul_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_up),
		cmocka_unit_test(test_pair_toggle),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
