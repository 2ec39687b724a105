// SPDX-License-Identifier: MIT
/*
 * DS1307/DS3231 emulation against Maxim's datasheets: BCD time registers
 * from the host clock plus offset, a guest write setting the offset, the
 * 12-hour mode, day of week, CH (DS1307), century and status (DS3231),
 * pointer wrap-around, RAM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "emul_internal.h"
#include "emul_test.h"

#define NS 1000000000LL

static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

/* 2024-02-29 23:59:58.5 UTC, a Thursday. */
#define T0 ((int64_t)1709251198 * NS + NS / 2)

static struct emul_dev *create(enum emul_model model)
{
	emul_clock_real_ns = fake_clock;
	fake_now = T0;
	return emul_test_create(model, 0x68, model == EMUL_DS1307 ? "ds1307@0x68" : "ds3231@0x68");
}

static void read_time(struct emul_dev *dev, uint8_t r[7])
{
	assert_int_equal(emul_test_read(dev, (const uint8_t[]){0}, 1, r, 7), 0);
}

static void test_reads_host_time(void **state)
{
	struct emul_dev *dev = create(EMUL_DS1307);
	uint8_t r[7];

	read_time(dev, r);
	/* 23:59:58, Thursday (Sunday = 1), 29, February, 24 */
	assert_memory_equal(r, ((uint8_t[]){0x58, 0x59, 0x23, 0x05, 0x29, 0x02, 0x24}), 7);
	fake_now += 2 * NS;
	read_time(dev, r);
	assert_memory_equal(r, ((uint8_t[]){0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24}), 7);
	emul_destroy(dev);
}

/* The guest sets 2030-12-31 23:59:59 (a Tuesday, wday 3): offset follows, the clock runs on. */
static void test_guest_write_sets_offset(void **state)
{
	struct emul_dev *dev = create(EMUL_DS1307);
	uint8_t r[7];
	double off;

	WRITE(dev, 0, 0x59, 0x59, 0x23, 0x03, 0x31, 0x12, 0x30);
	assert_int_equal(emul_get_prop(dev, "offset", &off), 0);
	/* 1924991999 - 1709251198.5 */
	assert_true(off == 1924991999.0 - 1709251198.5);
	read_time(dev, r);
	assert_memory_equal(r, ((uint8_t[]){0x59, 0x59, 0x23, 0x03, 0x31, 0x12, 0x30}), 7);
	fake_now += NS;
	read_time(dev, r);
	assert_memory_equal(r, ((uint8_t[]){0x00, 0x00, 0x00, 0x04, 0x01, 0x01, 0x31}), 7);
	/* a single field: minutes only */
	WRITE(dev, 1, 0x30);
	read_time(dev, r);
	assert_memory_equal(r, ((uint8_t[]){0x00, 0x30, 0x00, 0x04, 0x01, 0x01, 0x31}), 7);
	emul_destroy(dev);
}

static void test_offset_property(void **state)
{
	struct emul_dev *dev = create(EMUL_DS3231);
	uint8_t r[7];

	assert_true(emul_test_prop(dev, "offset") == 0);
	assert_int_equal(emul_set_prop(dev, "offset", -86400), 0);
	read_time(dev, r);
	assert_memory_equal(r, ((uint8_t[]){0x58, 0x59, 0x23, 0x04, 0x28, 0x02, 0x24}), 7);
	assert_int_equal(emul_set_prop(dev, "offset", 4e9 + 1), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "time", 1), -ENOENT);
	emul_destroy(dev);
}

/* The guest's day of week is kept: what the register holds advances at midnight. */
static void test_day_of_week(void **state)
{
	struct emul_dev *dev = create(EMUL_DS1307);
	uint8_t r[7];

	WRITE(dev, 3, 0x01);
	read_time(dev, r);
	assert_hex_equal(r[3], 0x01);
	fake_now += 2 * NS;
	read_time(dev, r);
	assert_hex_equal(r[3], 0x02);
	emul_destroy(dev);
}

static void test_12_hour(void **state)
{
	struct emul_dev *dev = create(EMUL_DS1307);
	uint8_t r[7];

	WRITE(dev, 2, 0x40 | 0x20 | 0x11); /* 11 PM */
	read_time(dev, r);
	assert_hex_equal(r[2], 0x71);
	fake_now += 2 * NS; /* midnight: 12 AM */
	read_time(dev, r);
	assert_hex_equal(r[2], 0x52);
	WRITE(dev, 2, 0x13); /* back to 24-hour mode */
	read_time(dev, r);
	assert_hex_equal(r[2], 0x13);
	emul_destroy(dev);
}

/* DS1307 CH: the clock stops and keeps its time; clearing CH restarts it. */
static void test_clock_halt(void **state)
{
	struct emul_dev *dev = create(EMUL_DS1307);
	uint8_t r[7];

	WRITE(dev, 0, 0x80 | 0x10);
	fake_now += 100 * NS;
	read_time(dev, r);
	assert_hex_equal(r[0], 0x90);
	assert_hex_equal(r[1], 0x59);
	WRITE(dev, 0, 0x10);
	fake_now += 5 * NS;
	read_time(dev, r);
	assert_hex_equal(r[0], 0x15);
	emul_destroy(dev);
}

static double offset(struct emul_dev *dev)
{
	double off;

	assert_int_equal(emul_get_prop(dev, "offset", &off), 0);
	return off;
}

