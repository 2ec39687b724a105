// SPDX-License-Identifier: MIT
/*
 * Fuzz target: SMBus translation (i2c_smbus.h), against its specification.
 *
 * Input: u64 funcs, u8 message count (0..4), then per message u8 addr,
 * u8 flags (bit 0 read, bit 1 NULL buffer), u8 len, len data bytes; then
 * the bytes the "adapter" returns (union i2c_smbus_data), then u8 lengths
 * for i2c_smbus_shape.
 *
 * Checked beyond memory safety: prepare never changes msgs; -EINVAL exactly
 * for the documented cases; every SMBus call produced puts the group's exact
 * bytes on the wire and needs a funcs bit the adapter has; with every funcs
 * bit, every group shape of the header's table is translated; complete never
 * says -EINVAL for the msgs its op came from, leaves writes alone, and fills
 * reads exactly as documented (including the 0xff padding of block reads);
 * a group the read-only policy (i2c_readonly.h, 1- or 2-byte pointer) lets
 * through never becomes an SMBus write or process call.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "i2c_readonly.h"
#include "i2c_smbus.h"

#define MAX_MSGS 4

struct group {
	struct i2c_msg_buf msgs[MAX_MSGS];
	uint8_t *copy[MAX_MSGS]; /* original bytes, to see prepare leave them alone */
	unsigned n;
};

static void group_free(struct group *g)
{
	for (unsigned i = 0; i < g->n; i++) {
		free(g->msgs[i].buf);
		free(g->copy[i]);
	}
}

static bool same_msgs(const struct group *g)
{
	for (unsigned i = 0; i < g->n; i++)
		if (g->msgs[i].len && g->msgs[i].buf &&
		    memcmp(g->msgs[i].buf, g->copy[i], g->msgs[i].len))
			return false;
	return true;
}

/* Buffers are malloc'ed at their exact length so ASan sees any overrun. */
static void group_read(struct fuzz_in *in, struct group *g)
{
	g->n = fuzz_u8(in) % (MAX_MSGS + 1);
	for (unsigned i = 0; i < g->n; i++) {
		struct i2c_msg_buf *m = &g->msgs[i];
		uint8_t flags;

		m->addr = fuzz_u8(in) & 0x7f;
		flags = fuzz_u8(in);
		m->read = flags & 1;
		m->len = fuzz_u8(in);
		m->buf = NULL;
		g->copy[i] = NULL;
		if (m->len == 0 && (flags & 2))
			continue;
		/* A non-empty message may also come without a buffer: -EINVAL expected. */
		if (m->len && (flags & 2) && !(flags & 4))
			continue;
		m->buf = malloc(m->len ? m->len : 1);
		g->copy[i] = malloc(m->len ? m->len : 1);
		FUZZ_CHECK(m->buf && g->copy[i]);
		fuzz_take(in, m->buf, m->len);
		memcpy(g->copy[i], m->buf, m->len);
	}
}

static bool expect_einval(const struct group *g)
{
	if (g->n == 0)
		return true;
	for (unsigned i = 0; i < g->n; i++)
		if (g->msgs[i].addr != g->msgs[0].addr || (g->msgs[i].len && !g->msgs[i].buf))
			return true;
	return false;
}

/* The header's table with every funcs bit: does this group have an SMBus equivalent? */
static bool shape_in_table(const struct group *g)
{
	const struct i2c_msg_buf *w = &g->msgs[0], *r = &g->msgs[1];

	if (g->n == 1) {
		if (w->len == 0)
			return true;
		if (w->read)
			return w->len == 1;
		return w->len <= 33 || (w->len == 34 && w->buf[1] == 32);
	}
	if (g->n == 2 && !w->read && r->read)
		return (w->len == 1 && r->len >= 1 && r->len <= 33) || (w->len == 3 && r->len == 2);
	return false;
}

static bool has(unsigned long funcs, unsigned long bit)
{
	return (funcs & bit) == bit;
}

