/* SPDX-License-Identifier: MIT */
/*
 * Private to the temperature sensor models (src/emul_lm75.c, emul_tmp102.c,
 * emul_jc42.c): degrees C to and from the sensor's ADC steps. Pure functions.
 */
#ifndef VI2C_EMUL_TEMP_H
#define VI2C_EMUL_TEMP_H

#include <stdint.h>

#include "emul_internal.h"

/*
 * Degrees C in steps of 1/per_c C (lm75: 2, tmp102 and jc42: 16), as the
 * sensor converts it: the ADC's two's complement result has no bits below
 * one step, so the reading is the floor, toward minus infinity (-0.2 C in
 * 0.5 C steps reads -0.5 C). The 1e-9 absorbs the binary error of decimal
 * inputs (25.1 * 16 is 401.59999...). Saturates at [min, max] steps, the
 * register's range. celsius must be finite and well inside int32 steps.
 */
static inline int32_t emul_temp_steps(double celsius, int32_t per_c, int32_t min, int32_t max)
{
	int64_t steps = emul_floor(celsius * per_c + 1e-9);

	if (steps < min)
		return min;
	if (steps > max)
		return max;
	return (int32_t)steps;
}

/* Steps of 1/per_c C back to degrees C (exact for the registers' ranges). */
static inline double emul_temp_celsius(int32_t steps, int32_t per_c)
{
	return (double)steps / per_c;
}

#endif
