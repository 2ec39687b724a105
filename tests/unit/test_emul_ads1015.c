// SPDX-License-Identifier: MIT
/*
 * ADS1015 emulation against TI's datasheet (SBAS473): register map and
 * power-up values, the 12-bit left-justified result, MUX and PGA (full-scale
 * ranges), single-shot and continuous conversion, and what Linux's
 * ti-ads1015 driver reads (raw x scale in mV).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "emul_test.h"

static struct emul_dev *create(void)
{
	return emul_test_create(EMUL_ADS1015, 0x48, "ads1015@0x48");
}

static void config(struct emul_dev *dev, unsigned v)
{
	WRITE(dev, 1, (uint8_t)(v >> 8), (uint8_t)v);
}

/* Single shot on (mux, pga): write config with OS = 1, read the conversion register. */
static unsigned one_shot(struct emul_dev *dev, unsigned mux, unsigned pga)
{
	config(dev, 0x8000 | mux << 12 | pga << 9 | 0x0100 | 0x0083);
	return emul_test_reg16(dev, 0);
}

static void test_power_up(void **state)
{
	struct emul_dev *dev = create();

	assert_hex_equal(emul_test_reg16(dev, 0), 0x0000);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x8583);
	assert_hex_equal(emul_test_reg16(dev, 2), 0x8000);
	assert_hex_equal(emul_test_reg16(dev, 3), 0x7fff);
	emul_destroy(dev);
}

/* Output codes: FS / 2048 per LSB, clipped at 0x7ff / 0x800, left-justified. */
static void test_codes(void **state)
{
	struct emul_dev *dev = create();

	assert_int_equal(emul_set_prop(dev, "ain0", 1.0), 0);
	assert_hex_equal(one_shot(dev, 4, 2), 1000u << 4); /* +-2.048 V: 1 mV */
	assert_hex_equal(one_shot(dev, 4, 0), 333u << 4);  /* +-6.144 V: 3 mV */
	assert_hex_equal(one_shot(dev, 4, 1), 500u << 4);  /* +-4.096 V: 2 mV */
	assert_hex_equal(one_shot(dev, 4, 3), 2000u << 4); /* +-1.024 V: 0.5 mV */
	assert_hex_equal(one_shot(dev, 4, 4), 0x7ff0);	   /* +-0.512 V: clipped */
	assert_int_equal(emul_set_prop(dev, "ain0", 0.2), 0);
	assert_hex_equal(one_shot(dev, 4, 5), 1600u << 4); /* +-0.256 V: 0.125 mV */
	assert_hex_equal(one_shot(dev, 4, 7), 1600u << 4); /* 110, 111 = 0.256 V too */
	/* differential AIN0 - AIN1, negative and clipped at -FS */
	assert_int_equal(emul_set_prop(dev, "ain1", 1.2), 0);
	assert_hex_equal(one_shot(dev, 0, 2), (uint16_t)(-1000 * 16));
	assert_int_equal(emul_set_prop(dev, "ain1", 3.0), 0);
	assert_hex_equal(one_shot(dev, 0, 2), 0x8000);
	emul_destroy(dev);
}

/* Every MUX setting picks its inputs. */
static void test_mux(void **state)
{
	static const unsigned expect[8] = {
		(uint16_t)(-100 * 16),
		(uint16_t)(-300 * 16),
		(uint16_t)(-200 * 16),
		(uint16_t)(-100 * 16),
		100u << 4,
		200u << 4,
		300u << 4,
		400u << 4,
	};
	struct emul_dev *dev = create();

	assert_int_equal(emul_set_prop(dev, "ain0", 0.1), 0);
	assert_int_equal(emul_set_prop(dev, "ain1", 0.2), 0);
	assert_int_equal(emul_set_prop(dev, "ain2", 0.3), 0);
	assert_int_equal(emul_set_prop(dev, "ain3", 0.4), 0);
	for (unsigned mux = 0; mux < 8; mux++)
		assert_hex_equal(one_shot(dev, mux, 2), expect[mux]);
	emul_destroy(dev);
}

/* Single shot keeps its result until the next OS = 1; continuous follows the input. */
static void test_modes(void **state)
{
	struct emul_dev *dev = create();

	assert_int_equal(emul_set_prop(dev, "ain2", 1.5), 0);
	assert_hex_equal(one_shot(dev, 6, 2), 1500u << 4);
	assert_int_equal(emul_set_prop(dev, "ain2", 0.5), 0);
	assert_hex_equal(emul_test_reg16(dev, 0), 1500u << 4);
	assert_hex_equal(emul_test_reg16(dev, 1), 0xe583); /* OS reads 1: idle */
	config(dev, 0x6483);				   /* continuous, AIN2, 2.048 V */
	assert_hex_equal(emul_test_reg16(dev, 0), 500u << 4);
	assert_int_equal(emul_set_prop(dev, "ain2", 0.25), 0);
	assert_hex_equal(emul_test_reg16(dev, 0), 250u << 4);
	assert_hex_equal(emul_test_reg16(dev, 1), 0x6483); /* OS reads 0: converting */
	emul_destroy(dev);
}

/*
 * Linux ti-ads1015: in_voltage3_raw = conversion >> 4 (sign-extended),
 * in_voltage3_scale = FS / 2048 in mV: raw x scale = ain3 x 1000 mV +- 3.
 */
static void test_linux(void **state)
{
	static const double fs_mv[6] = {6144, 4096, 2048, 1024, 512, 256};
	struct emul_dev *dev = create();

	assert_int_equal(emul_set_prop(dev, "ain3", 0.8765), 0);
	for (unsigned pga = 0; pga < 4; pga++) {
		int raw;

		config(dev, 7u << 12 | pga << 9 | 4u << 5 | 3); /* continuous, as the driver runs */
		raw = (int16_t)emul_test_reg16(dev, 0) >> 4;
		assert_in_range((long)(raw * fs_mv[pga] / 2048 * 1000), 876500 - 3000,
				876500 + 3000);
	}
	emul_destroy(dev);
}

static void test_registers(void **state)
{
	struct emul_dev *dev = create();

	WRITE(dev, 2, 0x12, 0x34);
	WRITE(dev, 3, 0xab, 0xcd);
	WRITE(dev, 0, 0x55, 0x55); /* conversion register: read-only */
	assert_hex_equal(emul_test_reg16(dev, 2), 0x1234);
	assert_hex_equal(emul_test_reg16(dev, 3), 0xabcd);
	assert_hex_equal(emul_test_reg16(dev, 0), 0x0000);
	assert_int_equal(emul_test_write(dev, (const uint8_t[]){4}, 1), -ENXIO);
	emul_destroy(dev);
}

static void test_properties(void **state)
{
	struct emul_dev *dev = create();

	assert_true(emul_test_prop(dev, "ain0") == 0.0);
	assert_int_equal(emul_set_prop(dev, "ain3", 3.3), 0);
	assert_true(emul_test_prop(dev, "ain3") == 3.3);
	assert_int_equal(emul_set_prop(dev, "ain3", 5.51), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "ain3", -0.01), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "ain4", 1), -ENOENT);
	emul_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_up),   cmocka_unit_test(test_codes),
		cmocka_unit_test(test_mux),	   cmocka_unit_test(test_modes),
		cmocka_unit_test(test_linux),	   cmocka_unit_test(test_registers),
		cmocka_unit_test(test_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
