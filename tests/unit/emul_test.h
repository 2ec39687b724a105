/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the emulated-device unit tests: create a model, run write and
 * read messages the way i2c_bus does (message, then STOP). Include after
 * cmocka.h. Everything fails the test on error.
 */
#ifndef VI2C_TEST_EMUL_H
#define VI2C_TEST_EMUL_H

#include <string.h>

#include "emul.h"

static inline struct emul_dev *emul_test_create(enum emul_model model, uint8_t addr,
						const char *spec)
{
	struct cfg_emul c = {.model = model, .addr = addr, .spec = spec};
	char err[256] = "";
	struct emul_dev *dev = emul_create(&c, err, sizeof(err));

	if (!dev)
		fail_msg("emul_create: %s", err);
	return dev;
}

/* One write message of n bytes, then STOP; returns emul_xfer's result. */
static inline int emul_test_write(struct emul_dev *dev, const uint8_t *bytes, size_t n)
{
	uint8_t buf[64];
	int ret;

	assert_true(n <= sizeof(buf));
	memcpy(buf, bytes, n);
	ret = emul_xfer(dev, false, buf, n);
	emul_stop(dev);
	return ret;
}

#define WRITE(dev, ...)                                                                            \
	assert_int_equal(emul_test_write(dev, (const uint8_t[]){__VA_ARGS__},                      \
					 sizeof((const uint8_t[]){__VA_ARGS__})),                  \
			 0)

/* Write of the register/command bytes, repeated START, read n bytes, STOP. */
static inline int emul_test_read(struct emul_dev *dev, const uint8_t *cmd, size_t cmd_len,
				 uint8_t *out, size_t n)
{
	int ret = 0;

	if (cmd_len)
		ret = emul_xfer(dev, false, (uint8_t *)cmd, cmd_len);
	if (!ret)
		ret = emul_xfer(dev, true, out, n);
	emul_stop(dev);
	return ret;
}

/* A 16-bit big-endian register behind a one-byte pointer. */
static inline unsigned emul_test_reg16(struct emul_dev *dev, uint8_t reg)
{
	uint8_t buf[2];

	assert_int_equal(emul_test_read(dev, &reg, 1, buf, 2), 0);
	return (unsigned)buf[0] << 8 | buf[1];
}

static inline uint8_t emul_test_reg8(struct emul_dev *dev, uint8_t reg)
{
	uint8_t v;

	assert_int_equal(emul_test_read(dev, &reg, 1, &v, 1), 0);
	return v;
}

static inline double emul_test_prop(struct emul_dev *dev, const char *name)
{
	double v;

	assert_int_equal(emul_get_prop(dev, name, &v), 0);
	return v;
}

#define assert_hex_equal(a, b)                                                                     \
	do {                                                                                       \
		unsigned long a_ = (a), b_ = (b);                                                  \
		if (a_ != b_)                                                                      \
			fail_msg("%s = 0x%04lx, expected 0x%04lx", #a, a_, b_);                    \
	} while (0)

#endif
