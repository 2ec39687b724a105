// SPDX-License-Identifier: MIT
/*
 * LM75 emulation against the NXP/TI LM75 datasheets: register pointer,
 * 9-bit temperature format, power-up values, R/W and read-only registers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "emul.h"

static struct emul_dev *create_lm75(int32_t temp_mc)
{
	struct cfg_emul spec = {
		.model = EMUL_LM75,
		.addr = 0x48,
		.opts = {{"temp", temp_mc / 1000.0}},
		.n_opts = 1,
		.spec = "lm75@0x48",
	};
	char err[256] = "";
	struct emul_dev *dev = emul_create(&spec, err, sizeof(err));

	if (!dev)
		fail_msg("emul_create: %s", err);
	return dev;
}

/* Write message: pointer byte and optional data, then STOP. */
static void write_msg(struct emul_dev *dev, const uint8_t *bytes, size_t n)
{
	uint8_t buf[8];

	memcpy(buf, bytes, n);
	assert_int_equal(emul_xfer(dev, false, buf, n), 0);
	emul_stop(dev);
}

/* Set pointer, repeated START, read n bytes, STOP. */
static void read_reg(struct emul_dev *dev, uint8_t reg, uint8_t *out, size_t n)
{
	assert_int_equal(emul_xfer(dev, false, &reg, 1), 0);
	assert_int_equal(emul_xfer(dev, true, out, n), 0);
	emul_stop(dev);
}

static void assert_reg16(struct emul_dev *dev, uint8_t reg, uint8_t msb, uint8_t lsb)
{
	uint8_t buf[2] = {0xaa, 0xaa};

	read_reg(dev, reg, buf, 2);
	if (buf[0] != msb || buf[1] != lsb)
		fail_msg("register %u reads %02x %02x, expected %02x %02x", reg, buf[0], buf[1],
			 msb, lsb);
}

static void test_identity(void **state)
{
	struct emul_dev *dev = create_lm75(25000);

	assert_int_equal(emul_addr(dev), 0x48);
	assert_int_equal(emul_model(dev), EMUL_LM75);
	emul_destroy(dev);
}

/* Power-up: pointer 0 (temperature), conf 0, T_hyst 75 C, T_os 80 C. */
static void test_power_up(void **state)
{
	struct emul_dev *dev = create_lm75(25000);
	uint8_t buf[2];
	uint8_t conf = 0xee;

	assert_int_equal(emul_xfer(dev, true, buf, 2), 0);
	emul_stop(dev);
	assert_int_equal(buf[0], 0x19);
	assert_int_equal(buf[1], 0x00);
	read_reg(dev, 1, &conf, 1);
	assert_int_equal(conf, 0x00);
	assert_reg16(dev, 2, 0x4b, 0x00);
	assert_reg16(dev, 3, 0x50, 0x00);
	emul_destroy(dev);
}

static void check_temp(int32_t temp_mc, uint8_t msb, uint8_t lsb)
{
	struct emul_dev *dev = create_lm75(temp_mc);
	uint8_t buf[2];

	assert_int_equal(emul_xfer(dev, true, buf, 2), 0);
	emul_stop(dev);
	if (buf[0] != msb || buf[1] != lsb)
		fail_msg("%d mC reads %02x %02x, expected %02x %02x", temp_mc, buf[0], buf[1], msb,
			 lsb);
	emul_destroy(dev);
}

/* Datasheet table values. */
static void test_temp_format(void **state)
{
	check_temp(125000, 0x7d, 0x00);
	check_temp(25000, 0x19, 0x00);
	check_temp(500, 0x00, 0x80);
	check_temp(0, 0x00, 0x00);
	check_temp(-500, 0xff, 0x80);
	check_temp(-25000, 0xe7, 0x00);
	check_temp(-55000, 0xc9, 0x00);
}

/* Truncation to the half degree below (toward minus infinity). */
static void test_temp_rounding(void **state)
{
	check_temp(25499, 0x19, 0x00);
	check_temp(25500, 0x19, 0x80);
	check_temp(25999, 0x19, 0x80);
	check_temp(499, 0x00, 0x00);
	check_temp(1, 0x00, 0x00);
	check_temp(-1, 0xff, 0x80);
	check_temp(-200, 0xff, 0x80);
	check_temp(-499, 0xff, 0x80);
	check_temp(-501, 0xff, 0x00);
	check_temp(-54900, 0xc9, 0x00);
	check_temp(-55100, 0xc8, 0x80);
	/* The ends of the 9-bit range (set_prop refuses values beyond it). */
	check_temp(127999, 0x7f, 0x80);
	check_temp(-128000, 0x80, 0x00);
}

