// SPDX-License-Identifier: MIT
/*
 * I2C group → SMBus transaction translation: every row of the table in
 * i2c_smbus.h in both directions, every fallback, every rejection, a
 * randomised sweep of shapes for memory safety (run under ASan), and what a
 * read-only device (i2c_readonly.h) can receive through the translation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "i2c_readonly.h"
#include "i2c_smbus.h"

#define ALL_SMBUS                                                                                  \
	(I2C_FUNC_SMBUS_QUICK | I2C_FUNC_SMBUS_BYTE | I2C_FUNC_SMBUS_BYTE_DATA |                   \
	 I2C_FUNC_SMBUS_WORD_DATA | I2C_FUNC_SMBUS_PROC_CALL | I2C_FUNC_SMBUS_BLOCK_DATA |         \
	 I2C_FUNC_SMBUS_I2C_BLOCK)

#define ADDR 0x50

static struct i2c_msg_buf wr(uint8_t *buf, uint16_t len)
{
	return (struct i2c_msg_buf){.addr = ADDR, .read = false, .len = len, .buf = buf};
}

static struct i2c_msg_buf rd(uint8_t *buf, uint16_t len)
{
	return (struct i2c_msg_buf){.addr = ADDR, .read = true, .len = len, .buf = buf};
}

static void expect_op(const struct i2c_smbus_op *op, uint8_t rw, uint8_t cmd, uint32_t size)
{
	assert_int_equal(op->addr, ADDR);
	assert_int_equal(op->read_write, rw);
	assert_int_equal(op->command, cmd);
	assert_int_equal(op->size, size);
}

/* Expects rejection with code ret and a reason containing `what`. */
static void expect_reject(const struct i2c_msg_buf *m, unsigned n, unsigned long funcs, int ret,
			  const char *what)
{
	struct i2c_smbus_op op;
	const char *why = NULL;

	assert_int_equal(i2c_smbus_prepare(m, n, funcs, &op, &why), ret);
	assert_non_null(why);
	if (!strstr(why, what))
		fail_msg("reason \"%s\" does not mention \"%s\"", why, what);
}

