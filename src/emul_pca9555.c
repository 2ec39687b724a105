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
#include <stdlib.h>
#include <string.h>

struct pca9555 {
	struct emul_dev dev;
	uint8_t cmd;
	uint16_t output, polarity, config;
	uint16_t inputs; /* levels driven from outside onto input pins */
};

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

static void pca_each_prop(struct emul_dev *dev, void (*fn)(void *ctx, const struct emul_prop *p),
			  void *ctx)
{
	struct pca9555 *p = to_pca(dev);
	struct emul_prop in = {"inputs", p->inputs, true};
	struct emul_prop out = {"outputs", outputs(p), false};
	struct emul_prop conf = {"config", p->config, false};

	fn(ctx, &in);
	fn(ctx, &out);
	fn(ctx, &conf);
}

static int pca_get_prop(struct emul_dev *dev, const char *name, double *value)
{
	struct pca9555 *p = to_pca(dev);

	if (!strcmp(name, "inputs"))
		*value = p->inputs;
	else if (!strcmp(name, "outputs"))
		*value = outputs(p);
	else if (!strcmp(name, "config"))
		*value = p->config;
	else
		return -ENOENT;
	return 0;
}

/* `inputs`: a 16-bit integer; `outputs` and `config` are the guest's to set. */
static int pca_set_prop(struct emul_dev *dev, const char *name, double value)
{
	if (!strcmp(name, "outputs") || !strcmp(name, "config"))
		return -EROFS;
	if (strcmp(name, "inputs"))
		return -ENOENT;
	if (!(value >= 0 && value <= 65535) || value != (double)(uint16_t)value)
		return -ERANGE;
	to_pca(dev)->inputs = (uint16_t)value;
	return 0;
}

const struct emul_opt_desc emul_pca9555_opts[] = {
	{"inputs", 0, 65535, 0, "0..65535 (0x0000..0xffff)", false},
	{"outputs", .read_only = true},
	{"config", .read_only = true},
	{0},
};

static void pca_destroy(struct emul_dev *dev)
{
	free(to_pca(dev));
}

static const struct emul_ops pca_ops = {
	.xfer = pca_xfer,
	.each_prop = pca_each_prop,
	.get_prop = pca_get_prop,
	.set_prop = pca_set_prop,
	.destroy = pca_destroy,
};

struct emul_dev *emul_pca9555_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct pca9555 *p = calloc(1, sizeof(*p));

	if (!p) {
		emul_set_err(err, errlen, spec, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	emul_dev_init(&p->dev, &pca_ops, spec);
	p->output = 0xffff;
	p->config = 0xffff;
	return &p->dev;
}
