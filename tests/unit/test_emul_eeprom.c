// SPDX-License-Identifier: MIT
/*
 * AT24 EEPROM emulation against the AT24C02/C32/C256 datasheets: addressing,
 * random/current-address/sequential reads, page-write roll-over, and the
 * file= backing store (creation, loading, size checks, write-through).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emul.h"

struct geometry {
	enum emul_model model;
	size_t size;
	size_t page;
	unsigned addr_bytes;
	const char *name;
};

static const struct geometry geo_24c02 = {EMUL_24C02, 256, 8, 1, "24c02"};
static const struct geometry geo_24c32 = {EMUL_24C32, 4096, 32, 2, "24c32"};
static const struct geometry geo_24c256 = {EMUL_24C256, 32768, 64, 2, "24c256"};
static const struct geometry *const all_geos[] = {&geo_24c02, &geo_24c32, &geo_24c256};

/* Per-test temporary directory (for file= tests) and the spec strings. */
struct fixture {
	char dir[64];
	char path[128];
	char spec[256];
};

static int setup_dir(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/test_emul_eeprom.XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/eeprom.bin", fx->dir);
	*state = fx;
	return 0;
}

static int teardown_dir(void **state)
{
	struct fixture *fx = *state;
	struct dirent *de;
	char name[512];
	DIR *d;

	d = opendir(fx->dir);
	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(name, sizeof(name), "%s/%s", fx->dir, de->d_name);
			unlink(name);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static struct emul_dev *create_dev(const struct geometry *g, const char *file, char *spec_text)
{
	static char default_spec[256];
	struct cfg_emul spec = {
		.model = g->model,
		.addr = 0x50,
		.file = (char *)file,
	};
	char err[512] = "";
	struct emul_dev *dev;

	if (!spec_text)
		spec_text = default_spec;
	if (file)
		snprintf(spec_text, 256, "%s@0x50,file=%s", g->name, file);
	else
		snprintf(spec_text, 256, "%s@0x50", g->name);
	spec.spec = spec_text;
	dev = emul_create(&spec, err, sizeof(err));
	if (!dev)
		fail_msg("emul_create: %s", err);
	return dev;
}

/* emul_create expected to fail: returns errno, copies the message. */
static int create_fails(const struct geometry *g, const char *file, char *spec_text, char *err,
			size_t errlen)
{
	struct cfg_emul spec = {.model = g->model, .addr = 0x50, .file = (char *)file};
	struct emul_dev *dev;

	snprintf(spec_text, 256, "%s@0x50,file=%.200s", g->name, file);
	spec.spec = spec_text;
	errno = 0;
	dev = emul_create(&spec, err, errlen);
	assert_null(dev);
	return errno;
}

/* One write message: word address (1 or 2 bytes as the part takes) + data. */
static int write_msg(struct emul_dev *dev, const struct geometry *g, unsigned addr,
		     const uint8_t *data, size_t n)
{
	uint8_t buf[128];
	size_t i = 0;

	assert_true(n + 2 <= sizeof(buf));
	if (g->addr_bytes == 2)
		buf[i++] = (uint8_t)(addr >> 8);
	buf[i++] = (uint8_t)addr;
	if (n)
		memcpy(buf + i, data, n);
	return emul_xfer(dev, false, buf, i + n);
}

static void write_at(struct emul_dev *dev, const struct geometry *g, unsigned addr,
		     const uint8_t *data, size_t n)
{
	assert_int_equal(write_msg(dev, g, addr, data, n), 0);
	emul_stop(dev);
}

/* Random read: dummy write, repeated START, read, STOP. */
static void read_at(struct emul_dev *dev, const struct geometry *g, unsigned addr, uint8_t *out,
		    size_t n)
{
	assert_int_equal(write_msg(dev, g, addr, NULL, 0), 0);
	assert_int_equal(emul_xfer(dev, true, out, n), 0);
	emul_stop(dev);
}

/* Current-address read: START, read, STOP. */
static void read_cur(struct emul_dev *dev, uint8_t *out, size_t n)
{
	assert_int_equal(emul_xfer(dev, true, out, n), 0);
	emul_stop(dev);
}

static void assert_all(const uint8_t *buf, size_t n, uint8_t val)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != val)
			fail_msg("byte %zu is 0x%02x, expected 0x%02x", i, buf[i], val);
}

