// SPDX-License-Identifier: MIT
/*
 * Hot-plug of ee1004 (DDR4 SPD) EEPROMs through the control socket, against
 * the real daemon with guests on two vhost-user sockets of one bus: an added
 * SPD answers at its address and joins the shared page-select addresses
 * 0x36/0x37 (created by the first one, gone with the last one), takes the
 * bank the SPDs already on the bus have, and one page select reaches every
 * SPD; occupied 0x36/0x37 are refused as at start, 0x36/0x37 themselves
 * cannot be removed; hot-plug while both guests select banks and read the
 * SPDs as fast as they can never shows a half-added SPD or a wrong bank.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "test_assert.h"
#include "vu_frontend.h"

#define TMO  5000
#define SPA0 0x36 /* write: select bank 0; read: ACK in bank 0 */
#define SPA1 0x37 /* write: select bank 1; read: always NACK */
#define OFF  0x10 /* the byte the tests look at, in each bank */

struct fx {
	struct daemon *d;
	struct vf_dev *dev[2];
	char ctl_path[160];
	int ctl;
	bool passed;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char *extra[] = {"-e", "24c02@0x50", "-e", "stub@0x20", NULL};
	char path[160];
	struct vf_dev_opts opts;

	if (!fx || !(fx->d = daemon_new()))
		return -1;
	if (daemon_start_ctl(fx->d, 2, extra, fx->ctl_path, sizeof(fx->ctl_path))) {
		daemon_free(fx->d);
		free(fx);
		return -1;
	}
	/* 8 descriptors: the busy guests' 5-message transfers fit in the ring as one group. */
	vf_dev_opts_default(&opts);
	opts.queue_size = 8;
	for (unsigned i = 0; i < 2; i++) {
		daemon_sock_path(fx->d, i, path, sizeof(path));
		fx->dev[i] = vf_dev_open(path, &opts);
		if (!fx->dev[i])
			return -1;
	}
	fx->ctl = ctl_connect(fx->ctl_path, TMO);
	if (fx->ctl < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int ret;

	close(fx->ctl);
	for (unsigned i = 0; i < 2; i++)
		vf_dev_destroy(fx->dev[i]);
	ret = daemon_finish(fx->d, fx->passed);
	free(fx);
	return ret;
}

/* Selects a bank with a one-byte write at 0x36 / 0x37 (what Linux's ee1004 sends). */
static void select_bank(struct vf_dev *dev, unsigned bank)
{
	uint8_t zero = 0;

	assert_int_equal(msg_status(dev, bank ? SPA1 : SPA0, false, &zero, 1), VIRTIO_I2C_MSG_OK);
}

/* The byte at OFF of the selected bank of the SPD at addr. */
static uint8_t spd_byte(struct vf_dev *dev, uint8_t addr)
{
	uint8_t off = OFF, b = 0;

	assert_int_equal(vf_i2c_write_read(dev, addr, &off, 1, &b, 1), 0);
	return b;
}

static void spd_write(struct vf_dev *dev, uint8_t addr, uint8_t val)
{
	const uint8_t w[2] = {OFF, val};

	assert_int_equal(vf_i2c_write(dev, addr, w, sizeof(w)), 0);
}

/* Whether a read at 0x36 is ACKed: the SPDs are in bank 0 (ERR: bank 1 or no SPD). */
static uint8_t spa0_read(struct vf_dev *dev)
{
	uint8_t b;

	return msg_status(dev, SPA0, true, &b, 1);
}

/*
 * An SPD added at run time answers at once, on both banks through page
 * selects; a second one added while the bus is in bank 1 is in bank 1 too;
 * one page select reaches both; removing one leaves the other working;
 * removing the last takes 0x36/0x37 away.
 */
static void test_spd_hotplug(void **state)
{
	struct fx *fx = *state;
	struct vf_dev *g0 = fx->dev[0], *g1 = fx->dev[1];
	uint8_t b = 0, zero = 0;

	/* No SPD yet: nothing answers the page-select addresses. */
	assert_int_equal(spa0_read(g0), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(msg_status(g0, SPA1, false, &zero, 1), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(msg_status(g0, 0x51, true, &b, 1), VIRTIO_I2C_MSG_ERR);

	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"ee1004@0x51\"}",
		     "{\"ok\":true,\"addr\":\"0x51\",\"model\":\"ee1004\"}");
	/* Bank 0 (the first SPD: power-up state), erased memory. */
	assert_int_equal(spa0_read(g0), VIRTIO_I2C_MSG_OK);
	assert_int_equal(msg_status(g0, SPA1, true, &b, 1), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(spd_byte(g0, 0x51), 0xff);
	spd_write(g0, 0x51, 0xa0);
	select_bank(g1, 1);
	assert_int_equal(spa0_read(g0), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(spd_byte(g0, 0x51), 0xff);
	spd_write(g0, 0x51, 0xa1);
	assert_int_equal(spd_byte(g1, 0x51), 0xa1);
	select_bank(g0, 0);
	assert_int_equal(spa0_read(g1), VIRTIO_I2C_MSG_OK);
	assert_int_equal(spd_byte(g1, 0x51), 0xa0);

	/* A second SPD joins while the bus is in bank 1: it is in bank 1 too. */
	select_bank(g0, 1);
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"ee1004@0x52\"}",
		     "{\"ok\":true,\"addr\":\"0x52\",\"model\":\"ee1004\"}");
	assert_int_equal(spa0_read(g0), VIRTIO_I2C_MSG_ERR);
	spd_write(g0, 0x52, 0xb1); /* goes to its bank 1 */
	select_bank(g1, 0);
	assert_int_equal(spa0_read(g0), VIRTIO_I2C_MSG_OK);
	assert_int_equal(spd_byte(g0, 0x52), 0xff);
	spd_write(g0, 0x52, 0xb0);
	assert_int_equal(spd_byte(g0, 0x51), 0xa0);
	/* One select (bank 1) reaches both. */
	select_bank(g1, 1);
	assert_int_equal(spd_byte(g0, 0x51), 0xa1);
	assert_int_equal(spd_byte(g1, 0x52), 0xb1);
	expect_reply(fx->ctl, "{\"cmd\":\"list\"}",
		     "{\"ok\":true,\"devices\":["
		     "{\"addr\":\"0x20\",\"model\":\"stub\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x50\",\"model\":\"24c02\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x51\",\"model\":\"ee1004\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x52\",\"model\":\"ee1004\",\"bus\":\"shared\"}]}");

	/* The page-select addresses go with the last SPD only. */
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x36\"}",
		     "{\"ok\":false,\"error\":\"0x36 is a page-select address answered by every "
		     "ee1004 on the bus: remove those instead (it goes with the last one)\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":55}",
		     "{\"ok\":false,\"error\":\"0x37 is a page-select address answered by every "
		     "ee1004 on the bus: remove those instead (it goes with the last one)\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x36\"}",
		     "{\"ok\":false,\"error\":\"0x36 is a page-select address answered by every "
		     "ee1004 on the bus: the ee1004 devices have the properties\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x37\",\"kind\":\"nack\"}",
		     "{\"ok\":false,\"error\":\"0x37 is a page-select address answered by every "
		     "ee1004 on the bus: give the fault to an ee1004\"}");

	/* One goes: the other keeps its bank and answers; selects still work. */
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x51\"}", "{\"ok\":true}");
	assert_int_equal(msg_status(g0, 0x51, true, &b, 1), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(spd_byte(g0, 0x52), 0xb1);
	assert_int_equal(spa0_read(g1), VIRTIO_I2C_MSG_ERR);
	select_bank(g1, 0);
	assert_int_equal(spa0_read(g1), VIRTIO_I2C_MSG_OK);
	assert_int_equal(spd_byte(g0, 0x52), 0xb0);

	/* The last goes: 0x36/0x37 are absent again, for writes and reads. */
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x52\"}", "{\"ok\":true}");
	assert_int_equal(msg_status(g0, 0x52, true, &b, 1), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(spa0_read(g0), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(msg_status(g0, SPA0, false, &zero, 1), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(msg_status(g1, SPA1, false, &zero, 1), VIRTIO_I2C_MSG_ERR);
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x36\"}",
		     "{\"ok\":false,\"error\":\"no device at 0x36\"}");
	/* The devices around were never disturbed. */
	assert_int_equal(msg_status(g0, 0x20, true, &b, 1), VIRTIO_I2C_MSG_OK);
	assert_int_equal(msg_status(g0, 0x50, true, &b, 1), VIRTIO_I2C_MSG_OK);

	/* A new first SPD: bank 0, and the addresses are back. */
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"ee1004@0x57\"}",
		     "{\"ok\":true,\"addr\":\"0x57\",\"model\":\"ee1004\"}");
	assert_int_equal(spa0_read(g1), VIRTIO_I2C_MSG_OK);
	assert_int_equal(spd_byte(g1, 0x57), 0xff);
	assert_true(daemon_alive(fx->d));
	fx->passed = true;
}

/*
 * 0x36/0x37 taken by a device that does not share them: the SPD is refused
 * with start-up's message and nothing of it is left on the bus; with an SPD
 * there, nothing else can take them.
 */
static void test_spd_occupied(void **state)
{
	struct fx *fx = *state;
	uint8_t b = 0;

	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"stub@0x37\"}",
		     "{\"ok\":true,\"addr\":\"0x37\",\"model\":\"stub\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"ee1004@0x53\"}",
		     "{\"ok\":false,\"error\":\"'ee1004@0x53': address already in use (it answers "
		     "at 0x53 and at 0x36, 0x37)\"}");
	assert_int_equal(msg_status(fx->dev[0], 0x53, true, &b, 1), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(spa0_read(fx->dev[0]), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(msg_status(fx->dev[0], SPA1, true, &b, 1), VIRTIO_I2C_MSG_OK); /* the stub */
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x37\"}", "{\"ok\":true}");
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"stub@0x36\"}",
		     "{\"ok\":true,\"addr\":\"0x36\",\"model\":\"stub\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"ee1004@0x53\"}",
		     "{\"ok\":false,\"error\":\"'ee1004@0x53': address already in use (it answers "
		     "at 0x53 and at 0x36, 0x37)\"}");
	assert_int_equal(msg_status(fx->dev[0], 0x53, true, &b, 1), VIRTIO_I2C_MSG_ERR);
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x36\"}", "{\"ok\":true}");

	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"ee1004@0x53\"}",
		     "{\"ok\":true,\"addr\":\"0x53\",\"model\":\"ee1004\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"stub@0x36\"}",
		     "{\"ok\":false,\"error\":\"address 0x36 is in use\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"stub@0x37\"}",
		     "{\"ok\":false,\"error\":\"address 0x37 is in use\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"ee1004@0x53\"}",
		     "{\"ok\":false,\"error\":\"address 0x53 is in use\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"ee1004@0x50\"}",
		     "{\"ok\":false,\"error\":\"address 0x50 is in use\"}");
	assert_int_equal(spa0_read(fx->dev[1]), VIRTIO_I2C_MSG_OK);
	assert_int_equal(spd_byte(fx->dev[1], 0x53), 0xff);
	assert_true(daemon_alive(fx->d));
	fx->passed = true;
}

