/* SPDX-License-Identifier: MIT */
/*
 * Private to src/emul*.c: the common device header every model embeds, its
 * ops table and the per-model constructors that emul_create() dispatches to.
 */
#ifndef VI2C_EMUL_INTERNAL_H
#define VI2C_EMUL_INTERNAL_H

#include <stddef.h>

#include "emul.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct emul_ops {
	/* One message; len > 0 and buf != NULL (emul_xfer handles probes). */
	int (*xfer)(struct emul_dev *dev, bool read, uint8_t *buf, size_t len);
	/*
	 * Any START or repeated START on the bus, before the message (if any)
	 * that follows it to this device; idempotent. NULL when the model does
	 * nothing at START.
	 */
	void (*start)(struct emul_dev *dev);
	/* STOP: 0 or -errno (see emul_stop); NULL when the model does nothing at STOP. */
	int (*stop)(struct emul_dev *dev);
	/* Shared addresses (see emul_shared_addrs): messages there, any len; NULL if none. */
	int (*xfer_shared)(struct emul_dev *dev, uint8_t addr, bool read, uint8_t *buf, size_t len);
	/* Properties (see emul.h); each NULL when the model has none. */
	void (*each_prop)(struct emul_dev *dev, void (*fn)(void *ctx, const struct emul_prop *p),
			  void *ctx);
	int (*get_prop)(struct emul_dev *dev, const char *name, double *value);
	int (*set_prop)(struct emul_dev *dev, const char *name, double value);
	/* Frees the model's struct (the one embedding struct emul_dev). */
	void (*destroy)(struct emul_dev *dev);
};

/* Embedded as member `dev` of each model's struct. */
struct emul_dev {
	const struct emul_ops *ops;
	enum emul_model model;
	uint8_t addr;
	const uint8_t *shared_addrs; /* static; set by models with ops->xfer_shared */
	unsigned n_shared;
};

/* Fills the common part from the spec. */
void emul_dev_init(struct emul_dev *dev, const struct emul_ops *ops, const struct cfg_emul *spec);

/*
 * Writes "--emulate '<spec>': <message>" into err (errlen bytes, may be 0).
 * Does not touch errno.
 */
void emul_set_err(char *err, size_t errlen, const struct cfg_emul *spec, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Per-model constructors: as emul_create(), for the models they handle. */
struct emul_dev *emul_eeprom_create(const struct cfg_emul *spec, char *err, size_t errlen);
struct emul_dev *emul_lm75_create(const struct cfg_emul *spec, char *err, size_t errlen);
struct emul_dev *emul_stub_create(const struct cfg_emul *spec, char *err, size_t errlen);
struct emul_dev *emul_regmap_create(const struct cfg_emul *spec, char *err, size_t errlen);

#endif