static void write_file(const char *path, const uint8_t *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void pread_file(const char *path, size_t off, uint8_t *out, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, out, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static void test_identity(void **state)
{
	struct emul_dev *dev = create_dev(&geo_24c32, NULL, NULL);

	assert_int_equal(emul_addr(dev), 0x50);
	assert_int_equal(emul_model(dev), EMUL_24C32);
	emul_destroy(dev);
	emul_destroy(NULL);
}

/* Erased part reads 0xFF everywhere. */
static void test_erased(void **state)
{
	static uint8_t buf[32768];

	for (size_t k = 0; k < 3; k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, NULL, NULL);

		memset(buf, 0, sizeof(buf));
		read_cur(dev, buf, g->size);
		assert_all(buf, g->size, 0xff);
		emul_destroy(dev);
	}
}

static void test_random_read(void **state)
{
	const uint8_t data[] = {0x11, 0x22, 0x33, 0x44};
	uint8_t buf[6];

	for (size_t k = 0; k < 3; k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, NULL, NULL);
		unsigned addr = (unsigned)g->size / 2 + 2; /* 4 bytes fit in the page */

		write_at(dev, g, addr, data, sizeof(data));
		read_at(dev, g, addr - 1, buf, sizeof(buf));
		const uint8_t expect[] = {0xff, 0x11, 0x22, 0x33, 0x44, 0xff};
		assert_memory_equal(buf, expect, sizeof(expect));
		read_at(dev, g, addr + 2, buf, 1);
		assert_int_equal(buf[0], 0x33);
		emul_destroy(dev);
	}
}

static void test_current_read_after_read(void **state)
{
	const uint8_t data[] = {1, 2, 3, 4, 5, 6};
	uint8_t buf[3];

	for (size_t k = 0; k < 3; k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, NULL, NULL);

		write_at(dev, g, 0x40, data, sizeof(data));
		read_at(dev, g, 0x40, buf, 2);
		assert_int_equal(buf[0], 1);
		assert_int_equal(buf[1], 2);
		/* STOP keeps the counter: next current-address read goes on. */
		read_cur(dev, buf, 3);
		const uint8_t expect[] = {3, 4, 5};
		assert_memory_equal(buf, expect, 3);
		read_cur(dev, buf, 1);
		assert_int_equal(buf[0], 6);
		emul_destroy(dev);
	}
}

static void test_current_read_after_write(void **state)
{
	const uint8_t data[] = {0xa1, 0xa2, 0xa3};
	const uint8_t next[] = {0xb4};
	uint8_t buf[2];

	for (size_t k = 0; k < 3; k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, NULL, NULL);

		write_at(dev, g, 0x83, next, 0); /* dummy write: pointer only */
		write_at(dev, g, 0x83, data, 1);
		write_at(dev, g, 0x84, next, 1);
		write_at(dev, g, 0x80, data, sizeof(data));
		/* Counter = last written + 1 = 0x83, which holds 0xa1. */
		read_cur(dev, buf, 2);
		assert_int_equal(buf[0], 0xa1);
		assert_int_equal(buf[1], 0xb4);
		emul_destroy(dev);
	}
}

/* Sequential read wraps from the last byte of memory to byte 0. */
static void test_sequential_rollover(void **state)
{
	const uint8_t tail[] = {0xe1, 0xe2};
	const uint8_t head[] = {0x01, 0x02};
	uint8_t buf[5];

	for (size_t k = 0; k < 3; k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, NULL, NULL);

		write_at(dev, g, (unsigned)g->size - 2, tail, 2);
		write_at(dev, g, 0, head, 2);
		write_at(dev, g, 3, (const uint8_t[]){0x33}, 1);
		read_at(dev, g, (unsigned)g->size - 2, buf, 5);
		const uint8_t expect[] = {0xe1, 0xe2, 0x01, 0x02, 0xff};
		assert_memory_equal(buf, expect, 5);
		/* The counter went on past the wrap: now at 3. */
		read_cur(dev, buf, 1);
		assert_int_equal(buf[0], 0x33);
		read_at(dev, g, (unsigned)g->size - 1, buf, 4);
		const uint8_t expect2[] = {0xe2, 0x01, 0x02, 0xff};
		assert_memory_equal(buf, expect2, 4);
		read_cur(dev, buf, 1);
		assert_int_equal(buf[0], 0x33);
		emul_destroy(dev);
	}
}

