// SPDX-License-Identifier: MIT
/*
 * The sensor, ADC, GPIO and RTC models over the wire, through the real
 * daemon, with their properties set on the command line (-e ...,NAME=VALUE)
 * and at run time over the control socket (--control): what a guest driver
 * reads first from each, the register values the datasheets give for values
 * `set` at run time, what `get` shows after a guest's writes (RTC time,
 * GPIO outputs), the SHT3x measurement time (NACK until it has passed), and
 * the RTCs against the host clock. Guest 0 has the shared bus, guest 1 a
 * bus of its own with the DS3231 (the DS1307's address).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../unit/bmp280_compensation.h"
#include "daemon.h"
#include "test_assert.h"
#include "vu_frontend.h"

#define TMO 5000

struct fx {
	struct daemon *d;
	struct vf_dev *dev;  /* guest 0: the shared bus */
	struct vf_dev *dev1; /* guest 1: the DS3231 */
	char path[2][160];
	char ctl_path[160];
	int ctl;
	bool passed;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char *args[] = {"-e",	   "tmp102@0x48,temp=-12.125",
			"-e",	   "jc42@0x18,temp=36.75",
			"-e",	   "sht3x@0x44,temp=23.4,humidity=56.7",
			"-e",	   "ads1015@0x4a,ain0=1.234",
			"-e",	   "bmp280@0x76",
			"-e",	   "pca9555@0x20,inputs=0xa5a5",
			"-e",	   "ds1307@0x68,offset=3600",
			"--guest", "1",
			"-e",	   "ds3231@0x68,offset=-7200.5",
			NULL};

	if (!fx)
		return -1;
	fx->ctl = -1;
	fx->d = daemon_new();
	if (!fx->d) {
		free(fx);
		return -1;
	}
	if (daemon_start_ctl(fx->d, 2, args, fx->ctl_path, sizeof(fx->ctl_path))) {
		daemon_free(fx->d);
		free(fx);
		return -1;
	}
	for (unsigned i = 0; i < 2; i++)
		daemon_sock_path(fx->d, i, fx->path[i], sizeof(fx->path[i]));
	fx->dev = vf_dev_open(fx->path[0], NULL);
	fx->dev1 = fx->dev ? vf_dev_open(fx->path[1], NULL) : NULL;
	fx->ctl = fx->dev1 ? ctl_connect(fx->ctl_path, TMO) : -1;
	if (fx->ctl < 0) {
		printf("guest or control connection failed: %s\n", strerror(errno));
		vf_dev_destroy(fx->dev);
		vf_dev_destroy(fx->dev1);
		daemon_finish(fx->d, false);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int ret;

	close(fx->ctl);
	vf_dev_destroy(fx->dev);
	vf_dev_destroy(fx->dev1);
	ret = daemon_finish(fx->d, fx->passed);
	free(fx);
	return ret;
}

static unsigned reg16(struct vf_dev *dev, uint8_t addr, uint8_t reg)
{
	uint8_t r[2];

	assert_int_equal(vf_i2c_write_read(dev, addr, &reg, 1, r, 2), 0);
	return (unsigned)r[0] << 8 | r[1];
}

/* The start properties reach the registers, in each chip's format. */
static void test_start_values(void **state)
{
	struct fx *fx = *state;
	uint8_t reg, b;

	assert_int_equal(reg16(fx->dev, 0x48, 0), (unsigned)(uint16_t)(-194 * 16)); /* -12.125 C */
	assert_int_equal(reg16(fx->dev, 0x48, 1), 0x60a0);
	assert_int_equal(reg16(fx->dev, 0x18, 5) & 0x1fff, 588); /* 36.75 C in 1/16 */
	assert_int_equal(reg16(fx->dev, 0x18, 6), 0x0054);
	/* ads1015: single shot on AIN0, +-2.048 V: 1 mV per code */
	assert_int_equal(vf_i2c_write(fx->dev, 0x4a, (uint8_t[]){1, 0xc5, 0x83}, 3), 0);
	assert_int_equal(reg16(fx->dev, 0x4a, 0), 1234u << 4);
	reg = 0xd0;
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x76, &reg, 1, &b, 1), 0);
	assert_int_equal(b, 0x58);
	reg = 0;
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x20, &reg, 1, &b, 1), 0);
	assert_int_equal(b, 0xa5);
	fx->passed = true;
}

