// SPDX-License-Identifier: MIT
/*
 * Bosch BMP280 pressure and temperature sensor (Bosch datasheet
 * BST-BMP280-DS001), I2C interface, with settable temperature and pressure.
 *
 * The chip reports raw ADC values plus per-part calibration words; the host
 * compensates them with the datasheet's integer formulas (section 3.11.3,
 * 8.2). This model carries the datasheet's example calibration and picks the
 * raw values whose compensation is closest to the set temperature and
 * pressure, at the resolution the settings give.
 *
 * Registers (8-bit; a write message is address, data, address, data, ...;
 * a read auto-increments from the address last written):
 *   0x88..0x9f calibration dig_T1..dig_P9, little-endian 16-bit words
 *   0xd0 id = 0x58        0xe0 reset: writing 0xb6 resets; reads 0
 *   0xf3 status: measuring (bit 3), im_update (bit 0); both 0 here
 *   0xf4 ctrl_meas: osrs_t[7:5] osrs_p[4:2] mode[1:0], 0 at reset
 *   0xf5 config: t_sb[7:5] filter[4:2] spi3w_en[0], 0 at reset
 *   0xf7..0xf9 press_msb/lsb/xlsb, 0xfa..0xfc temp_msb/lsb/xlsb: 20-bit raw
 *   values (xlsb bits 7:4), 0x80000 at reset and when a measurement is
 *   skipped (osrs = 0)
 * Other addresses read 0 and ignore writes. Measurements take no time:
 * forced mode (01/10) measures once and returns to sleep; normal mode (11)
 * measures whenever the data registers are read; sleep keeps the last result.
 * Resolution: 20 bits with the IIR filter on, else 16 + (osrs - 1) bits
 * (x1..x16), the unused low bits reading 0.
 */
#include "emul_internal.h"

#include <errno.h>

#define BMP280_CHIP_ID	 0x58
#define BMP280_SKIPPED	 0x80000
#define BMP280_TEMP_MIN	 (-40.0)
#define BMP280_TEMP_MAX	 85.0
#define BMP280_PRESS_MIN 300.0
#define BMP280_PRESS_MAX 1100.0

/* The datasheet's example calibration (section 3.12). */
static const uint16_t bmp280_calib[12] = {
	27504, 26435, (uint16_t)-1000, 36477, (uint16_t)-10685, 3024,
	2855,  140,   (uint16_t)-7,    15500, (uint16_t)-14600, 6000,
};

struct bmp280 {
	struct emul_dev dev;
	uint8_t pointer;
	uint8_t ctrl_meas, config;
	uint32_t adc_t, adc_p; /* the data registers' raw values */
	int32_t temp_c100;     /* set temperature, 0.01 C */
	int64_t press_q8;      /* set pressure, Pa / 256 */
};
EMUL_DEV_FIRST(struct bmp280);

static struct bmp280 *to_bmp(struct emul_dev *dev)
{
	return container_of(dev, struct bmp280, dev);
}

static int32_t cal_s(int i)
{
	return (int16_t)bmp280_calib[i];
}

/* Datasheet 3.11.3: temperature in 0.01 C; *t_fine for the pressure formula. */
static int32_t compensate_t(int32_t adc_t, int32_t *t_fine)
{
	int32_t t1 = bmp280_calib[0], t2 = cal_s(1), t3 = cal_s(2);
	int32_t var1 = (((adc_t >> 3) - (t1 << 1)) * t2) >> 11;
	int32_t var2 = (((((adc_t >> 4) - t1) * ((adc_t >> 4) - t1)) >> 12) * t3) >> 14;

	*t_fine = var1 + var2;
	return (*t_fine * 5 + 128) >> 8;
}

