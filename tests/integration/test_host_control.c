// SPDX-License-Identifier: MIT
/*
 * The control socket on passed-through host devices (-l), on the fake
 * i2c-dev (tests/shim): list shows them, faults apply to them (a NACK never
 * reaches the adapter, corrupt XORs what the device returned, delay holds
 * only its own transfer), and they can be neither removed nor given
 * properties; one at 0x37 keeps a hot-plugged ee1004 (which would share
 * 0x36/0x37) out. What reaches the "kernel" is read back from the fake's log.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "test_assert.h"
#include "vu_frontend.h"

#define TMO 5000

struct hfx {
	struct daemon *d;
	struct vf_dev *dev;
	char shim_log[160];
	size_t shim_mark;
	int ctl;
};

/* *state on entry: the -l argument (prestate), NULL for "0:0x50@0x60". */
static int setup(void **state)
{
	struct hfx *fx = calloc(1, sizeof(*fx));
	char *map = *state ? *state : "0:0x50@0x60";
	char conf[160], ctl[160], path[160];
	char *extra[] = {"-l", map, "-e", "lm75@0x48", NULL};
	FILE *f;

	if (!fx || !(fx->d = daemon_new()))
		return -1;
	snprintf(conf, sizeof(conf), "%s/shim.conf", fx->d->dir);
	snprintf(fx->shim_log, sizeof(fx->shim_log), "%s/shim.log", fx->d->dir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "dev %s/dev\nsysfs %s/sys\nlog %s\nadapter 0 funcs=i2c\ndevice 0 0x50\n",
		fx->d->dir, fx->d->dir, fx->shim_log);
	fclose(f);
	setenv("VI2C_SHIM_CONFIG", conf, 1);
	if (daemon_start_ctl(fx->d, 1, extra, ctl, sizeof(ctl)))
		return -1;
	daemon_sock_path(fx->d, 0, path, sizeof(path));
	fx->dev = vf_dev_open(path, NULL);
	fx->ctl = ctl_connect(ctl, TMO);
	if (!fx->dev || fx->ctl < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct hfx *fx = *state;
	int ret;

	close(fx->ctl);
	vf_dev_destroy(fx->dev);
	ret = daemon_finish(fx->d, true);
	unsetenv("VI2C_SHIM_CONFIG");
	free(fx);
	return ret;
}

/* The fake's log lines since the last call. */
static char *shim_new(struct hfx *fx)
{
	char *buf = calloc(1, 65536);
	int fd = open(fx->shim_log, O_RDONLY);
	ssize_t n = fd >= 0 ? pread(fd, buf, 65535, (off_t)fx->shim_mark) : 0;

	assert_non_null(buf);
	if (fd >= 0)
		close(fd);
	if (n > 0)
		fx->shim_mark += (size_t)n;
	return buf;
}

static void test_host_faults(void **state)
{
	struct hfx *fx = *state;
	uint8_t reg = 0x07, r[2];
	char *log;
	int64_t t0;

	free(shim_new(fx));
	expect_reply(fx->ctl, "{\"cmd\":\"list\"}",
		     "{\"ok\":true,\"devices\":["
		     "{\"addr\":\"0x48\",\"model\":\"lm75\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x60\",\"model\":\"host\",\"bus\":\"shared\",\"adapter\":0,"
		     "\"host_addr\":\"0x50\",\"ro\":false}]}");
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x60, &reg, 1, r, 2), 0);
	assert_int_equal(r[0], 0x57);
	assert_int_equal(r[1], 0x58);
	log = shim_new(fx);
	/* Every I2C_RDWR is preceded by a claim of its address (never FORCE). */
	assert_string_equal(log, "I2C_SLAVE i2c-0 0x50 -> ok\n"
				 "I2C_RDWR i2c-0 W0x50/1 R0x50/2 -> ok\n");
	free(log);

	/* nack: ERR, and nothing reaches the adapter. */
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x60\",\"kind\":\"nack\"}",
		     "{\"ok\":true}");
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x60, &reg, 1, r, 2), -EIO);
	log = shim_new(fx);
	assert_string_equal(log, "");
	free(log);

	/* corrupt: what the device returned, XORed. */
	expect_reply(fx->ctl,
		     "{\"cmd\":\"fault\",\"addr\":\"0x60\",\"kind\":\"corrupt\",\"xor\":\"0x80\"}",
		     "{\"ok\":true}");
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x60, &reg, 1, r, 2), 0);
	assert_int_equal(r[0], 0x57 ^ 0x80);
	assert_int_equal(r[1], 0x58 ^ 0x80);
	log = shim_new(fx);
	/* Every I2C_RDWR is preceded by a claim of its address (never FORCE). */
	assert_string_equal(log, "I2C_SLAVE i2c-0 0x50 -> ok\n"
				 "I2C_RDWR i2c-0 W0x50/1 R0x50/2 -> ok\n");
	free(log);

	/* delay: the transfer completes that much later; the next one is on time. */
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x60\",\"kind\":\"delay\",\"ms\":700}",
		     "{\"ok\":true}");
	t0 = monotonic_ms();
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x60, &reg, 1, r, 2), 0);
	assert_true(monotonic_ms() - t0 >= 700);
	t0 = monotonic_ms();
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x60, &reg, 1, r, 2), 0);
	assert_true(monotonic_ms() - t0 < 500);
	assert_int_equal(r[0], 0x57);

	/* Host devices stay and have no properties. */
	expect_reply(
		fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x60\"}",
		"{\"ok\":false,\"error\":\"0x60 is a host device: only emulated devices can be "
		"removed\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x60\"}",
		     "{\"ok\":false,\"error\":\"0x60 is a host device: only emulated devices have "
		     "properties\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"counters\"}",
		     "{\"ok\":true,\"devices\":["
		     "{\"addr\":\"0x48\",\"model\":\"lm75\",\"bus\":\"shared\",\"transfers\":0,"
		     "\"bytes\":0,\"errors\":0},"
		     "{\"addr\":\"0x60\",\"model\":\"host\",\"bus\":\"shared\",\"adapter\":0,"
		     "\"host_addr\":\"0x50\",\"ro\":false,\"transfers\":8,\"bytes\":12,"
		     "\"errors\":1}]}");
}

