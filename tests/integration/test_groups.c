// SPDX-License-Identifier: MIT
/*
 * FAIL_NEXT groups over the wire: a failure fails the rest of its group
 * without executing it (proved with register writes and EEPROM pointer moves
 * that must not happen), groups end at a request without FAIL_NEXT or at the
 * end of what is available (QEMU's queue of 4 and a 6-message transfer),
 * requests run in order. The stub register file (which stores each byte as it
 * comes) witnesses which writes ran: an AT24 commits a write only at the STOP
 * that ends its group (test_eeprom_write_cycle_at_stop).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon.h"
#include "vu_frontend.h"

#define TMO	3000
#define EE	0x50 /* 24c02, 1-byte word address */
#define LM75	0x48
#define STUB	0x20
#define UNKNOWN 0x33

static void open_dev(struct daemon_fx *fx, unsigned qsz, bool indirect)
{
	struct vf_dev_opts o;

	vf_dev_opts_default(&o);
	o.queue_size = qsz;
	o.indirect = indirect;
	fx->dev = vf_dev_open(fx->path, &o);
	if (!fx->dev)
		printf("vf_dev_open: %s\n", strerror(errno));
	assert_non_null(fx->dev);
}

static void ee_read(struct vf_dev *dev, uint8_t off, uint8_t *out, unsigned n)
{
	assert_int_equal(vf_i2c_write_read(dev, EE, &off, 1, out, n), 0);
}

static void stub_read(struct vf_dev *dev, uint8_t reg, uint8_t *out, unsigned n)
{
	assert_int_equal(vf_i2c_write_read(dev, STUB, &reg, 1, out, n), 0);
}

static void assert_status(const struct vf_i2c_msg *m, unsigned n, const char *expect)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t want = expect[i] == 'O' ? VIRTIO_I2C_MSG_OK : VIRTIO_I2C_MSG_ERR;

		if (m[i].status != want)
			printf("message %u: status %u, expected %c\n", i, m[i].status, expect[i]);
		assert_int_equal(m[i].status, want);
		/* The status byte ends the writable bytes: a read's covers its buffer, OK or not. */
		if (!(m[i].flags & VF_I2C_M_RD))
			assert_int_equal(m[i].used_len, 1);
		else
			assert_int_equal(m[i].used_len, 1 + m[i].len);
	}
}

#define WR(a, b)                                                                                   \
	(struct vf_i2c_msg)                                                                        \
	{                                                                                          \
		.addr = (a), .len = sizeof(b), .buf = (b)                                          \
	}
#define RD(a, b, n)                                                                                \
	(struct vf_i2c_msg)                                                                        \
	{                                                                                          \
		.addr = (a), .flags = VF_I2C_M_RD, .len = (n), .buf = (b)                          \
	}

static void test_failure_skips_rest_of_group(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t w1[2] = {0x20, 0xaa}, bad[1] = {0}, w3[2] = {0x21, 0xbb}, r[2];
	struct vf_i2c_msg m[3];

	open_dev(fx, 4, true);
	m[0] = WR(STUB, w1);
	m[1] = WR(UNKNOWN, bad);
	m[2] = WR(STUB, w3);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 3, 0, TMO), 3);
	assert_status(m, 3, "OEE");
	stub_read(fx->dev, 0x20, r, 2);
	assert_int_equal(r[0], 0xaa); /* executed before the failure */
	assert_int_equal(r[1], 0x00); /* never executed */
	fx->passed = true;
}

/* A read skipped after a failure must not move the EEPROM's address pointer. */
static void test_skipped_read_not_executed(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t init[5] = {0x40, 1, 2, 3, 4}, ptr[1] = {0x40}, r1[2], r2[2] = {0x77, 0x77}, cur;
	struct vf_i2c_msg m[3];

	open_dev(fx, 4, true);
	assert_int_equal(vf_i2c_write(fx->dev, EE, init, sizeof(init)), 0);
	m[0] = WR(EE, ptr);
	m[1] = RD(UNKNOWN, r1, 2);
	m[2] = RD(EE, r2, 2);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 3, 0, TMO), 3);
	assert_status(m, 3, "OEE");
	assert_int_equal(r2[0], 0x77); /* no data copied for an ERR request */
	/* current-address read: the pointer is still 0x40, not 0x42 */
	assert_int_equal(vf_i2c_read(fx->dev, EE, &cur, 1), 0);
	assert_int_equal(cur, 1);
	fx->passed = true;
}

static void test_first_and_last_fail(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t a[2] = {0x50, 0x01}, b[2] = {0x51, 0x02}, c[2] = {0x52, 0x03}, bad[1] = {0}, r[3];
	struct vf_i2c_msg m[3];

	open_dev(fx, 4, true);
	/* the first fails: nothing else runs */
	m[0] = WR(UNKNOWN, bad);
	m[1] = WR(STUB, a);
	m[2] = WR(STUB, b);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 3, 0, TMO), 3);
	assert_status(m, 3, "EEE");
	stub_read(fx->dev, 0x50, r, 3);
	assert_int_equal(r[0], 0x00);
	assert_int_equal(r[1], 0x00);
	/* the last fails: the others ran */
	m[0] = WR(STUB, a);
	m[1] = WR(STUB, c);
	m[2] = WR(UNKNOWN, bad);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 3, 0, TMO), 3);
	assert_status(m, 3, "OOE");
	stub_read(fx->dev, 0x50, r, 3);
	assert_int_equal(r[0], 0x01);
	assert_int_equal(r[1], 0x00);
	assert_int_equal(r[2], 0x03);
	fx->passed = true;
}

