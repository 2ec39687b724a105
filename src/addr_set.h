/* SPDX-License-Identifier: MIT */
/*
 * A set of 7-bit I2C addresses (0x00..0x7f) as a 128-bit bitmap: which slots
 * a transfer touches (i2c_bus), which addresses of an adapter are claimed
 * and which a group has claimed again (i2c_host). Zero-initialised means
 * empty. Callers pass addresses < 128.
 */
#ifndef VI2C_ADDR_SET_H
#define VI2C_ADDR_SET_H

#include <stdbool.h>
#include <stdint.h>

#define ADDR_SET_WORDS 2 /* 64-bit words; word w holds addresses w*64..w*64+63 */

struct addr_set {
	uint64_t w[ADDR_SET_WORDS];
};

static inline void addr_set_add(struct addr_set *set, unsigned a)
{
	set->w[a / 64] |= 1ull << (a % 64);
}

static inline bool addr_set_has(const struct addr_set *set, unsigned a)
{
	return set->w[a / 64] >> (a % 64) & 1;
}

/* True if every address of sub is in set. */
static inline bool addr_set_covers(const struct addr_set *set, const struct addr_set *sub)
{
	for (unsigned w = 0; w < ADDR_SET_WORDS; w++)
		if (sub->w[w] & ~set->w[w])
			return false;
	return true;
}

#endif