/* Page write: data past the page end wraps to the page start. */
static void test_page_rollover(void **state)
{
	const uint8_t data[] = {0xd0, 0xd1, 0xd2, 0xd3, 0xd4};
	uint8_t buf[128 + 2];

	for (size_t k = 0; k < 3; k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, NULL, NULL);
		unsigned base = 3 * (unsigned)g->page;

		write_at(dev, g, base + 3, (const uint8_t[]){0x77}, 1);
		write_at(dev, g, base + (unsigned)g->page - 2, data, sizeof(data));
		/* The counter's in-page bits wrapped too: it is at base + 3. */
		read_cur(dev, buf, 1);
		assert_int_equal(buf[0], 0x77);

		read_at(dev, g, base - 1, buf, g->page + 2);
		uint8_t expect[128 + 2];
		memset(expect, 0xff, sizeof(expect));
		expect[1 + 0] = 0xd2;
		expect[1 + 1] = 0xd3;
		expect[1 + 2] = 0xd4;
		expect[1 + 3] = 0x77;
		expect[1 + g->page - 2] = 0xd0;
		expect[1 + g->page - 1] = 0xd1;
		assert_memory_equal(buf, expect, g->page + 2);
		emul_destroy(dev);
	}
}

/* More than a page: the address wraps again and later bytes overwrite. */
static void test_page_write_longer_than_page(void **state)
{
	struct emul_dev *dev = create_dev(&geo_24c02, NULL, NULL);
	uint8_t data[11];
	uint8_t buf[10];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xd0 + i);
	write_at(dev, &geo_24c02, 0x11, data, sizeof(data));
	/* Counter: 0x10 + (1 + 11) % 8 = 0x14. */
	read_cur(dev, buf, 1);
	assert_int_equal(buf[0], 0xd3);
	read_at(dev, &geo_24c02, 0x0f, buf, 10);
	const uint8_t expect[] = {0xff, 0xd7, 0xd8, 0xd9, 0xda, 0xd3, 0xd4, 0xd5, 0xd6, 0xff};
	assert_memory_equal(buf, expect, 10);
	emul_destroy(dev);
}

/* 2-byte parts ignore the word-address bits above their size. */
static void test_two_byte_address_upper_bits(void **state)
{
	const uint8_t data[] = {0x5a, 0xa5};
	uint8_t buf[2];
	struct emul_dev *dev;

	dev = create_dev(&geo_24c32, NULL, NULL);
	write_at(dev, &geo_24c32, 0xf123, data, 2);
	read_at(dev, &geo_24c32, 0x0123, buf, 2);
	assert_memory_equal(buf, data, 2);
	read_at(dev, &geo_24c32, 0x7123, buf, 2);
	assert_memory_equal(buf, data, 2);
	emul_destroy(dev);

	dev = create_dev(&geo_24c256, NULL, NULL);
	write_at(dev, &geo_24c256, 0x8123, data, 2);
	read_at(dev, &geo_24c256, 0x0123, buf, 2);
	assert_memory_equal(buf, data, 2);
	read_at(dev, &geo_24c256, 0x4123, buf, 1);
	assert_int_equal(buf[0], 0xff);
	emul_destroy(dev);

	/* 24c02: the one address byte is the whole address. */
	dev = create_dev(&geo_24c02, NULL, NULL);
	write_at(dev, &geo_24c02, 0xfe, data, 2);
	read_at(dev, &geo_24c02, 0xfe, buf, 2);
	assert_memory_equal(buf, data, 2);
	emul_destroy(dev);
}

/* Only the first of two address bytes: high byte latched, nothing written. */
static void test_partial_address(void **state)
{
	struct emul_dev *dev = create_dev(&geo_24c32, NULL, NULL);
	const uint8_t marker[] = {0xc5};
	uint8_t one = 0x05;
	uint8_t buf[3];

	write_at(dev, &geo_24c32, 0x0534, marker, 1);
	write_at(dev, &geo_24c32, 0x0234, NULL, 0); /* counter = 0x234 */
	assert_int_equal(emul_xfer(dev, false, &one, 1), 0);
	emul_stop(dev);
	read_cur(dev, buf, 1); /* 0x534 */
	assert_int_equal(buf[0], 0xc5);
	/* Nothing was written at 0x0234 or 0x0500. */
	read_at(dev, &geo_24c32, 0x0233, buf, 3);
	assert_all(buf, 3, 0xff);
	read_at(dev, &geo_24c32, 0x0500, buf, 1);
	assert_int_equal(buf[0], 0xff);

	/* The unused upper bits of the high byte are dropped (0xf5 -> 0x5). */
	one = 0xf5;
	write_at(dev, &geo_24c32, 0x0034, NULL, 0);
	assert_int_equal(emul_xfer(dev, false, &one, 1), 0);
	emul_stop(dev);
	read_cur(dev, buf, 1);
	assert_int_equal(buf[0], 0xc5);
	emul_destroy(dev);
}

