// SPDX-License-Identifier: MIT
/*
 * LM75 digital temperature sensor (NXP/TI LM75 datasheets), 9-bit
 * resolution, with a fixed temperature.
 *
 * Registers, selected by a pointer byte (0 at power-up):
 *   0 temperature  16-bit, read-only
 *   1 configuration 8-bit, R/W, 0 at power-up (stored, not acted upon)
 *   2 T_hyst        16-bit, R/W, 75 C at power-up
 *   3 T_os          16-bit, R/W, 80 C at power-up
 * 16-bit registers go MSB first and hold a 9-bit two's complement value
 * in 0.5 C steps in their top 9 bits; the low 7 bits read as 0.
 * A read repeats the addressed register (MSB, LSB, MSB, ...); the pointer
 * never auto-increments.
 */
#include "emul_internal.h"
#include "emul_temp.h"

#include <errno.h>

enum lm75_reg {
	LM75_REG_TEMP = 0,
	LM75_REG_CONF = 1,
	LM75_REG_THYST = 2,
	LM75_REG_TOS = 3,
};

#define LM75_POINTER_MASK 0x03
#define LM75_TEMP_MASK	  0xff80 /* the 9 significant bits */
#define LM75_STEPS	  2	 /* per C: 0.5 C */

struct lm75 {
	struct emul_dev dev;
	uint8_t pointer;
	uint8_t conf;
	uint16_t temp;
	uint16_t thyst;
	uint16_t tos;
};
EMUL_DEV_FIRST(struct lm75);

static struct lm75 *to_lm75(struct emul_dev *dev)
{
	return container_of(dev, struct lm75, dev);
}

/* A 9-bit two's complement count of 0.5 C steps to the register format. */
static uint16_t lm75_steps_to_reg(int32_t half)
{
	return (uint16_t)(((uint32_t)half & 0x1ff) << 7);
}

static int lm75_read(struct lm75 *lm, uint8_t *buf, size_t len)
{
	uint16_t val;
	size_t i;

	if (lm->pointer == LM75_REG_CONF) {
		for (i = 0; i < len; i++)
			buf[i] = lm->conf;
		return 0;
	}
	if (lm->pointer == LM75_REG_TEMP)
		val = lm->temp;
	else if (lm->pointer == LM75_REG_THYST)
		val = lm->thyst;
	else
		val = lm->tos;
	for (i = 0; i < len; i++)
		buf[i] = i % 2 ? (uint8_t)val : (uint8_t)(val >> 8);
	return 0;
}

static int lm75_write(struct lm75 *lm, const uint8_t *buf, size_t len)
{
	/*
	 * Pointer bits 7..2 must be 0 (datasheet). Such a byte selects no
	 * register, so the part NACKs it and nothing changes.
	 */
	if (buf[0] & ~LM75_POINTER_MASK)
		return -ENXIO;
	lm->pointer = buf[0];

	/* Data beyond the register's size is ACKed and ignored. */
	switch (lm->pointer) {
	case LM75_REG_TEMP:
		break; /* read-only */
	case LM75_REG_CONF:
		if (len >= 2)
			lm->conf = buf[1];
		break;
	case LM75_REG_THYST:
	case LM75_REG_TOS:
		/*
		 * The 16-bit value is latched when its LSB is received; a
		 * message ending after the MSB leaves the register unchanged.
		 */
		if (len >= 3) {
			uint16_t val =
				(uint16_t)(((unsigned)buf[1] << 8 | buf[2]) & LM75_TEMP_MASK);

			if (lm->pointer == LM75_REG_THYST)
				lm->thyst = val;
			else
				lm->tos = val;
		}
		break;
	}
	return 0;
}

static int lm75_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct lm75 *lm = to_lm75(dev);

	return read ? lm75_read(lm, buf, len) : lm75_write(lm, buf, len);
}

/* The register's 9-bit value in degrees C. */
static double lm75_reg_to_temp(uint16_t reg)
{
	return emul_temp_celsius((int16_t)reg >> 7, LM75_STEPS);
}

static double lm75_get_temp(struct emul_dev *dev)
{
	return lm75_reg_to_temp(to_lm75(dev)->temp);
}

/*
 * `temp` in degrees C, stored as the sensor would read it: 0.5 C steps,
 * truncated toward minus infinity (25.7 C reads 25.5 C), -128..127.5 C.
 */
static int lm75_set_temp(struct emul_dev *dev, double value)
{
	if (!(value >= -128.0 && value < 128.0))
		return -ERANGE;
	to_lm75(dev)->temp = lm75_steps_to_reg(emul_temp_steps(value, LM75_STEPS, -256, 255));
	return 0;
}

static const struct emul_prop_desc lm75_props[] = {
	{"temp", lm75_get_temp, lm75_set_temp},
	{0},
};

const struct emul_opt_desc emul_lm75_opts[] = {
	{"temp", -55.0, 125.0, 3, "-55..125 degC, at most 3 decimals", false},
	{0},
};

static const struct emul_ops lm75_ops = {
	.xfer = lm75_xfer,
	.props = lm75_props,
};

struct emul_dev *emul_lm75_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct lm75 *lm = emul_dev_alloc(sizeof(*lm), &lm75_ops, spec, err, errlen);

	if (!lm)
		return NULL;
	lm->pointer = LM75_REG_TEMP;
	lm->conf = 0;
	lm->temp = lm75_steps_to_reg(25 * LM75_STEPS);
	lm->thyst = lm75_steps_to_reg(75 * LM75_STEPS);
	lm->tos = lm75_steps_to_reg(80 * LM75_STEPS);
	return &lm->dev;
}
