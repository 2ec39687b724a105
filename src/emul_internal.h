/* SPDX-License-Identifier: MIT */
/*
 * Private to src/emul*.c: the common device header every model embeds, its
 * ops table and the per-model constructors that emul_create() dispatches to.
 */
#ifndef VI2C_EMUL_INTERNAL_H
#define VI2C_EMUL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

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
	/*
	 * True while the device ACKs not even its address (an EEPROM's write
	 * cycle): emul_xfer then gives -ENXIO, probes included. NULL: never.
	 */
	bool (*busy)(struct emul_dev *dev);
	/* Shared addresses (see emul_shared_addrs): messages there, any len; NULL if none. */
	int (*xfer_shared)(struct emul_dev *dev, uint8_t addr, bool read, uint8_t *buf, size_t len);
	/* emul_shared_sync: peer has the same ops; NULL if the shared state is none. */
	void (*shared_sync)(struct emul_dev *dev, const struct emul_dev *peer);
	/*
	 * Properties (see emul.h) with fixed names: a table ended by a NULL name,
	 * served by emul.c; NULL when the model has none or uses the callbacks.
	 */
	const struct emul_prop_desc *props;
	/*
	 * Properties with names that depend on the device (regmap "reg:0xNN"),
	 * used when props is NULL; each NULL when the model has none.
	 */
	void (*each_prop)(struct emul_dev *dev, void (*fn)(void *ctx, const struct emul_prop *p),
			  void *ctx);
	int (*get_prop)(struct emul_dev *dev, const char *name, double *value);
	int (*set_prop)(struct emul_dev *dev, const char *name, double value);
	/*
	 * Frees the model's struct (the one embedding struct emul_dev); NULL
	 * when free() of the device (from emul_dev_alloc) is all it takes.
	 */
	void (*destroy)(struct emul_dev *dev);
};

/* One property with a fixed name (emul_ops.props). */
struct emul_prop_desc {
	const char *name; /* NULL ends a table */
	double (*get)(struct emul_dev *dev);
	/* 0 or -ERANGE (nothing changes); NULL: read-only (emul_set_prop gives -EROFS). */
	int (*set)(struct emul_dev *dev, double value);
};

/* Embedded as member `dev` of each model's struct, its first member (emul_dev_alloc). */
struct emul_dev {
	const struct emul_ops *ops;
	enum emul_model model;
	uint8_t addr;
	const uint8_t *shared_addrs; /* static; set by models with ops->xfer_shared */
	unsigned n_shared;
};

/*
 * Allocates a model's struct of `size` bytes (zeroed), whose first member is
 * its struct emul_dev, and fills that from ops and the spec. Returns the
 * struct (freed with free(), or by ops->destroy), or NULL with err filled and
 * errno = ENOMEM.
 */
void *emul_dev_alloc(size_t size, const struct emul_ops *ops, const struct cfg_emul *spec,
		     char *err, size_t errlen);

/* A model's struct must begin with its struct emul_dev for emul_dev_alloc. */
#define EMUL_DEV_FIRST(type) _Static_assert(offsetof(type, dev) == 0, #type ": dev not first")

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
struct emul_dev *emul_tmp102_create(const struct cfg_emul *spec, char *err, size_t errlen);
struct emul_dev *emul_jc42_create(const struct cfg_emul *spec, char *err, size_t errlen);
struct emul_dev *emul_sht3x_create(const struct cfg_emul *spec, char *err, size_t errlen);
struct emul_dev *emul_ads1015_create(const struct cfg_emul *spec, char *err, size_t errlen);
struct emul_dev *emul_bmp280_create(const struct cfg_emul *spec, char *err, size_t errlen);
struct emul_dev *emul_pca9555_create(const struct cfg_emul *spec, char *err, size_t errlen);
struct emul_dev *emul_ds1307_create(const struct cfg_emul *spec, char *err, size_t errlen);

/* floor() for values well inside int64_t, without libm. */
static inline int64_t emul_floor(double v)
{
	int64_t i = (int64_t)v;

	return (double)i > v ? i - 1 : i;
}

/* Rounds half away from zero, for values well inside int64_t. */
static inline int64_t emul_round(double v)
{
	return v < 0 ? -emul_floor(-v + 0.5) : emul_floor(v + 0.5);
}

/* SHT3x CRC-8 (polynomial 0x31, init 0xff) over len bytes. */
uint8_t emul_sht3x_crc8(const uint8_t *data, size_t len);

/* Per-model start properties (see emul_model_opts). */
extern const struct emul_opt_desc emul_eeprom_opts[]; /* the AT24s, not ee1004 */
extern const struct emul_opt_desc emul_lm75_opts[];
extern const struct emul_opt_desc emul_tmp102_opts[];
extern const struct emul_opt_desc emul_jc42_opts[];
extern const struct emul_opt_desc emul_sht3x_opts[];
extern const struct emul_opt_desc emul_ads1015_opts[];
extern const struct emul_opt_desc emul_bmp280_opts[];
extern const struct emul_opt_desc emul_pca9555_opts[];
extern const struct emul_opt_desc emul_ds1307_opts[];

/*
 * Clocks the models read (sht3x measurement time, RTC time): CLOCK_MONOTONIC
 * and CLOCK_REALTIME in ns. Unit tests replace them to step time.
 */
extern uint64_t (*emul_clock_mono_ns)(void);
extern int64_t (*emul_clock_real_ns)(void);
struct emul_dev *emul_regmap_create(const struct cfg_emul *spec, char *err, size_t errlen);

#endif
