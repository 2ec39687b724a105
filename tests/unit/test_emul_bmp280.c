// SPDX-License-Identifier: MIT
/*
 * BMP280 emulation against Bosch's datasheet (BST-BMP280-DS001): chip id,
 * calibration words, reset values, ctrl_meas/config, forced/normal mode,
 * skipped measurements, resolution, register-pair writes, and the raw values
 * the datasheet's compensation (as Linux's bmp280 driver runs it) turns into
 * the set temperature and pressure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "bmp280_compensation.h"
#include "emul_test.h"

static struct emul_dev *create(void)
{
	return emul_test_create(EMUL_BMP280, 0x76, "bmp280@0x76");
}

static void read_regs(struct emul_dev *dev, uint8_t reg, uint8_t *buf, size_t n)
{
	assert_int_equal(emul_test_read(dev, &reg, 1, buf, n), 0);
}

/* The calibration words as the driver reads them: 24 bytes from 0x88, little-endian. */
static void read_calib(struct emul_dev *dev, struct calib *c)
{
	uint8_t b[24];
	int32_t w[12];

	read_regs(dev, 0x88, b, sizeof(b));
	for (int i = 0; i < 12; i++)
		w[i] = b[2 * i] | b[2 * i + 1] << 8;
	c->t1 = w[0];
	c->t2 = (int16_t)w[1];
	c->t3 = (int16_t)w[2];
	c->p1 = w[3];
	c->p2 = (int16_t)w[4];
	c->p3 = (int16_t)w[5];
	c->p4 = (int16_t)w[6];
	c->p5 = (int16_t)w[7];
	c->p6 = (int16_t)w[8];
	c->p7 = (int16_t)w[9];
	c->p8 = (int16_t)w[10];
	c->p9 = (int16_t)w[11];
}

static int32_t raw20(struct emul_dev *dev, uint8_t reg)
{
	uint8_t b[3];

	read_regs(dev, reg, b, 3);
	return (int32_t)((uint32_t)b[0] << 12 | (uint32_t)b[1] << 4 | b[2] >> 4);
}

/* The datasheet's worked example (section 3.12) with the model's calibration. */
static void test_datasheet_example(void **state)
{
	struct emul_dev *dev = create();
	struct calib c;
	int32_t t_fine;

	read_calib(dev, &c);
	assert_int_equal(c.t1, 27504);
	assert_int_equal(c.t2, 26435);
	assert_int_equal(c.t3, -1000);
	assert_int_equal(c.p1, 36477);
	assert_int_equal(c.p2, -10685);
	assert_int_equal(c.p3, 3024);
	assert_int_equal(c.p4, 2855);
	assert_int_equal(c.p5, 140);
	assert_int_equal(c.p6, -7);
	assert_int_equal(c.p7, 15500);
	assert_int_equal(c.p8, -14600);
	assert_int_equal(c.p9, 6000);
	assert_int_equal(comp_t(&c, 519888, &t_fine), 2508);
	assert_int_equal(t_fine, 128422);
	/* 100653.27 Pa */
	assert_int_equal(comp_p(&c, 415148, t_fine) / 256, 100653);
	emul_destroy(dev);
}

static void test_id_and_reset(void **state)
{
	struct emul_dev *dev = create();
	uint8_t b[6];

	assert_hex_equal(emul_test_reg8(dev, 0xd0), 0x58);
	assert_hex_equal(emul_test_reg8(dev, 0xf4), 0x00);
	assert_hex_equal(emul_test_reg8(dev, 0xf5), 0x00);
	assert_hex_equal(emul_test_reg8(dev, 0xf3), 0x00);
	read_regs(dev, 0xf7, b, 6);
	assert_memory_equal(b, ((uint8_t[]){0x80, 0, 0, 0x80, 0, 0}), 6);
	WRITE(dev, 0xf4, 0x57, 0xf5, 0x08); /* two register pairs in one message */
	assert_hex_equal(emul_test_reg8(dev, 0xf4), 0x57);
	assert_hex_equal(emul_test_reg8(dev, 0xf5), 0x08);
	WRITE(dev, 0xe0, 0xb6);
	assert_hex_equal(emul_test_reg8(dev, 0xf4), 0x00);
	assert_hex_equal(emul_test_reg8(dev, 0xf5), 0x00);
	read_regs(dev, 0xfa, b, 3);
	assert_memory_equal(b, ((uint8_t[]){0x80, 0, 0}), 3);
	emul_destroy(dev);
}