/*
 * A halted DS1307's offset stands still with its clock (it used to fall as
 * host time went on): `get` is stable, `set` moves the stopped clock by the
 * change, and so does a guest write; restarting resumes from the frozen time.
 */
static void test_halted_offset(void **state)
{
	struct emul_dev *dev = create(EMUL_DS1307);
	uint8_t r[7];

	/* at 23:59:58.5 the guest halts the clock at 23:59:10 */
	WRITE(dev, 0, 0x80 | 0x10);
	assert_true(offset(dev) == -48.5);
	fake_now += 100 * NS;
	assert_true(offset(dev) == -48.5);
	read_time(dev, r);
	assert_hex_equal(r[0], 0x90);
	/* 8 s later than it was: 23:59:18.5, still stopped */
	assert_int_equal(emul_set_prop(dev, "offset", -40.5), 0);
	fake_now += 100 * NS;
	assert_true(offset(dev) == -40.5);
	read_time(dev, r);
	assert_hex_equal(r[0], 0x98);
	assert_hex_equal(r[1], 0x59);
	/* setting what get returns changes nothing (the control socket's undo) */
	assert_int_equal(emul_set_prop(dev, "offset", offset(dev)), 0);
	read_time(dev, r);
	assert_hex_equal(r[0], 0x98);
	/* the guest sets the minutes of the stopped clock: one minute back */
	WRITE(dev, 1, 0x58);
	assert_true(offset(dev) == -100.5);
	fake_now += 100 * NS;
	read_time(dev, r);
	assert_memory_equal(r, ((uint8_t[]){0x98, 0x58, 0x23, 0x05, 0x29, 0x02, 0x24}), 7);
	/* CH cleared 300 s after the halt: the clock runs on from 23:58:18 */
	WRITE(dev, 0, 0x18);
	assert_true(offset(dev) == -100.5 - 300);
	fake_now += 5 * NS;
	read_time(dev, r);
	assert_hex_equal(r[0], 0x23);
	assert_hex_equal(r[1], 0x58);
	emul_destroy(dev);
}

/* DS1307: control 0x03 at power-up, RAM at 0x08..0x3f, pointer wraps to 0. */
static void test_ds1307_registers(void **state)
{
	struct emul_dev *dev = create(EMUL_DS1307);
	uint8_t b[2];

	assert_hex_equal(emul_test_reg8(dev, 7), 0x03);
	WRITE(dev, 7, 0xff);
	assert_hex_equal(emul_test_reg8(dev, 7), 0x93);
	WRITE(dev, 0x3f, 0xab);
	assert_int_equal(emul_test_read(dev, (const uint8_t[]){0x3f}, 1, b, 2), 0);
	assert_hex_equal(b[0], 0xab);
	assert_hex_equal(b[1], 0x58); /* seconds */
	assert_int_equal(emul_test_write(dev, (const uint8_t[]){0x40}, 1), -ENXIO);
	emul_destroy(dev);
}

/* DS3231: century bit, control 0x1c, status 0x08 (OSF clear), temperature, wrap after 0x12. */
static void test_ds3231_registers(void **state)
{
	struct emul_dev *dev = create(EMUL_DS3231);
	uint8_t r[7], b[2];

	assert_hex_equal(emul_test_reg8(dev, 0x0e), 0x1c);
	assert_hex_equal(emul_test_reg8(dev, 0x0f), 0x08);
	assert_hex_equal(emul_test_reg8(dev, 0x11), 25);
	WRITE(dev, 0x0f, 0xff); /* OSF/A2F/A1F only clear */
	assert_hex_equal(emul_test_reg8(dev, 0x0f), 0x08);
	WRITE(dev, 0x11, 0x55);
	assert_hex_equal(emul_test_reg8(dev, 0x11), 25);
	assert_int_equal(emul_test_read(dev, (const uint8_t[]){0x12}, 1, b, 2), 0);
	assert_hex_equal(b[1], 0x58);
	assert_int_equal(emul_test_write(dev, (const uint8_t[]){0x13}, 1), -ENXIO);
	/* 2101-01-01 00:00:00 */
	WRITE(dev, 0, 0x00, 0x00, 0x00, 0x01, 0x01, 0x81, 0x01);
	read_time(dev, r);
	assert_hex_equal(r[5], 0x81);
	assert_hex_equal(r[6], 0x01);
	emul_destroy(dev);
}

/* Out-of-range BCD everywhere (found by fuzz_emul): no overflow, the offset stays in range. */
static void test_garbage_time(void **state)
{
	struct emul_dev *dev = create(EMUL_DS3231);
	uint8_t r[7];
	double off;

	WRITE(dev, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	assert_int_equal(emul_get_prop(dev, "offset", &off), 0);
	assert_true(off <= 4e9 && off > 0);
	read_time(dev, r);
	WRITE(dev, 0, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00); /* month and date 0 */
	assert_int_equal(emul_get_prop(dev, "offset", &off), 0);
	assert_true(off >= -4e9 && off <= 4e9);
	emul_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_host_time),
		cmocka_unit_test(test_guest_write_sets_offset),
		cmocka_unit_test(test_offset_property),
		cmocka_unit_test(test_day_of_week),
		cmocka_unit_test(test_12_hour),
		cmocka_unit_test(test_clock_halt),
		cmocka_unit_test(test_halted_offset),
		cmocka_unit_test(test_ds1307_registers),
		cmocka_unit_test(test_ds3231_registers),
		cmocka_unit_test(test_garbage_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
