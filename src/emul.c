// SPDX-License-Identifier: MIT
/*
 * Emulated devices: dispatch to the model and the parts common to all models
 * (probe handling, argument checks, error messages).
 */
#include "emul.h"
#include "clock.h"
#include "emul_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t (*emul_clock_mono_ns)(void) = mono_ns;
int64_t (*emul_clock_real_ns)(void) = real_ns;

void *emul_dev_alloc(size_t size, const struct emul_ops *ops, const struct cfg_emul *spec,
		     char *err, size_t errlen)
{
	struct emul_dev *dev = calloc(1, size);

	if (!dev) {
		emul_set_err(err, errlen, spec, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	dev->ops = ops;
	dev->model = spec->model;
	dev->addr = spec->addr;
	return dev;
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

static const struct emul_opt_desc no_opts[] = {{0}};

const struct emul_opt_desc *emul_model_opts(enum emul_model model)
{
	switch (model) {
	case EMUL_24C02:
	case EMUL_24C32:
	case EMUL_24C256:
		return emul_eeprom_opts;
	case EMUL_LM75:
		return emul_lm75_opts;
	case EMUL_TMP102:
		return emul_tmp102_opts;
	case EMUL_JC42:
		return emul_jc42_opts;
	case EMUL_SHT3X:
		return emul_sht3x_opts;
	case EMUL_ADS1015:
		return emul_ads1015_opts;
	case EMUL_BMP280:
		return emul_bmp280_opts;
	case EMUL_PCA9555:
		return emul_pca9555_opts;
	case EMUL_DS1307:
	case EMUL_DS3231:
		return emul_ds1307_opts;
	default:
		return no_opts;
	}
}

/* The addresses the chip's address pins can select (datasheets). */
int emul_check_addr(enum emul_model model, uint8_t addr, const char **valid)
{
	uint8_t lo = 0, hi = VI2C_MAX_ADDR;

	switch (model) {
	case EMUL_TMP102:
	case EMUL_ADS1015:
		lo = 0x48, hi = 0x4b, *valid = "0x48..0x4b";
		break;
	case EMUL_JC42:
		lo = 0x18, hi = 0x1f, *valid = "0x18..0x1f";
		break;
	case EMUL_SHT3X:
		lo = 0x44, hi = 0x45, *valid = "0x44 or 0x45";
		break;
	case EMUL_BMP280:
		lo = 0x76, hi = 0x77, *valid = "0x76 or 0x77";
		break;
	case EMUL_PCA9555:
		lo = 0x20, hi = 0x27, *valid = "0x20..0x27";
		break;
	case EMUL_DS1307:
	case EMUL_DS3231:
		lo = 0x68, hi = 0x68, *valid = "0x68";
		break;
	case EMUL_EE1004:
		lo = 0x50, hi = 0x57, *valid = "0x50..0x57";
		break;
	default:
		*valid = "0x00..0x7f";
		break;
	}
	return addr >= lo && addr <= hi ? 0 : -EINVAL;
}

static struct emul_dev *model_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	switch (spec->model) {
	case EMUL_24C02:
	case EMUL_24C32:
	case EMUL_24C256:
	case EMUL_EE1004:
		return emul_eeprom_create(spec, err, errlen);
	case EMUL_REGMAP:
		if (!spec->map) {
			emul_set_err(err, errlen, spec, "regmap needs map=FILE");
			errno = EINVAL;
			return NULL;
		}
		return emul_regmap_create(spec, err, errlen);
	case EMUL_LM75:
		return emul_lm75_create(spec, err, errlen);
	case EMUL_STUB:
		return emul_stub_create(spec, err, errlen);
	case EMUL_TMP102:
		return emul_tmp102_create(spec, err, errlen);
	case EMUL_JC42:
		return emul_jc42_create(spec, err, errlen);
	case EMUL_SHT3X:
		return emul_sht3x_create(spec, err, errlen);
	case EMUL_ADS1015:
		return emul_ads1015_create(spec, err, errlen);
	case EMUL_BMP280:
		return emul_bmp280_create(spec, err, errlen);
	case EMUL_PCA9555:
		return emul_pca9555_create(spec, err, errlen);
	case EMUL_DS1307:
	case EMUL_DS3231:
		return emul_ds1307_create(spec, err, errlen);
	}
	emul_set_err(err, errlen, spec, "unknown device model %d", (int)spec->model);
	errno = EINVAL;
	return NULL;
}

struct emul_dev *emul_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct emul_dev *dev;
	const char *valid;

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
	if (emul_check_addr(spec->model, spec->addr, &valid)) {
		emul_set_err(err, errlen, spec, "address 0x%02x is not valid for %s (%s)",
			     spec->addr, config_model_name(spec->model), valid);
		errno = EINVAL;
		return NULL;
	}
	/* Only EEPROMs have a backing store; the parser enforces it too. */
	if (spec->file && spec->model != EMUL_24C02 && spec->model != EMUL_24C32 &&
	    spec->model != EMUL_24C256 && spec->model != EMUL_EE1004) {
		emul_set_err(err, errlen, spec, "file= is only supported by EEPROMs");
		errno = EINVAL;
		return NULL;
	}
	if (spec->n_opts > CFG_EMUL_MAX_OPTS) {
		emul_set_err(err, errlen, spec, "too many properties");
		errno = EINVAL;
		return NULL;
	}
	dev = model_create(spec, err, errlen);
	if (!dev)
		return NULL;
	for (size_t i = 0; i < spec->n_opts; i++) {
		int ret = emul_set_prop(dev, spec->opts[i].name, spec->opts[i].value);

		if (ret) {
			emul_set_err(err, errlen, spec, "cannot set %s=%g: %s", spec->opts[i].name,
				     spec->opts[i].value, strerror(-ret));
			emul_destroy(dev);
			errno = -ret == ENOMEM ? ENOMEM : EINVAL;
			return NULL;
		}
	}
	return dev;
}

void emul_destroy(struct emul_dev *dev)
{
	if (!dev)
		return;
	if (dev->ops->destroy)
		dev->ops->destroy(dev);
	else
		free(dev);
}

int emul_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	emul_restart(dev); /* its START */
	if (dev->ops->busy && dev->ops->busy(dev))
		return -ENXIO;
	/* Address-only message: a model ACKs it and changes no other state. */
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

void emul_shared_sync(struct emul_dev *dev, const struct emul_dev *peer)
{
	if (dev->ops == peer->ops && dev->ops->shared_sync)
		dev->ops->shared_sync(dev, peer);
}

/* The model's fixed-name property called name, or NULL. */
static const struct emul_prop_desc *find_prop(const struct emul_dev *dev, const char *name)
{
	for (const struct emul_prop_desc *d = dev->ops->props; d && d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

void emul_each_prop(struct emul_dev *dev, void (*fn)(void *ctx, const struct emul_prop *p),
		    void *ctx)
{
	if (dev->ops->props) {
		for (const struct emul_prop_desc *d = dev->ops->props; d->name; d++) {
			struct emul_prop p = {d->name, d->get(dev), d->set != NULL};

			fn(ctx, &p);
		}
	} else if (dev->ops->each_prop) {
		dev->ops->each_prop(dev, fn, ctx);
	}
}

int emul_get_prop(struct emul_dev *dev, const char *name, double *value)
{
	const struct emul_prop_desc *d;

	if (!dev->ops->props)
		return dev->ops->get_prop ? dev->ops->get_prop(dev, name, value) : -ENOENT;
	d = find_prop(dev, name);
	if (!d)
		return -ENOENT;
	*value = d->get(dev);
	return 0;
}

int emul_set_prop(struct emul_dev *dev, const char *name, double value)
{
	const struct emul_prop_desc *d;

	if (!dev->ops->props)
		return dev->ops->set_prop ? dev->ops->set_prop(dev, name, value) : -ENOENT;
	d = find_prop(dev, name);
	if (!d)
		return -ENOENT;
	return d->set ? d->set(dev, value) : -EROFS;
}

uint8_t emul_addr(const struct emul_dev *dev)
{
	return dev->addr;
}

enum emul_model emul_model(const struct emul_dev *dev)
{
	return dev->model;
}
