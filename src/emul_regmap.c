// SPDX-License-Identifier: MIT
/*
 * The `regmap` model: a register file described by a JSON map
 * (emul_regmap.h). A write message starts with the register address (1 or 2
 * bytes, big-endian), which sets the pointer, then carries values, each
 * stored at the pointer (a read-only register ACKs and ignores it), the
 * pointer advancing after each (auto-increment, wrapping at size). A read
 * returns the registers from the pointer on, the same way. A register
 * address the map does not have is NACKed. A value cut short by the end of a
 * message is ignored (write) or leaves the pointer on that register (read).
 *
 * Properties: "reg:0xNN" for every register (the ones the map names are
 * listed), the value as a number; `set` ignores ro (it is how a test changes
 * what the chip reports).
 */
#include "emul_regmap.h"
#include "emul_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROP_NAME_MAX 12 /* "reg:0xNNNN" */

struct regmap {
	struct emul_dev dev;
	struct regmap_map map;
	uint16_t *regs;		      /* size entries */
	char (*names)[PROP_NAME_MAX]; /* n_listed entries, property names */
	uint32_t ptr;		      /* register pointer, < size */
};
EMUL_DEV_FIRST(struct regmap);

static struct regmap *to_regmap(struct emul_dev *dev)
{
	return container_of(dev, struct regmap, dev);
}

/* ---- map file parser ---- */

static __attribute__((format(printf, 3, 4))) int map_err(char *err, size_t errlen, const char *fmt,
							 ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = '?';
	}
	return -EINVAL;
}

/* "0x1F" or "31", no sign, no blanks, at most max. 0 or -EINVAL. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned base = 10;
	unsigned long v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -EINVAL;
		v = v * base + d;
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

/* A JSON integer, or a string of one (decimal or 0x hex), in 0..max. */
static int json_uint(const json_t *j, unsigned long max, unsigned long *out)
{
	if (json_is_integer(j)) {
		json_int_t v = json_integer_value(j);

		if (v < 0 || (unsigned long long)v > max)
			return -ERANGE;
		*out = (unsigned long)v;
		return 0;
	}
	if (json_is_string(j))
		return parse_uint(json_string_value(j), max, out) ? -ERANGE : 0;
	return -EINVAL;
}