/* QEMU's queue of 4, a 6-message transfer: 4 run as one group, then 2 as a new one. */
static void test_queue_of_4_six_messages(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t w[6][2] = {{0x30, 1}, {0x31, 2}, {0}, {0x32, 3}, {0x33, 4}, {0x34, 5}};
	uint8_t r[5];
	struct vf_i2c_msg m[6];
	int i;

	open_dev(fx, 4, true);
	/* failure in the first batch: the 4th (FAIL_NEXT set) is skipped, the next batch runs */
	for (i = 0; i < 6; i++)
		m[i] = WR(i == 2 ? UNKNOWN : STUB, w[i]);
	m[2].len = 1;
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 6, 0, TMO), 6);
	assert_status(m, 6, "OOEEOO");
	stub_read(fx->dev, 0x30, r, 5);
	assert_int_equal(r[0], 1);
	assert_int_equal(r[1], 2);
	assert_int_equal(r[2], 0x00);
	assert_int_equal(r[3], 4);
	assert_int_equal(r[4], 5);

	/* failure at the end of the first batch does not leak into the second */
	{
		uint8_t x[6][2] = {{0x38, 1}, {0x39, 2}, {0x3a, 3}, {0}, {0x3c, 5}, {0x3d, 6}};

		for (i = 0; i < 6; i++)
			m[i] = WR(i == 3 ? UNKNOWN : STUB, x[i]);
		m[3].len = 1;
		assert_int_equal(vf_i2c_transfer(fx->dev, m, 6, 0, TMO), 6);
		assert_status(m, 6, "OOOEOO");
		stub_read(fx->dev, 0x38, r, 5);
		assert_int_equal(r[0], 1);
		assert_int_equal(r[1], 2);
		assert_int_equal(r[2], 3);
		assert_int_equal(r[3], 0x00);
		assert_int_equal(r[4], 5);
	}

	/* Linux stops after the first batch: 4 done, the 4th had FAIL_NEXT and still completed */
	{
		uint8_t y[6][2] = {{0x60, 1}, {0x61, 2}, {0x62, 3},
				   {0x63, 4}, {0x64, 5}, {0x65, 6}};

		for (i = 0; i < 6; i++)
			m[i] = WR(STUB, y[i]);
		assert_int_equal(vf_i2c_transfer(fx->dev, m, 6, VF_XFER_ONE_BATCH, TMO), 4);
		assert_status(m, 4, "OOOO");
		assert_int_equal(m[4].status, VF_I2C_NOT_SENT);
		stub_read(fx->dev, 0x60, r, 5);
		assert_int_equal(r[3], 4);
		assert_int_equal(r[4], 0x00);
	}
	fx->passed = true;
}

/* Direct descriptors in a queue of 4: one request per batch, each its own group. */
static void test_direct_batches_end_groups(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t bad[1] = {0}, w[2] = {0x70, 0x42}, r;
	struct vf_i2c_msg m[2];

	open_dev(fx, 4, false);
	m[0] = WR(UNKNOWN, bad);
	m[1] = WR(EE, w);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 2, 0, TMO), 2);
	assert_status(m, 2, "EO");
	ee_read(fx->dev, 0x70, &r, 1);
	assert_int_equal(r, 0x42);
	fx->passed = true;
}

/* Several groups in one batch: a failure stops at its group's end. */
static void test_groups_within_one_batch(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t a[2] = {0x80, 0x11}, bad[1] = {0}, b[2] = {0x81, 0x22}, c[2] = {0x82, 0x33},
		d[2] = {0x83, 0x44}, t[2], r[4];
	struct vf_i2c_msg m[6];

	open_dev(fx, 16, true);
	m[0] = WR(STUB, a);
	m[1] = WR(UNKNOWN, bad);
	m[1].flags |= VF_I2C_M_END_GROUP; /* group 1 = m0, m1 */
	m[2] = WR(STUB, b);
	m[3] = RD(LM75, t, 2);
	m[3].flags |= VF_I2C_M_END_GROUP; /* group 2 = m2, m3 */
	m[4] = WR(UNKNOWN, bad);
	m[4].flags |= VF_I2C_M_END_GROUP; /* group 3 = m4 */
	m[5] = WR(STUB, c);		  /* group 4 = m5 */
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 6, VF_XFER_ONE_BATCH, TMO), 6);
	assert_status(m, 6, "OEOOEO");
	assert_int_equal(t[0], 0x19);
	assert_int_equal(t[1], 0x00);
	m[0] = WR(STUB, d);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 1, 0, TMO), 1);
	stub_read(fx->dev, 0x80, r, 4);
	assert_int_equal(r[0], 0x11);
	assert_int_equal(r[1], 0x22);
	assert_int_equal(r[2], 0x33);
	assert_int_equal(r[3], 0x44);
	fx->passed = true;
}