/* T_os / T_hyst: 2 bytes MSB first, low 7 bits of the LSB stored as 0. */
static void test_limits_write(void **state)
{
	struct emul_dev *dev = create_lm75(25000);

	write_msg(dev, (const uint8_t[]){3, 0x5a, 0xff}, 3);
	assert_reg16(dev, 3, 0x5a, 0x80);
	write_msg(dev, (const uint8_t[]){2, 0xe7, 0x7f}, 3);
	assert_reg16(dev, 2, 0xe7, 0x00);
	assert_reg16(dev, 3, 0x5a, 0x80);
	/* Bytes past the register are ignored. */
	write_msg(dev, (const uint8_t[]){3, 0x10, 0x80, 0x20, 0x00}, 5);
	assert_reg16(dev, 3, 0x10, 0x80);
	assert_reg16(dev, 2, 0xe7, 0x00);
	/* MSB only: not latched, the register keeps its value. */
	write_msg(dev, (const uint8_t[]){2, 0x33}, 2);
	assert_reg16(dev, 2, 0xe7, 0x00);
	/* The temperature is untouched by all this. */
	assert_reg16(dev, 0, 0x19, 0x00);
	emul_destroy(dev);
}

static void test_config_rw(void **state)
{
	struct emul_dev *dev = create_lm75(25000);
	uint8_t buf[4];

	write_msg(dev, (const uint8_t[]){1, 0x01}, 2); /* shutdown */
	read_reg(dev, 1, buf, 1);
	assert_int_equal(buf[0], 0x01);
	write_msg(dev, (const uint8_t[]){1, 0x1e, 0x55, 0x66}, 4); /* extra bytes ignored */
	read_reg(dev, 1, buf, 4);
	const uint8_t expect[] = {0x1e, 0x1e, 0x1e, 0x1e}; /* the byte repeats */
	assert_memory_equal(buf, expect, 4);
	/* Pointer-only write leaves the register. */
	write_msg(dev, (const uint8_t[]){1}, 1);
	read_reg(dev, 1, buf, 1);
	assert_int_equal(buf[0], 0x1e);
	/* The other registers did not move. */
	assert_reg16(dev, 0, 0x19, 0x00);
	assert_reg16(dev, 2, 0x4b, 0x00);
	assert_reg16(dev, 3, 0x50, 0x00);
	emul_destroy(dev);
}

static void test_temp_read_only(void **state)
{
	struct emul_dev *dev = create_lm75(-500);
	uint8_t buf[2];

	write_msg(dev, (const uint8_t[]){0, 0x12, 0x34}, 3);
	/* Pointer is 0 now: a current read returns the unchanged temperature. */
	assert_int_equal(emul_xfer(dev, true, buf, 2), 0);
	emul_stop(dev);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(buf[1], 0x80);
	emul_destroy(dev);
}

/* Long reads repeat MSB, LSB; the pointer never auto-increments. */
static void test_repeated_reads(void **state)
{
	struct emul_dev *dev = create_lm75(25000);
	uint8_t buf[7];

	read_reg(dev, 0, buf, 7);
	const uint8_t expect_temp[] = {0x19, 0x00, 0x19, 0x00, 0x19, 0x00, 0x19};
	assert_memory_equal(buf, expect_temp, 7);
	read_reg(dev, 3, buf, 5);
	const uint8_t expect_tos[] = {0x50, 0x00, 0x50, 0x00, 0x50};
	assert_memory_equal(buf, expect_tos, 5);
	/* Current-address reads stay on T_os, each starting at its MSB. */
	assert_int_equal(emul_xfer(dev, true, buf, 1), 0);
	emul_stop(dev);
	assert_int_equal(buf[0], 0x50);
	assert_int_equal(emul_xfer(dev, true, buf, 2), 0);
	emul_stop(dev);
	assert_int_equal(buf[0], 0x50);
	assert_int_equal(buf[1], 0x00);
	emul_destroy(dev);
}

/* Pointer bytes with bits 7..2 set are NACKed and change nothing. */
static void test_bad_pointer(void **state)
{
	struct emul_dev *dev = create_lm75(25000);
	uint8_t bad[] = {0x04, 0x12, 0x34};
	uint8_t buf[2];

	write_msg(dev, (const uint8_t[]){2}, 1);
	assert_int_equal(emul_xfer(dev, false, bad, 3), -ENXIO);
	emul_stop(dev);
	bad[0] = 0x83;
	assert_int_equal(emul_xfer(dev, false, bad, 3), -ENXIO);
	emul_stop(dev);
	bad[0] = 0xff;
	assert_int_equal(emul_xfer(dev, false, bad, 1), -ENXIO);
	emul_stop(dev);
	/* Pointer still on T_hyst, T_os not written. */
	assert_int_equal(emul_xfer(dev, true, buf, 2), 0);
	emul_stop(dev);
	assert_int_equal(buf[0], 0x4b);
	assert_int_equal(buf[1], 0x00);
	assert_reg16(dev, 3, 0x50, 0x00);
	emul_destroy(dev);
}

