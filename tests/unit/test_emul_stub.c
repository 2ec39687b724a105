// SPDX-License-Identifier: MIT
/*
 * i2c-stub-like register file: 256 registers behind an auto-incrementing
 * pointer, exercised with the byte patterns SMBus and I2C block transfers
 * put on the wire.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "emul.h"

static struct emul_dev *create_stub(void)
{
	struct cfg_emul spec = {.model = EMUL_STUB, .addr = 0x1c, .spec = "stub@0x1c"};
	char err[256] = "";
	struct emul_dev *dev = emul_create(&spec, err, sizeof(err));

	if (!dev)
		fail_msg("emul_create: %s", err);
	return dev;
}

static void xfer_write(struct emul_dev *dev, const uint8_t *bytes, size_t n)
{
	uint8_t buf[300];

	memcpy(buf, bytes, n);
	assert_int_equal(emul_xfer(dev, false, buf, n), 0);
}

static void xfer_read(struct emul_dev *dev, uint8_t *out, size_t n)
{
	assert_int_equal(emul_xfer(dev, true, out, n), 0);
}

static void test_identity(void **state)
{
	struct emul_dev *dev = create_stub();

	assert_int_equal(emul_addr(dev), 0x1c);
	assert_int_equal(emul_model(dev), EMUL_STUB);
	emul_destroy(dev);
}

static void test_initial_zero(void **state)
{
	struct emul_dev *dev = create_stub();
	uint8_t buf[257];

	memset(buf, 0xaa, sizeof(buf));
	xfer_read(dev, buf, sizeof(buf)); /* pointer starts at 0, wraps once */
	emul_stop(dev);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	emul_destroy(dev);
}

/* SMBus send byte / receive byte: [cmd] sets the pointer; a read returns it. */
static void test_smbus_byte(void **state)
{
	struct emul_dev *dev = create_stub();
	uint8_t b;

	xfer_write(dev, (const uint8_t[]){0x20, 0x5a, 0x6b}, 3);
	emul_stop(dev);
	xfer_write(dev, (const uint8_t[]){0x20}, 1); /* send byte */
	emul_stop(dev);
	xfer_read(dev, &b, 1); /* receive byte */
	emul_stop(dev);
	assert_int_equal(b, 0x5a);
	/* Auto-increment: the next receive byte reads 0x21. */
	xfer_read(dev, &b, 1);
	emul_stop(dev);
	assert_int_equal(b, 0x6b);
	emul_destroy(dev);
}

/* SMBus write/read byte data: [reg, val] and [reg] Sr [val]. */
static void test_smbus_byte_data(void **state)
{
	struct emul_dev *dev = create_stub();
	uint8_t b;

	xfer_write(dev, (const uint8_t[]){0x10, 0xc3}, 2);
	emul_stop(dev);
	xfer_write(dev, (const uint8_t[]){0x11, 0x3c}, 2);
	emul_stop(dev);
	xfer_write(dev, (const uint8_t[]){0x10}, 1);
	xfer_read(dev, &b, 1);
	emul_stop(dev);
	assert_int_equal(b, 0xc3);
	xfer_write(dev, (const uint8_t[]){0x11}, 1);
	xfer_read(dev, &b, 1);
	emul_stop(dev);
	assert_int_equal(b, 0x3c);
	emul_destroy(dev);
}

/* SMBus word data, low byte first on the wire. */
static void test_smbus_word_data(void **state)
{
	struct emul_dev *dev = create_stub();
	uint8_t w[2];

	xfer_write(dev, (const uint8_t[]){0x40, 0x34, 0x12}, 3); /* word 0x1234 */
	emul_stop(dev);
	xfer_write(dev, (const uint8_t[]){0x40}, 1);
	xfer_read(dev, w, 2);
	emul_stop(dev);
	assert_int_equal(w[0], 0x34);
	assert_int_equal(w[1], 0x12);
	/* The low byte is register 0x40, the high byte 0x41. */
	xfer_write(dev, (const uint8_t[]){0x41}, 1);
	xfer_read(dev, w, 1);
	emul_stop(dev);
	assert_int_equal(w[0], 0x12);
	emul_destroy(dev);
}