/* Does op put exactly the group's bytes on the wire, with a funcs bit the adapter has? */
static void check_wire(const struct i2c_smbus_op *op, const struct group *g, unsigned long funcs)
{
	const struct i2c_msg_buf *w = &g->msgs[0], *r = &g->msgs[1];
	bool rd = op->read_write == I2C_SMBUS_READ;

	FUZZ_CHECK(op->read_write == I2C_SMBUS_READ || op->read_write == I2C_SMBUS_WRITE);
	FUZZ_CHECK(op->addr == w->addr);
	switch (op->size) {
	case I2C_SMBUS_QUICK:
		FUZZ_CHECK(g->n == 1 && w->len == 0 && rd == w->read);
		FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_QUICK));
		break;
	case I2C_SMBUS_BYTE:
		FUZZ_CHECK(g->n == 1 && w->len == 1 && rd == w->read);
		if (rd) {
			FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_READ_BYTE));
		} else {
			FUZZ_CHECK(op->command == w->buf[0]);
			FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_WRITE_BYTE));
		}
		break;
	case I2C_SMBUS_BYTE_DATA:
		if (rd) {
			FUZZ_CHECK(g->n == 2 && !w->read && w->len == 1 && r->read && r->len == 1);
			FUZZ_CHECK(op->command == w->buf[0]);
			FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_READ_BYTE_DATA));
		} else {
			FUZZ_CHECK(g->n == 1 && !w->read && w->len == 2);
			FUZZ_CHECK(op->command == w->buf[0] && op->data.byte == w->buf[1]);
			FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_WRITE_BYTE_DATA));
		}
		break;
	case I2C_SMBUS_WORD_DATA:
		if (rd) {
			FUZZ_CHECK(g->n == 2 && !w->read && w->len == 1 && r->read && r->len == 2);
			FUZZ_CHECK(op->command == w->buf[0]);
			FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_READ_WORD_DATA));
		} else {
			FUZZ_CHECK(g->n == 1 && !w->read && w->len == 3);
			FUZZ_CHECK(op->command == w->buf[0]);
			FUZZ_CHECK(op->data.word == (w->buf[1] | w->buf[2] << 8));
			FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_WRITE_WORD_DATA));
		}
		break;
	case I2C_SMBUS_PROC_CALL:
		FUZZ_CHECK(!rd && g->n == 2 && !w->read && w->len == 3 && r->read && r->len == 2);
		FUZZ_CHECK(op->command == w->buf[0]);
		FUZZ_CHECK(op->data.word == (w->buf[1] | w->buf[2] << 8));
		FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_PROC_CALL));
		break;
	case I2C_SMBUS_I2C_BLOCK_DATA:
		FUZZ_CHECK(op->data.block[0] >= 1 && op->data.block[0] <= I2C_SMBUS_BLOCK_MAX);
		if (rd) {
			FUZZ_CHECK(g->n == 2 && !w->read && w->len == 1 && r->read);
			FUZZ_CHECK(r->len == op->data.block[0]);
			FUZZ_CHECK(op->command == w->buf[0]);
			FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_READ_I2C_BLOCK));
		} else {
			FUZZ_CHECK(g->n == 1 && !w->read && w->len == 1 + op->data.block[0]);
			FUZZ_CHECK(op->command == w->buf[0]);
			FUZZ_CHECK(!memcmp(&op->data.block[1], &w->buf[1], op->data.block[0]));
			FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_WRITE_I2C_BLOCK));
		}
		break;
	case I2C_SMBUS_BLOCK_DATA:
		if (rd) {
			FUZZ_CHECK(g->n == 2 && !w->read && w->len == 1 && r->read);
			FUZZ_CHECK(r->len == I2C_SMBUS_BLOCK_MAX + 1);
			FUZZ_CHECK(op->command == w->buf[0]);
			FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_READ_BLOCK_DATA));
		} else {
			/* command, count, data */
			FUZZ_CHECK(g->n == 1 && !w->read && w->len >= 2);
			FUZZ_CHECK(op->data.block[0] <= I2C_SMBUS_BLOCK_MAX);
			FUZZ_CHECK(w->len == 2 + op->data.block[0]);
			FUZZ_CHECK(op->command == w->buf[0]);
			FUZZ_CHECK(!memcmp(&op->data.block[0], &w->buf[1], w->len - 1u));
			FUZZ_CHECK(has(funcs, I2C_FUNC_SMBUS_WRITE_BLOCK_DATA));
		}
		break;
	default:
		FUZZ_CHECK(!"unknown SMBus transaction size");
	}
	/* The ioctl's data pointer: none for QUICK and BYTE write, else the union. */
	FUZZ_CHECK((i2c_smbus_op_data((struct i2c_smbus_op *)op) == NULL) ==
		   (op->size == I2C_SMBUS_QUICK || (op->size == I2C_SMBUS_BYTE && !rd)));
}

