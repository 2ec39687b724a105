// SPDX-License-Identifier: MIT
/*
 * JC-42.4 temperature sensor emulation against JEDEC 21-C 4.1.6: the
 * temperature register (13-bit two's complement plus three flag bits),
 * limits with 0.25 C resolution, capability/ID registers, locks, shutdown,
 * and what Linux's jc42 driver computes from them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "emul_test.h"

static struct emul_dev *create(void)
{
	return emul_test_create(EMUL_JC42, 0x18, "jc42@0x18");
}

/* Linux jc42: sign_extend32(reg, 12) * 125 / 2. */
static int linux_temp(unsigned reg)
{
	int v = (int)(reg & 0x1fff);

	if (v & 0x1000)
		v -= 0x2000;
	return v * 125 / 2;
}

static void test_ids(void **state)
{
	struct emul_dev *dev = create();

	assert_hex_equal(emul_test_reg16(dev, 0), 0x001f);
	assert_hex_equal(emul_test_reg16(dev, 6), 0x0054);
	assert_hex_equal(emul_test_reg16(dev, 7), 0x2201);
	/* jc42_detect: no capability bits above 7, no config bits above 10 */
	assert_hex_equal(emul_test_reg16(dev, 0) & 0xff00, 0);
	assert_hex_equal(emul_test_reg16(dev, 1) & 0xf800, 0);
	/* the MCP98244 entry of the driver's table: device ID under mask 0xfffc */
	assert_hex_equal(emul_test_reg16(dev, 7) & 0xfffc, 0x2200);
	emul_destroy(dev);
}

/* Temperature codes in 0.0625 C, two's complement over bits 12..0. */
static void test_temp_format(void **state)
{
	static const struct {
		double t;
		unsigned code;
	} table[] = {
		{125, 0x07d0},	   {25, 0x0190},  {0.0625, 0x0001}, {0, 0x0000},
		{-0.0625, 0x1fff}, {-25, 0x1e70}, {-40, 0x1d80},    {85.5, 0x0558},
	};
	struct emul_dev *dev = create();

	/* limits far away so no flag is set: lower -256 C, upper/critical +255.75 C */
	WRITE(dev, 3, 0x10, 0x00);
	WRITE(dev, 2, 0x0f, 0xfc);
	WRITE(dev, 4, 0x0f, 0xfc);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		unsigned reg;

		assert_int_equal(emul_set_prop(dev, "temp", table[i].t), 0);
		reg = emul_test_reg16(dev, 5);
		assert_hex_equal(reg, table[i].code);
		assert_int_equal(linux_temp(reg), (int)(table[i].t * 1000));
	}
	emul_destroy(dev);
}

/* Flags: bit 15 T >= critical, 14 T > upper, 13 T < lower; event status in config bit 4. */
static void test_flags_and_event(void **state)
{
	struct emul_dev *dev = create();

	WRITE(dev, 2, 0x01, 0xe0); /* upper 30 C */
	WRITE(dev, 3, 0x00, 0xa0); /* lower 10 C */
	WRITE(dev, 4, 0x02, 0x80); /* critical 40 C */
	assert_hex_equal(emul_test_reg16(dev, 2), 0x01e0);
	assert_int_equal(emul_set_prop(dev, "temp", 25), 0);
	assert_hex_equal(emul_test_reg16(dev, 5), 0x0190);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x0000);
	assert_int_equal(emul_set_prop(dev, "temp", 30), 0);
	assert_hex_equal(emul_test_reg16(dev, 5), 0x01e0); /* not above: equal */
	assert_int_equal(emul_set_prop(dev, "temp", 35), 0);
	assert_hex_equal(emul_test_reg16(dev, 5), 0x4230);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x0010);
	WRITE(dev, 1, 0x00, 0x04); /* critical only */
	assert_hex_equal(emul_test_reg16(dev, 1), 0x0004);
	assert_int_equal(emul_set_prop(dev, "temp", 40), 0);
	assert_hex_equal(emul_test_reg16(dev, 5), 0xc280);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x0014);
	assert_int_equal(emul_set_prop(dev, "temp", 5), 0);
	assert_hex_equal(emul_test_reg16(dev, 5), 0x2050);
	emul_destroy(dev);
}

/* Limits keep bits 12..2 only. */
static void test_limit_resolution(void **state)
{
	struct emul_dev *dev = create();

	WRITE(dev, 2, 0xff, 0xff);
	assert_hex_equal(emul_test_reg16(dev, 2), 0x1ffc);
	WRITE(dev, 3, 0x01, 0x93);
	assert_hex_equal(emul_test_reg16(dev, 3), 0x0190);
	emul_destroy(dev);
}

/* Locks: set until power-off; locked limits ignore writes; no shutdown while locked. */
static void test_locks(void **state)
{
	struct emul_dev *dev = create();

	WRITE(dev, 1, 0x00, 0xc0);
	assert_hex_equal(emul_test_reg16(dev, 1) & 0xffef, 0x00c0);
	WRITE(dev, 1, 0x01, 0x00); /* try to clear the locks and shut down */
	assert_hex_equal(emul_test_reg16(dev, 1) & 0xffef, 0x00c0);
	WRITE(dev, 2, 0x01, 0x00);
	WRITE(dev, 3, 0x01, 0x00);
	WRITE(dev, 4, 0x01, 0x00);
	assert_hex_equal(emul_test_reg16(dev, 2), 0);
	assert_hex_equal(emul_test_reg16(dev, 3), 0);
	assert_hex_equal(emul_test_reg16(dev, 4), 0);
	/* hysteresis and the clear-event bit (reads 0) */
	WRITE(dev, 1, 0x06, 0xe0);
	assert_hex_equal(emul_test_reg16(dev, 1) & 0xffef, 0x06c0);
	emul_destroy(dev);
}

static void test_shutdown(void **state)
{
	struct emul_dev *dev = create();

	WRITE(dev, 1, 0x01, 0x00);
	assert_int_equal(emul_set_prop(dev, "temp", 50), 0);
	assert_hex_equal(emul_test_reg16(dev, 5) & 0x1fff, 0x0190);
	WRITE(dev, 1, 0x00, 0x00);
	assert_hex_equal(emul_test_reg16(dev, 5) & 0x1fff, 0x0320);
	emul_destroy(dev);
}

static void test_bad_pointer_and_read_only(void **state)
{
	struct emul_dev *dev = create();

	assert_int_equal(emul_test_write(dev, (const uint8_t[]){8}, 1), -ENXIO);
	WRITE(dev, 5, 0x12, 0x34);
	WRITE(dev, 6, 0x12, 0x34);
	WRITE(dev, 0, 0x12, 0x34);
	assert_hex_equal(emul_test_reg16(dev, 6), 0x0054);
	assert_hex_equal(emul_test_reg16(dev, 0), 0x001f);
	assert_hex_equal(emul_test_reg16(dev, 5) & 0x1fff, 0x0190);
	emul_destroy(dev);
}

static void test_property(void **state)
{
	struct emul_dev *dev = create();

	assert_true(emul_test_prop(dev, "temp") == 25.0);
	assert_int_equal(emul_set_prop(dev, "temp", -12.3), 0);
	assert_true(emul_test_prop(dev, "temp") == -12.3125);
	assert_int_equal(emul_set_prop(dev, "temp", 125.01), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "temp", -40.01), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "x", 1), -ENOENT);
	emul_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_temp_format),
		cmocka_unit_test(test_flags_and_event),
		cmocka_unit_test(test_limit_resolution),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_bad_pointer_and_read_only),
		cmocka_unit_test(test_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