/* SHT3x single shot without clock stretching: NACK until 12.5 ms passed, then T, RH with CRCs. */
static void test_sht3x_measurement_time(void **state)
{
	struct fx *fx = *state;
	uint8_t r[6];
	long t, rh;

	/* the command and a read right after it in one transfer: no time passes */
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x44, (uint8_t[]){0x24, 0x00}, 2, r, 6), -EIO);
	msleep(20);
	assert_int_equal(vf_i2c_read(fx->dev, 0x44, r, 6), 0);
	t = ((21875L * (r[0] << 8 | r[1])) >> 13) - 45000;
	rh = (12500L * (r[3] << 8 | r[4])) >> 13;
	assert_in_range(t, 23400 - 50, 23400 + 50);
	assert_in_range(rh, 56700 - 50, 56700 + 50);
	/* read once */
	assert_int_equal(vf_i2c_read(fx->dev, 0x44, r, 6), -EIO);
	fx->passed = true;
}

static unsigned bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

/* The DS1307 runs at host UTC + 3600 s. */
static void test_rtc(void **state)
{
	struct fx *fx = *state;
	uint8_t reg = 0, r[7];
	time_t now = time(NULL) + 3600;
	struct tm tm;
	long diff;

	assert_int_equal(vf_i2c_write_read(fx->dev, 0x68, &reg, 1, r, 7), 0);
	gmtime_r(&now, &tm);
	assert_int_equal(bcd(r[6]), tm.tm_year - 100);
	diff = (long)(bcd(r[2]) * 3600 + bcd(r[1]) * 60 + bcd(r[0])) -
	       (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	/* within 2 s (or across midnight) */
	assert_true(labs(diff) <= 2 || labs(diff) >= 86400 - 2);
	fx->passed = true;
}

/* One property of the device at addr on guest's bus, from a `get`. */
static double get_prop(int fd, int guest, const char *addr, const char *name)
{
	char line[200], key[80], *got, *p;
	double v;

	snprintf(line, sizeof(line),
		 "{\"cmd\":\"get\",\"guest\":%d,\"addr\":\"%s\",\"props\":[\"%s\"]}", guest, addr,
		 name);
	snprintf(key, sizeof(key), "\"props\":{\"%s\":", name);
	got = ctl_request(fd, line);
	if (!got)
		fail_msg("no reply to %s: %s", line, strerror(errno));
	p = strstr(got, key);
	if (strncmp(got, "{\"ok\":true,", 11) || !p)
		fail_msg("request %s\n  got %s", line, got);
	v = strtod(p + strlen(key), NULL);
	free(got);
	return v;
}

static uint8_t reg8(struct vf_dev *dev, uint8_t addr, uint8_t reg)
{
	uint8_t b;

	assert_int_equal(vf_i2c_write_read(dev, addr, &reg, 1, &b, 1), 0);
	return b;
}

/* TMP102 (SBOS397 table 8/9) and JC-42.4 (TSE2002av table 11) temperature registers. */
static void test_set_tmp102_jc42(void **state)
{
	struct fx *fx = *state;

	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{\"temp\":85.375}}",
		     "{\"ok\":true,\"model\":\"tmp102\"}");
	assert_int_equal(reg16(fx->dev, 0x48, 0), 1366u << 4); /* 85.375 / 0.0625 */
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{\"temp\":-0.0625}}",
		     "{\"ok\":true,\"model\":\"tmp102\"}");
	assert_int_equal(reg16(fx->dev, 0x48, 0), 0xfff0);
	/* 0.1 C: the ADC truncates to 0.0625 C, and get says so */
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{\"temp\":0.1}}",
		     "{\"ok\":true,\"model\":\"tmp102\"}");
	assert_int_equal(reg16(fx->dev, 0x48, 0), 0x0010);
	expect_reply(
		fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x48\"}",
		"{\"ok\":true,\"props\":{\"temp\":0.0625},\"addr\":\"0x48\",\"model\":\"tmp102\"}");
	/* 150 C in extended mode (EM = 1): 13 bits in 15..3, bit 0 set */
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{\"temp\":150}}",
		     "{\"ok\":true,\"model\":\"tmp102\"}");
	assert_int_equal(vf_i2c_write(fx->dev, 0x48, (uint8_t[]){1, 0x60, 0xb0}, 3), 0);
	assert_int_equal(reg16(fx->dev, 0x48, 0), 2400u << 3 | 1);
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{\"temp\":150.0625}}",
		     "{\"ok\":false,\"error\":\"tmp102 at 0x48: 'temp': value out of range\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{\"temp\":-55.0625}}",
		     "{\"ok\":false,\"error\":\"tmp102 at 0x48: 'temp': value out of range\"}");
	assert_int_equal(reg16(fx->dev, 0x48, 0), 2400u << 3 | 1);

	/* JC-42.4: 13-bit two's complement in 12..0, flags 15..13 against the limits (all 0) */
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x18\",\"props\":{\"temp\":-20.5}}",
		     "{\"ok\":true,\"model\":\"jc42\"}");
	assert_int_equal(reg16(fx->dev, 0x18, 5), 0x2000 | (0x2000 - 328)); /* below lower */
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x18\",\"props\":{\"temp\":125}}",
		     "{\"ok\":true,\"model\":\"jc42\"}");
	assert_int_equal(reg16(fx->dev, 0x18, 5), 0xc000 | 2000); /* >= critical, above upper */
	expect_reply(
		fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x18\"}",
		"{\"ok\":true,\"props\":{\"temp\":125.0},\"addr\":\"0x18\",\"model\":\"jc42\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x18\",\"props\":{\"temp\":125.1}}",
		     "{\"ok\":false,\"error\":\"jc42 at 0x18: 'temp': value out of range\"}");
	fx->passed = true;
}

