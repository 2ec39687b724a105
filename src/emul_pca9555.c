// SPDX-License-Identifier: MIT
/*
 * NXP PCA9555 16-bit I2C GPIO expander (NXP datasheet PCA9555), with the
 * levels that the outside world drives onto its pins settable.
 *
 * Eight 8-bit registers, selected by a command byte (0..7; others NACK):
 *   0/1 input port 0/1       read-only: the pin levels XOR polarity inversion
 *   2/3 output port 0/1      0xff at power-up
 *   4/5 polarity inversion   0x00 at power-up
 *   6/7 configuration        0xff at power-up (1 = input, 0 = output)
 * Registers come in pairs: after each byte read or written the command
 * toggles to the other register of its pair (0 -> 1 -> 0 ...), so a 2-byte
 * access covers both ports. A pin configured as output is driven by the
 * output register; a pin configured as input reads the level in `inputs`.
 * Writes to the input port are ACKed and ignored. Bit N of a 16-bit value
 * is port N / 8, line N % 8 (port 0 in the low byte).
 */
#include "emul_internal.h"

#include <errno.h>

struct pca9555 {
	struct emul_dev dev;
	uint8_t cmd;
	uint16_t output, polarity, config;
	uint16_t inputs; /* levels driven from outside onto input pins */
};
EMUL_DEV_FIRST(struct pca9555);

static struct pca9555 *to_pca(struct emul_dev *dev)
{
	return container_of(dev, struct pca9555, dev);
}

/* The level on each pin. */
static uint16_t pins(const struct pca9555 *p)
{
	return (uint16_t)((p->inputs & p->config) | (p->output & ~p->config));
}

static uint16_t *reg16(struct pca9555 *p, uint8_t cmd)
{
	switch (cmd >> 1) {
	case 1:
		return &p->output;
	case 2:
		return &p->polarity;
	case 3:
		return &p->config;
	default:
		return NULL; /* input port */
	}
}

static uint8_t reg_read(struct pca9555 *p, uint8_t cmd)
{
	uint16_t *r = reg16(p, cmd), v = r ? *r : (uint16_t)(pins(p) ^ p->polarity);

	return (uint8_t)(cmd & 1 ? v >> 8 : v);
}

static void reg_write(struct pca9555 *p, uint8_t cmd, uint8_t val)
{
	uint16_t *r = reg16(p, cmd);

	if (!r)
		return;
	if (cmd & 1)
		*r = (uint16_t)((*r & 0x00ff) | val << 8);
	else
		*r = (uint16_t)((*r & 0xff00) | val);
}

static int pca_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct pca9555 *p = to_pca(dev);
	size_t i = 0;

	if (!read) {
		if (buf[0] > 7)
			return -ENXIO;
		p->cmd = buf[i++];
	}
	for (; i < len; i++) {
		if (read)
			buf[i] = reg_read(p, p->cmd);
		else
			reg_write(p, p->cmd, buf[i]);
		p->cmd ^= 1;
	}
	return 0;
}

/* The outputs: the output register on the lines configured as outputs, 0 elsewhere. */
static double outputs(const struct pca9555 *p)
{
	return (double)(p->output & (uint16_t)~p->config);
}

static double pca_get_inputs(struct emul_dev *dev)
{
	return to_pca(dev)->inputs;
}

static double pca_get_outputs(struct emul_dev *dev)
{
	return outputs(to_pca(dev));
}

static double pca_get_config(struct emul_dev *dev)
{
	return to_pca(dev)->config;
}

/* `inputs`: a 16-bit integer; `outputs` and `config` are the guest's to set. */
static int pca_set_inputs(struct emul_dev *dev, double value)
{
	if (!(value >= 0 && value <= 65535) || value != (double)(uint16_t)value)
		return -ERANGE;
	to_pca(dev)->inputs = (uint16_t)value;
	return 0;
}

static const struct emul_prop_desc pca_props[] = {
	{"inputs", pca_get_inputs, pca_set_inputs},
	{"outputs", pca_get_outputs, NULL},
	{"config", pca_get_config, NULL},
	{0},
};

const struct emul_opt_desc emul_pca9555_opts[] = {
	{"inputs", 0, 65535, 0, "0..65535 (0x0000..0xffff)", false},
	{"outputs", .read_only = true},
	{"config", .read_only = true},
	{0},
};

static const struct emul_ops pca_ops = {
	.xfer = pca_xfer,
	.props = pca_props,
};

struct emul_dev *emul_pca9555_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct pca9555 *p = emul_dev_alloc(sizeof(*p), &pca_ops, spec, err, errlen);

	if (!p)
		return NULL;
	p->output = 0xffff;
	p->config = 0xffff;
	return &p->dev;
}
