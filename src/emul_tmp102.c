// SPDX-License-Identifier: MIT
/*
 * TI TMP102 digital temperature sensor (TI datasheet SBOS397), 12-bit,
 * 0.0625 C per LSB, with a settable temperature.
 *
 * Registers, selected by a pointer byte (bits 7..2 must be 0; 0 at power-up),
 * all 16-bit, MSB first; a read repeats the register (MSB, LSB, MSB, ...):
 *   0 temperature    read-only
 *   1 configuration  0x60a0 at power-up: OS R1 R0 F1 F0 POL TM SD | CR1 CR0 AL EM 0000
 *                    R1/R0 (0.0625 C resolution) and AL read-only
 *   2 T_LOW          75 C at power-up
 *   3 T_HIGH         80 C at power-up
 * Normal mode (EM=0): 12-bit two's complement in bits 15..4 (-128..127.9375).
 * Extended mode (EM=1): 13-bit in bits 15..3 (up to 150 C); the temperature
 * register then reads bit 0 = 1. Limits follow the same format as EM.
 * A register write is latched when its LSB arrives.
 *
 * Conversions happen instantly: the temperature register follows the set
 * temperature, except in shutdown (SD=1), where it keeps the last result until
 * a one-shot (OS=1) converts once. AL follows the thermostat in comparator
 * semantics (active from T >= T_HIGH until T < T_LOW; fault queue ignored),
 * read as POL ? active : !active, in both TM modes.
 */
#include "emul_internal.h"
#include "emul_temp.h"

#include <errno.h>

enum { TMP102_TEMP, TMP102_CONF, TMP102_TLOW, TMP102_THIGH };

#define TMP102_CONF_RESET 0x60a0
#define TMP102_CONF_OS	  0x8000
#define TMP102_CONF_RES	  0x6000 /* R1 R0: read-only 11 */
#define TMP102_CONF_POL	  0x0400
#define TMP102_CONF_SD	  0x0100
#define TMP102_CONF_AL	  0x0020
#define TMP102_CONF_EM	  0x0010
#define TMP102_CONF_RW	  0x1fd0 /* F1 F0 POL TM SD CR1 CR0 EM */

#define TMP102_TEMP_MIN (-55.0)
#define TMP102_TEMP_MAX 150.0
#define TMP102_STEPS	16 /* per C: 0.0625 C */

struct tmp102 {
	struct emul_dev dev;
	uint8_t pointer;
	uint16_t conf;	 /* without AL, which is computed */
	int32_t temp;	 /* the set temperature, 1/16 C */
	int32_t latched; /* the temperature register's result, 1/16 C */
	int32_t tlow, thigh;
	bool alert; /* thermostat active */
};
EMUL_DEV_FIRST(struct tmp102);

static struct tmp102 *to_tmp102(struct emul_dev *dev)
{
	return container_of(dev, struct tmp102, dev);
}

static bool extended(const struct tmp102 *t)
{
	return t->conf & TMP102_CONF_EM;
}

/* 1/16 C steps to the register format of the current mode (saturating). */
static uint16_t count_to_reg(const struct tmp102 *t, int32_t count)
{
	int32_t lim = extended(t) ? 4096 : 2048;

	if (count < -lim)
		count = -lim;
	if (count > lim - 1)
		count = lim - 1;
	return extended(t) ? (uint16_t)((uint32_t)count << 3) : (uint16_t)((uint32_t)count << 4);
}

static int32_t reg_to_count(const struct tmp102 *t, uint16_t reg)
{
	return extended(t) ? (int16_t)reg >> 3 : (int16_t)reg >> 4;
}

/* A conversion: the register takes the set temperature; the thermostat looks at it. */
static void convert(struct tmp102 *t)
{
	t->latched = t->temp;
	if (t->latched >= t->thigh)
		t->alert = true;
	else if (t->latched < t->tlow)
		t->alert = false;
}

static uint16_t reg_value(struct tmp102 *t)
{
	uint16_t v;

	switch (t->pointer) {
	case TMP102_TEMP:
		if (!(t->conf & TMP102_CONF_SD))
			convert(t);
		v = count_to_reg(t, t->latched);
		return extended(t) ? v | 1 : v;
	case TMP102_CONF:
		v = t->conf;
		if (t->alert == !!(t->conf & TMP102_CONF_POL))
			v |= TMP102_CONF_AL;
		return v;
	case TMP102_TLOW:
		return count_to_reg(t, t->tlow);
	default:
		return count_to_reg(t, t->thigh);
	}
}

static void reg_write(struct tmp102 *t, uint16_t val)
{
	switch (t->pointer) {
	case TMP102_TEMP:
		break; /* read-only */
	case TMP102_CONF:
		t->conf = (uint16_t)((val & TMP102_CONF_RW) | TMP102_CONF_RES);
		/* One-shot: in shutdown, OS=1 converts once; OS reads back 0. */
		if ((val & TMP102_CONF_OS) && (t->conf & TMP102_CONF_SD))
			convert(t);
		break;
	case TMP102_TLOW:
		t->tlow = reg_to_count(t, val);
		break;
	case TMP102_THIGH:
		t->thigh = reg_to_count(t, val);
		break;
	}
}

static int tmp102_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct tmp102 *t = to_tmp102(dev);

	if (read) {
		uint16_t v = reg_value(t);

		for (size_t i = 0; i < len; i++)
			buf[i] = i % 2 ? (uint8_t)v : (uint8_t)(v >> 8);
		return 0;
	}
	if (buf[0] & ~3u)
		return -ENXIO; /* no such register: NACK, nothing changes */
	t->pointer = buf[0];
	if (len >= 3)
		reg_write(t, (uint16_t)(buf[1] << 8 | buf[2]));
	return 0;
}

static double tmp102_get_temp(struct emul_dev *dev)
{
	return emul_temp_celsius(to_tmp102(dev)->temp, TMP102_STEPS);
}

/* `temp` in C: the ADC result is truncated to 0.0625 C (toward minus infinity). */
static int tmp102_set_temp(struct emul_dev *dev, double value)
{
	if (!(value >= TMP102_TEMP_MIN && value <= TMP102_TEMP_MAX))
		return -ERANGE;
	/* extended mode's 13-bit range (never reached from TMP102_TEMP_MIN..MAX) */
	to_tmp102(dev)->temp = emul_temp_steps(value, TMP102_STEPS, -4096, 4095);
	return 0;
}

static const struct emul_prop_desc tmp102_props[] = {
	{"temp", tmp102_get_temp, tmp102_set_temp},
	{0},
};

const struct emul_opt_desc emul_tmp102_opts[] = {
	{"temp", TMP102_TEMP_MIN, TMP102_TEMP_MAX, 4, "-55..150 degC, at most 4 decimals", false},
	{0},
};

static const struct emul_ops tmp102_ops = {
	.xfer = tmp102_xfer,
	.props = tmp102_props,
};

struct emul_dev *emul_tmp102_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct tmp102 *t = emul_dev_alloc(sizeof(*t), &tmp102_ops, spec, err, errlen);

	if (!t)
		return NULL;
	t->conf = TMP102_CONF_RESET & ~TMP102_CONF_AL;
	t->temp = 25 * 16;
	t->tlow = 75 * 16;
	t->thigh = 80 * 16;
	convert(t);
	return &t->dev;
}
