// SPDX-License-Identifier: MIT
#include "i2c_smbus.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SHAPE_MAX_MSGS 8

static int unsupported(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EOPNOTSUPP;
}

static void set_op(struct i2c_smbus_op *op, uint8_t rw, uint8_t command, uint32_t size)
{
	op->read_write = rw;
	op->command = command;
	op->size = size;
}

/* [W len]: command, then len - 1 data bytes. */
static int prepare_write(const struct i2c_msg_buf *m, unsigned long funcs, struct i2c_smbus_op *op,
			 const char **why)
{
	const uint8_t *b = m->buf;
	unsigned data_len = m->len - 1u;
	const char *reason = "write of more than 33 bytes that is not an SMBus block write";

	if (m->len == 1) {
		if (!(funcs & I2C_FUNC_SMBUS_WRITE_BYTE))
			return unsupported(why, "adapter lacks I2C_FUNC_SMBUS_WRITE_BYTE");
		set_op(op, I2C_SMBUS_WRITE, b[0], I2C_SMBUS_BYTE);
		return 0;
	}
	if (m->len == 2 && (funcs & I2C_FUNC_SMBUS_WRITE_BYTE_DATA)) {
		set_op(op, I2C_SMBUS_WRITE, b[0], I2C_SMBUS_BYTE_DATA);
		op->data.byte = b[1];
		return 0;
	}
	if (m->len == 3 && (funcs & I2C_FUNC_SMBUS_WRITE_WORD_DATA)) {
		set_op(op, I2C_SMBUS_WRITE, b[0], I2C_SMBUS_WORD_DATA);
		op->data.word = (uint16_t)(b[1] | b[2] << 8);
		return 0;
	}
	if (m->len == 2)
		reason = "adapter lacks I2C_FUNC_SMBUS_WRITE_BYTE_DATA";
	else if (m->len == 3)
		reason = "adapter lacks I2C_FUNC_SMBUS_WRITE_WORD_DATA";
	else if (data_len <= I2C_SMBUS_BLOCK_MAX)
		reason = "adapter lacks I2C_FUNC_SMBUS_WRITE_I2C_BLOCK";

	/* Same wire bytes as an I2C block write: command, then the data. */
	if (data_len <= I2C_SMBUS_BLOCK_MAX && (funcs & I2C_FUNC_SMBUS_WRITE_I2C_BLOCK)) {
		set_op(op, I2C_SMBUS_WRITE, b[0], I2C_SMBUS_I2C_BLOCK_DATA);
		op->data.block[0] = (uint8_t)data_len;
		memcpy(&op->data.block[1], &b[1], data_len);
		return 0;
	}
	/* Command, count, data: an SMBus block write seen as bytes. */
	if (m->len >= 3 && b[1] == m->len - 2u && b[1] <= I2C_SMBUS_BLOCK_MAX) {
		if (funcs & I2C_FUNC_SMBUS_WRITE_BLOCK_DATA) {
			set_op(op, I2C_SMBUS_WRITE, b[0], I2C_SMBUS_BLOCK_DATA);
			memcpy(&op->data.block[0], &b[1], m->len - 1u);
			return 0;
		}
		if (data_len > I2C_SMBUS_BLOCK_MAX)
			reason = "adapter lacks I2C_FUNC_SMBUS_WRITE_BLOCK_DATA";
	}
	return unsupported(why, reason);
}

/* [W 1][R len]: command, then a read of len bytes. */
static int prepare_command_read(uint8_t cmd, uint16_t len, unsigned long funcs,
				struct i2c_smbus_op *op, const char **why)
{
	const char *reason;

	if (len == 0)
		return unsupported(why, "write of 1 byte then read of 0 has no SMBus equivalent");
	if (len == 1 && (funcs & I2C_FUNC_SMBUS_READ_BYTE_DATA)) {
		set_op(op, I2C_SMBUS_READ, cmd, I2C_SMBUS_BYTE_DATA);
		return 0;
	}
	if (len == 2 && (funcs & I2C_FUNC_SMBUS_READ_WORD_DATA)) {
		set_op(op, I2C_SMBUS_READ, cmd, I2C_SMBUS_WORD_DATA);
		return 0;
	}
	if (len <= I2C_SMBUS_BLOCK_MAX) {
		if (!(funcs & I2C_FUNC_SMBUS_READ_I2C_BLOCK)) {
			if (len == 1)
				reason = "adapter lacks I2C_FUNC_SMBUS_READ_BYTE_DATA";
			else if (len == 2)
				reason = "adapter lacks I2C_FUNC_SMBUS_READ_WORD_DATA";
			else
				reason = "adapter lacks I2C_FUNC_SMBUS_READ_I2C_BLOCK";
			return unsupported(why, reason);
		}
		set_op(op, I2C_SMBUS_READ, cmd, I2C_SMBUS_I2C_BLOCK_DATA);
		op->data.block[0] = (uint8_t)len;
		return 0;
	}
	if (len == I2C_SMBUS_BLOCK_MAX + 1) {
		if (!(funcs & I2C_FUNC_SMBUS_READ_BLOCK_DATA))
			return unsupported(why, "adapter lacks I2C_FUNC_SMBUS_READ_BLOCK_DATA");
		set_op(op, I2C_SMBUS_READ, cmd, I2C_SMBUS_BLOCK_DATA);
		return 0;
	}
	return unsupported(why, "read longer than 33 bytes has no SMBus equivalent");
}

int i2c_smbus_prepare(const struct i2c_msg_buf *msgs, unsigned n, unsigned long funcs,
		      struct i2c_smbus_op *op, const char **why)
{
	const struct i2c_msg_buf *w = &msgs[0], *r;