/*
 * Linux bmp280: osrs_t x2, osrs_p x16, normal mode, filter 4x; then
 * in_temp_input = T * 10 (milli C) within 20, in_pressure_input =
 * P / 256000 kPa within 0.01 kPa, over a range of set values.
 */
static void test_linux_readings(void **state)
{
	static const double temps[] = {-40, -12.34, 0, 21.5, 25.08, 37.77, 85};
	static const double presses[] = {300, 850.25, 1006.5327, 1013.25, 1100};
	struct emul_dev *dev = create();
	struct calib c;

	read_calib(dev, &c);
	WRITE(dev, 0xf4, 0x57);
	WRITE(dev, 0xf5, 0x08);
	for (size_t i = 0; i < sizeof(temps) / sizeof(temps[0]); i++) {
		for (size_t j = 0; j < sizeof(presses) / sizeof(presses[0]); j++) {
			int32_t t_fine, t;
			double kpa;

			assert_int_equal(emul_set_prop(dev, "temp", temps[i]), 0);
			assert_int_equal(emul_set_prop(dev, "pressure", presses[j]), 0);
			t = comp_t(&c, raw20(dev, 0xfa), &t_fine) * 10;
			kpa = comp_p(&c, raw20(dev, 0xf7), t_fine) / 256000.0;
			if (t < temps[i] * 1000 - 20 || t > temps[i] * 1000 + 20)
				fail_msg("%g C reads %d milli C", temps[i], t);
			if (kpa < presses[j] / 10 - 0.01 || kpa > presses[j] / 10 + 0.01)
				fail_msg("%g hPa at %g C reads %.5f kPa", presses[j], temps[i],
					 kpa);
		}
	}
	emul_destroy(dev);
}

/* Forced mode measures once and returns to sleep; sleep keeps the result. */
static void test_forced_and_skipped(void **state)
{
	struct emul_dev *dev = create();
	int32_t first;

	assert_int_equal(emul_set_prop(dev, "temp", 20), 0);
	WRITE(dev, 0xf4, 0x25); /* osrs_t x1, osrs_p x1, forced */
	assert_hex_equal(emul_test_reg8(dev, 0xf4), 0x24);
	first = raw20(dev, 0xfa);
	assert_true(first != 0x80000);
	assert_hex_equal(first & 0xf, 0); /* 16-bit resolution without the filter */
	assert_int_equal(emul_set_prop(dev, "temp", 30), 0);
	assert_int_equal(raw20(dev, 0xfa), first);
	WRITE(dev, 0xf4, 0x21); /* pressure skipped */
	assert_int_equal(raw20(dev, 0xf7), 0x80000);
	assert_true(raw20(dev, 0xfa) > first);
	WRITE(dev, 0xf4, 0x05); /* temperature skipped: both */
	assert_int_equal(raw20(dev, 0xfa), 0x80000);
	assert_int_equal(raw20(dev, 0xf7), 0x80000);
	emul_destroy(dev);
}

static void test_properties(void **state)
{
	struct emul_dev *dev = create();

	assert_true(emul_test_prop(dev, "temp") == 25.0);
	assert_true(emul_test_prop(dev, "pressure") == 1013.25);
	assert_int_equal(emul_set_prop(dev, "temp", 85.01), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "temp", -40.01), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "pressure", 299.9), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "pressure", 1100.1), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "humidity", 1), -ENOENT);
	emul_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datasheet_example), cmocka_unit_test(test_id_and_reset),
		cmocka_unit_test(test_linux_readings),	  cmocka_unit_test(test_forced_and_skipped),
		cmocka_unit_test(test_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