/* A 512-byte SPD image whose byte at OFF differs in each bank and between images. */
static void write_image(const char *path, uint8_t mask)
{
	uint8_t img[512];
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (unsigned i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)((i & 0xff) ^ (i >= 256 ? 0x80 : 0) ^ mask);
	assert_int_equal(fwrite(img, 1, sizeof(img), f), sizeof(img));
	assert_int_equal(fclose(f), 0);
}

#define IMG51 0x00 /* image masks: the byte at OFF is OFF ^ 0x80 * bank ^ mask */
#define IMG52 0x0f

struct busy_guest {
	struct vf_dev *dev;
	unsigned bank; /* the bank this guest selects */
	volatile bool stop;
	unsigned present, absent;
	char err[200];
};

/*
 * One transfer, as fast as it can: select this guest's bank, read OFF of
 * the SPD at 0x51 (always there) and of the one at 0x52 (coming and going).
 * Both read this bank's byte; 0x52 is either all there or not at all.
 */
static void *busy_main(void *arg)
{
	struct busy_guest *g = arg;
	const uint8_t want51 = (uint8_t)(OFF ^ 0x80 * g->bank ^ IMG51);
	const uint8_t want52 = (uint8_t)(OFF ^ 0x80 * g->bank ^ IMG52);

	while (!g->stop) {
		uint8_t zero = 0, off = OFF, r51 = 0, r52 = 0;
		struct vf_i2c_msg m[5] = {
			{.addr = g->bank ? SPA1 : SPA0, .len = 1, .buf = &zero},
			{.addr = 0x51, .len = 1, .buf = &off},
			{.addr = 0x51, .flags = VF_I2C_M_RD, .len = 1, .buf = &r51},
			{.addr = 0x52, .len = 1, .buf = &off},
			{.addr = 0x52, .flags = VF_I2C_M_RD, .len = 1, .buf = &r52},
		};
		int n = vf_i2c_transfer(g->dev, m, 5, 0, TMO);

		if (n != 5) {
			snprintf(g->err, sizeof(g->err), "transfer: %d", n);
			return NULL;
		}
		if (m[0].status != VIRTIO_I2C_MSG_OK || m[1].status != VIRTIO_I2C_MSG_OK ||
		    m[2].status != VIRTIO_I2C_MSG_OK || r51 != want51) {
			snprintf(g->err, sizeof(g->err), "0x51: statuses %d %d %d, read %02x",
				 m[0].status, m[1].status, m[2].status, r51);
			return NULL;
		}
		if (m[3].status == VIRTIO_I2C_MSG_OK && m[4].status == VIRTIO_I2C_MSG_OK) {
			if (r52 != want52) {
				snprintf(g->err, sizeof(g->err), "0x52 bank %u: read %02x", g->bank,
					 r52);
				return NULL;
			}
			g->present++;
		} else if (m[3].status == VIRTIO_I2C_MSG_ERR && m[4].status == VIRTIO_I2C_MSG_ERR) {
			g->absent++;
		} else {
			snprintf(g->err, sizeof(g->err), "0x52: mixed statuses %d %d", m[3].status,
				 m[4].status);
			return NULL;
		}
	}
	return NULL;
}

