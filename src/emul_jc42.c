// SPDX-License-Identifier: MIT
/*
 * JEDEC JC-42.4 DIMM temperature sensor (JEDEC 21-C 4.1.6, "TSE2002av"/
 * TSE2004), with the IDs of the Microchip MCP98244 (manufacturer 0x0054,
 * device 0x22 revision 0x01), one of the pairs Linux's jc42 accepts.
 *
 * Registers, selected by a pointer byte (0..7; others NACK), 16-bit, MSB
 * first; a read repeats the register:
 *   0 capability  0x001f: event output, accuracy, negative range, 0.0625 C
 *   1 configuration 0x0000: bit 0 event mode, 1 event polarity, 2 critical
 *     only, 3 event output enable, 4 event status (read-only), 5 clear event
 *     (reads 0), 6 critical lock, 7 alarm window lock, 8 shutdown, 10..9
 *     hysteresis. Locks stay set until power-off; shutdown cannot be set
 *     while a lock is set; locked limits ignore writes.
 *   2 upper, 3 lower, 4 critical limit: 0x0000; bits 12..2 (0.25 C, sign in 12)
 *   5 temperature (read-only): bit 15 T >= critical, 14 T > upper,
 *     13 T < lower, 12..0 two's complement in 0.0625 C
 *   6 manufacturer ID, 7 device ID/revision
 * The register follows the set temperature except in shutdown, where it keeps
 * the last conversion. Event status: comparator semantics (hysteresis and
 * interrupt-mode latching are not modelled).
 */
#include "emul_internal.h"
#include "emul_temp.h"

#include <errno.h>

enum { JC42_CAP, JC42_CONF, JC42_UPPER, JC42_LOWER, JC42_CRIT, JC42_TEMP, JC42_MANID, JC42_DEVID };

#define JC42_CAP_VALUE	    0x001f
#define JC42_MANID_VALUE    0x0054
#define JC42_DEVID_VALUE    0x2201
#define JC42_CONF_CRIT_ONLY 0x0004
#define JC42_CONF_EVENT	    0x0010
#define JC42_CONF_CLEAR	    0x0020
#define JC42_CONF_CRIT_LOCK 0x0040
#define JC42_CONF_WIN_LOCK  0x0080
#define JC42_CONF_SHDN	    0x0100
#define JC42_CONF_RW	    0x07ef
#define JC42_LIMIT_MASK	    0x1ffc

#define JC42_TEMP_MIN (-40.0)
#define JC42_TEMP_MAX 125.0
#define JC42_STEPS    16 /* per C: 0.0625 C */

struct jc42 {
	struct emul_dev dev;
	uint8_t pointer;
	uint16_t conf;
	uint16_t limit[3]; /* upper, lower, critical: register format */
	int32_t temp;	   /* set, 1/16 C */
	int32_t latched;   /* the temperature register's conversion, 1/16 C */
};
EMUL_DEV_FIRST(struct jc42);

static struct jc42 *to_jc42(struct emul_dev *dev)
{
	return container_of(dev, struct jc42, dev);
}

/* A 13-bit two's complement register field in 1/16 C. */
static int32_t field13(uint16_t reg)
{
	return (int32_t)((reg & 0x1fff) ^ 0x1000) - 0x1000;
}

static uint16_t temp_reg(struct jc42 *j)
{
	int32_t t;
	uint16_t v;

	if (!(j->conf & JC42_CONF_SHDN))
		j->latched = j->temp;
	t = j->latched;
	v = (uint16_t)((uint32_t)t & 0x1fff);
	if (t >= field13(j->limit[JC42_CRIT - JC42_UPPER]))
		v |= 0x8000;
	if (t > field13(j->limit[0]))
		v |= 0x4000;
	if (t < field13(j->limit[1]))
		v |= 0x2000;
	return v;
}

static uint16_t reg_value(struct jc42 *j)
{
	uint16_t v, flags;

	switch (j->pointer) {
	case JC42_CAP:
		return JC42_CAP_VALUE;
	case JC42_CONF:
		flags = temp_reg(j) >> 13;
		v = j->conf;
		if ((j->conf & JC42_CONF_CRIT_ONLY) ? (flags & 4) : flags != 0)
			v |= JC42_CONF_EVENT;
		return v;
	case JC42_UPPER:
	case JC42_LOWER:
	case JC42_CRIT:
		return j->limit[j->pointer - JC42_UPPER];
	case JC42_TEMP:
		return temp_reg(j);
	case JC42_MANID:
		return JC42_MANID_VALUE;
	default:
		return JC42_DEVID_VALUE;
	}
}

static void reg_write(struct jc42 *j, uint16_t val)
{
	uint16_t locks = j->conf & (JC42_CONF_CRIT_LOCK | JC42_CONF_WIN_LOCK);

	switch (j->pointer) {
	case JC42_CONF:
		val = (uint16_t)(val & JC42_CONF_RW & ~JC42_CONF_CLEAR);
		val |= locks; /* only power-off clears a lock */
		if (locks || (val & (JC42_CONF_CRIT_LOCK | JC42_CONF_WIN_LOCK)))
			val = (uint16_t)((val & ~JC42_CONF_SHDN) | (j->conf & JC42_CONF_SHDN));
		j->conf = val;
		break;
	case JC42_UPPER:
	case JC42_LOWER:
		if (!(locks & JC42_CONF_WIN_LOCK))
			j->limit[j->pointer - JC42_UPPER] = val & JC42_LIMIT_MASK;
		break;
	case JC42_CRIT:
		if (!(locks & JC42_CONF_CRIT_LOCK))
			j->limit[JC42_CRIT - JC42_UPPER] = val & JC42_LIMIT_MASK;
		break;
	default:
		break; /* read-only */
	}
}

static int jc42_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct jc42 *j = to_jc42(dev);

	if (read) {
		uint16_t v = reg_value(j);

		for (size_t i = 0; i < len; i++)
			buf[i] = i % 2 ? (uint8_t)v : (uint8_t)(v >> 8);
		return 0;
	}
	if (buf[0] > JC42_DEVID)
		return -ENXIO;
	j->pointer = buf[0];
	if (len >= 3)
		reg_write(j, (uint16_t)(buf[1] << 8 | buf[2]));
	return 0;
}

static double jc42_get_temp(struct emul_dev *dev)
{
	return emul_temp_celsius(to_jc42(dev)->temp, JC42_STEPS);
}

/* `temp` in C, truncated to 0.0625 C like the ADC. */
static int jc42_set_temp(struct emul_dev *dev, double value)
{
	if (!(value >= JC42_TEMP_MIN && value <= JC42_TEMP_MAX))
		return -ERANGE;
	/* the 13-bit field's range (never reached from JC42_TEMP_MIN..MAX) */
	to_jc42(dev)->temp = emul_temp_steps(value, JC42_STEPS, -0x1000, 0x0fff);
	return 0;
}

static const struct emul_prop_desc jc42_props[] = {
	{"temp", jc42_get_temp, jc42_set_temp},
	{0},
};

const struct emul_opt_desc emul_jc42_opts[] = {
	{"temp", JC42_TEMP_MIN, JC42_TEMP_MAX, 4, "-40..125 degC, at most 4 decimals", false},
	{0},
};

static const struct emul_ops jc42_ops = {
	.xfer = jc42_xfer,
	.props = jc42_props,
};

struct emul_dev *emul_jc42_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct jc42 *j = emul_dev_alloc(sizeof(*j), &jc42_ops, spec, err, errlen);

	if (!j)
		return NULL;
	j->temp = j->latched = 25 * 16;
	return &j->dev;
}
