// SPDX-License-Identifier: MIT
/*
 * What every model promises through the common interface: its start
 * properties (emul_model_opts) are properties it lists and accepts over
 * their whole documented range; read-only ones refuse emul_set_prop;
 * emul_create applies -e properties and checks the model's addresses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "emul_test.h"

/* Every model the parser knows, whatever was added last. */
static int n_models(void)
{
	int n = 0;

	while (strcmp(config_model_name((enum emul_model)n), "unknown"))
		n++;
	return n;
}

static uint8_t first_valid_addr(enum emul_model m)
{
	const char *valid;

	for (unsigned a = 0; a <= VI2C_MAX_ADDR; a++)
		if (!emul_check_addr(m, (uint8_t)a, &valid))
			return (uint8_t)a;
	fail_msg("model %s has no valid address", config_model_name(m));
	return 0;
}

struct listed {
	const char *names[16];
	bool writable[16];
	unsigned n;
};

static void collect(void *ctx, const struct emul_prop *p)
{
	struct listed *l = ctx;

	assert_true(l->n < 16);
	l->writable[l->n] = p->writable;
	l->names[l->n++] = p->name;
}

static int find_listed(const struct listed *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return (int)i;
	return -1;
}

static void test_start_properties(void **state)
{
	for (int m = 0; m < n_models(); m++) {
		const struct emul_opt_desc *o = emul_model_opts((enum emul_model)m);
		struct cfg_emul c = {.model = (enum emul_model)m,
				     .addr = first_valid_addr((enum emul_model)m)};
		char err[256] = "";
		struct emul_dev *dev = emul_create(&c, err, sizeof(err));
		struct listed l = {0};

		if (m == EMUL_REGMAP)
			continue; /* needs a map file: test_emul_regmap */
		if (!dev && m <= EMUL_24C256)
			continue; /* EEPROMs without a file are fine but have no properties */
		assert_non_null(dev);
		emul_each_prop(dev, collect, &l);
		for (; o->name; o++) {
			int i = find_listed(&l, o->name);
			double v;

			if (i < 0)
				fail_msg("%s: start property %s is not listed",
					 config_model_name(c.model), o->name);
			assert_int_equal(emul_get_prop(dev, o->name, &v), 0);
			if (o->read_only) {
				assert_false(l.writable[i]);
				assert_int_equal(emul_set_prop(dev, o->name, v), -EROFS);
				continue;
			}
			assert_true(l.writable[i]);
			assert_true(o->min < o->max && o->range && *o->range);
			if (emul_set_prop(dev, o->name, o->min) ||
			    emul_set_prop(dev, o->name, o->max))
				fail_msg("%s: %s refuses its documented range %s",
					 config_model_name(c.model), o->name, o->range);
		}
		emul_destroy(dev);
	}
}

static void test_create_applies_properties(void **state)
{
	struct cfg_emul c = {.model = EMUL_SHT3X,
			     .addr = 0x45,
			     .opts = {{"humidity", 33.0}, {"temp", -10.0}},
			     .n_opts = 2,
			     .spec = "sht3x@0x45,humidity=33,temp=-10"};
	char err[256] = "";
	struct emul_dev *dev = emul_create(&c, err, sizeof(err));
	double v;

	assert_non_null(dev);
	assert_int_equal(emul_get_prop(dev, "humidity", &v), 0);
	assert_in_range((long)(v * 1000), 32990, 33010);
	assert_int_equal(emul_get_prop(dev, "temp", &v), 0);
	assert_in_range((long)(v * 1000 + 20000), 9990, 10010);
	emul_destroy(dev);
}

static void test_create_refuses(void **state)
{
	struct cfg_emul bad_addr = {.model = EMUL_TMP102, .addr = 0x40, .spec = "tmp102@0x40"};
	struct cfg_emul bad_value = {.model = EMUL_TMP102,
				     .addr = 0x48,
				     .opts = {{"temp", 151.0}},
				     .n_opts = 1,
				     .spec = "tmp102@0x48,temp=151"};
	struct cfg_emul read_only = {.model = EMUL_PCA9555,
				     .addr = 0x21,
				     .opts = {{"outputs", 1.0}},
				     .n_opts = 1,
				     .spec = "pca9555@0x21,outputs=1"};
	struct cfg_emul file = {.model = EMUL_BMP280,
				.addr = 0x76,
				.file = (char *)"/tmp/x",
				.spec = "bmp280@0x76,file=/tmp/x"};
	char err[256];

	errno = 0;
	assert_null(emul_create(&bad_addr, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "--emulate 'tmp102@0x40': address 0x40 is not valid for tmp102 "
				 "(0x48..0x4b)");
	errno = 0;
	assert_null(emul_create(&bad_value, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "--emulate 'tmp102@0x48,temp=151': cannot set temp=151: "
				 "Numerical result out of range");
	assert_null(emul_create(&read_only, err, sizeof(err)));
	assert_string_equal(err, "--emulate 'pca9555@0x21,outputs=1': cannot set outputs=1: "
				 "Read-only file system");
	assert_null(emul_create(&file, err, sizeof(err)));
	assert_string_equal(err, "--emulate 'bmp280@0x76,file=/tmp/x': file= is only supported "
				 "by EEPROMs");
}

/* Every model answers an address-only probe and reads without a prior write. */
static void test_probe_and_bare_read(void **state)
{
	for (int m = EMUL_LM75; m < n_models(); m++) {
		struct emul_dev *dev;
		uint8_t buf[4];
		int ret;

		if (m == EMUL_REGMAP)
			continue; /* needs a map file: test_emul_regmap */
		dev = emul_test_create((enum emul_model)m, first_valid_addr((enum emul_model)m), NULL);

		assert_int_equal(emul_xfer(dev, false, NULL, 0), 0);
		ret = emul_xfer(dev, true, buf, sizeof(buf));
		/* sht3x has nothing to answer before a command: NACK */
		assert_int_equal(ret, m == EMUL_SHT3X ? -ENXIO : 0);
		emul_stop(dev);
		emul_destroy(dev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_properties),
		cmocka_unit_test(test_create_applies_properties),
		cmocka_unit_test(test_create_refuses),
		cmocka_unit_test(test_probe_and_bare_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