/* I2C block write and read, and a byte write in the middle of the block. */
static void test_block(void **state)
{
	struct emul_dev *dev = create_stub();
	uint8_t msg[33], buf[34];

	msg[0] = 0x80;
	for (size_t i = 1; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(0xa0 + i);
	xfer_write(dev, msg, sizeof(msg));
	emul_stop(dev);
	xfer_write(dev, (const uint8_t[]){0x90, 0x00}, 2);
	emul_stop(dev);
	xfer_write(dev, (const uint8_t[]){0x7f}, 1);
	xfer_read(dev, buf, sizeof(buf));
	emul_stop(dev);
	assert_int_equal(buf[0], 0x00);
	for (size_t i = 1; i <= 32; i++)
		assert_int_equal(buf[i], i == 0x11 ? 0x00 : 0xa0 + i);
	assert_int_equal(buf[33], 0x00);
	emul_destroy(dev);
}

/* The pointer wraps 0xff -> 0x00 on writes and reads. */
static void test_wrap(void **state)
{
	struct emul_dev *dev = create_stub();
	uint8_t buf[5];

	xfer_write(dev, (const uint8_t[]){0x02, 0x77}, 2);
	emul_stop(dev);
	xfer_write(dev, (const uint8_t[]){0xfe, 0x01, 0x02, 0x03, 0x04}, 5);
	emul_stop(dev);
	/* Pointer is now 0x02: a current read gets register 2. */
	xfer_read(dev, buf, 1);
	emul_stop(dev);
	assert_int_equal(buf[0], 0x77);
	xfer_write(dev, (const uint8_t[]){0xfd}, 1);
	xfer_read(dev, buf, 5);
	emul_stop(dev);
	const uint8_t expect[] = {0x00, 0x01, 0x02, 0x03, 0x04};
	assert_memory_equal(buf, expect, 5);
	/* Reading wrapped the pointer too: now at 0x02. */
	xfer_read(dev, buf, 1);
	emul_stop(dev);
	assert_int_equal(buf[0], 0x77);
	xfer_write(dev, (const uint8_t[]){0xff}, 1);
	emul_stop(dev);
	xfer_read(dev, buf, 4);
	emul_stop(dev);
	const uint8_t expect2[] = {0x02, 0x03, 0x04, 0x77};
	assert_memory_equal(buf, expect2, 4);
	/* A 257-byte write wraps onto its own first register. */
	uint8_t big[258];
	big[0] = 0x10;
	for (size_t i = 1; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	big[257] = 0xee;
	xfer_write(dev, big, sizeof(big));
	emul_stop(dev);
	xfer_write(dev, (const uint8_t[]){0x10}, 1);
	xfer_read(dev, buf, 2);
	emul_stop(dev);
	assert_int_equal(buf[0], 0xee); /* the 257th data byte overwrote the 1st */
	assert_int_equal(buf[1], 0x02);
	emul_destroy(dev);
}

static void test_zero_length_probe(void **state)
{
	struct emul_dev *dev = create_stub();
	uint8_t b;

	xfer_write(dev, (const uint8_t[]){0x30, 0x99}, 2);
	emul_stop(dev);
	xfer_write(dev, (const uint8_t[]){0x30}, 1);
	emul_stop(dev);
	assert_int_equal(emul_xfer(dev, false, NULL, 0), 0);
	emul_stop(dev);
	assert_int_equal(emul_xfer(dev, true, &b, 0), 0);
	emul_stop(dev);
	xfer_read(dev, &b, 1);
	emul_stop(dev);
	assert_int_equal(b, 0x99);
	emul_destroy(dev);
}

static void test_bad_spec(void **state)
{
	struct cfg_emul spec = {
		.model = EMUL_STUB,
		.addr = 0x1c,
		.file = (char *)"/tmp/x",
		.spec = "stub@0x1c,file=/tmp/x",
	};
	char err[256] = "";

	errno = 0;
	assert_null(emul_create(&spec, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "--emulate 'stub@0x1c,file=/tmp/x': file= is only supported by "
				 "EEPROMs");

	spec.file = NULL;
	spec.addr = 0x80;
	spec.spec = "stub@0x80";
	errno = 0;
	assert_null(emul_create(&spec, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "--emulate 'stub@0x80': address 0x80 is not a 7-bit address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_initial_zero),
		cmocka_unit_test(test_smbus_byte),
		cmocka_unit_test(test_smbus_byte_data),
		cmocka_unit_test(test_smbus_word_data),
		cmocka_unit_test(test_block),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_zero_length_probe),
		cmocka_unit_test(test_bad_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
