// SPDX-License-Identifier: MIT
/*
 * Emulated devices: dispatch to the model and the parts common to all models
 * (probe handling, argument checks, error messages).
 */
#include "emul.h"
#include "emul_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void emul_dev_init(struct emul_dev *dev, const struct emul_ops *ops, const struct cfg_emul *spec)
{
	dev->ops = ops;
	dev->model = spec->model;
	dev->addr = spec->addr;
}

void emul_set_err(char *err, size_t errlen, const struct cfg_emul *spec, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;
	int n;

	if (!err || !errlen)
		goto out;
	if (spec && spec->spec)
		n = snprintf(err, errlen, "--emulate '%s': ", spec->spec);
	else
		n = snprintf(err, errlen, "--emulate @0x%02x: ", spec ? spec->addr : 0);
	if (n < 0 || (size_t)n >= errlen)
		goto out;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
out:
	errno = saved_errno;
}

struct emul_dev *emul_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	if (!spec) {
		errno = EINVAL;
		return NULL;
	}
	if (spec->addr > VI2C_MAX_ADDR) {
		emul_set_err(err, errlen, spec, "address 0x%02x is not a 7-bit address",
			     spec->addr);
		errno = EINVAL;
		return NULL;
	}

	switch (spec->model) {
	case EMUL_24C02:
	case EMUL_24C32:
	case EMUL_24C256:
	case EMUL_EE1004:
		return emul_eeprom_create(spec, err, errlen);
	case EMUL_REGMAP:
		if (!spec->map || spec->file) {
			emul_set_err(err, errlen, spec, "regmap needs map=FILE (and no file=)");
			errno = EINVAL;
			return NULL;
		}
		return emul_regmap_create(spec, err, errlen);
	case EMUL_LM75:
	case EMUL_STUB:
		/* Only EEPROMs have a backing store; the parser enforces it too. */
		if (spec->file) {
			emul_set_err(err, errlen, spec, "file= is only supported by EEPROMs");
			errno = EINVAL;
			return NULL;
		}
		if (spec->model == EMUL_LM75)
			return emul_lm75_create(spec, err, errlen);
		return emul_stub_create(spec, err, errlen);
	}

	emul_set_err(err, errlen, spec, "unknown device model %d", (int)spec->model);
	errno = EINVAL;
	return NULL;
}

void emul_destroy(struct emul_dev *dev)
{
	if (dev)
		dev->ops->destroy(dev);
}

int emul_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	emul_restart(dev); /* its START */
	/* Address-only message: every model ACKs it and changes no other state. */
	if (len == 0)
		return 0;
	if (!buf)
		return -EINVAL;
	return dev->ops->xfer(dev, read, buf, len);
}

void emul_restart(struct emul_dev *dev)
{
	if (dev->ops->start)
		dev->ops->start(dev);
}

int emul_stop(struct emul_dev *dev)
{
	return dev->ops->stop ? dev->ops->stop(dev) : 0;
}

unsigned emul_shared_addrs(const struct emul_dev *dev, const uint8_t **addrs)
{
	*addrs = dev->shared_addrs;
	return dev->ops->xfer_shared ? dev->n_shared : 0;
}

int emul_xfer_shared(struct emul_dev *dev, uint8_t addr, bool read, uint8_t *buf, size_t len)
{
	if (!dev->ops->xfer_shared)
		return -ENXIO;
	if (len && !buf)
		return -EINVAL;
	emul_restart(dev);
	return dev->ops->xfer_shared(dev, addr, read, buf, len);
}

void emul_each_prop(struct emul_dev *dev, void (*fn)(void *ctx, const struct emul_prop *p),
		    void *ctx)
{
	if (dev->ops->each_prop)
		dev->ops->each_prop(dev, fn, ctx);
}

int emul_get_prop(struct emul_dev *dev, const char *name, double *value)
{
	return dev->ops->get_prop ? dev->ops->get_prop(dev, name, value) : -ENOENT;
}

int emul_set_prop(struct emul_dev *dev, const char *name, double value)
{
	return dev->ops->set_prop ? dev->ops->set_prop(dev, name, value) : -ENOENT;
}

uint8_t emul_addr(const struct emul_dev *dev)
{
	return dev->addr;
}

enum emul_model emul_model(const struct emul_dev *dev)
{
	return dev->model;
}
