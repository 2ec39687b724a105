// SPDX-License-Identifier: MIT
/*
 * The regmap model (emul_regmap.h): the JSON map parser's defaults, checks
 * and one-line errors, and the device's register pointer, value widths and
 * endianness, auto-increment, read-only registers, NACK beyond size, and its
 * reg:0xNN properties.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emul.h"
#include "emul_regmap.h"

static void parse_ok(const char *text, struct regmap_map *m)
{
	char err[200] = "";

	if (regmap_map_parse(text, strlen(text), m, err, sizeof(err)))
		fail_msg("regmap_map_parse(%s): %s", text, err);
}

static void parse_err(const char *text, const char *want)
{
	struct regmap_map m;
	char err[200] = "";

	assert_int_equal(regmap_map_parse(text, strlen(text), &m, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	assert_null(m.reset);
	assert_null(m.listed);
}

static void test_map_defaults(void **state)
{
	struct regmap_map m;

	parse_ok("{}", &m);
	assert_int_equal(m.reg_bytes, 1);
	assert_int_equal(m.val_bytes, 1);
	assert_false(m.little);
	assert_true(m.auto_inc);
	assert_int_equal(m.size, 256);
	assert_int_equal(m.n_listed, 0);
	regmap_map_free(&m);
	parse_ok("{\"reg_bits\": 16, \"val_bits\": 16, \"endian\": \"little\", \"auto_increment\": "
		 "false, \"registers\": {\"0x1234\": {\"reset\": \"0xbeef\", \"ro\": true}, \"7\": "
		 "{}}}",
		 &m);
	assert_int_equal(m.reg_bytes, 2);
	assert_int_equal(m.val_bytes, 2);
	assert_true(m.little);
	assert_false(m.auto_inc);
	assert_int_equal(m.size, 65536);
	assert_int_equal(m.n_listed, 2);
	assert_int_equal(m.listed[0], 7);
	assert_int_equal(m.listed[1], 0x1234);
	assert_int_equal(m.reset[0x1234], 0xbeef);
	assert_true(m.ro[0x1234]);
	assert_false(m.ro[7]);
	regmap_map_free(&m);
}

static void test_map_errors(void **state)
{
	parse_err("", "line 1: '[' or '{' expected near end of file");
	parse_err("[]", "expected a JSON object");
	parse_err("{\"reg_bits\": 12}", "reg_bits must be 8 or 16");
	parse_err("{\"val_bits\": \"8\"}", "val_bits must be 8 or 16");
	parse_err("{\"endian\": \"middle\"}", "endian must be \"big\" or \"little\"");
	parse_err("{\"size\": 0}", "size must be a number 1..65536");
	parse_err("{\"size\": 257}", "size 257 does not fit 8-bit register addresses");
	parse_err("{\"auto_increment\": 1}", "auto_increment must be true or false");
	parse_err("{\"colour\": 1}", "unknown key 'colour'");
	parse_err("{\"registers\": []}", "registers must be an object");
	parse_err("{\"size\": 4, \"registers\": {\"4\": {}}}",
		  "register '4': not an address 0..0x3");
	parse_err("{\"registers\": {\"-1\": {}}}", "register '-1': not an address 0..0xff");
	parse_err("{\"registers\": {\"1\": {\"reset\": 256}}}",
		  "register '1': reset must be a number 0..255 or a \"0x..\" string");
	parse_err("{\"val_bits\": 16, \"registers\": {\"1\": {\"reset\": \"0x10000\"}}}",
		  "register '1': reset must be a number 0..65535 or a \"0x..\" string");
	parse_err("{\"registers\": {\"1\": {\"ro\": \"yes\"}}}",
		  "register '1': ro must be true or false");
	parse_err("{\"registers\": {\"1\": {\"rw\": true}}}", "register '1': unknown key 'rw'");
	parse_err("{\"registers\": {\"1\": {}, \"0x01\": {}}}", "register 0x1 given twice");
	parse_err("{\"size\": 1, \"size\": 2}", "line 1: duplicate object key near '\"size\"'");
}

/* A device from map text (written to a temp file). */
static struct emul_dev *create(const char *map)
{
	char path[] = "/tmp/vi2c-regmap-XXXXXX", err[300] = "";
	struct cfg_emul spec = {.model = EMUL_REGMAP, .addr = 0x40, .spec = "regmap@0x40"};
	struct emul_dev *dev;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, map, strlen(map)), (ssize_t)strlen(map));
	close(fd);
	spec.map = path;
	dev = emul_create(&spec, err, sizeof(err));
	unlink(path);
	if (!dev)
		fail_msg("emul_create: %s", err);
	assert_int_equal(emul_model(dev), EMUL_REGMAP);
	return dev;
}

static void xfer(struct emul_dev *dev, bool read, const uint8_t *in, uint8_t *out, size_t n)
{
	uint8_t buf[16];

	if (!read)
		memcpy(buf, in, n);
	assert_int_equal(emul_xfer(dev, read, buf, n), 0);
	if (read)
		memcpy(out, buf, n);
}

