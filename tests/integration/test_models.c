// SPDX-License-Identifier: MIT
/*
 * The sensor, ADC, GPIO and RTC models over the wire, through the real
 * daemon, with their properties set on the command line (-e ...,NAME=VALUE):
 * what a guest driver reads first from each, the SHT3x measurement time
 * (NACK until it has passed), and the RTC against the host clock.
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

#include "daemon.h"
#include "vu_frontend.h"

struct fx {
	struct daemon *d;
	struct vf_dev *dev;
	char path[160];
	bool passed;
};

static char *args[] = {"-e", "tmp102@0x48,temp=-12.125",
		       "-e", "jc42@0x18,temp=36.75",
		       "-e", "sht3x@0x44,temp=23.4,humidity=56.7",
		       "-e", "ads1015@0x4a,ain0=1.234",
		       "-e", "bmp280@0x76",
		       "-e", "pca9555@0x20,inputs=0xa5a5",
		       "-e", "ds1307@0x68,offset=3600",
		       NULL};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->d = daemon_launch(1, args);
	if (!fx->d) {
		free(fx);
		return -1;
	}
	daemon_sock_path(fx->d, 0, fx->path, sizeof(fx->path));
	fx->dev = vf_dev_open(fx->path, NULL);
	if (!fx->dev) {
		printf("vf_dev_open: %s\n", strerror(errno));
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

	vf_dev_destroy(fx->dev);
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

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* SHT3x single shot without clock stretching: NACK until 12.5 ms passed, then T, RH with CRCs. */
static void test_sht3x_measurement_time(void **state)
{
	struct fx *fx = *state;
	uint8_t r[6];
	long t, rh;

	/* the command and a read right after it in one transfer: no time passes */
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x44, (uint8_t[]){0x24, 0x00}, 2, r, 6), -EIO);
	sleep_ms(20);
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

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_start_values),
		T(test_sht3x_measurement_time),
		T(test_rtc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