static double dabs(double v)
{
	return v < 0 ? -v : v;
}

/* Sensirion's CRC-8 (datasheet 4.12): polynomial 0x31, init 0xff, 0xbeef -> 0x92. */
static uint8_t crc8(const uint8_t *b, size_t n)
{
	uint8_t c = 0xff;

	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (uint8_t)(c & 0x80 ? c << 1 ^ 0x31 : c << 1);
	}
	return c;
}

static void sht3x_measure(struct vf_dev *dev, uint8_t r[6])
{
	assert_int_equal(vf_i2c_write(dev, 0x44, (uint8_t[]){0x24, 0x00}, 2), 0);
	msleep(20);
	assert_int_equal(vf_i2c_read(dev, 0x44, r, 6), 0);
}

/* SHT3x (datasheet 4.13): T = -45 + 175 S / 65535, RH = 100 S / 65535, nearest S. */
static void test_set_sht3x(void **state)
{
	struct fx *fx = *state;
	uint8_t r[6];

	assert_int_equal(crc8((const uint8_t[]){0xbe, 0xef}, 2), 0x92);
	expect_reply(
		fx->ctl,
		"{\"cmd\":\"set\",\"addr\":\"0x44\",\"props\":{\"temp\":-10.5,\"humidity\":20.25}}",
		"{\"ok\":true,\"model\":\"sht3x\"}");
	sht3x_measure(fx->dev, r);
	assert_int_equal(r[0] << 8 | r[1], 0x3278); /* (-10.5 + 45) * 65535 / 175 = 12919.8 */
	assert_int_equal(r[2], crc8(r, 2));
	assert_int_equal(r[2], 0xab);
	assert_int_equal(r[3] << 8 | r[4], 0x33d7); /* 20.25 * 65535 / 100 = 13270.8 */
	assert_int_equal(r[5], crc8(r + 3, 2));
	assert_int_equal(r[5], 0x8d);
	/* get: the value of the code the chip sends */
	assert_true(dabs(get_prop(fx->ctl, 0, "0x44", "temp") - (-45 + 175.0 * 0x3278 / 65535)) <
		    1e-6);
	assert_true(dabs(get_prop(fx->ctl, 0, "0x44", "humidity") - 100.0 * 0x33d7 / 65535) < 1e-6);
	/* all or nothing */
	expect_reply(
		fx->ctl,
		"{\"cmd\":\"set\",\"addr\":\"0x44\",\"props\":{\"temp\":30,\"humidity\":100.5}}",
		"{\"ok\":false,\"error\":\"sht3x at 0x44: 'humidity': value out of range\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x44\",\"props\":{\"temp\":130.5}}",
		     "{\"ok\":false,\"error\":\"sht3x at 0x44: 'temp': value out of range\"}");
	sht3x_measure(fx->dev, r);
	assert_int_equal(r[0] << 8 | r[1], 0x3278);
	assert_int_equal(r[3] << 8 | r[4], 0x33d7);
	fx->passed = true;
}

