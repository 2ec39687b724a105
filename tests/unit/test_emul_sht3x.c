// SPDX-License-Identifier: MIT
/*
 * SHT3x emulation against Sensirion's SHT3x-DIS datasheet: CRC-8 (the
 * datasheet's example), the conversion formulas, single-shot measurements
 * with and without clock stretching (NACK until the typical measurement
 * time has passed), periodic mode and fetch, status register, alert limits (written
 * with a CRC), and the sequence Linux's sht3x driver uses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "emul_internal.h"
#include "emul_test.h"

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static struct emul_dev *create(void)
{
	emul_clock_mono_ns = fake_clock;
	fake_now = 1000000000;
	return emul_test_create(EMUL_SHT3X, 0x44, "sht3x@0x44");
}

static const uint64_t ms = 1000000;

static void cmd(struct emul_dev *dev, uint16_t c)
{
	WRITE(dev, (uint8_t)(c >> 8), (uint8_t)c);
}

/* Reads n bytes; returns emul_xfer's result. */
static int rd(struct emul_dev *dev, uint8_t *buf, size_t n)
{
	int ret = emul_xfer(dev, true, buf, n);

	emul_stop(dev);
	return ret;
}

static void assert_word(const uint8_t *p, unsigned word)
{
	assert_hex_equal((unsigned)p[0] << 8 | p[1], word);
	assert_hex_equal(p[2], emul_sht3x_crc8(p, 2));
}

static void test_crc(void **state)
{
	assert_hex_equal(emul_sht3x_crc8((const uint8_t[]){0xbe, 0xef}, 2), 0x92);
	assert_hex_equal(emul_sht3x_crc8((const uint8_t[]){0x00, 0x00}, 2), 0x81);
}

/* T = -45 + 175 * S / 65535, RH = 100 * S / 65535: codes for set values. */
static void test_conversion(void **state)
{
	static const struct {
		double t, rh;
		unsigned st, srh;
	} table[] = {
		{-45, 0, 0x0000, 0x0000},
		{130, 100, 0xffff, 0xffff},
		{25, 50, 0x6666, 0x8000},
		{0, 12.5, 0x41d4, 0x2000},
	};
	struct emul_dev *dev = create();
	uint8_t buf[6];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(emul_set_prop(dev, "temp", table[i].t), 0);
		assert_int_equal(emul_set_prop(dev, "humidity", table[i].rh), 0);
		cmd(dev, 0x2c06);
		assert_int_equal(rd(dev, buf, 6), 0);
		assert_word(buf, table[i].st);
		assert_word(buf + 3, table[i].srh);
	}
	emul_destroy(dev);
}

/*
 * Linux sht3x (non-blocking, high repeatability): 0x2400, wait 15 ms (12.5 ms
 * typical here), read 6
 * bytes, T = ((21875 * S) >> 13) - 45000, RH = (12500 * S) >> 13: within
 * 50 milli-units of the set values (the tolerance).
 */
static void test_linux_single_shot(void **state)
{
	struct emul_dev *dev = create();
	uint8_t buf[6];
	int t, rh;

	assert_int_equal(emul_set_prop(dev, "temp", 23.456), 0);
	assert_int_equal(emul_set_prop(dev, "humidity", 41.2), 0);
	cmd(dev, 0x2400);
	fake_now += 12 * ms;
	assert_int_equal(rd(dev, buf, 6), -ENXIO); /* still measuring (12.5 ms) */
	fake_now += ms / 2;
	assert_int_equal(rd(dev, buf, 6), 0);
	assert_hex_equal(buf[2], emul_sht3x_crc8(buf, 2));
	assert_hex_equal(buf[5], emul_sht3x_crc8(buf + 3, 2));
	t = ((21875 * (buf[0] << 8 | buf[1])) >> 13) - 45000;
	rh = (12500 * (buf[3] << 8 | buf[4])) >> 13;
	assert_in_range(t, 23456 - 50, 23456 + 50);
	assert_in_range(rh, 41200 - 50, 41200 + 50);
	/* a result is read once */
	assert_int_equal(rd(dev, buf, 6), -ENXIO);
	/* medium (4.5 ms) and low (2.5 ms) repeatability */
	cmd(dev, 0x240b);
	fake_now += 4 * ms;
	assert_int_equal(rd(dev, buf, 6), -ENXIO);
	fake_now += ms / 2;
	assert_int_equal(rd(dev, buf, 3), 0);
	cmd(dev, 0x2416);
	fake_now += 2 * ms;
	assert_int_equal(rd(dev, buf, 6), -ENXIO);
	fake_now += ms / 2;
	assert_int_equal(rd(dev, buf, 6), 0);
	emul_destroy(dev);
}

