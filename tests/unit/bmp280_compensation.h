/* SPDX-License-Identifier: MIT */
/*
 * The BMP280 datasheet's integer compensation (section 8.2), as the Linux
 * driver computes it: what the guest makes of the model's raw readings. Used
 * by the unit test of the model and by the integration test of `set`.
 */
#ifndef VI2C_TEST_BMP280_COMPENSATION_H
#define VI2C_TEST_BMP280_COMPENSATION_H

#include <stdint.h>

/* Calibration words dig_T1..T3, dig_P1..P9. */
struct calib {
	int32_t t1, t2, t3;
	int64_t p1, p2, p3, p4, p5, p6, p7, p8, p9;
};

/* Temperature in 0.01 C; *t_fine feeds comp_p. */
static inline int32_t comp_t(const struct calib *c, int32_t adc, int32_t *t_fine)
{
	int32_t var1 = (((adc >> 3) - (c->t1 << 1)) * c->t2) >> 11;
	int32_t var2 = (((((adc >> 4) - c->t1) * ((adc >> 4) - c->t1)) >> 12) * c->t3) >> 14;

	*t_fine = var1 + var2;
	return (*t_fine * 5 + 128) >> 8;
}

/* Pressure in Pa, Q24.8. */
static inline uint32_t comp_p(const struct calib *c, int32_t adc, int32_t t_fine)
{
	int64_t var1 = (int64_t)t_fine - 128000, var2, p;

	var2 = var1 * var1 * c->p6;
	var2 += var1 * c->p5 * 131072;
	var2 += c->p4 * 34359738368LL;
	var1 = ((var1 * var1 * c->p3) >> 8) + var1 * c->p2 * 4096;
	var1 = ((((int64_t)1 << 47) + var1) * c->p1) >> 33;
	if (!var1)
		return 0;
	p = ((((int64_t)1048576 - adc) * 2147483648LL - var2) * 3125) / var1;
	var1 = (c->p9 * (p >> 13) * (p >> 13)) >> 25;
	var2 = (c->p8 * p) >> 19;
	return (uint32_t)(((p + var1 + var2) >> 8) + c->p7 * 16);
}

#endif