/* ADS1015 (SBAS473 tables 8, 9): single-shot conversions of each MUX/PGA after a set. */
static void test_set_ads1015(void **state)
{
	struct fx *fx = *state;

	expect_reply(fx->ctl,
		     "{\"cmd\":\"set\",\"addr\":\"0x4a\",\"props\":{\"ain1\":5.0,\"ain2\":0.75,"
		     "\"ain3\":3.3}}",
		     "{\"ok\":true,\"model\":\"ads1015\"}");
	/* OS | MUX 110 (AIN2-GND) | PGA 010 (+-2.048 V: 1 mV per code) | MODE single shot */
	assert_int_equal(vf_i2c_write(fx->dev, 0x4a, (uint8_t[]){1, 0xe5, 0x83}, 3), 0);
	assert_int_equal(reg16(fx->dev, 0x4a, 0), 750u << 4);
	/* MUX 111 (AIN3-GND), PGA 001 (+-4.096 V: 2 mV per code) */
	assert_int_equal(vf_i2c_write(fx->dev, 0x4a, (uint8_t[]){1, 0xf3, 0x83}, 3), 0);
	assert_int_equal(reg16(fx->dev, 0x4a, 0), 1650u << 4);
	/* MUX 101 (AIN1-GND) at +-2.048 V: 5 V clips to the positive full scale */
	assert_int_equal(vf_i2c_write(fx->dev, 0x4a, (uint8_t[]){1, 0xd5, 0x83}, 3), 0);
	assert_int_equal(reg16(fx->dev, 0x4a, 0), 0x7ff0);
	/* MUX 000 (AIN0-AIN1): 1.234 - 5 V clips to the negative full scale */
	assert_int_equal(vf_i2c_write(fx->dev, 0x4a, (uint8_t[]){1, 0x85, 0x83}, 3), 0);
	assert_int_equal(reg16(fx->dev, 0x4a, 0), 0x8000);
	expect_reply(
		fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x4a\"}",
		"{\"ok\":true,\"props\":{\"ain0\":1.234,\"ain1\":5.0,\"ain2\":0.75,\"ain3\":3.3},"
		"\"addr\":\"0x4a\",\"model\":\"ads1015\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x4a\",\"props\":{\"ain0\":5.6}}",
		     "{\"ok\":false,\"error\":\"ads1015 at 0x4a: 'ain0': value out of range\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x4a\",\"props\":{\"ain0\":-0.1}}",
		     "{\"ok\":false,\"error\":\"ads1015 at 0x4a: 'ain0': value out of range\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x4a\",\"props\":{\"ain4\":1}}",
		     "{\"ok\":false,\"error\":\"ads1015 at 0x4a: 'ain4': no such property\"}");
	fx->passed = true;
}