/* Runs complete with adapter data from the input and checks what landed in the read buffer. */
static void check_complete(struct fuzz_in *in, struct i2c_smbus_op *op, struct group *g)
{
	struct i2c_msg_buf *r = &g->msgs[g->n - 1];
	uint8_t count;
	int ret;

	fuzz_take(in, &op->data, sizeof(op->data));
	if (op->size == I2C_SMBUS_I2C_BLOCK_DATA && op->read_write == I2C_SMBUS_READ &&
	    !(fuzz_u8(in) & 1))
		op->data.block[0] = (uint8_t)r->len; /* what a well-behaved adapter returns */
	ret = i2c_smbus_complete(op, g->msgs, g->n);
	FUZZ_CHECK(ret == 0 || ret == -EPROTO);
	if (op->read_write == I2C_SMBUS_WRITE && op->size != I2C_SMBUS_PROC_CALL) {
		FUZZ_CHECK(ret == 0 && same_msgs(g));
		return;
	}
	switch (op->size) {
	case I2C_SMBUS_QUICK:
		FUZZ_CHECK(ret == 0);
		break;
	case I2C_SMBUS_BYTE:
	case I2C_SMBUS_BYTE_DATA:
		FUZZ_CHECK(ret == 0 && r->buf[0] == op->data.byte);
		break;
	case I2C_SMBUS_WORD_DATA:
	case I2C_SMBUS_PROC_CALL:
		FUZZ_CHECK(ret == 0 && (r->buf[0] | r->buf[1] << 8) == op->data.word);
		break;
	case I2C_SMBUS_I2C_BLOCK_DATA:
		count = op->data.block[0];
		if (count < r->len || count > I2C_SMBUS_BLOCK_MAX) {
			FUZZ_CHECK(ret == -EPROTO);
			break;
		}
		FUZZ_CHECK(ret == 0 && !memcmp(r->buf, &op->data.block[1], r->len));
		break;
	case I2C_SMBUS_BLOCK_DATA:
		count = op->data.block[0];
		if (count == 0 || count > I2C_SMBUS_BLOCK_MAX) {
			FUZZ_CHECK(ret == -EPROTO);
			break;
		}
		FUZZ_CHECK(ret == 0 && r->buf[0] == count);
		FUZZ_CHECK(!memcmp(&r->buf[1], &op->data.block[1], count));
		for (unsigned i = 1u + count; i < r->len; i++)
			FUZZ_CHECK(r->buf[i] == 0xff);
		break;
	}
}

/* Shape strings into exactly-sized buffers: always terminated, never overrun. */
static void check_shape(struct fuzz_in *in, const struct group *g)
{
	for (int k = 0; k < 2; k++) {
		size_t len = fuzz_u8(in) % 96;
		char *buf = malloc(len ? len : 1);

		FUZZ_CHECK(buf);
		FUZZ_CHECK(i2c_smbus_shape(g->msgs, g->n, buf, len) == buf);
		if (len)
			FUZZ_CHECK(memchr(buf, '\0', len) != NULL);
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct i2c_smbus_op op;
	struct group g = {.n = 0};
	unsigned long funcs;
	const char *why = "unset";
	int ret;

	funcs = (unsigned long)fuzz_u64(&in);
	/* Half the time the adapter can do everything, so the table's shapes must all map. */
	if (funcs & 1)
		funcs = ~0ul;
	group_read(&in, &g);

	memset(&op, 0xa5, sizeof(op));
	ret = i2c_smbus_prepare(g.msgs, g.n, funcs, &op, &why);
	FUZZ_CHECK(same_msgs(&g));
	if (expect_einval(&g)) {
		FUZZ_CHECK(ret == -EINVAL && why && *why);
		goto out;
	}
	FUZZ_CHECK(ret == 0 || ret == -EOPNOTSUPP);
	if (ret) {
		FUZZ_CHECK(why && *why);
		FUZZ_CHECK(!(funcs == ~0ul && shape_in_table(&g)));
		goto out;
	}
	FUZZ_CHECK(shape_in_table(&g));
	check_wire(&op, &g, funcs);
	/* A read-only device gets SMBus reads only. */
	for (unsigned ptr = 1; ptr <= 2; ptr++) {
		bool allowed = true;

		for (unsigned i = 0; i < g.n; i++)
			allowed = allowed && i2c_readonly_allows(g.msgs, g.n, i, ptr);
		if (allowed)
			FUZZ_CHECK(op.read_write == I2C_SMBUS_READ &&
				   op.size != I2C_SMBUS_PROC_CALL);
	}
	/* Without why, the same answer. */
	{
		struct i2c_smbus_op again;

		FUZZ_CHECK(i2c_smbus_prepare(g.msgs, g.n, funcs, &again, NULL) == 0);
		FUZZ_CHECK(again.size == op.size && again.read_write == op.read_write &&
			   again.command == op.command);
	}
	check_complete(&in, &op, &g);
out:
	check_shape(&in, &g);
	group_free(&g);
	return 0;
}