static void test_device_16bit_big(void **state)
{
	struct emul_dev *dev = create("{\"val_bits\": 16, \"size\": 4, \"registers\": {\"0\": "
				      "{\"reset\": 4660, \"ro\": true}, \"1\": {\"reset\": 18}}}");
	uint8_t r[8], reg = 3;
	double v;

	/* Power-up pointer 0; consecutive registers, MSB first; wraps at size. */
	xfer(dev, true, NULL, r, 8);
	assert_memory_equal(r, ((uint8_t[]){0x12, 0x34, 0x00, 0x12, 0, 0, 0, 0}), 8);
	xfer(dev, true, NULL, r, 2);
	assert_memory_equal(r, ((uint8_t[]){0x12, 0x34}), 2);
	/* A write to ro is ACKed and ignored, the pointer moves on; a half value is ignored. */
	xfer(dev, false, (uint8_t[]){0, 0xaa, 0xbb, 0x56, 0x78, 0x99}, NULL, 6);
	xfer(dev, false, &reg, NULL, 1);
	xfer(dev, false, (uint8_t[]){0}, NULL, 1);
	xfer(dev, true, NULL, r, 6);
	assert_memory_equal(r, ((uint8_t[]){0x12, 0x34, 0x56, 0x78, 0, 0}), 6);
	/* A read cut in the middle of a register stays on it. */
	xfer(dev, false, (uint8_t[]){1}, NULL, 1);
	xfer(dev, true, NULL, r, 1);
	xfer(dev, true, NULL, r + 1, 2);
	assert_memory_equal(r, ((uint8_t[]){0x56, 0x56, 0x78}), 3);
	/* Beyond size: NACK. */
	assert_int_equal(emul_xfer(dev, false, (uint8_t[]){4}, 1), -ENXIO);
	/* Properties: reg:0xNN, any register; set ignores ro. */
	assert_int_equal(emul_get_prop(dev, "reg:0x01", &v), 0);
	assert_true(v == 0x5678);
	assert_int_equal(emul_set_prop(dev, "reg:0", 0xabcd), 0);
	assert_int_equal(emul_get_prop(dev, "reg:0x00", &v), 0);
	assert_true(v == 0xabcd);
	assert_int_equal(emul_set_prop(dev, "reg:3", 65536), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "reg:3", 1.5), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "reg:3", -1), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "reg:4", 1), -ENOENT);
	assert_int_equal(emul_set_prop(dev, "temp", 1), -ENOENT);
	assert_int_equal(emul_get_prop(dev, "reg:", &v), -ENOENT);
	emul_destroy(dev);
}

struct seen {
	char names[4][16];
	double values[4];
	unsigned n;
};

static void collect(void *ctx, const struct emul_prop *p)
{
	struct seen *s = ctx;

	assert_true(s->n < 4);
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", p->name);
	s->values[s->n++] = p->value;
}

static void test_device_16bit_reg_little_no_increment(void **state)
{
	struct emul_dev *dev = create(
		"{\"reg_bits\": 16, \"val_bits\": 16, \"endian\": \"little\", \"size\": 512, "
		"\"auto_increment\": false, \"registers\": {\"0x100\": {\"reset\": 258}, "
		"\"0x001\": {}}}");
	struct seen s = {0};
	uint8_t r[4];

	/* Two address bytes, big-endian; values LSB first; no auto-increment. */
	xfer(dev, false, (uint8_t[]){0x01, 0x00}, NULL, 2);
	xfer(dev, true, NULL, r, 4);
	assert_memory_equal(r, ((uint8_t[]){0x02, 0x01, 0x02, 0x01}), 4);
	xfer(dev, false, (uint8_t[]){0x01, 0x00, 0x11, 0x22, 0x33, 0x44}, NULL, 6);
	xfer(dev, true, NULL, r, 2);
	assert_memory_equal(r, ((uint8_t[]){0x33, 0x44}), 2);
	/* One address byte of two: ignored. */
	xfer(dev, false, (uint8_t[]){0x00}, NULL, 1);
	xfer(dev, true, NULL, r, 2);
	assert_memory_equal(r, ((uint8_t[]){0x33, 0x44}), 2);
	assert_int_equal(emul_xfer(dev, false, (uint8_t[]){0x02, 0x00}, 2), -ENXIO);
	/* Listed properties: the registers the map names, in order. */
	emul_each_prop(dev, collect, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.names[0], "reg:0x0001");
	assert_true(s.values[0] == 0);
	assert_string_equal(s.names[1], "reg:0x0100");
	assert_true(s.values[1] == 0x4433);
	emul_destroy(dev);
}

static void test_create_errors(void **state)
{
	struct cfg_emul spec = {.model = EMUL_REGMAP,
				.addr = 0x40,
				.map = "/nonexistent/map.json",
				.spec = "regmap@0x40,map=/nonexistent/map.json"};
	char err[300] = "";

	assert_null(emul_create(&spec, err, sizeof(err)));
	assert_string_equal(err, "--emulate 'regmap@0x40,map=/nonexistent/map.json': cannot read "
				 "map '/nonexistent/map.json': No such file or directory");
	spec.map = "/tmp";
	assert_null(emul_create(&spec, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read map '/tmp': Invalid argument"));
	spec.map = NULL;
	assert_null(emul_create(&spec, err, sizeof(err)));
	assert_non_null(strstr(err, "regmap needs map=FILE"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_defaults),
		cmocka_unit_test(test_map_errors),
		cmocka_unit_test(test_device_16bit_big),
		cmocka_unit_test(test_device_16bit_reg_little_no_increment),
		cmocka_unit_test(test_create_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