/* BMP280: after a set, a forced measurement gives raw values that compensate to it. */
static void test_set_bmp280(void **state)
{
	struct fx *fx = *state;
	uint8_t reg = 0x88, b[24], m[6];
	int32_t w[12], adc_p, adc_t, t_fine, t;
	struct calib c;
	int64_t p;

	expect_reply(fx->ctl,
		     "{\"cmd\":\"set\",\"addr\":\"0x76\",\"props\":{\"temp\":-5.25,\"pressure\":"
		     "950.75}}",
		     "{\"ok\":true,\"model\":\"bmp280\"}");
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x76, &reg, 1, b, sizeof(b)), 0);
	for (int i = 0; i < 12; i++)
		w[i] = b[2 * i] | b[2 * i + 1] << 8;
	c = (struct calib){w[0],	  (int16_t)w[1], (int16_t)w[2],	 w[3],
			   (int16_t)w[4], (int16_t)w[5], (int16_t)w[6],	 (int16_t)w[7],
			   (int16_t)w[8], (int16_t)w[9], (int16_t)w[10], (int16_t)w[11]};
	/* ctrl_meas: osrs_t x2, osrs_p x16, forced mode */
	assert_int_equal(vf_i2c_write(fx->dev, 0x76, (uint8_t[]){0xf4, 0x55}, 2), 0);
	reg = 0xf7;
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x76, &reg, 1, m, sizeof(m)), 0);
	adc_p = (int32_t)((uint32_t)m[0] << 12 | (uint32_t)m[1] << 4 | m[2] >> 4);
	adc_t = (int32_t)((uint32_t)m[3] << 12 | (uint32_t)m[4] << 4 | m[5] >> 4);
	t = comp_t(&c, adc_t, &t_fine);
	p = comp_p(&c, adc_p, t_fine);
	assert_int_equal(t, -525);
	assert_in_range(p, 95075 * 256 - 256, 95075 * 256 + 256); /* within 1 Pa */
	expect_reply(
		fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x76\"}",
		"{\"ok\":true,\"props\":{\"temp\":-5.25,\"pressure\":950.75},\"addr\":\"0x76\","
		"\"model\":\"bmp280\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x76\",\"props\":{\"pressure\":1100.5}}",
		     "{\"ok\":false,\"error\":\"bmp280 at 0x76: 'pressure': value out of range\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x76\",\"props\":{\"temp\":-40.01}}",
		     "{\"ok\":false,\"error\":\"bmp280 at 0x76: 'temp': value out of range\"}");
	fx->passed = true;
}

/* PCA9555 (datasheet 6.2): input ports after a set of `inputs`; `get` after guest writes. */
static void test_set_get_pca9555(void **state)
{
	struct fx *fx = *state;

	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x20\",\"props\":{\"inputs\":4660}}",
		     "{\"ok\":true,\"model\":\"pca9555\"}");
	assert_int_equal(reg8(fx->dev, 0x20, 0), 0x34);
	assert_int_equal(reg8(fx->dev, 0x20, 1), 0x12);
	/* polarity inversion of port 0 */
	assert_int_equal(vf_i2c_write(fx->dev, 0x20, (uint8_t[]){4, 0xff}, 2), 0);
	assert_int_equal(reg8(fx->dev, 0x20, 0), 0xcb);
	assert_int_equal(vf_i2c_write(fx->dev, 0x20, (uint8_t[]){4, 0x00}, 2), 0);
	expect_reply(
		fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x20\"}",
		"{\"ok\":true,\"props\":{\"inputs\":4660.0,\"outputs\":0.0,\"config\":65535.0},"
		"\"addr\":\"0x20\",\"model\":\"pca9555\"}");
	/* the guest makes lines 4..7 outputs and drives 0xa5 on port 0 */
	assert_int_equal(vf_i2c_write(fx->dev, 0x20, (uint8_t[]){6, 0x0f}, 2), 0);
	assert_int_equal(vf_i2c_write(fx->dev, 0x20, (uint8_t[]){2, 0xa5}, 2), 0);
	expect_reply(
		fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x20\"}",
		"{\"ok\":true,\"props\":{\"inputs\":4660.0,\"outputs\":160.0,\"config\":65295.0},"
		"\"addr\":\"0x20\",\"model\":\"pca9555\"}");
	/* the input port shows the driven levels on the output lines */
	assert_int_equal(reg8(fx->dev, 0x20, 0), 0xa4);
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x20\",\"props\":{\"outputs\":1}}",
		     "{\"ok\":false,\"error\":\"pca9555 at 0x20: 'outputs': read-only\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x20\",\"props\":{\"config\":0}}",
		     "{\"ok\":false,\"error\":\"pca9555 at 0x20: 'config': read-only\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x20\",\"props\":{\"inputs\":65536}}",
		     "{\"ok\":false,\"error\":\"pca9555 at 0x20: 'inputs': value out of range\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x20\",\"props\":{\"inputs\":1.5}}",
		     "{\"ok\":false,\"error\":\"pca9555 at 0x20: 'inputs': value out of range\"}");
	assert_int_equal(reg8(fx->dev, 0x20, 1), 0x12);
	fx->passed = true;
}

