/* SPDX-License-Identifier: MIT */
/*
 * Translation of one combined I2C transfer (a virtio-i2c group) into one
 * SMBus transaction for adapters without I2C_FUNC_I2C, and of its result
 * back into the read buffers. Pure: no I/O, no allocation, no logging; safe
 * on any input (it is fuzzed).
 *
 * The mapping is the inverse of the kernel's SMBus-over-I2C emulation: a
 * group maps to the SMBus call that puts the same bytes on the wire.
 *
 *   group                      SMBus call                  funcs bit needed
 *   [R 0] / [W 0]              QUICK read / write          QUICK
 *   [R 1]                      BYTE read                   READ_BYTE
 *   [W 1]                      BYTE write (command = b0)   WRITE_BYTE
 *   [W 2]                      BYTE_DATA write             WRITE_BYTE_DATA   (*)
 *   [W 3]                      WORD_DATA write             WRITE_WORD_DATA   (*)
 *   [W n], 4 <= n <= 33        I2C_BLOCK_DATA write        WRITE_I2C_BLOCK   (**)
 *   [W 34] with b1 == 32       BLOCK_DATA write            WRITE_BLOCK_DATA
 *   [W 1][R 1]                 BYTE_DATA read              READ_BYTE_DATA    (*)
 *   [W 1][R 2]                 WORD_DATA read              READ_WORD_DATA    (*)
 *   [W 1][R n], 3 <= n <= 32   I2C_BLOCK_DATA read         READ_I2C_BLOCK
 *   [W 1][R 33]                BLOCK_DATA read             READ_BLOCK_DATA
 *   [W 3][R 2]                 PROC_CALL                   PROC_CALL
 *   anything else, e.g. [W 1][R 0], [R 2], [W 2][R 1], 3+ messages: -EOPNOTSUPP
 *
 *   (*)  without that bit, the I2C_BLOCK_DATA call with the same wire bytes
 *        is used if the adapter has it (then (**) applies to writes).
 *   (**) without WRITE_I2C_BLOCK, a write whose b1 == n - 2 (command, count,
 *        data: an SMBus block write seen as bytes) is sent as BLOCK_DATA write.
 *
 * SMBus block read: on the wire it is [W 1][R 1 + count] with the count
 * chosen by the device, so the guest must read enough for the largest reply.
 * [W 1][R n] with n <= 32 is always an I2C block read (the guest chose the
 * length, the device's first byte is plain data); only n == 33, which no I2C
 * block read can express and which holds every SMBus block reply, is taken
 * as an SMBus block read. The reply goes to the guest as it would appear on
 * the wire: buf[0] = count, buf[1..count] = data, and the bytes the device
 * did not send are 0xff (an idle bus reads as 1s).
 */
#ifndef VI2C_I2C_SMBUS_H
#define VI2C_I2C_SMBUS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/i2c.h>

#include "i2c_bus.h"

#define I2C_SMBUS_MAX_WRITE 34 /* longest group message with an SMBus equivalent */

/* One SMBus transaction, the arguments of ioctl(I2C_SMBUS) plus the target. */
struct i2c_smbus_op {
	uint8_t addr;	    /* 7-bit target of every message of the group */
	uint8_t read_write; /* I2C_SMBUS_READ or I2C_SMBUS_WRITE */
	uint8_t command;
	uint32_t size; /* I2C_SMBUS_QUICK ... I2C_SMBUS_I2C_BLOCK_DATA */
	union i2c_smbus_data data;
};

/*
 * Fills *op with the SMBus transaction equivalent to msgs[0..n) on an adapter
 * with functionality mask funcs. Returns 0, -EINVAL (empty group, messages to
 * different addresses, a non-empty message without a buffer) or -EOPNOTSUPP
 * (no SMBus equivalent, or the adapter lacks the needed bit). On error *why
 * (if why is not NULL) points to a static one-line reason. msgs is not changed.
 */
int i2c_smbus_prepare(const struct i2c_msg_buf *msgs, unsigned n, unsigned long funcs,
		      struct i2c_smbus_op *op, const char **why);

/*
 * Copies the result of the executed transaction op (prepared from the same
 * msgs) into the read buffers of msgs. Returns 0, -EPROTO (the adapter
 * returned an impossible block count) or -EINVAL (msgs do not match op).
 */
int i2c_smbus_complete(const struct i2c_smbus_op *op, struct i2c_msg_buf *msgs, unsigned n);

/* The data pointer to pass to the ioctl: NULL for the calls that carry no data. */
union i2c_smbus_data *i2c_smbus_op_data(struct i2c_smbus_op *op);

/*
 * Writes the shape of a group, e.g. "[W 1][R 0]" (at most 8 messages, then
 * "..."), to buf (always NUL-terminated when len > 0). Returns buf.
 */
char *i2c_smbus_shape(const struct i2c_msg_buf *msgs, unsigned n, char *buf, size_t len);

#endif
