// SPDX-License-Identifier: MIT
/*
 * TI ADS1015 12-bit, 4-channel ADC (TI datasheet SBAS473), with settable
 * input voltages on AIN0..AIN3 (relative to GND).
 *
 * Registers, selected by a pointer byte (bits 7..2 must be 0), 16-bit, MSB
 * first; a read repeats the register:
 *   0 conversion  read-only: 12-bit two's complement in bits 15..4; 0 at power-up
 *   1 config      0x8583 at power-up: OS | MUX[14:12] | PGA[11:9] | MODE |
 *                 DR[7:5] | COMP_MODE | COMP_POL | COMP_LAT | COMP_QUE[1:0]
 *   2 Lo_thresh   0x8000,  3 Hi_thresh 0x7fff (stored; ALERT/RDY pin not modelled)
 * MUX: 0 AIN0-AIN1, 1 AIN0-AIN3, 2 AIN1-AIN3, 3 AIN2-AIN3, 4..7 AINx-GND.
 * PGA full scale: 6.144, 4.096, 2.048, 1.024, 0.512, 0.256 V (6, 7: 0.256).
 * Code = floor(V / (FS / 2048)), clipped to -2048..2047.
 * Conversions take no time: in continuous mode (MODE=0) the conversion
 * register always holds the current input; in single-shot mode (MODE=1) it
 * keeps the last result until OS=1 is written, and OS reads 1 (idle). In
 * continuous mode OS reads 0 (converting).
 */
#include "emul_internal.h"

#include <errno.h>

enum { ADS_CONV, ADS_CONFIG, ADS_LO, ADS_HI };

#define ADS_CONFIG_RESET 0x8583
#define ADS_OS		 0x8000
#define ADS_MODE	 0x0100
#define ADS_VMAX	 5.5 /* VDD maximum; inputs cannot exceed VDD + 0.3 V */

struct ads1015 {
	struct emul_dev dev;
	uint8_t pointer;
	uint16_t config; /* OS is not stored: computed on read */
	uint16_t conv;
	uint16_t thresh[2];
	double ain[4]; /* volts */
};
EMUL_DEV_FIRST(struct ads1015);

static struct ads1015 *to_ads(struct emul_dev *dev)
{
	return container_of(dev, struct ads1015, dev);
}

/* One conversion with the current MUX and PGA settings. */
static uint16_t convert(const struct ads1015 *a)
{
	static const double fs[8] = {6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256};
	static const signed char pos[8] = {0, 0, 1, 2, 0, 1, 2, 3};
	static const signed char neg[8] = {1, 3, 3, 3, -1, -1, -1, -1};
	unsigned mux = (a->config >> 12) & 7, pga = (a->config >> 9) & 7;
	double v = a->ain[pos[mux]] - (neg[mux] >= 0 ? a->ain[neg[mux]] : 0.0);
	int64_t code = emul_floor(v * 2048.0 / fs[pga] + 1e-9);

	if (code < -2048)
		code = -2048;
	if (code > 2047)
		code = 2047;
	return (uint16_t)((uint32_t)code << 4);
}

static uint16_t reg_value(struct ads1015 *a)
{
	switch (a->pointer) {
	case ADS_CONV:
		if (!(a->config & ADS_MODE))
			a->conv = convert(a);
		return a->conv;
	case ADS_CONFIG:
		return a->config & ADS_MODE ? a->config | ADS_OS : a->config;
	default:
		return a->thresh[a->pointer - ADS_LO];
	}
}

static void reg_write(struct ads1015 *a, uint16_t val)
{
	switch (a->pointer) {
	case ADS_CONV:
		break;
	case ADS_CONFIG:
		a->config = val & (uint16_t)~ADS_OS;
		/* Single shot started by OS=1; a write that enters continuous mode converts too. */
		if ((val & ADS_OS) || !(val & ADS_MODE))
			a->conv = convert(a);
		break;
	default:
		a->thresh[a->pointer - ADS_LO] = val;
		break;
	}
}

static int ads_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct ads1015 *a = to_ads(dev);

	if (read) {
		uint16_t v = reg_value(a);

		for (size_t i = 0; i < len; i++)
			buf[i] = i % 2 ? (uint8_t)v : (uint8_t)(v >> 8);
		return 0;
	}
	if (buf[0] & ~3u)
		return -ENXIO;
	a->pointer = buf[0];
	if (len >= 3)
		reg_write(a, (uint16_t)(buf[1] << 8 | buf[2]));
	return 0;
}

/* `ainN` in volts against GND, 0..5.5 V. */
static int ads_set_ain(struct emul_dev *dev, int i, double value)
{
	if (!(value >= 0.0 && value <= ADS_VMAX))
		return -ERANGE;
	to_ads(dev)->ain[i] = value;
	return 0;
}

#define ADS_AIN_PROP(i)                                                                            \
	static double ads_get_ain##i(struct emul_dev *dev)                                         \
	{                                                                                          \
		return to_ads(dev)->ain[i];                                                        \
	}                                                                                          \
	static int ads_set_ain##i(struct emul_dev *dev, double value)                              \
	{                                                                                          \
		return ads_set_ain(dev, i, value);                                                 \
	}
ADS_AIN_PROP(0)
ADS_AIN_PROP(1)
ADS_AIN_PROP(2)
ADS_AIN_PROP(3)

static const struct emul_prop_desc ads_props[] = {
	{"ain0", ads_get_ain0, ads_set_ain0},
	{"ain1", ads_get_ain1, ads_set_ain1},
	{"ain2", ads_get_ain2, ads_set_ain2},
	{"ain3", ads_get_ain3, ads_set_ain3},
	{0},
};

const struct emul_opt_desc emul_ads1015_opts[] = {
	{"ain0", 0.0, ADS_VMAX, 4, "0..5.5 V, at most 4 decimals", false},
	{"ain1", 0.0, ADS_VMAX, 4, "0..5.5 V, at most 4 decimals", false},
	{"ain2", 0.0, ADS_VMAX, 4, "0..5.5 V, at most 4 decimals", false},
	{"ain3", 0.0, ADS_VMAX, 4, "0..5.5 V, at most 4 decimals", false},
	{0},
};

static const struct emul_ops ads_ops = {
	.xfer = ads_xfer,
	.props = ads_props,
};

struct emul_dev *emul_ads1015_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct ads1015 *a = emul_dev_alloc(sizeof(*a), &ads_ops, spec, err, errlen);

	if (!a)
		return NULL;
	a->config = ADS_CONFIG_RESET & ~ADS_OS;
	a->thresh[0] = 0x8000;
	a->thresh[1] = 0x7fff;
	return &a->dev;
}