static void test_zero_length_probe(void **state)
{
	struct emul_dev *dev = create_lm75(25000);
	uint8_t buf[2];

	write_msg(dev, (const uint8_t[]){3}, 1);
	assert_int_equal(emul_xfer(dev, false, NULL, 0), 0);
	emul_stop(dev);
	assert_int_equal(emul_xfer(dev, true, NULL, 0), 0);
	emul_stop(dev);
	assert_int_equal(emul_xfer(dev, true, buf, 2), 0);
	emul_stop(dev);
	assert_int_equal(buf[0], 0x50);
	assert_int_equal(buf[1], 0x00);
	emul_destroy(dev);
}

static void test_file_rejected(void **state)
{
	struct cfg_emul spec = {
		.model = EMUL_LM75,
		.addr = 0x48,
		.file = (char *)"/tmp/x",
		.spec = "lm75@0x48,file=/tmp/x",
	};
	char err[256] = "";

	errno = 0;
	assert_null(emul_create(&spec, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "--emulate 'lm75@0x48,file=/tmp/x': file= is only supported by "
				 "EEPROMs");
}

static void count_prop(void *ctx, const struct emul_prop *p)
{
	unsigned *n = ctx;

	assert_string_equal(p->name, "temp");
	assert_true(p->writable);
	assert_true(p->value == 25.0);
	(*n)++;
}

/* The `temp` property: listed, read back in 0.5 C steps, and read by the guest at once. */
static void test_temp_property(void **state)
{
	struct emul_dev *dev = create_lm75(25000);
	uint8_t buf[2];
	unsigned n = 0;
	double v;

	emul_each_prop(dev, count_prop, &n);
	assert_int_equal(n, 1);
	assert_int_equal(emul_set_prop(dev, "temp", 30.7), 0);
	assert_int_equal(emul_get_prop(dev, "temp", &v), 0);
	assert_true(v == 30.5);
	assert_int_equal(emul_xfer(dev, false, (uint8_t[]){0}, 1), 0);
	assert_int_equal(emul_xfer(dev, true, buf, 2), 0);
	assert_int_equal(buf[0], 0x1e);
	assert_int_equal(buf[1], 0x80);
	assert_int_equal(emul_set_prop(dev, "temp", -0.2), 0);
	assert_int_equal(emul_get_prop(dev, "temp", &v), 0);
	assert_true(v == -0.5);
	assert_int_equal(emul_set_prop(dev, "temp", 128.0), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "temp", -129.0), -ERANGE);
	assert_int_equal(emul_get_prop(dev, "temp", &v), 0);
	assert_true(v == -0.5);
	assert_int_equal(emul_set_prop(dev, "hum", 1.0), -ENOENT);
	assert_int_equal(emul_get_prop(dev, "hum", &v), -ENOENT);
	emul_destroy(dev);
}

/*
 * A `set` may carry more decimals than -e allows: still rounded down to the
 * 0.5 C step (25.4996 C used to be rounded to 25.500 C first and read 25.5).
 */
static void test_temp_property_rounds_down(void **state)
{
	struct emul_dev *dev = create_lm75(25000);
	double v;

	assert_int_equal(emul_set_prop(dev, "temp", 25.4996), 0);
	assert_int_equal(emul_get_prop(dev, "temp", &v), 0);
	assert_true(v == 25.0);
	assert_int_equal(emul_set_prop(dev, "temp", -0.0004), 0);
	assert_int_equal(emul_get_prop(dev, "temp", &v), 0);
	assert_true(v == -0.5);
	assert_int_equal(emul_set_prop(dev, "temp", 127.9999), 0);
	assert_int_equal(emul_get_prop(dev, "temp", &v), 0);
	assert_true(v == 127.5);
	emul_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_power_up),
		cmocka_unit_test(test_temp_format),
		cmocka_unit_test(test_temp_rounding),
		cmocka_unit_test(test_limits_write),
		cmocka_unit_test(test_config_rw),
		cmocka_unit_test(test_temp_read_only),
		cmocka_unit_test(test_repeated_reads),
		cmocka_unit_test(test_bad_pointer),
		cmocka_unit_test(test_zero_length_probe),
		cmocka_unit_test(test_file_rejected),
		cmocka_unit_test(test_temp_property),
		cmocka_unit_test(test_temp_property_rounds_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