/* The clock the time registers of a DS1307/DS3231 show (24-hour mode), s since the epoch. */
static int64_t rtc_read(struct vf_dev *dev)
{
	uint8_t reg = 0, r[7];
	struct tm tm = {0};

	assert_int_equal(vf_i2c_write_read(dev, 0x68, &reg, 1, r, 7), 0);
	assert_int_equal(r[2] & 0x40, 0); /* 24-hour mode */
	tm.tm_sec = (int)bcd(r[0] & 0x7f);
	tm.tm_min = (int)bcd(r[1]);
	tm.tm_hour = (int)bcd(r[2] & 0x3f);
	tm.tm_mday = (int)bcd(r[4]);
	tm.tm_mon = (int)bcd(r[5] & 0x1f) - 1;
	tm.tm_year = (int)bcd(r[6]) + 100 + (r[5] & 0x80 ? 100 : 0); /* DS3231 century */
	return (int64_t)timegm(&tm);
}

/* The clock is host UTC + offset, within 2 s. */
static void expect_clock(struct vf_dev *dev, double offset)
{
	int64_t want = (int64_t)time(NULL) + (int64_t)offset, got = rtc_read(dev);

	if (got < want - 2 || got > want + 2)
		fail_msg("RTC reads %lld, expected %lld +- 2", (long long)got, (long long)want);
}

/* DS1307 and DS3231: set moves the time registers; a guest time write moves get's offset. */
/* The guest writes 2030-01-02 03:04:05 (CH set if halted) to the DS1307 at 0x68; returns the
 * offset the control socket then shows (checked to be that time minus now). */
static double write_rtc_2030(struct fx *fx, bool halted)
{
	uint8_t regs[8] = {0, 0x05, 0x04, 0x03, 0x04, 0x02, 0x01, 0x30};
	double off;

	if (halted)
		regs[1] |= 0x80;
	assert_int_equal(vf_i2c_write(fx->dev, 0x68, regs, 8), 0);
	off = get_prop(fx->ctl, 0, "0x68", "offset");
	assert_in_range((int64_t)off, 1893553445 - (int64_t)time(NULL) - 2,
			1893553445 - (int64_t)time(NULL) + 2);
	return off;
}