/* Dummy write (address only) sets the counter and changes no data. */
static void test_dummy_write(void **state)
{
	uint8_t buf[256];

	for (size_t k = 0; k < 3; k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, NULL, NULL);

		write_at(dev, g, 0x20, (const uint8_t[]){0x99}, 1);
		write_at(dev, g, 0x20, NULL, 0);
		read_cur(dev, buf, 1);
		assert_int_equal(buf[0], 0x99);
		write_at(dev, g, 0x10, NULL, 0);
		read_at(dev, g, 0, buf, 256);
		for (size_t i = 0; i < 256; i++)
			assert_int_equal(buf[i], i == 0x20 ? 0x99 : 0xff);
		emul_destroy(dev);
	}
}

/* Address-only probes in both directions ACK and change nothing. */
static void test_zero_length_probe(void **state)
{
	struct emul_dev *dev = create_dev(&geo_24c32, NULL, NULL);
	const uint8_t data[] = {0x10, 0x20};
	uint8_t buf[2];

	write_at(dev, &geo_24c32, 0x300, data, 2);
	write_at(dev, &geo_24c32, 0x300, NULL, 0);
	assert_int_equal(emul_xfer(dev, false, NULL, 0), 0);
	emul_stop(dev);
	assert_int_equal(emul_xfer(dev, true, NULL, 0), 0);
	emul_stop(dev);
	assert_int_equal(emul_xfer(dev, true, buf, 0), 0);
	emul_stop(dev);
	read_cur(dev, buf, 2);
	assert_memory_equal(buf, data, 2);
	emul_destroy(dev);
}

/* file=: a new file is created with the device size, all 0xFF, mode 0600. */
static void test_file_created(void **state)
{
	struct fixture *fx = *state;
	static uint8_t buf[32768];

	for (size_t k = 0; k < 3; k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, fx->path, fx->spec);
		struct stat st;

		assert_int_equal(stat(fx->path, &st), 0);
		assert_int_equal(st.st_size, (off_t)g->size);
		assert_int_equal(st.st_mode & 0777, 0600);
		pread_file(fx->path, 0, buf, g->size);
		assert_all(buf, g->size, 0xff);
		read_cur(dev, buf, g->size);
		assert_all(buf, g->size, 0xff);
		emul_destroy(dev);
		unlink(fx->path);
	}
}

/* An existing empty file is filled like a new one. */
static void test_file_empty_filled(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[256];
	struct emul_dev *dev;

	write_file(fx->path, NULL, 0);
	dev = create_dev(&geo_24c02, fx->path, fx->spec);
	pread_file(fx->path, 0, buf, 256);
	assert_all(buf, 256, 0xff);
	emul_destroy(dev);
}

/* Existing content is loaded; the counter starts at 0. */
static void test_file_loaded(void **state)
{
	struct fixture *fx = *state;
	static uint8_t content[4096], buf[4096];
	struct emul_dev *dev;

	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = (uint8_t)(i * 7 + (i >> 8));
	write_file(fx->path, content, sizeof(content));
	dev = create_dev(&geo_24c32, fx->path, fx->spec);
	read_cur(dev, buf, 3);
	assert_memory_equal(buf, content, 3);
	read_at(dev, &geo_24c32, 0, buf, sizeof(buf));
	assert_memory_equal(buf, content, sizeof(content));
	emul_destroy(dev);
}