static int parse_register(struct regmap_map *map, const char *key, const json_t *val,
			  unsigned long val_max, char *err, size_t errlen)
{
	unsigned long reg, reset = 0;
	const char *k;
	json_t *v;

	if (parse_uint(key, map->size - 1, &reg))
		return map_err(err, errlen, "register '%s': not an address 0..0x%x", key,
			       map->size - 1);
	if (!json_is_object(val))
		return map_err(err, errlen, "register '%s': expected an object", key);
	json_object_foreach((json_t *)val, k, v)
	{
		if (!strcmp(k, "reset")) {
			if (json_uint(v, val_max, &reset))
				return map_err(err, errlen,
					       "register '%s': reset must be a number 0..%lu or a "
					       "\"0x..\" string",
					       key, val_max);
		} else if (!strcmp(k, "ro")) {
			if (!json_is_boolean(v))
				return map_err(err, errlen,
					       "register '%s': ro must be true or false", key);
			map->ro[reg] = json_is_true(v);
		} else {
			return map_err(err, errlen, "register '%s': unknown key '%s'", key, k);
		}
	}
	map->reset[reg] = (uint16_t)reset;
	map->listed[map->n_listed++] = (uint32_t)reg;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The top-level keys other than "registers". */
static int parse_header(const json_t *root, struct regmap_map *map, char *err, size_t errlen)
{
	const char *k;
	unsigned long v;
	bool size_given = false;
	json_t *j;

	map->reg_bytes = 1;
	map->val_bytes = 1;
	map->auto_inc = true;
	json_object_foreach((json_t *)root, k, j)
	{
		if (!strcmp(k, "reg_bits") || !strcmp(k, "val_bits")) {
			if (!json_is_integer(j) ||
			    (json_integer_value(j) != 8 && json_integer_value(j) != 16))
				return map_err(err, errlen, "%s must be 8 or 16", k);
			*(k[0] == 'r' ? &map->reg_bytes : &map->val_bytes) =
				(unsigned)json_integer_value(j) / 8;
		} else if (!strcmp(k, "endian")) {
			const char *e = json_string_value(j);

			if (!e || (strcmp(e, "big") && strcmp(e, "little")))
				return map_err(err, errlen, "endian must be \"big\" or \"little\"");
			map->little = !strcmp(e, "little");
		} else if (!strcmp(k, "auto_increment")) {
			if (!json_is_boolean(j))
				return map_err(err, errlen, "auto_increment must be true or false");
			map->auto_inc = json_is_true(j);
		} else if (!strcmp(k, "size")) {
			if (json_uint(j, 65536, &v) || !json_is_integer(j) || v < 1)
				return map_err(err, errlen, "size must be a number 1..65536");
			map->size = (uint32_t)v;
			size_given = true;
		} else if (strcmp(k, "registers")) {
			return map_err(err, errlen, "unknown key '%s'", k);
		}
	}
	if (!size_given)
		map->size = 1u << (8 * map->reg_bytes);
	else if (map->size > 1u << (8 * map->reg_bytes))
		return map_err(err, errlen, "size %u does not fit %u-bit register addresses",
			       map->size, 8 * map->reg_bytes);
	return 0;
}

int regmap_map_parse(const char *text, size_t len, struct regmap_map *map, char *err, size_t errlen)
{
	unsigned long val_max;
	json_error_t jerr;
	json_t *root, *regs, *v;
	const char *k;
	int ret;

	memset(map, 0, sizeof(*map));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return map_err(err, errlen, "line %d: %s", jerr.line, jerr.text);
	if (!json_is_object(root)) {
		ret = map_err(err, errlen, "expected a JSON object");
		goto out;
	}
	ret = parse_header(root, map, err, errlen);
	if (ret)
		goto out;
	val_max = map->val_bytes == 2 ? 0xffff : 0xff;
	map->reset = calloc(map->size, sizeof(*map->reset));
	map->ro = calloc(map->size, sizeof(*map->ro));
	regs = json_object_get(root, "registers");
	map->listed = calloc(regs ? json_object_size(regs) + 1 : 1, sizeof(*map->listed));
	if (!map->reset || !map->ro || !map->listed) {
		ret = map_err(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	if (regs && !json_is_object(regs)) {
		ret = map_err(err, errlen, "registers must be an object");
		goto out;
	}
	if (regs) {
		json_object_foreach(regs, k, v)
		{
			ret = parse_register(map, k, v, val_max, err, errlen);
			if (ret)
				goto out;
		}
	}
	/* "5" and "0x05" name one register: sorted, a duplicate is a neighbour. */
	qsort(map->listed, map->n_listed, sizeof(*map->listed), cmp_u32);
	for (uint32_t i = 1; i < map->n_listed; i++) {
		if (map->listed[i] == map->listed[i - 1]) {
			ret = map_err(err, errlen, "register 0x%x given twice", map->listed[i]);
			goto out;
		}
	}
out:
	json_decref(root);
	if (ret)
		regmap_map_free(map);
	return ret;
}

void regmap_map_free(struct regmap_map *map)
{
	free(map->reset);
	free(map->ro);
	free(map->listed);
	memset(map, 0, sizeof(*map));
}

/* ---- the device ---- */

static void regmap_advance(struct regmap *rm)
{
	if (rm->map.auto_inc)
		rm->ptr = (rm->ptr + 1) % rm->map.size;
}

static int regmap_write(struct regmap *rm, const uint8_t *buf, size_t len)
{
	const struct regmap_map *m = &rm->map;
	uint32_t reg;
	size_t i;

	if (len < m->reg_bytes)
		return 0; /* an incomplete register address selects nothing */
	reg = m->reg_bytes == 2 ? (uint32_t)buf[0] << 8 | buf[1] : buf[0];
	if (reg >= m->size)
		return -ENXIO; /* no such register: the chip NACKs */
	rm->ptr = reg;
	for (i = m->reg_bytes; i + m->val_bytes <= len; i += m->val_bytes) {
		uint16_t v = buf[i];

		if (m->val_bytes == 2)
			v = m->little ? (uint16_t)(buf[i] | buf[i + 1] << 8)
				      : (uint16_t)(buf[i] << 8 | buf[i + 1]);
		if (!m->ro[rm->ptr])
			rm->regs[rm->ptr] = v;
		regmap_advance(rm);
	}
	return 0;
}

static int regmap_read(struct regmap *rm, uint8_t *buf, size_t len)
{
	const struct regmap_map *m = &rm->map;

	for (size_t i = 0; i < len; i++) {
		uint16_t v = rm->regs[rm->ptr];
		unsigned byte = (unsigned)(i % m->val_bytes);

		if (m->val_bytes == 1)
			buf[i] = (uint8_t)v;
		else if (m->little)
			buf[i] = (uint8_t)(byte ? v >> 8 : v);
		else
			buf[i] = (uint8_t)(byte ? v : v >> 8);
		if (byte == m->val_bytes - 1)
			regmap_advance(rm);
	}
	return 0;
}

static int regmap_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct regmap *rm = to_regmap(dev);

	return read ? regmap_read(rm, buf, len) : regmap_write(rm, buf, len);
}

/* "reg:0x05" / "reg:5" -> 5, if the register exists. */
static int regmap_prop_reg(const struct regmap *rm, const char *name, uint32_t *reg)
{
	unsigned long r;

	if (strncmp(name, "reg:", 4) || parse_uint(name + 4, rm->map.size - 1, &r))
		return -ENOENT;
	*reg = (uint32_t)r;
	return 0;
}

static void regmap_each_prop(struct emul_dev *dev, void (*fn)(void *ctx, const struct emul_prop *p),
			     void *ctx)
{
	struct regmap *rm = to_regmap(dev);

	for (uint32_t i = 0; i < rm->map.n_listed; i++) {
		struct emul_prop p = {.name = rm->names[i],
				      .value = rm->regs[rm->map.listed[i]],
				      .writable = true};

		fn(ctx, &p);
	}
}

static int regmap_get_prop(struct emul_dev *dev, const char *name, double *value)
{
	struct regmap *rm = to_regmap(dev);
	uint32_t reg;

	if (regmap_prop_reg(rm, name, &reg))
		return -ENOENT;
	*value = rm->regs[reg];
	return 0;
}

static int regmap_set_prop(struct emul_dev *dev, const char *name, double value)
{
	struct regmap *rm = to_regmap(dev);
	double max = rm->map.val_bytes == 2 ? 65535.0 : 255.0;
	uint32_t reg;

	if (regmap_prop_reg(rm, name, &reg))
		return -ENOENT;
	if (!(value >= 0.0 && value <= max) || value != floor(value))
		return -ERANGE;
	rm->regs[reg] = (uint16_t)value;
	return 0;
}

static void regmap_destroy(struct emul_dev *dev)
{
	struct regmap *rm = to_regmap(dev);

	regmap_map_free(&rm->map);
	free(rm->regs);
	free(rm->names);
	free(rm);
}

static const struct emul_ops regmap_ops = {
	.xfer = regmap_xfer,
	.each_prop = regmap_each_prop,
	.get_prop = regmap_get_prop,
	.set_prop = regmap_set_prop,
	.destroy = regmap_destroy,
};

/* The whole file, NUL-terminated, malloc'd; NULL with errno (EFBIG when too large). */
static char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t done = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if (st.st_size > (off_t)REGMAP_FILE_MAX) {
		errno = EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			free(buf);
			buf = NULL;
			goto out;
		}
		done += (size_t)n;
	}
	buf[done] = '\0';
	*len = done;
out:
	close(fd);
	return buf;
}