static void test_set_get_rtc(void **state)
{
	struct fx *fx = *state;
	double off;

	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"guest\":1,\"addr\":\"0x68\"}",
		     "{\"ok\":true,\"props\":{\"offset\":-7200.5},\"addr\":\"0x68\",\"model\":"
		     "\"ds3231\"}");
	expect_reply(fx->ctl,
		     "{\"cmd\":\"set\",\"addr\":\"0x68\",\"props\":{\"offset\":-30000000}}",
		     "{\"ok\":true,\"model\":\"ds1307\"}");
	expect_clock(fx->dev, -30000000);
	expect_reply(
		fx->ctl,
		"{\"cmd\":\"set\",\"guest\":1,\"addr\":\"0x68\",\"props\":{\"offset\":123456789}}",
		"{\"ok\":true,\"model\":\"ds3231\"}");
	expect_clock(fx->dev1, 123456789);
	expect_clock(fx->dev, -30000000); /* the other bus's clock did not move */
	/* get gives what set took, to the microsecond (15 significant digits, not 10) */
	expect_reply(fx->ctl,
		     "{\"cmd\":\"set\",\"guest\":1,\"addr\":\"0x68\",\"props\":{\"offset\":"
		     "123456789.123456}}",
		     "{\"ok\":true,\"model\":\"ds3231\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"guest\":1,\"addr\":\"0x68\"}",
		     "{\"ok\":true,\"props\":{\"offset\":123456789.123456},\"addr\":\"0x68\","
		     "\"model\":\"ds3231\"}");

	/* the guest writes 2030-01-02 03:04:05 (a Wednesday) to the DS1307 */
	off = write_rtc_2030(fx, false);
	expect_clock(fx->dev, off);
	/* and 2120-06-07 08:09:10 to the DS3231: century bit in the month register */
	assert_int_equal(vf_i2c_write(fx->dev1, 0x68,
				      (uint8_t[]){0, 0x10, 0x09, 0x08, 0x06, 0x07, 0x86, 0x20}, 8),
			 0);
	off = get_prop(fx->ctl, 1, "0x68", "offset");
	assert_in_range((int64_t)off, 4747190950LL - (int64_t)time(NULL) - 2,
			4747190950LL - (int64_t)time(NULL) + 2);
	expect_clock(fx->dev1, off);
	off = get_prop(fx->ctl, 0, "0x68", "offset");
	assert_in_range((int64_t)off, 1893553445 - (int64_t)time(NULL) - 3,
			1893553445 - (int64_t)time(NULL) + 2);
	expect_reply(fx->ctl,
		     "{\"cmd\":\"set\",\"addr\":\"0x68\",\"props\":{\"offset\":4000000001}}",
		     "{\"ok\":false,\"error\":\"ds1307 at 0x68: 'offset': value out of range\"}");
	fx->passed = true;
}

/*
 * A DS1307 the guest halts (CH): the time registers stand still and so does
 * `offset` (it used to fall with host time); a set moves the stopped clock.
 */
static void test_halted_rtc(void **state)
{
	struct fx *fx = *state;
	char line[120];
	double off;
	uint8_t reg = 0, sec;

	/* 2030-01-02 03:04:05 with CH set */
	off = write_rtc_2030(fx, true);
	msleep(1100);
	assert_true(get_prop(fx->ctl, 0, "0x68", "offset") == off);
	assert_int_equal(rtc_read(fx->dev), 1893553445);
	/* 10.5 s later (a half second clear of the whole one: get rounds to 15 digits) */
	snprintf(line, sizeof(line),
		 "{\"cmd\":\"set\",\"addr\":\"0x68\",\"props\":{\"offset\":%.3f}}", off + 10.5);
	expect_reply(fx->ctl, line, "{\"ok\":true,\"model\":\"ds1307\"}");
	assert_int_equal(rtc_read(fx->dev), 1893553455);
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x68, &reg, 1, &sec, 1), 0);
	assert_int_equal(sec, 0x80 | 0x15); /* still halted */
	/* CH cleared: it runs on from 03:04:15 */
	assert_int_equal(vf_i2c_write(fx->dev, 0x68, (uint8_t[]){0, 0x15}, 2), 0);
	off = get_prop(fx->ctl, 0, "0x68", "offset");
	assert_in_range((int64_t)off, 1893553455 - (int64_t)time(NULL) - 2,
			1893553455 - (int64_t)time(NULL) + 2);
	expect_clock(fx->dev, off);
	fx->passed = true;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_start_values), T(test_sht3x_measurement_time),
		T(test_rtc),	      T(test_set_tmp102_jc42),
		T(test_set_sht3x),    T(test_set_ads1015),
		T(test_set_bmp280),   T(test_set_get_pca9555),
		T(test_set_get_rtc),  T(test_halted_rtc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