/* Datasheet 3.11.3, 64-bit version: pressure in Pa as Q24.8. */
static int64_t compensate_p(int32_t adc_p, int32_t t_fine)
{
	int64_t p1 = bmp280_calib[3], p2 = cal_s(4), p3 = cal_s(5), p4 = cal_s(6), p5 = cal_s(7),
		p6 = cal_s(8), p7 = cal_s(9), p8 = cal_s(10), p9 = cal_s(11);
	int64_t var1 = (int64_t)t_fine - 128000, var2, p;

	/* Right shifts as in the datasheet (they floor, unlike division), left ones as products. */
	var2 = var1 * var1 * p6;
	var2 = var2 + var1 * p5 * 131072;
	var2 = var2 + p4 * 34359738368LL;
	var1 = ((var1 * var1 * p3) >> 8) + var1 * p2 * 4096;
	var1 = ((140737488355328LL + var1) * p1) >> 33;
	if (var1 == 0)
		return 0;
	p = 1048576 - adc_p;
	p = ((p * 2147483648LL - var2) * 3125) / var1;
	var1 = (p9 * (p >> 13) * (p >> 13)) >> 25;
	var2 = (p8 * p) >> 19;
	return ((p + var1 + var2) >> 8) + p7 * 16;
}

/* Bits of resolution for an oversampling setting (1..5), given the filter. */
static unsigned resolution(unsigned osrs, bool filter)
{
	return filter || osrs >= 5 ? 20 : 15 + osrs;
}

/*
 * The code at `bits` resolution (left-aligned in 20 bits) whose value f
 * comes closest to target; f is monotonic, rising when `rising`.
 */
static uint32_t search(int64_t (*f)(uint32_t adc, void *ctx), void *ctx, int64_t target,
		       unsigned bits, bool rising)
{
	unsigned shift = 20 - bits;
	uint32_t lo = 0, hi = (1u << bits) - 1;

	while (lo < hi) { /* first code at or past the target */
		uint32_t mid = (lo + hi) / 2;
		int64_t v = f(mid << shift, ctx);

		if (rising ? v >= target : v <= target)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo > 0) {
		int64_t a = f(lo << shift, ctx) - target, b = f((lo - 1) << shift, ctx) - target;

		if ((b < 0 ? -b : b) < (a < 0 ? -a : a))
			lo--;
	}
	return lo << shift;
}

static int64_t temp_of(uint32_t adc, void *ctx)
{
	int32_t t_fine;

	return compensate_t((int32_t)adc, &t_fine);
}

static int64_t press_of(uint32_t adc, void *ctx)
{
	return compensate_p((int32_t)adc, *(int32_t *)ctx);
}

static void measure(struct bmp280 *b)
{
	unsigned osrs_t = b->ctrl_meas >> 5, osrs_p = (b->ctrl_meas >> 2) & 7;
	bool filter = (b->config >> 2) & 7;
	int32_t t_fine;

	if (osrs_t > 5)
		osrs_t = 5; /* 101, 110, 111: x16 */
	if (osrs_p > 5)
		osrs_p = 5;
	if (!osrs_t) {
		b->adc_t = BMP280_SKIPPED;
		b->adc_p = BMP280_SKIPPED; /* pressure needs the temperature */
		return;
	}
	b->adc_t = search(temp_of, NULL, b->temp_c100, resolution(osrs_t, filter), true);
	compensate_t((int32_t)b->adc_t, &t_fine);
	b->adc_p =
		osrs_p ? search(press_of, &t_fine, b->press_q8, resolution(osrs_p, filter), false)
		       : BMP280_SKIPPED;
}

static void reset(struct bmp280 *b)
{
	b->ctrl_meas = 0;
	b->config = 0;
	b->adc_t = b->adc_p = BMP280_SKIPPED;
}