struct emul_dev *emul_regmap_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct regmap *rm = emul_dev_alloc(sizeof(*rm), &regmap_ops, spec, err, errlen);
	char msg[300];
	size_t len = 0;
	char *text;
	int ret;

	if (!rm)
		return NULL;
	text = read_file(spec->map, &len);
	if (!text) {
		ret = -errno;
		emul_set_err(err, errlen, spec, "cannot read map '%s': %s", spec->map,
			     strerror(-ret));
		goto err_free;
	}
	ret = regmap_map_parse(text, len, &rm->map, msg, sizeof(msg));
	free(text);
	if (ret) {
		emul_set_err(err, errlen, spec, "map '%s': %s", spec->map, msg);
		goto err_free;
	}
	rm->regs = malloc(rm->map.size * sizeof(*rm->regs));
	rm->names = calloc(rm->map.n_listed + 1, sizeof(*rm->names));
	if (!rm->regs || !rm->names) {
		ret = -ENOMEM;
		emul_set_err(err, errlen, spec, "out of memory");
		goto err_free;
	}
	memcpy(rm->regs, rm->map.reset, rm->map.size * sizeof(*rm->regs));
	for (uint32_t i = 0; i < rm->map.n_listed; i++)
		snprintf(rm->names[i], sizeof(rm->names[i]),
			 rm->map.reg_bytes == 2 ? "reg:0x%04x" : "reg:0x%02x", rm->map.listed[i]);
	return &rm->dev;

err_free:
	regmap_map_free(&rm->map);
	free(rm->regs);
	free(rm->names);
	free(rm);
	errno = -ret;
	return NULL;
}