/* Requests run in queue order: the last of 16 writes to one register wins. */
static void test_in_order(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t w[16][2], reg = 0x99, r = 0;
	struct vf_i2c_msg m[16];
	int i;

	open_dev(fx, 16, true);
	for (i = 0; i < 16; i++) {
		w[i][0] = reg;
		w[i][1] = (uint8_t)(i + 1);
		m[i] = WR(STUB, w[i]);
		m[i].flags |= VF_I2C_M_END_GROUP;
	}
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 16, VF_XFER_ONE_BATCH, TMO), 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(m[i].status, VIRTIO_I2C_MSG_OK);
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &reg, 1, &r, 1), 0);
	assert_int_equal(r, 16);
	fx->passed = true;
}

/* A mixed group over several devices with zero-length requests, all OK. */
static void test_mixed_group(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t sw[3] = {0x05, 0xde, 0xad}, sp[1] = {0x05}, sr[2], tr[2], ew[2] = {0x90, 0x5e},
		ep[1] = {0x90}, er[1];
	struct vf_i2c_msg m[8];

	open_dev(fx, 8, true);
	/* 0x90 = 0x11 in a transfer of its own; the group's write there is aborted */
	ew[1] = 0x11;
	m[0] = WR(EE, ew);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 1, 0, TMO), 1);
	assert_status(m, 1, "O");
	ew[1] = 0x5e;
	m[0] = WR(STUB, sw);
	m[1] = (struct vf_i2c_msg){.addr = EE};
	m[2] = WR(STUB, sp);
	m[3] = RD(STUB, sr, 2);
	m[4] = RD(LM75, tr, 2);
	m[5] = WR(EE, ew);
	m[6] = WR(EE, ep);
	m[7] = RD(EE, er, 1);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 8, VF_XFER_ONE_BATCH, TMO), 8);
	assert_status(m, 8, "OOOOOOOO");
	assert_int_equal(sr[0], 0xde);
	assert_int_equal(sr[1], 0xad);
	assert_int_equal(tr[0], 0x19);
	/* m5's write was followed by a repeated START (m6), not a STOP: never written */
	assert_int_equal(er[0], 0x11);
	fx->passed = true;
}

/*
 * AT24: the write cycle starts at STOP, which the daemon gives only at the
 * end of a group; any START before it (the next message of the group, to any
 * address, or one nobody ACKs) aborts the write.
 */
static void test_eeprom_write_cycle_at_stop(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t w[2] = {0x40, 0xa5}, bad[1] = {0}, r[4], t[2];
	struct vf_i2c_msg m[2];

	open_dev(fx, 4, true);
	/* [W 0x40 0xa5][R 1]: the read starts after the data byte; nothing written */
	m[0] = WR(EE, w);
	m[1] = RD(EE, r, 1);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 2, 0, TMO), 2);
	assert_status(m, 2, "OO");
	assert_int_equal(r[0], 0xff); /* 0x41 */
	ee_read(fx->dev, 0x40, r, 4);
	assert_int_equal(r[0], 0xff);
	/* a NACKed START after it: aborted too */
	w[0] = 0x41;
	m[0] = WR(EE, w);
	m[1] = WR(UNKNOWN, bad);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 2, 0, TMO), 2);
	assert_status(m, 2, "OE");
	/* a read of another device after it: aborted */
	w[0] = 0x42;
	m[0] = WR(EE, w);
	m[1] = RD(LM75, t, 2);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 2, 0, TMO), 2);
	assert_status(m, 2, "OO");
	ee_read(fx->dev, 0x40, r, 4);
	assert_int_equal(r[0], 0xff);
	assert_int_equal(r[1], 0xff);
	assert_int_equal(r[2], 0xff);
	/* [W 0x40 0xa5] alone: written */
	w[0] = 0x40;
	m[0] = WR(EE, w);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 1, 0, TMO), 1);
	assert_status(m, 1, "O");
	ee_read(fx->dev, 0x40, r, 4);
	assert_int_equal(r[0], 0xa5);
	assert_int_equal(r[1], 0xff);
	/* a pointer write then a write with data: the last one ends the group, written */
	w[0] = 0x43;
	m[0] = WR(EE, bad);
	m[1] = WR(EE, w);
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 2, 0, TMO), 2);
	assert_status(m, 2, "OO");
	ee_read(fx->dev, 0x40, r, 4);
	assert_int_equal(r[3], 0xa5);
	fx->passed = true;
}

#define T(f) cmocka_unit_test_setup_teardown(f, daemon_fx_setup, daemon_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_failure_skips_rest_of_group),
		T(test_skipped_read_not_executed),
		T(test_first_and_last_fail),
		T(test_queue_of_4_six_messages),
		T(test_direct_batches_end_groups),
		T(test_groups_within_one_batch),
		T(test_in_order),
		T(test_mixed_group),
		T(test_eeprom_write_cycle_at_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