static uint8_t reg_read(struct bmp280 *b, uint8_t reg)
{
	if (reg >= 0x88 && reg < 0x88 + 24) {
		uint16_t w = bmp280_calib[(reg - 0x88) / 2];

		return (reg - 0x88) % 2 ? (uint8_t)(w >> 8) : (uint8_t)w;
	}
	switch (reg) {
	case 0xd0:
		return BMP280_CHIP_ID;
	case 0xf4:
		return b->ctrl_meas;
	case 0xf5:
		return b->config;
	case 0xf7:
		return (uint8_t)(b->adc_p >> 12);
	case 0xf8:
		return (uint8_t)(b->adc_p >> 4);
	case 0xf9:
		return (uint8_t)(b->adc_p << 4);
	case 0xfa:
		return (uint8_t)(b->adc_t >> 12);
	case 0xfb:
		return (uint8_t)(b->adc_t >> 4);
	case 0xfc:
		return (uint8_t)(b->adc_t << 4);
	default:
		return 0; /* status, reset and unused addresses */
	}
}

static void reg_write(struct bmp280 *b, uint8_t reg, uint8_t val)
{
	switch (reg) {
	case 0xe0:
		if (val == 0xb6)
			reset(b);
		break;
	case 0xf4:
		b->ctrl_meas = val;
		if ((val & 3) == 1 || (val & 3) == 2) { /* forced: one measurement */
			measure(b);
			b->ctrl_meas &= (uint8_t)~3;
		}
		break;
	case 0xf5:
		b->config = val & 0xfd; /* bit 1 is reserved */
		break;
	}
}

static int bmp_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct bmp280 *b = to_bmp(dev);

	if (read) {
		if ((b->ctrl_meas & 3) == 3)
			measure(b);
		for (size_t i = 0; i < len; i++)
			buf[i] = reg_read(b, b->pointer++);
		return 0;
	}
	b->pointer = buf[0];
	for (size_t i = 1; i < len; i += 2) {
		reg_write(b, b->pointer, buf[i]);
		if (i + 1 < len)
			b->pointer = buf[i + 1];
	}
	return 0;
}

static double get_temp(const struct bmp280 *b)
{
	return b->temp_c100 / 100.0;
}

static double get_press(const struct bmp280 *b)
{
	return (double)b->press_q8 / 25600.0;
}

static double bmp_get_temp(struct emul_dev *dev)
{
	return get_temp(to_bmp(dev));
}

static double bmp_get_press(struct emul_dev *dev)
{
	return get_press(to_bmp(dev));
}

/* `temp` in C (-40..85, 0.01 C steps). */
static int bmp_set_temp(struct emul_dev *dev, double value)
{
	if (!(value >= BMP280_TEMP_MIN && value <= BMP280_TEMP_MAX))
		return -ERANGE;
	to_bmp(dev)->temp_c100 = (int32_t)emul_round(value * 100.0);
	return 0;
}

/* `pressure` in hPa (300..1100, 1/256 Pa steps). */
static int bmp_set_press(struct emul_dev *dev, double value)
{
	if (!(value >= BMP280_PRESS_MIN && value <= BMP280_PRESS_MAX))
		return -ERANGE;
	to_bmp(dev)->press_q8 = emul_round(value * 25600.0);
	return 0;
}

static const struct emul_prop_desc bmp_props[] = {
	{"temp", bmp_get_temp, bmp_set_temp},
	{"pressure", bmp_get_press, bmp_set_press},
	{0},
};

const struct emul_opt_desc emul_bmp280_opts[] = {
	{"temp", BMP280_TEMP_MIN, BMP280_TEMP_MAX, 2, "-40..85 degC, at most 2 decimals", false},
	{"pressure", BMP280_PRESS_MIN, BMP280_PRESS_MAX, 4, "300..1100 hPa, at most 4 decimals",
	 false},
	{0},
};

static const struct emul_ops bmp_ops = {
	.xfer = bmp_xfer,
	.props = bmp_props,
};

struct emul_dev *emul_bmp280_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct bmp280 *b = emul_dev_alloc(sizeof(*b), &bmp_ops, spec, err, errlen);

	if (!b)
		return NULL;
	reset(b);
	b->temp_c100 = 2500;
	b->press_q8 = 101325 * 256;
	return &b->dev;
}