	if (why)
		*why = NULL;
	memset(op, 0, sizeof(*op));
	if (n == 0) {
		if (why)
			*why = "empty group";
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		if (msgs[i].addr != msgs[0].addr) {
			if (why)
				*why = "messages to different addresses";
			return -EINVAL;
		}
		if (msgs[i].len && !msgs[i].buf) {
			if (why)
				*why = "message without a buffer";
			return -EINVAL;
		}
	}
	op->addr = msgs[0].addr;
	if (n > 2)
		return unsupported(why, "more than two messages have no SMBus equivalent");

	if (n == 1) {
		if (w->len == 0) {
			if (!(funcs & I2C_FUNC_SMBUS_QUICK))
				return unsupported(why, "adapter lacks I2C_FUNC_SMBUS_QUICK");
			set_op(op, w->read ? I2C_SMBUS_READ : I2C_SMBUS_WRITE, 0, I2C_SMBUS_QUICK);
			return 0;
		}
		if (!w->read)
			return prepare_write(w, funcs, op, why);
		if (w->len != 1)
			return unsupported(why, "read without a command has no SMBus equivalent");
		if (!(funcs & I2C_FUNC_SMBUS_READ_BYTE))
			return unsupported(why, "adapter lacks I2C_FUNC_SMBUS_READ_BYTE");
		set_op(op, I2C_SMBUS_READ, 0, I2C_SMBUS_BYTE);
		return 0;
	}

	r = &msgs[1];
	if (w->read || !r->read)
		return unsupported(why, "only a write then a read has an SMBus equivalent");
	if (w->len == 1)
		return prepare_command_read(w->buf[0], r->len, funcs, op, why);
	if (w->len == 3 && r->len == 2) {
		if (!(funcs & I2C_FUNC_SMBUS_PROC_CALL))
			return unsupported(why, "adapter lacks I2C_FUNC_SMBUS_PROC_CALL");
		set_op(op, I2C_SMBUS_WRITE, w->buf[0], I2C_SMBUS_PROC_CALL);
		op->data.word = (uint16_t)(w->buf[1] | w->buf[2] << 8);
		return 0;
	}
	return unsupported(why, "this write then read has no SMBus equivalent");
}

/* The message that receives the result: the last one, which must be a read of len bytes. */
static struct i2c_msg_buf *result_msg(struct i2c_msg_buf *msgs, unsigned n, unsigned min_len,
				      unsigned max_len)
{
	struct i2c_msg_buf *r;

	if (n == 0 || n > 2)
		return NULL;
	r = &msgs[n - 1];
	if (!r->read || r->len < min_len || r->len > max_len || !r->buf)
		return NULL;
	return r;
}

int i2c_smbus_complete(const struct i2c_smbus_op *op, struct i2c_msg_buf *msgs, unsigned n)
{
	struct i2c_msg_buf *r;
	unsigned count;

	if (op->read_write == I2C_SMBUS_WRITE && op->size != I2C_SMBUS_PROC_CALL)
		return 0;
	switch (op->size) {
	case I2C_SMBUS_QUICK:
		return 0;
	case I2C_SMBUS_BYTE:
	case I2C_SMBUS_BYTE_DATA:
		r = result_msg(msgs, n, 1, 1);
		if (!r)
			return -EINVAL;
		r->buf[0] = op->data.byte;
		return 0;
	case I2C_SMBUS_WORD_DATA:
	case I2C_SMBUS_PROC_CALL:
		r = result_msg(msgs, n, 2, 2);
		if (!r)
			return -EINVAL;
		r->buf[0] = (uint8_t)(op->data.word & 0xff);
		r->buf[1] = (uint8_t)(op->data.word >> 8);
		return 0;
	case I2C_SMBUS_I2C_BLOCK_DATA:
		r = result_msg(msgs, n, 1, I2C_SMBUS_BLOCK_MAX);
		if (!r)
			return -EINVAL;
		/* A short block would hand the guest bytes nobody read. */
		if (op->data.block[0] < r->len || op->data.block[0] > I2C_SMBUS_BLOCK_MAX)
			return -EPROTO;
		memcpy(r->buf, &op->data.block[1], r->len);
		return 0;
	case I2C_SMBUS_BLOCK_DATA:
		r = result_msg(msgs, n, 1, I2C_SMBUS_BLOCK_MAX + 1);
		if (!r)
			return -EINVAL;
		count = op->data.block[0];
		if (count == 0 || count > I2C_SMBUS_BLOCK_MAX)
			return -EPROTO;
		if (count > r->len - 1u)
			count = r->len - 1u;
		r->buf[0] = op->data.block[0];
		memcpy(&r->buf[1], &op->data.block[1], count);
		memset(&r->buf[1 + count], 0xff, r->len - 1u - count);
		return 0;
	default:
		return -EINVAL;
	}
}

union i2c_smbus_data *i2c_smbus_op_data(struct i2c_smbus_op *op)
{
	if (op->size == I2C_SMBUS_QUICK ||
	    (op->size == I2C_SMBUS_BYTE && op->read_write == I2C_SMBUS_WRITE))
		return NULL;
	return &op->data;
}

char *i2c_smbus_shape(const struct i2c_msg_buf *msgs, unsigned n, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (unsigned i = 0; i < n && used < len; i++) {
		int w;

		if (i == SHAPE_MAX_MSGS)
			w = snprintf(buf + used, len - used, "...(%u messages)", n);
		else
			w = snprintf(buf + used, len - used, "[%c %u]", msgs[i].read ? 'R' : 'W',
				     (unsigned)msgs[i].len);
		if (w < 0)
			break;
		used += (size_t)w;
		if (i == SHAPE_MAX_MSGS)
			break;
	}
	return buf;
}
