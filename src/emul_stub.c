// SPDX-License-Identifier: MIT
/*
 * A register file like the kernel's i2c-stub: 256 8-bit registers (0 at
 * start) behind a register pointer (0 at start). A write message's first
 * byte sets the pointer; further bytes are stored at the pointer, which
 * advances after each byte (0xff wraps to 0x00). A read message returns bytes
 * from the pointer the same way. So SMBus byte (read at the pointer), byte
 * data, word data (low byte first) and I2C block transfers all work.
 */
#include "emul_internal.h"

#include <errno.h>

#define STUB_NREGS 256

struct stub {
	struct emul_dev dev;
	uint8_t pointer; /* wraps by its type */
	uint8_t regs[STUB_NREGS];
};
EMUL_DEV_FIRST(struct stub);

static struct stub *to_stub(struct emul_dev *dev)
{
	return container_of(dev, struct stub, dev);
}

static int stub_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct stub *st = to_stub(dev);
	size_t i = 0;

	if (!read)
		st->pointer = buf[i++];
	for (; i < len; i++) {
		if (read)
			buf[i] = st->regs[st->pointer];
		else
			st->regs[st->pointer] = buf[i];
		st->pointer++;
	}
	return 0;
}

static const struct emul_ops stub_ops = {
	.xfer = stub_xfer,
};

struct emul_dev *emul_stub_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct stub *st = emul_dev_alloc(sizeof(*st), &stub_ops, spec, err, errlen);

	return st ? &st->dev : NULL;
}