/* Written data survives destroy + create. */
static void test_file_persists(void **state)
{
	struct fixture *fx = *state;
	const uint8_t data[] = {0xde, 0xad, 0xbe, 0xef};
	uint8_t buf[4];
	struct emul_dev *dev;

	dev = create_dev(&geo_24c256, fx->path, fx->spec);
	write_at(dev, &geo_24c256, 0x7ffc, data, 4);
	emul_destroy(dev);
	dev = create_dev(&geo_24c256, fx->path, fx->spec);
	read_at(dev, &geo_24c256, 0x7ffc, buf, 4);
	assert_memory_equal(buf, data, 4);
	emul_destroy(dev);
}

static void test_file_wrong_size(void **state)
{
	struct fixture *fx = *state;
	uint8_t content[100];
	char err[512], expect[512];
	struct stat st;

	memset(content, 0x42, sizeof(content));
	write_file(fx->path, content, sizeof(content));
	assert_int_equal(create_fails(&geo_24c02, fx->path, fx->spec, err, sizeof(err)), EINVAL);
	snprintf(
		expect, sizeof(expect),
		"--emulate '24c02@0x50,file=%s': '%s' is 100 bytes, expected 256 bytes for a 24c02",
		fx->path, fx->path);
	assert_string_equal(err, expect);
	/* Left alone. */
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_size, 100);

	/* A 24c02 image is not a 24c32. */
	write_file(fx->path, content, 0);
	emul_destroy(create_dev(&geo_24c02, fx->path, fx->spec));
	assert_int_equal(create_fails(&geo_24c32, fx->path, fx->spec, err, sizeof(err)), EINVAL);
	snprintf(expect, sizeof(expect),
		 "--emulate '24c32@0x50,file=%s': '%s' is 256 bytes, expected 4096 bytes for a "
		 "24c32",
		 fx->path, fx->path);
	assert_string_equal(err, expect);
}

static void test_file_missing_directory(void **state)
{
	struct fixture *fx = *state;
	char path[256], err[512], expect[768];

	snprintf(path, sizeof(path), "%s/missing/eeprom.bin", fx->dir);
	assert_int_equal(create_fails(&geo_24c02, path, fx->spec, err, sizeof(err)), ENOENT);
	snprintf(expect, sizeof(expect),
		 "--emulate '24c02@0x50,file=%s': cannot open '%s': No such file or directory "
		 "(directory '%s/missing' does not exist)",
		 path, path, fx->dir);
	assert_string_equal(err, expect);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_file_not_regular(void **state)
{
	struct fixture *fx = *state;
	char err[512];

	assert_int_equal(create_fails(&geo_24c02, "/dev/null", fx->spec, err, sizeof(err)), EINVAL);
	assert_string_equal(
		err, "--emulate '24c02@0x50,file=/dev/null': '/dev/null' is not a regular file");
}

/* Two devices on one file would corrupt it: the second is refused. */
static void test_file_in_use(void **state)
{
	struct fixture *fx = *state;
	struct emul_dev *dev = create_dev(&geo_24c02, fx->path, fx->spec);
	char err[512], spec2[256], expect[768];

	assert_int_equal(create_fails(&geo_24c02, fx->path, spec2, err, sizeof(err)), EBUSY);
	snprintf(expect, sizeof(expect),
		 "--emulate '24c02@0x50,file=%s': '%s' is in use by another emulated EEPROM",
		 fx->path, fx->path);
	assert_string_equal(err, expect);
	emul_destroy(dev);
	emul_destroy(create_dev(&geo_24c02, fx->path, fx->spec));
}

/* Data is in the file as soon as emul_xfer returns, before STOP. */
static void test_file_written_through(void **state)
{
	struct fixture *fx = *state;
	const uint8_t data[] = {0x61, 0x62, 0x63};
	uint8_t buf[5];
	struct emul_dev *dev = create_dev(&geo_24c32, fx->path, fx->spec);

	assert_int_equal(write_msg(dev, &geo_24c32, 0x0a01, data, 3), 0);
	pread_file(fx->path, 0x0a00, buf, 5);
	const uint8_t expect[] = {0xff, 0x61, 0x62, 0x63, 0xff};
	assert_memory_equal(buf, expect, 5);
	emul_stop(dev);
	/* A dummy write touches nothing. */
	assert_int_equal(write_msg(dev, &geo_24c32, 0x0a02, NULL, 0), 0);
	pread_file(fx->path, 0x0a00, buf, 5);
	assert_memory_equal(buf, expect, 5);
	emul_destroy(dev);
}

/* A wrapped page write lands in the file exactly as in memory. */
static void test_file_page_wrap(void **state)
{
	struct fixture *fx = *state;
	uint8_t data[40], buf[66], mem[66], expect[66];

	for (size_t k = 0; k < 3; k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, fx->path, fx->spec);
		unsigned base = 2 * (unsigned)g->page;
		size_t n = g->page / 2 + 3;

		for (size_t i = 0; i < n; i++)
			data[i] = (uint8_t)(0x80 + i);
		/* A marker in the cells the wrapped write does not reach. */
		write_at(dev, g, base + (unsigned)g->page / 2, (const uint8_t[]){0x55}, 1);
		write_at(dev, g, base + (unsigned)g->page - 3, data, n);
		memset(expect, 0xff, sizeof(expect));
		expect[1 + g->page / 2] = 0x55;
		for (size_t i = 0; i < n; i++)
			expect[1 + (g->page - 3 + i) % g->page] = data[i];
		pread_file(fx->path, base - 1, buf, g->page + 2);
		assert_memory_equal(buf, expect, g->page + 2);
		read_at(dev, g, base - 1, mem, g->page + 2);
		assert_memory_equal(mem, expect, g->page + 2);
		emul_destroy(dev);
		unlink(fx->path);
	}

	/* A whole page starting mid-page: two pieces, no gap. */
	struct emul_dev *dev = create_dev(&geo_24c02, fx->path, fx->spec);
	for (size_t i = 0; i < 8; i++)
		data[i] = (uint8_t)(0x10 + i);
	write_at(dev, &geo_24c02, 0x2d, data, 8);
	pread_file(fx->path, 0x28, buf, 8);
	const uint8_t expect8[] = {0x13, 0x14, 0x15, 0x16, 0x17, 0x10, 0x11, 0x12};
	assert_memory_equal(buf, expect8, 8);
	emul_destroy(dev);
}