/* Bytes past the response read 0xff. */
static void test_overlong_read(void **state)
{
	struct emul_dev *dev = create();
	uint8_t buf[8];

	cmd(dev, 0x2c10);
	assert_int_equal(rd(dev, buf, 8), 0);
	assert_hex_equal(buf[6], 0xff);
	assert_hex_equal(buf[7], 0xff);
	emul_destroy(dev);
}

/* Periodic 10 mps: fetch answers each new measurement once, NACKs in between; break stops. */
static void test_periodic(void **state)
{
	struct emul_dev *dev = create();
	uint8_t buf[6];

	cmd(dev, 0x2737);
	cmd(dev, 0xe000);
	assert_int_equal(rd(dev, buf, 6), -ENXIO); /* first measurement not done */
	fake_now += 12500 * ms / 1000;
	cmd(dev, 0xe000);
	assert_int_equal(rd(dev, buf, 6), 0);
	assert_word(buf, 0x6666);
	cmd(dev, 0xe000);
	assert_int_equal(rd(dev, buf, 6), -ENXIO); /* nothing new */
	fake_now += 100 * ms;
	assert_int_equal(emul_set_prop(dev, "temp", -45), 0);
	cmd(dev, 0xe000);
	assert_int_equal(rd(dev, buf, 6), 0);
	assert_word(buf, 0x0000);
	cmd(dev, 0x3093);
	fake_now += 1000 * ms;
	cmd(dev, 0xe000);
	assert_int_equal(rd(dev, buf, 6), -ENXIO);
	emul_destroy(dev);
}

static unsigned status(struct emul_dev *dev)
{
	uint8_t buf[3];

	cmd(dev, 0xf32d);
	assert_int_equal(rd(dev, buf, 3), 0);
	assert_hex_equal(buf[2], emul_sht3x_crc8(buf, 2));
	return (unsigned)buf[0] << 8 | buf[1];
}

/* Status: 0x8010 after reset; clear; heater; invalid command; soft reset. */
static void test_status(void **state)
{
	struct emul_dev *dev = create();

	assert_hex_equal(status(dev), 0x8010);
	cmd(dev, 0x3041);
	assert_hex_equal(status(dev), 0x0000);
	cmd(dev, 0x306d);
	assert_hex_equal(status(dev), 0x2000);
	cmd(dev, 0x3066);
	cmd(dev, 0x1234);
	assert_hex_equal(status(dev), 0x0002);
	assert_hex_equal(status(dev), 0x0000);
	cmd(dev, 0x30a2);
	assert_hex_equal(status(dev), 0x8010);
	emul_destroy(dev);
}

static unsigned limit(struct emul_dev *dev, uint16_t c)
{
	uint8_t buf[3];

	cmd(dev, c);
	assert_int_equal(rd(dev, buf, 3), 0);
	assert_hex_equal(buf[2], emul_sht3x_crc8(buf, 2));
	return (unsigned)buf[0] << 8 | buf[1];
}

/* Alert limits: defaults; written with a good CRC they change, with a bad one status bit 0. */
static void test_limits(void **state)
{
	struct emul_dev *dev = create();
	uint8_t w[2] = {0x12, 0x34};

	assert_hex_equal(limit(dev, 0xe11f), 0xcd33);
	assert_hex_equal(limit(dev, 0xe114), 0xc92d);
	assert_hex_equal(limit(dev, 0xe109), 0x3869);
	assert_hex_equal(limit(dev, 0xe102), 0x3466);
	WRITE(dev, 0x61, 0x1d, 0x12, 0x34, emul_sht3x_crc8(w, 2));
	assert_hex_equal(limit(dev, 0xe11f), 0x1234);
	WRITE(dev, 0x61, 0x00, 0x56, 0x78, 0x00);
	assert_hex_equal(status(dev) & 1, 1);
	assert_hex_equal(limit(dev, 0xe102), 0x3466);
	emul_destroy(dev);
}

/* Nothing to answer: NACK; a 1-byte write does nothing. */
static void test_nack(void **state)
{
	struct emul_dev *dev = create();
	uint8_t buf[6];

	assert_int_equal(rd(dev, buf, 6), -ENXIO);
	WRITE(dev, 0xf3);
	assert_int_equal(rd(dev, buf, 3), -ENXIO);
	emul_destroy(dev);
}

static void test_properties(void **state)
{
	struct emul_dev *dev = create();

	assert_in_range((long)(emul_test_prop(dev, "temp") * 1000), 24990, 25010);
	assert_in_range((long)(emul_test_prop(dev, "humidity") * 1000), 49990, 50010);
	assert_int_equal(emul_set_prop(dev, "temp", 130.1), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "temp", -45.1), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "humidity", 100.1), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "humidity", -0.1), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "pressure", 1), -ENOENT);
	emul_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc),
		cmocka_unit_test(test_conversion),
		cmocka_unit_test(test_linux_single_shot),
		cmocka_unit_test(test_overlong_read),
		cmocka_unit_test(test_periodic),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_nack),
		cmocka_unit_test(test_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
