// SPDX-License-Identifier: MIT
/*
 * TMP102 emulation against TI's datasheet (SBOS397): the 12- and 13-bit
 * temperature formats (the datasheet's tables), power-up values, the
 * configuration register's read-only bits, extended mode as Linux's tmp102
 * driver sets it, shutdown/one-shot and the alert bit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "emul_test.h"

static struct emul_dev *create(void)
{
	return emul_test_create(EMUL_TMP102, 0x48, "tmp102@0x48");
}

static unsigned temp_reg_at(struct emul_dev *dev, double temp)
{
	assert_int_equal(emul_set_prop(dev, "temp", temp), 0);
	return emul_test_reg16(dev, 0);
}

/* Datasheet table "12-bit temperature data format" (normal mode). */
static void test_normal_format(void **state)
{
	static const struct {
		double t;
		unsigned code;
	} table[] = {
		{127.9375, 0x7ff}, {100, 0x640},    {80, 0x500},      {75, 0x4b0},    {50, 0x320},
		{25, 0x190},	   {0.25, 0x004},   {0, 0x000},	      {-0.25, 0xffc}, {-25, 0xe70},
		{-55, 0xc90},	   {0.0625, 0x001}, {-0.0625, 0xfff},
	};
	struct emul_dev *dev = create();

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_hex_equal(temp_reg_at(dev, table[i].t), table[i].code << 4);
	/* Above the 12-bit range (possible in extended mode): saturated. */
	assert_hex_equal(temp_reg_at(dev, 150), 0x7ff0);
	/* Not a multiple of 0.0625: truncated toward minus infinity. */
	assert_hex_equal(temp_reg_at(dev, 25.1), 0x1910);
	assert_hex_equal(temp_reg_at(dev, -0.01), 0xfff0);
	emul_destroy(dev);
}

/* Datasheet table "13-bit temperature data format" (EM = 1): bit 0 reads 1. */
static void test_extended_format(void **state)
{
	static const struct {
		double t;
		unsigned code;
	} table[] = {
		{150, 0x0960},	  {128, 0x0800}, {127.9375, 0x07ff}, {100, 0x0640}, {25, 0x0190},
		{0.0625, 0x0001}, {0, 0x0000},	 {-0.0625, 0x1fff},  {-25, 0x1e70}, {-55, 0x1c90},
	};
	struct emul_dev *dev = create();

	WRITE(dev, 1, 0x60, 0xb0); /* EM */
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_hex_equal(temp_reg_at(dev, table[i].t), (table[i].code << 3) | 1);
	emul_destroy(dev);
}

/* Power-up: pointer 0, 25 C, config 0x60a0, T_LOW 75 C, T_HIGH 80 C. */
static void test_power_up(void **state)
{
	struct emul_dev *dev = create();
	uint8_t buf[4];

	assert_int_equal(emul_xfer(dev, true, buf, 4), 0); /* pointer 0, repeats MSB LSB */
	assert_memory_equal(buf, ((uint8_t[]){0x19, 0x00, 0x19, 0x00}), 4);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x60a0);
	assert_hex_equal(emul_test_reg16(dev, 2), 0x4b00);
	assert_hex_equal(emul_test_reg16(dev, 3), 0x5000);
	emul_destroy(dev);
}

/*
 * What Linux's tmp102 probe does: reads the config, checks R1 R0 = 11 and
 * nothing else outside its mask, sets TM, EM, CR1 and clears SD, OS, CR0;
 * then temp1_input = ((reg & ~1) * 1000) / 128 must be temp * 1000.
 */
static void test_linux_probe(void **state)
{
	struct emul_dev *dev = create();
	unsigned conf = emul_test_reg16(dev, 1), reg;

	assert_hex_equal(conf & ~0x9ff0u, 0x6000);
	conf = (conf & ~0x8140u) | 0x0290u;
	WRITE(dev, 1, (uint8_t)(conf >> 8), (uint8_t)conf);
	assert_hex_equal(emul_test_reg16(dev, 1) & ~0x0020u, conf & ~0x0020u);
	reg = temp_reg_at(dev, 31.0625);
	assert_int_equal(((int)(int16_t)(reg & ~1u) * 1000) / 128, 31062);
	reg = temp_reg_at(dev, -12.5);
	assert_int_equal(((int)(int16_t)(reg & ~1u) * 1000) / 128, -12500);
	reg = temp_reg_at(dev, 140);
	assert_int_equal(((int)(int16_t)(reg & ~1u) * 1000) / 128, 140000);
	/* Limits now in 13-bit format too: 75 C = 0x2580. */
	assert_hex_equal(emul_test_reg16(dev, 2), 0x2580);
	WRITE(dev, 3, 0x32, 0x00); /* 100 C in 13-bit format */
	assert_hex_equal(emul_test_reg16(dev, 3), 0x3200);
	WRITE(dev, 1, 0x60, 0xa0); /* back to normal mode */
	assert_hex_equal(emul_test_reg16(dev, 3), 0x6400);
	emul_destroy(dev);
}