static void test_quick(void **state)
{
	struct i2c_msg_buf w = wr(NULL, 0), r = rd(NULL, 0);
	struct i2c_smbus_op op;

	assert_int_equal(i2c_smbus_prepare(&w, 1, I2C_FUNC_SMBUS_QUICK, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_WRITE, 0, I2C_SMBUS_QUICK);
	assert_null(i2c_smbus_op_data(&op));
	assert_int_equal(i2c_smbus_complete(&op, &w, 1), 0);

	assert_int_equal(i2c_smbus_prepare(&r, 1, I2C_FUNC_SMBUS_QUICK, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_READ, 0, I2C_SMBUS_QUICK);
	assert_null(i2c_smbus_op_data(&op));
	assert_int_equal(i2c_smbus_complete(&op, &r, 1), 0);

	expect_reject(&w, 1, ALL_SMBUS & ~I2C_FUNC_SMBUS_QUICK, -EOPNOTSUPP, "QUICK");
}

static void test_byte(void **state)
{
	uint8_t b[1] = {0x42};
	struct i2c_msg_buf w = wr(b, 1), r = rd(b, 1);
	struct i2c_smbus_op op;

	assert_int_equal(i2c_smbus_prepare(&w, 1, I2C_FUNC_SMBUS_WRITE_BYTE, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_WRITE, 0x42, I2C_SMBUS_BYTE);
	assert_null(i2c_smbus_op_data(&op)); /* the kernel ignores data for a byte write */
	assert_int_equal(i2c_smbus_complete(&op, &w, 1), 0);
	assert_int_equal(b[0], 0x42);
	expect_reject(&w, 1, ALL_SMBUS & ~I2C_FUNC_SMBUS_WRITE_BYTE, -EOPNOTSUPP, "WRITE_BYTE");

	assert_int_equal(i2c_smbus_prepare(&r, 1, I2C_FUNC_SMBUS_READ_BYTE, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_READ, 0, I2C_SMBUS_BYTE);
	assert_ptr_equal(i2c_smbus_op_data(&op), &op.data);
	op.data.byte = 0x9c;
	assert_int_equal(i2c_smbus_complete(&op, &r, 1), 0);
	assert_int_equal(b[0], 0x9c);
	expect_reject(&r, 1, ALL_SMBUS & ~I2C_FUNC_SMBUS_READ_BYTE, -EOPNOTSUPP, "READ_BYTE");
}

static void test_byte_data_write(void **state)
{
	uint8_t b[2] = {0x10, 0xab};
	struct i2c_msg_buf w = wr(b, 2);
	struct i2c_smbus_op op;

	assert_int_equal(i2c_smbus_prepare(&w, 1, I2C_FUNC_SMBUS_WRITE_BYTE_DATA, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_WRITE, 0x10, I2C_SMBUS_BYTE_DATA);
	assert_int_equal(op.data.byte, 0xab);
	assert_int_equal(i2c_smbus_complete(&op, &w, 1), 0);

	/* Same wire bytes through an I2C block write. */
	assert_int_equal(i2c_smbus_prepare(&w, 1, I2C_FUNC_SMBUS_WRITE_I2C_BLOCK, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_WRITE, 0x10, I2C_SMBUS_I2C_BLOCK_DATA);
	assert_int_equal(op.data.block[0], 1);
	assert_int_equal(op.data.block[1], 0xab);

	expect_reject(&w, 1,
		      ALL_SMBUS &
			      ~(I2C_FUNC_SMBUS_WRITE_BYTE_DATA | I2C_FUNC_SMBUS_WRITE_I2C_BLOCK),
		      -EOPNOTSUPP, "WRITE_BYTE_DATA");
}

static void test_word_data_write(void **state)
{
	uint8_t b[3] = {0x20, 0x34, 0x12};
	struct i2c_msg_buf w = wr(b, 3);
	struct i2c_smbus_op op;

	assert_int_equal(i2c_smbus_prepare(&w, 1, I2C_FUNC_SMBUS_WRITE_WORD_DATA, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_WRITE, 0x20, I2C_SMBUS_WORD_DATA);
	assert_int_equal(op.data.word, 0x1234);

	assert_int_equal(i2c_smbus_prepare(&w, 1, I2C_FUNC_SMBUS_WRITE_I2C_BLOCK, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_WRITE, 0x20, I2C_SMBUS_I2C_BLOCK_DATA);
	assert_int_equal(op.data.block[0], 2);
	assert_memory_equal(&op.data.block[1], "\x34\x12", 2);

	expect_reject(&w, 1, I2C_FUNC_SMBUS_WRITE_BLOCK_DATA, -EOPNOTSUPP, "WRITE_WORD_DATA");

	/* b1 == 1: command, count 1, one data byte = an SMBus block write. */
	b[1] = 1;
	assert_int_equal(i2c_smbus_prepare(&w, 1, I2C_FUNC_SMBUS_WRITE_BLOCK_DATA, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_WRITE, 0x20, I2C_SMBUS_BLOCK_DATA);
	assert_int_equal(op.data.block[0], 1);
	assert_int_equal(op.data.block[1], 0x12);
}

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

static void test_i2c_block_write(void **state)
{
	struct i2c_smbus_op op;
	uint8_t b[35];

	for (uint16_t len = 4; len <= 33; len++) {
		struct i2c_msg_buf w = wr(b, len);

		fill(b, sizeof(b), (uint8_t)len);
		b[1] = 0xee; /* not a count */
		assert_int_equal(i2c_smbus_prepare(&w, 1, ALL_SMBUS, &op, NULL), 0);
		expect_op(&op, I2C_SMBUS_WRITE, b[0], I2C_SMBUS_I2C_BLOCK_DATA);
		assert_int_equal(op.data.block[0], len - 1);
		assert_memory_equal(&op.data.block[1], &b[1], len - 1u);
		assert_int_equal(i2c_smbus_complete(&op, &w, 1), 0);
		expect_reject(&w, 1, ALL_SMBUS & ~I2C_FUNC_SMBUS_WRITE_I2C_BLOCK, -EOPNOTSUPP,
			      "WRITE_I2C_BLOCK");
	}
}

static void test_smbus_block_write(void **state)
{
	struct i2c_smbus_op op;
	uint8_t b[35];
	struct i2c_msg_buf w;

	/* 34 bytes: command, count 32, 32 data bytes. Only an SMBus block write can do it. */
	fill(b, sizeof(b), 3);
	b[1] = 32;
	w = wr(b, 34);
	assert_int_equal(i2c_smbus_prepare(&w, 1, ALL_SMBUS, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_WRITE, b[0], I2C_SMBUS_BLOCK_DATA);
	assert_int_equal(op.data.block[0], 32);
	assert_memory_equal(&op.data.block[1], &b[2], 32);
	expect_reject(&w, 1, ALL_SMBUS & ~I2C_FUNC_SMBUS_WRITE_BLOCK_DATA, -EOPNOTSUPP,
		      "WRITE_BLOCK_DATA");

	b[1] = 31; /* count does not match: no equivalent */
	expect_reject(&w, 1, ALL_SMBUS, -EOPNOTSUPP, "more than 33");
	b[1] = 33;
	w = wr(b, 35);
	expect_reject(&w, 1, ALL_SMBUS, -EOPNOTSUPP, "more than 33");

	/* Without I2C block write, a short write shaped like a block write still goes. */
	b[1] = 8;
	w = wr(b, 10);
	assert_int_equal(i2c_smbus_prepare(&w, 1, I2C_FUNC_SMBUS_WRITE_BLOCK_DATA, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_WRITE, b[0], I2C_SMBUS_BLOCK_DATA);
	assert_int_equal(op.data.block[0], 8);
	assert_memory_equal(&op.data.block[1], &b[2], 8);
	b[1] = 7;
	expect_reject(&w, 1, I2C_FUNC_SMBUS_WRITE_BLOCK_DATA, -EOPNOTSUPP, "WRITE_I2C_BLOCK");
}

static void test_byte_data_read(void **state)
{
	uint8_t cmd[1] = {0x33}, out[1] = {0};
	struct i2c_msg_buf m[2] = {wr(cmd, 1), rd(out, 1)};
	struct i2c_smbus_op op;

	assert_int_equal(i2c_smbus_prepare(m, 2, I2C_FUNC_SMBUS_READ_BYTE_DATA, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_READ, 0x33, I2C_SMBUS_BYTE_DATA);
	op.data.byte = 0x77;
	assert_int_equal(i2c_smbus_complete(&op, m, 2), 0);
	assert_int_equal(out[0], 0x77);

	assert_int_equal(i2c_smbus_prepare(m, 2, I2C_FUNC_SMBUS_READ_I2C_BLOCK, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_READ, 0x33, I2C_SMBUS_I2C_BLOCK_DATA);
	assert_int_equal(op.data.block[0], 1);
	op.data.block[1] = 0x66;
	assert_int_equal(i2c_smbus_complete(&op, m, 2), 0);
	assert_int_equal(out[0], 0x66);

	expect_reject(m, 2,
		      ALL_SMBUS & ~(I2C_FUNC_SMBUS_READ_BYTE_DATA | I2C_FUNC_SMBUS_READ_I2C_BLOCK),
		      -EOPNOTSUPP, "READ_BYTE_DATA");
}

static void test_word_data_read(void **state)
{
	uint8_t cmd[1] = {0x05}, out[2] = {0};
	struct i2c_msg_buf m[2] = {wr(cmd, 1), rd(out, 2)};
	struct i2c_smbus_op op;

	assert_int_equal(i2c_smbus_prepare(m, 2, I2C_FUNC_SMBUS_READ_WORD_DATA, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_READ, 0x05, I2C_SMBUS_WORD_DATA);
	op.data.word = 0xbeef;
	assert_int_equal(i2c_smbus_complete(&op, m, 2), 0);
	assert_int_equal(out[0], 0xef); /* low byte first on the wire */
	assert_int_equal(out[1], 0xbe);

	assert_int_equal(i2c_smbus_prepare(m, 2, I2C_FUNC_SMBUS_READ_I2C_BLOCK, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_READ, 0x05, I2C_SMBUS_I2C_BLOCK_DATA);
	assert_int_equal(op.data.block[0], 2);

	expect_reject(m, 2,
		      ALL_SMBUS & ~(I2C_FUNC_SMBUS_READ_WORD_DATA | I2C_FUNC_SMBUS_READ_I2C_BLOCK),
		      -EOPNOTSUPP, "READ_WORD_DATA");
}

static void test_i2c_block_read(void **state)
{
	uint8_t cmd[1] = {0x80};
	struct i2c_smbus_op op;

	for (uint16_t len = 3; len <= 32; len++) {
		uint8_t *out = malloc(len); /* exact size: ASan catches any overrun */
		struct i2c_msg_buf m[2] = {wr(cmd, 1), rd(out, len)};

		assert_int_equal(i2c_smbus_prepare(m, 2, ALL_SMBUS, &op, NULL), 0);
		expect_op(&op, I2C_SMBUS_READ, 0x80, I2C_SMBUS_I2C_BLOCK_DATA);
		assert_int_equal(op.data.block[0], len);
		fill(&op.data.block[1], 32, (uint8_t)len);
		assert_int_equal(i2c_smbus_complete(&op, m, 2), 0);
		assert_memory_equal(out, &op.data.block[1], len);

		/* An adapter returning fewer bytes than asked fails the group. */
		op.data.block[0] = (uint8_t)(len - 1);
		assert_int_equal(i2c_smbus_complete(&op, m, 2), -EPROTO);

		expect_reject(m, 2, ALL_SMBUS & ~I2C_FUNC_SMBUS_READ_I2C_BLOCK, -EOPNOTSUPP,
			      "READ_I2C_BLOCK");
		free(out);
	}
}

static void test_smbus_block_read(void **state)
{
	uint8_t cmd[1] = {0x08}, *out = malloc(33);
	struct i2c_msg_buf m[2] = {wr(cmd, 1), rd(out, 33)};
	struct i2c_smbus_op op;

	assert_int_equal(i2c_smbus_prepare(m, 2, ALL_SMBUS, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_READ, 0x08, I2C_SMBUS_BLOCK_DATA);
	assert_ptr_equal(i2c_smbus_op_data(&op), &op.data);

	/* Count 5: count byte, 5 data bytes, then what an idle bus reads. */
	op.data.block[0] = 5;
	memcpy(&op.data.block[1], "\x01\x02\x03\x04\x05", 5);
	assert_int_equal(i2c_smbus_complete(&op, m, 2), 0);
	assert_int_equal(out[0], 5);
	assert_memory_equal(&out[1], "\x01\x02\x03\x04\x05", 5);
	for (int i = 6; i < 33; i++)
		assert_int_equal(out[i], 0xff);

	/* Count 32 fills the buffer exactly. */
	op.data.block[0] = 32;
	fill(&op.data.block[1], 32, 9);
	assert_int_equal(i2c_smbus_complete(&op, m, 2), 0);
	assert_int_equal(out[0], 32);
	assert_memory_equal(&out[1], &op.data.block[1], 32);

	/* Impossible counts. */
	op.data.block[0] = 0;
	assert_int_equal(i2c_smbus_complete(&op, m, 2), -EPROTO);
	op.data.block[0] = 33;
	assert_int_equal(i2c_smbus_complete(&op, m, 2), -EPROTO);
	op.data.block[0] = 255;
	assert_int_equal(i2c_smbus_complete(&op, m, 2), -EPROTO);

	expect_reject(m, 2, ALL_SMBUS & ~I2C_FUNC_SMBUS_READ_BLOCK_DATA, -EOPNOTSUPP,
		      "READ_BLOCK_DATA");
	free(out);

	/* 34 bytes: longer than any SMBus reply. */
	out = malloc(34);
	m[1] = rd(out, 34);
	expect_reject(m, 2, ALL_SMBUS, -EOPNOTSUPP, "longer than 33");
	free(out);
}

static void test_proc_call(void **state)
{
	uint8_t in[3] = {0x40, 0x11, 0x22}, out[2] = {0};
	struct i2c_msg_buf m[2] = {wr(in, 3), rd(out, 2)};
	struct i2c_smbus_op op;

	assert_int_equal(i2c_smbus_prepare(m, 2, I2C_FUNC_SMBUS_PROC_CALL, &op, NULL), 0);
	expect_op(&op, I2C_SMBUS_WRITE, 0x40, I2C_SMBUS_PROC_CALL);
	assert_int_equal(op.data.word, 0x2211);
	op.data.word = 0xa1b2;
	assert_int_equal(i2c_smbus_complete(&op, m, 2), 0);
	assert_int_equal(out[0], 0xb2);
	assert_int_equal(out[1], 0xa1);
	expect_reject(m, 2, ALL_SMBUS & ~I2C_FUNC_SMBUS_PROC_CALL, -EOPNOTSUPP, "PROC_CALL");
}

static void test_rejections(void **state)
{
	uint8_t a[4] = {1, 2, 3, 4}, b[4] = {0};
	struct i2c_msg_buf m[3];

	/* [W 1][R 0]: the reference crashes here. */
	m[0] = wr(a, 1);
	m[1] = rd(b, 0);
	expect_reject(m, 2, ALL_SMBUS, -EOPNOTSUPP, "read of 0");
	m[1] = rd(NULL, 0);
	expect_reject(m, 2, ALL_SMBUS, -EOPNOTSUPP, "read of 0");

	m[0] = rd(b, 2);
	expect_reject(m, 1, ALL_SMBUS, -EOPNOTSUPP, "without a command");
	m[0] = rd(b, 3);
	expect_reject(m, 1, ALL_SMBUS, -EOPNOTSUPP, "without a command");

	m[0] = wr(a, 2);
	m[1] = rd(b, 1);
	expect_reject(m, 2, ALL_SMBUS, -EOPNOTSUPP, "write then read");
	m[0] = wr(a, 4);
	m[1] = rd(b, 2);
	expect_reject(m, 2, ALL_SMBUS, -EOPNOTSUPP, "write then read");
	m[0] = wr(a, 3);
	m[1] = rd(b, 1);
	expect_reject(m, 2, ALL_SMBUS, -EOPNOTSUPP, "write then read");

	m[0] = rd(b, 1);
	m[1] = wr(a, 1);
	expect_reject(m, 2, ALL_SMBUS, -EOPNOTSUPP, "only a write then a read");
	m[0] = wr(a, 1);
	m[1] = wr(a, 1);
	expect_reject(m, 2, ALL_SMBUS, -EOPNOTSUPP, "only a write then a read");
	m[0] = rd(b, 1);
	m[1] = rd(b, 1);
	expect_reject(m, 2, ALL_SMBUS, -EOPNOTSUPP, "only a write then a read");

	m[0] = wr(a, 1);
	m[1] = rd(b, 1);
	m[2] = rd(b, 1);
	expect_reject(m, 3, ALL_SMBUS, -EOPNOTSUPP, "more than two");

	m[1].addr = ADDR + 1;
	expect_reject(m, 2, ALL_SMBUS, -EINVAL, "different addresses");

	expect_reject(m, 0, ALL_SMBUS, -EINVAL, "empty");

	m[0] = wr(NULL, 1);
	expect_reject(m, 1, ALL_SMBUS, -EINVAL, "without a buffer");

	/* No funcs at all: nothing is translatable. */
	m[0] = wr(a, 2);
	expect_reject(m, 1, 0, -EOPNOTSUPP, "adapter lacks");
}

static void test_complete_mismatch(void **state)
{
	uint8_t cmd[1] = {0}, out[2];
	struct i2c_msg_buf m[2] = {wr(cmd, 1), rd(out, 1)};
	struct i2c_smbus_op op = {.addr = ADDR, .read_write = I2C_SMBUS_READ};

	op.size = I2C_SMBUS_WORD_DATA; /* wants a 2-byte read */
	assert_int_equal(i2c_smbus_complete(&op, m, 2), -EINVAL);
	op.size = I2C_SMBUS_BYTE_DATA;
	assert_int_equal(i2c_smbus_complete(&op, m, 1), -EINVAL); /* last message is a write */
	op.size = 99;
	assert_int_equal(i2c_smbus_complete(&op, m, 2), -EINVAL);
	op.size = I2C_SMBUS_I2C_BLOCK_DATA;
	op.data.block[0] = 1;
	m[1].len = 2;
	assert_int_equal(i2c_smbus_complete(&op, m, 2), -EPROTO);
}

static void test_shape(void **state)
{
	uint8_t a[1];
	struct i2c_msg_buf m[12];
	char buf[128];

	m[0] = wr(a, 1);
	m[1] = rd(NULL, 0);
	assert_string_equal(i2c_smbus_shape(m, 2, buf, sizeof(buf)), "[W 1][R 0]");
	for (int i = 0; i < 12; i++)
		m[i] = rd(a, 1);
	i2c_smbus_shape(m, 12, buf, sizeof(buf));
	assert_string_equal(buf, "[R 1][R 1][R 1][R 1][R 1][R 1][R 1][R 1]...(12 messages)");
	i2c_smbus_shape(m, 12, buf, 7);
	assert_string_equal(buf, "[R 1][");
	assert_string_equal(i2c_smbus_shape(m, 0, buf, sizeof(buf)), "");
}

/*
 * Random groups of 1..3 messages, lengths 0..40, random funcs: prepare must
 * not crash or read past a buffer, and whenever it succeeds, complete with
 * any adapter answer must write only inside the read buffer.
 */
static void test_random_shapes(void **state)
{
	srand(12345);
	for (int iter = 0; iter < 20000; iter++) {
		struct i2c_msg_buf m[3];
		struct i2c_smbus_op op;
		unsigned n = 1 + (unsigned)rand() % 3;
		unsigned long funcs = ((unsigned long)rand() << 16) & ALL_SMBUS;
		int ret;

		for (unsigned i = 0; i < n; i++) {
			uint16_t len = (uint16_t)(rand() % 41);

			m[i].addr = ADDR;
			m[i].read = rand() & 1;
			m[i].len = len;
			m[i].buf = len ? malloc(len) : NULL;
			for (unsigned k = 0; k < len; k++)
				m[i].buf[k] = (uint8_t)rand();
		}
		ret = i2c_smbus_prepare(m, n, funcs, &op, NULL);
		assert_true(ret == 0 || ret == -EOPNOTSUPP);
		if (ret == 0) {
			assert_true(op.size <= I2C_SMBUS_I2C_BLOCK_DATA);
			for (unsigned k = 0; k < sizeof(op.data.block); k++)
				op.data.block[k] = (uint8_t)rand();
			ret = i2c_smbus_complete(&op, m, n);
			assert_true(ret == 0 || ret == -EPROTO);
		}
		for (unsigned i = 0; i < n; i++)
			free(m[i].buf);
	}
}

/*
 * Every group of one or two messages the /ro or /ro16 policy lets through
 * becomes an SMBus read or nothing: never a write call, never a process call.
 * With every funcs bit, /ro reaches exactly the six SMBus reads, /ro16 only
 * quick read and receive byte ([W 2][R n] has no SMBus equivalent).
 */
static void test_read_only_groups_translate_to_reads(void **state)
{
	static const uint16_t lens[] = {0, 1, 2, 3, 4, 32, 33, 34};
	const unsigned n_lens = sizeof(lens) / sizeof(lens[0]);
	static uint8_t b0[40], b1[40];

	for (unsigned ptr = 1; ptr <= 2; ptr++) {
		unsigned seen = 0; /* bit per SMBus size */

		for (unsigned shape = 0; shape < 2 * n_lens * (1 + 2 * 2 * n_lens); shape++) {
			struct i2c_msg_buf m[2];
			unsigned k = shape, n;
			struct i2c_smbus_op op;
			bool allowed = true;

			m[0] = (k & 1) ? rd(b0, lens[(k >> 1) % n_lens])
				       : wr(b0, lens[(k >> 1) % n_lens]);
			k /= 2 * n_lens;
			n = k ? 2 : 1;
			if (k) {
				k--;
				m[1] = (k & 1) ? rd(b1, lens[(k >> 2) % n_lens])
					       : wr(b1, lens[(k >> 2) % n_lens]);
				if (k & 2)
					m[1].addr = ADDR + 1;
			}
			for (unsigned i = 0; i < n; i++)
				allowed &= i2c_readonly_allows(m, n, i, ptr);
			if (!allowed || i2c_smbus_prepare(m, n, ~0ul, &op, NULL) < 0)
				continue;
			assert_int_equal(op.read_write, I2C_SMBUS_READ);
			assert_int_not_equal(op.size, I2C_SMBUS_PROC_CALL);
			seen |= 1u << op.size;
		}
		if (ptr == 1)
			assert_int_equal(seen, 1u << I2C_SMBUS_QUICK | 1u << I2C_SMBUS_BYTE |
						       1u << I2C_SMBUS_BYTE_DATA |
						       1u << I2C_SMBUS_WORD_DATA |
						       1u << I2C_SMBUS_I2C_BLOCK_DATA |
						       1u << I2C_SMBUS_BLOCK_DATA);
		else
			assert_int_equal(seen, 1u << I2C_SMBUS_QUICK | 1u << I2C_SMBUS_BYTE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quick),
		cmocka_unit_test(test_byte),
		cmocka_unit_test(test_byte_data_write),
		cmocka_unit_test(test_word_data_write),
		cmocka_unit_test(test_i2c_block_write),
		cmocka_unit_test(test_smbus_block_write),
		cmocka_unit_test(test_byte_data_read),
		cmocka_unit_test(test_word_data_read),
		cmocka_unit_test(test_i2c_block_read),
		cmocka_unit_test(test_smbus_block_read),
		cmocka_unit_test(test_proc_call),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_complete_mismatch),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_random_shapes),
		cmocka_unit_test(test_read_only_groups_translate_to_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