/*
 * A host device at 0x37, one of the ee1004 page-select addresses: adding an
 * ee1004 at run time is refused as at start, and leaves nothing behind.
 */
static void test_host_blocks_spd(void **state)
{
	struct hfx *fx = *state;
	uint8_t reg = 0x07, r[2];

	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"ee1004@0x51\"}",
		     "{\"ok\":false,\"error\":\"'ee1004@0x51': address already in use (it answers "
		     "at 0x51 and at 0x36, 0x37)\"}");
	assert_int_equal(vf_i2c_read(fx->dev, 0x51, r, 1), -EIO);
	assert_int_equal(vf_i2c_read(fx->dev, 0x36, r, 1), -EIO);
	expect_reply(fx->ctl, "{\"cmd\":\"list\"}",
		     "{\"ok\":true,\"devices\":["
		     "{\"addr\":\"0x37\",\"model\":\"host\",\"bus\":\"shared\",\"adapter\":0,"
		     "\"host_addr\":\"0x50\",\"ro\":false},"
		     "{\"addr\":\"0x48\",\"model\":\"lm75\",\"bus\":\"shared\"}]}");
	assert_int_equal(vf_i2c_write_read(fx->dev, 0x37, &reg, 1, r, 2), 0);
	assert_int_equal(r[0], 0x57);
	expect_reply(
		fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x37\"}",
		"{\"ok\":false,\"error\":\"0x37 is a host device: only emulated devices can be "
		"removed\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_faults, setup, teardown),
		cmocka_unit_test_prestate_setup_teardown(test_host_blocks_spd, setup, teardown,
							 "0:0x50@0x37"),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