/* R1 R0 and AL are read-only, the low nibble reads 0, OS reads back 0. */
static void test_config_bits(void **state)
{
	struct emul_dev *dev = create();

	WRITE(dev, 1, 0x00, 0x00);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x6020);
	WRITE(dev, 1, 0xff, 0xff);
	/* OS 0, POL 1 with inactive alert: AL reads 0 */
	assert_hex_equal(emul_test_reg16(dev, 1), 0x7fd0);
	/* a message ending after the MSB changes nothing */
	WRITE(dev, 1, 0x60);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x7fd0);
	emul_destroy(dev);
}

/* Shutdown keeps the last result; OS=1 in shutdown converts once. */
static void test_shutdown_one_shot(void **state)
{
	struct emul_dev *dev = create();

	WRITE(dev, 1, 0x61, 0xa0); /* SD */
	assert_int_equal(emul_set_prop(dev, "temp", 50), 0);
	assert_hex_equal(emul_test_reg16(dev, 0), 0x1900);
	WRITE(dev, 1, 0xe1, 0xa0); /* OS + SD */
	assert_hex_equal(emul_test_reg16(dev, 1), 0x61a0);
	assert_hex_equal(emul_test_reg16(dev, 0), 0x3200);
	assert_int_equal(emul_set_prop(dev, "temp", 60), 0);
	assert_hex_equal(emul_test_reg16(dev, 0), 0x3200);
	WRITE(dev, 1, 0x60, 0xa0); /* continuous again */
	assert_hex_equal(emul_test_reg16(dev, 0), 0x3c00);
	emul_destroy(dev);
}

/* AL: active from T >= T_HIGH until T < T_LOW, read inverted when POL = 0. */
static void test_alert(void **state)
{
	struct emul_dev *dev = create();

	assert_int_equal(emul_set_prop(dev, "temp", 80), 0);
	assert_hex_equal(emul_test_reg16(dev, 0), 0x5000);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x6080);
	assert_int_equal(emul_set_prop(dev, "temp", 76), 0);
	emul_test_reg16(dev, 0);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x6080); /* hysteresis */
	assert_int_equal(emul_set_prop(dev, "temp", 74.9375), 0);
	emul_test_reg16(dev, 0);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x60a0);
	emul_destroy(dev);
}

static void test_bad_pointer(void **state)
{
	struct emul_dev *dev = create();

	assert_int_equal(emul_test_write(dev, (const uint8_t[]){0x04}, 1), -ENXIO);
	assert_int_equal(emul_test_write(dev, (const uint8_t[]){0x81, 0, 0}, 3), -ENXIO);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x60a0);
	emul_destroy(dev);
}

static void test_property(void **state)
{
	struct emul_dev *dev = create();

	assert_true(emul_test_prop(dev, "temp") == 25.0);
	assert_int_equal(emul_set_prop(dev, "temp", 30.07), 0);
	assert_true(emul_test_prop(dev, "temp") == 30.0625);
	assert_int_equal(emul_set_prop(dev, "temp", 150.01), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "temp", -55.01), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "humidity", 1), -ENOENT);
	assert_true(emul_test_prop(dev, "temp") == 30.0625);
	emul_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_format), cmocka_unit_test(test_extended_format),
		cmocka_unit_test(test_power_up),      cmocka_unit_test(test_linux_probe),
		cmocka_unit_test(test_config_bits),   cmocka_unit_test(test_shutdown_one_shot),
		cmocka_unit_test(test_alert),	      cmocka_unit_test(test_bad_pointer),
		cmocka_unit_test(test_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