/*
 * Hot-plug while busy: an SPD at 0x52 (file-backed) is added and removed 150
 * times while both guests select opposite banks and read both SPDs in one
 * transfer each, as fast as they can.
 */
static void test_spd_hotplug_busy(void **state)
{
	struct fx *fx = *state;
	struct busy_guest g[2] = {{.dev = fx->dev[0], .bank = 0}, {.dev = fx->dev[1], .bank = 1}};
	char f51[200], f52[200], add51[300], add52[300];
	unsigned bad = 0, present = 0, absent = 0;
	pthread_t th[2];

	snprintf(f51, sizeof(f51), "%s/spd51.bin", fx->d->dir);
	snprintf(f52, sizeof(f52), "%s/spd52.bin", fx->d->dir);
	write_image(f51, IMG51);
	write_image(f52, IMG52);
	snprintf(add51, sizeof(add51), "{\"cmd\":\"add\",\"spec\":\"ee1004@0x51,file=%s\"}", f51);
	snprintf(add52, sizeof(add52), "{\"cmd\":\"add\",\"spec\":\"ee1004@0x52,file=%s\"}", f52);
	expect_reply(fx->ctl, add51, "{\"ok\":true,\"addr\":\"0x51\",\"model\":\"ee1004\"}");

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, busy_main, &g[i]), 0);
	/* No assertion while the threads run (they use this frame): count bad replies. */
	for (int i = 0; i < 150; i++) {
		bad += !reply_is(fx->ctl, add52,
				 "{\"ok\":true,\"addr\":\"0x52\",\"model\":\"ee1004\"}");
		usleep(1000);
		bad += !reply_is(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x52\"}",
				 "{\"ok\":true}");
	}
	for (int i = 0; i < 2; i++) {
		g[i].stop = true;
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (g[i].err[0])
			fail_msg("guest %d: %s", i, g[i].err);
		printf("guest %d (bank %u): 0x52 present %u, absent %u\n", i, g[i].bank,
		       g[i].present, g[i].absent);
		present += g[i].present;
		absent += g[i].absent;
	}
	assert_int_equal(bad, 0);
	assert_true(present > 0);
	assert_true(absent > 0);
	/* The last SPD goes: the page-select addresses with it. */
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x51\"}", "{\"ok\":true}");
	assert_int_equal(spa0_read(fx->dev[0]), VIRTIO_I2C_MSG_ERR);
	assert_true(daemon_alive(fx->d));
	fx->passed = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spd_hotplug, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spd_occupied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spd_hotplug_busy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