/* A failing or short pwritev is reported and leaves memory and file as they were. */
static void test_file_write_error(void **state)
{
	struct fixture *fx = *state;
	const uint8_t data[] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct rlimit old, lim;
	uint8_t buf[16];
	void (*old_handler)(int);
	struct emul_dev *dev = create_dev(&geo_24c02, fx->path, fx->spec);

	write_at(dev, &geo_24c02, 0x10, (const uint8_t[]){0xaa}, 1);
	write_at(dev, &geo_24c02, 0x10, NULL, 0);

	/* Writes at or past RLIMIT_FSIZE fail with EFBIG; across it they are short. */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	old_handler = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 0x44;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

	assert_int_equal(write_msg(dev, &geo_24c02, 0x80, data, 4), -EFBIG);
	emul_stop(dev);
	assert_int_equal(write_msg(dev, &geo_24c02, 0x40, data, 8), -EIO);
	emul_stop(dev);

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);

	/* Failed messages left the counter where the dummy write put it. */
	read_cur(dev, buf, 1);
	assert_int_equal(buf[0], 0xaa);
	read_at(dev, &geo_24c02, 0x80, buf, 4);
	assert_all(buf, 4, 0xff);
	read_at(dev, &geo_24c02, 0x40, buf, 8);
	assert_all(buf, 8, 0xff);
	/* The partly written bytes were put back in the file. */
	pread_file(fx->path, 0x40, buf, 8);
	assert_all(buf, 8, 0xff);
	pread_file(fx->path, 0x80, buf, 4);
	assert_all(buf, 4, 0xff);
	pread_file(fx->path, 0x10, buf, 1);
	assert_int_equal(buf[0], 0xaa);
	emul_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_erased),
		cmocka_unit_test(test_random_read),
		cmocka_unit_test(test_current_read_after_read),
		cmocka_unit_test(test_current_read_after_write),
		cmocka_unit_test(test_sequential_rollover),
		cmocka_unit_test(test_page_rollover),
		cmocka_unit_test(test_page_write_longer_than_page),
		cmocka_unit_test(test_two_byte_address_upper_bits),
		cmocka_unit_test(test_partial_address),
		cmocka_unit_test(test_dummy_write),
		cmocka_unit_test(test_zero_length_probe),
		cmocka_unit_test_setup_teardown(test_file_created, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_empty_filled, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_loaded, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_persists, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_wrong_size, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_missing_directory, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_not_regular, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_in_use, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_written_through, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_page_wrap, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_write_error, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
