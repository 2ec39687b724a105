// SPDX-License-Identifier: MIT
/*
 * AT24 EEPROM emulation against the AT24C02/C32/C256 datasheets: addressing,
 * random/current-address/sequential reads, page-write roll-over, the write
 * cycle at STOP only (a repeated START aborts a write), and the file=
 * backing store (atomic creation, loading, size checks, durable writes at
 * STOP). The EE1004 SPD EEPROM: banks selected at 0x36/0x37, reads of the
 * selected bank, the address check.
 *
 * fsync()/fdatasync() are interposed (the executable's definitions come
 * before libc's) to see when the file reaches stable storage and to fail it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emul.h"
#include "emul_internal.h"

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

/* What the interposed sync calls saw. */
static struct {
	const char *path;	 /* the backing file's path */
	int datasyncs;		 /* fdatasync() calls */
	int file_fsyncs;	 /* fsync() on regular files */
	int dir_fsyncs;		 /* fsync() on directories */
	int fail_errno;		 /* the next fdatasync() fails with it */
	bool path_at_file_fsync; /* path existed at the last file fsync() */
	bool path_at_dir_fsync;	 /* path existed at the last directory fsync() */
	uint8_t at_sync[32768];	 /* file content when fdatasync() was last called */
} syncs;

static void syncs_reset(const char *path)
{
	memset(&syncs, 0, sizeof(syncs));
	syncs.path = path;
}

int fdatasync(int fd);
int fdatasync(int fd)
{
	syncs.datasyncs++;
	if (pread(fd, syncs.at_sync, sizeof(syncs.at_sync), 0) < 0)
		memset(syncs.at_sync, 0, sizeof(syncs.at_sync));
	if (syncs.fail_errno) {
		errno = syncs.fail_errno;
		syncs.fail_errno = 0;
		return -1;
	}
	return (int)syscall(SYS_fdatasync, fd);
}

int fsync(int fd);
int fsync(int fd)
{
	struct stat st;
	bool exists = syncs.path && access(syncs.path, F_OK) == 0;

	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		syncs.dir_fsyncs++;
		syncs.path_at_dir_fsync = exists;
	} else {
		syncs.file_fsyncs++;
		syncs.path_at_file_fsync = exists;
	}
	return (int)syscall(SYS_fsync, fd);
}

/*
 * Interposed renameat2(): `race` creates the target first (another creator
 * won), `no_noreplace` fails RENAME_NOREPLACE with EINVAL (a filesystem
 * without it); the real call follows.
 */
static struct {
	bool race;
	bool no_noreplace;
	int calls;
} renames;

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	      unsigned int flags);
int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	      unsigned int flags)
{
	renames.calls++;
	if (renames.race) {
		int fd = open(newpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		uint8_t other[256];

		renames.race = false;
		memset(other, 0x42, sizeof(other));
		if (fd < 0 || write(fd, other, sizeof(other)) != (ssize_t)sizeof(other))
			fail_msg("cannot create the racing file");
		close(fd);
	}
	if (renames.no_noreplace && (flags & RENAME_NOREPLACE)) {
		errno = EINVAL;
		return -1;
	}
	return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

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
	assert_int_equal(create_fails(&geo_24c02, fx->path, fx->spec, err, sizeof(err)),
			 EMEDIUMTYPE);
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
	assert_int_equal(create_fails(&geo_24c32, fx->path, fx->spec, err, sizeof(err)),
			 EMEDIUMTYPE);
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

	assert_int_equal(create_fails(&geo_24c02, "/dev/null", fx->spec, err, sizeof(err)),
			 EMEDIUMTYPE);
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

/* Data reaches the file at STOP, synced before emul_stop returns; not before. */
static void test_file_written_at_stop(void **state)
{
	struct fixture *fx = *state;
	const uint8_t data[] = {0x61, 0x62, 0x63};
	const uint8_t expect[] = {0xff, 0x61, 0x62, 0x63, 0xff};
	uint8_t buf[5];
	struct emul_dev *dev = create_dev(&geo_24c32, fx->path, fx->spec);

	syncs_reset(fx->path);
	assert_int_equal(write_msg(dev, &geo_24c32, 0x0a01, data, 3), 0);
	pread_file(fx->path, 0x0a00, buf, 5);
	assert_all(buf, 5, 0xff);
	assert_int_equal(syncs.datasyncs, 0);
	assert_int_equal(emul_stop(dev), 0);
	pread_file(fx->path, 0x0a00, buf, 5);
	assert_memory_equal(buf, expect, 5);
	/* One sync, after the data was written. */
	assert_int_equal(syncs.datasyncs, 1);
	assert_memory_equal(syncs.at_sync + 0x0a00, expect, 5);
	/* A dummy write touches nothing and syncs nothing; a second STOP neither. */
	assert_int_equal(write_msg(dev, &geo_24c32, 0x0a02, NULL, 0), 0);
	assert_int_equal(emul_stop(dev), 0);
	assert_int_equal(emul_stop(dev), 0);
	pread_file(fx->path, 0x0a00, buf, 5);
	assert_memory_equal(buf, expect, 5);
	assert_int_equal(syncs.datasyncs, 1);
	/* A write aborted by a repeated START never reaches the file. */
	assert_int_equal(write_msg(dev, &geo_24c32, 0x0a00, data, 1), 0);
	assert_int_equal(emul_xfer(dev, true, buf, 1), 0);
	assert_int_equal(emul_stop(dev), 0);
	pread_file(fx->path, 0x0a00, buf, 5);
	assert_memory_equal(buf, expect, 5);
	assert_int_equal(syncs.datasyncs, 1);
	emul_destroy(dev);
}

/* A failing sync fails the write at STOP: memory and file keep the old data. */
static void test_file_sync_error(void **state)
{
	struct fixture *fx = *state;
	const uint8_t data[] = {1, 2, 3, 4};
	uint8_t buf[4];
	struct emul_dev *dev = create_dev(&geo_24c02, fx->path, fx->spec);

	write_at(dev, &geo_24c02, 0x10, (const uint8_t[]){0xaa}, 1);
	syncs_reset(fx->path);
	syncs.fail_errno = EIO;
	assert_int_equal(write_msg(dev, &geo_24c02, 0x20, data, 4), 0);
	assert_int_equal(emul_stop(dev), -EIO);
	assert_int_equal(syncs.datasyncs, 1);
	assert_memory_equal(syncs.at_sync + 0x20, data, 4); /* it was being synced */
	read_at(dev, &geo_24c02, 0x20, buf, 4);
	assert_all(buf, 4, 0xff);
	pread_file(fx->path, 0x20, buf, 4); /* put back */
	assert_all(buf, 4, 0xff);
	pread_file(fx->path, 0x10, buf, 1);
	assert_int_equal(buf[0], 0xaa);
	/* The next write works. */
	write_at(dev, &geo_24c02, 0x20, data, 4);
	pread_file(fx->path, 0x20, buf, 4);
	assert_memory_equal(buf, data, 4);
	read_at(dev, &geo_24c02, 0x20, buf, 4);
	assert_memory_equal(buf, data, 4);
	emul_destroy(dev);
}

/* Names in fx->dir other than "." and "..". */
static int dir_entries(const struct fixture *fx)
{
	DIR *d = opendir(fx->dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/*
 * A new file appears under its name only complete and synced: filled and
 * fsynced under a temporary name, renamed, then the directory fsynced.
 */
static void test_file_created_atomically(void **state)
{
	struct fixture *fx = *state;
	struct emul_dev *dev;

	syncs_reset(fx->path);
	dev = create_dev(&geo_24c256, fx->path, fx->spec);
	assert_int_equal(syncs.file_fsyncs, 1);
	assert_false(syncs.path_at_file_fsync);
	assert_int_equal(syncs.dir_fsyncs, 1);
	assert_true(syncs.path_at_dir_fsync);
	assert_int_equal(dir_entries(fx), 1); /* no temporary file left */
	emul_destroy(dev);

	/* An existing file is neither rewritten nor synced. */
	syncs_reset(fx->path);
	dev = create_dev(&geo_24c256, fx->path, fx->spec);
	assert_int_equal(syncs.file_fsyncs + syncs.dir_fsyncs + syncs.datasyncs, 0);
	emul_destroy(dev);
}

/* A file created by someone else while we create ours wins: it is loaded, ours removed. */
static void test_file_create_race(void **state)
{
	struct fixture *fx = *state;
	struct emul_dev *dev;
	uint8_t buf[256];

	memset(&renames, 0, sizeof(renames));
	renames.race = true;
	dev = create_dev(&geo_24c02, fx->path, fx->spec);
	assert_int_equal(renames.calls, 1);
	read_cur(dev, buf, sizeof(buf));
	assert_all(buf, sizeof(buf), 0x42);
	assert_int_equal(dir_entries(fx), 1);
	emul_destroy(dev);
	memset(&renames, 0, sizeof(renames));
}

/* Without RENAME_NOREPLACE (EINVAL) a plain rename creates the file. */
static void test_file_create_without_noreplace(void **state)
{
	struct fixture *fx = *state;
	struct emul_dev *dev;
	uint8_t buf[256];
	struct stat st;

	memset(&renames, 0, sizeof(renames));
	renames.no_noreplace = true;
	dev = create_dev(&geo_24c02, fx->path, fx->spec);
	assert_int_equal(renames.calls, 1);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_size, 256);
	pread_file(fx->path, 0, buf, sizeof(buf));
	assert_all(buf, sizeof(buf), 0xff);
	assert_int_equal(dir_entries(fx), 1);
	emul_destroy(dev);
	memset(&renames, 0, sizeof(renames));
}

/* A link to a missing file is refused with a message that says so; nothing is created. */
static void test_file_dangling_symlink(void **state)
{
	struct fixture *fx = *state;
	char target[200], err[512], expect[768];

	snprintf(target, sizeof(target), "%s/missing.bin", fx->dir);
	assert_int_equal(symlink(target, fx->path), 0);
	assert_int_equal(create_fails(&geo_24c02, fx->path, fx->spec, err, sizeof(err)), ENOENT);
	snprintf(expect, sizeof(expect),
		 "--emulate '24c02@0x50,file=%s': '%s' is a symbolic link to a missing file",
		 fx->path, fx->path);
	assert_string_equal(err, expect);
	assert_int_equal(dir_entries(fx), 1); /* the link only */
}

/* A creation that fails half-way leaves nothing behind, not a short file. */
static void test_file_create_fails_cleanly(void **state)
{
	struct fixture *fx = *state;
	struct rlimit old, lim;
	void (*old_handler)(int);
	char err[512], expect[512];
	int ret;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	old_handler = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 1000; /* a 24c32 is 4096 bytes */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ret = create_fails(&geo_24c32, fx->path, fx->spec, err, sizeof(err));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);
	assert_int_equal(ret, EFBIG);

	snprintf(expect, sizeof(expect), "--emulate '24c32@0x50,file=%s': cannot fill '%s/.",
		 fx->path, fx->dir);
	if (strncmp(err, expect, strlen(expect)) != 0)
		fail_msg("message '%s' does not start with '%s'", err, expect);
	assert_non_null(strstr(err, "' with 4096 bytes: File too large"));
	assert_int_equal(access(fx->path, F_OK), -1);
	assert_int_equal(dir_entries(fx), 0);
}

/* A path ending in '/' names a directory: refused, nothing created. */
static void test_file_trailing_slash(void **state)
{
	struct fixture *fx = *state;
	char path[200], err[512], expect[768];

	snprintf(path, sizeof(path), "%s/x/", fx->dir);
	assert_int_equal(create_fails(&geo_24c02, path, fx->spec, err, sizeof(err)), EISDIR);
	snprintf(expect, sizeof(expect),
		 "--emulate '24c02@0x50,file=%s': '%s' is not a regular file", path, path);
	assert_string_equal(err, expect);
	assert_int_equal(dir_entries(fx), 0);
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
	write_at(dev, &geo_24c02, 0x41, (const uint8_t[]){0x5e}, 1); /* below the limit */

	/* The message is ACKed (latched); the write cycle at STOP fails. */
	assert_int_equal(write_msg(dev, &geo_24c02, 0x80, data, 4), 0);
	assert_int_equal(emul_stop(dev), -EFBIG);
	assert_int_equal(write_msg(dev, &geo_24c02, 0x40, data, 8), 0);
	assert_int_equal(emul_stop(dev), -EIO);

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);

	/*
	 * The counter advanced over the ACKed bytes: 0x40 + 8 wraps to 0x40
	 * in its page; 0x41 kept the byte written before.
	 */
	read_cur(dev, buf, 2);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(buf[1], 0x5e);
	read_at(dev, &geo_24c02, 0x80, buf, 4);
	assert_all(buf, 4, 0xff);
	read_at(dev, &geo_24c02, 0x40, buf, 8);
	assert_int_equal(buf[1], 0x5e);
	buf[1] = 0xff;
	assert_all(buf, 8, 0xff);
	/* The partly written bytes were put back in the file. */
	pread_file(fx->path, 0x40, buf, 8);
	assert_int_equal(buf[1], 0x5e);
	buf[1] = 0xff;
	assert_all(buf, 8, 0xff);
	pread_file(fx->path, 0x80, buf, 4);
	assert_all(buf, 4, 0xff);
	pread_file(fx->path, 0x10, buf, 1);
	assert_int_equal(buf[0], 0xaa);
	emul_destroy(dev);
}

/*
 * The write cycle starts at STOP (datasheets: "the write cycle is initiated
 * by the STOP condition"): a repeated START before it -- addressed to the
 * part, to another device, or an address-only message -- aborts the write.
 * The counter still advanced over the data bytes the part ACKed.
 */
static void test_write_commits_at_stop_only(void **state)
{
	const uint8_t data[] = {0x71, 0x72, 0x73};
	uint8_t buf[4];

	for (size_t k = 0; k < 3; k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, NULL, NULL);
		unsigned a = 2 * (unsigned)g->page;

		write_at(dev, g, a + 3, (const uint8_t[]){0x3e}, 1);

		/* [W a data][R 1]: the read starts at a + 3; nothing is written. */
		assert_int_equal(write_msg(dev, g, a, data, 3), 0);
		assert_int_equal(emul_xfer(dev, true, buf, 1), 0);
		assert_int_equal(buf[0], 0x3e);
		assert_int_equal(emul_stop(dev), 0);
		read_at(dev, g, a, buf, 4);
		const uint8_t untouched[] = {0xff, 0xff, 0xff, 0x3e};
		assert_memory_equal(buf, untouched, 4);

		/* A repeated START to another device (the bus: emul_restart). */
		assert_int_equal(write_msg(dev, g, a, data, 3), 0);
		emul_restart(dev);
		assert_int_equal(emul_stop(dev), 0);
		read_at(dev, g, a, buf, 4);
		assert_memory_equal(buf, untouched, 4);

		/* An address-only message after it. */
		assert_int_equal(write_msg(dev, g, a, data, 3), 0);
		assert_int_equal(emul_xfer(dev, false, NULL, 0), 0);
		assert_int_equal(emul_stop(dev), 0);
		read_at(dev, g, a, buf, 4);
		assert_memory_equal(buf, untouched, 4);

		/* Two writes in one transfer: only the last one is committed. */
		assert_int_equal(write_msg(dev, g, a, data, 3), 0);
		assert_int_equal(write_msg(dev, g, a + 1, data + 2, 1), 0);
		assert_int_equal(emul_stop(dev), 0);
		read_at(dev, g, a, buf, 4);
		const uint8_t last[] = {0xff, 0x73, 0xff, 0x3e};
		assert_memory_equal(buf, last, 4);

		/* The same write followed by STOP is committed. */
		assert_int_equal(write_msg(dev, g, a, data, 3), 0);
		assert_int_equal(emul_stop(dev), 0);
		read_at(dev, g, a, buf, 4);
		const uint8_t written[] = {0x71, 0x72, 0x73, 0x3e};
		assert_memory_equal(buf, written, 4);
		emul_destroy(dev);
	}
}

/* ---- ee1004 ---- */

static struct emul_dev *create_ee1004(uint8_t addr, const char *file, char *err, size_t errlen)
{
	static char spec_text[300];
	struct cfg_emul spec = {.model = EMUL_EE1004, .addr = addr, .file = (char *)file};

	if (file)
		snprintf(spec_text, sizeof(spec_text), "ee1004@0x%02x,file=%s", addr, file);
	else
		snprintf(spec_text, sizeof(spec_text), "ee1004@0x%02x", addr);
	spec.spec = spec_text;
	return emul_create(&spec, err, errlen);
}

/* [W 0x36/0x37 0x00] selects bank 0/1 (SPA0/SPA1), as the ee1004 driver sends it. */
static void ee1004_select(struct emul_dev *dev, unsigned bank)
{
	uint8_t zero = 0;

	assert_int_equal(emul_xfer_shared(dev, bank ? 0x37 : 0x36, false, &zero, 1), 0);
	assert_int_equal(emul_stop(dev), 0);
}

/* [R 0x36] (RPA): 0 (ACK) when bank 0 is selected, -ENXIO (NACK) for bank 1. */
static int ee1004_rpa(struct emul_dev *dev)
{
	uint8_t b = 0;
	int ret = emul_xfer_shared(dev, 0x36, true, &b, 1);

	assert_int_equal(emul_stop(dev), 0);
	return ret;
}

static void test_ee1004_identity(void **state)
{
	char err[256] = "";
	const uint8_t *shared;
	struct emul_dev *dev;

	for (unsigned a = 0x50; a <= 0x57; a++) {
		dev = create_ee1004((uint8_t)a, NULL, err, sizeof(err));
		assert_non_null(dev);
		assert_int_equal(emul_addr(dev), a);
		assert_int_equal(emul_model(dev), EMUL_EE1004);
		assert_int_equal(emul_shared_addrs(dev, &shared), 2);
		assert_int_equal(shared[0], 0x36);
		assert_int_equal(shared[1], 0x37);
		emul_destroy(dev);
	}
	/* AT24 parts have no shared address. */
	dev = create_dev(&geo_24c02, NULL, NULL);
	assert_int_equal(emul_shared_addrs(dev, &shared), 0);
	assert_int_equal(emul_xfer_shared(dev, 0x36, false, NULL, 0), -ENXIO);
	emul_destroy(dev);

	const uint8_t bad[] = {0x4f, 0x58, 0x36, 0x37, 0x18};
	for (size_t i = 0; i < sizeof(bad); i++) {
		char expect[256];

		errno = 0;
		assert_null(create_ee1004(bad[i], NULL, err, sizeof(err)));
		assert_int_equal(errno, EINVAL);
		snprintf(expect, sizeof(expect),
			 "--emulate 'ee1004@0x%02x': address 0x%02x is not valid for ee1004 "
			 "(0x50..0x57)",
			 bad[i], bad[i]);
		assert_string_equal(err, expect);
	}
}

/* Two 256-byte banks behind one 8-bit word address; bank 0 at power-up. */
static void test_ee1004_banks(void **state)
{
	char err[256];
	struct emul_dev *dev = create_ee1004(0x50, NULL, err, sizeof(err));
	const uint8_t w0[] = {0x10, 0xa0, 0xa1}, w1[] = {0x10, 0xb0, 0xb1};
	uint8_t buf[4], zero = 0;

	assert_non_null(dev);
	assert_int_equal(ee1004_rpa(dev), 0);
	assert_int_equal(emul_xfer(dev, false, (uint8_t *)w0, 3), 0);
	assert_int_equal(emul_stop(dev), 0);
	ee1004_select(dev, 1);
	assert_int_equal(ee1004_rpa(dev), -ENXIO);
	/* 0x37 reads are reserved: NACKed in either bank. */
	assert_int_equal(emul_xfer_shared(dev, 0x37, true, buf, 1), -ENXIO);
	assert_int_equal(emul_stop(dev), 0);
	read_at(dev, &(struct geometry){EMUL_EE1004, 512, 16, 1, "ee1004"}, 0x10, buf, 2);
	assert_all(buf, 2, 0xff);
	assert_int_equal(emul_xfer(dev, false, (uint8_t *)w1, 3), 0);
	assert_int_equal(emul_stop(dev), 0);
	read_at(dev, &(struct geometry){EMUL_EE1004, 512, 16, 1, "ee1004"}, 0x10, buf, 2);
	assert_memory_equal(buf, w1 + 1, 2);
	/* Selecting again by a quick write (no data byte); the counter stays. */
	assert_int_equal(emul_xfer_shared(dev, 0x36, false, NULL, 0), 0);
	assert_int_equal(emul_stop(dev), 0);
	assert_int_equal(ee1004_rpa(dev), 0);
	read_cur(dev, buf, 2); /* 0x12, 0x13 of bank 0 */
	assert_all(buf, 2, 0xff);
	assert_int_equal(emul_xfer(dev, false, &zero, 0), 0);
	read_at(dev, &(struct geometry){EMUL_EE1004, 512, 16, 1, "ee1004"}, 0x10, buf, 2);
	assert_memory_equal(buf, w0 + 1, 2);
	/* An RPA read answers 0xff whatever the bank holds. */
	buf[0] = 0;
	assert_int_equal(emul_xfer_shared(dev, 0x36, true, buf, 1), 0);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(emul_stop(dev), 0);
	emul_destroy(dev);
}

/* Sequential reads wrap within the selected bank; page writes are 16 bytes. */
static void test_ee1004_wrap(void **state)
{
	const struct geometry g = {EMUL_EE1004, 512, 16, 1, "ee1004"};
	char err[256];
	struct emul_dev *dev = create_ee1004(0x53, NULL, err, sizeof(err));
	uint8_t data[18], buf[4];

	assert_non_null(dev);
	ee1004_select(dev, 1);
	write_at(dev, &g, 0xff, (const uint8_t[]){0xe1}, 1);
	write_at(dev, &g, 0x00, (const uint8_t[]){0xe2}, 1);
	read_at(dev, &g, 0xff, buf, 2);
	assert_int_equal(buf[0], 0xe1);
	assert_int_equal(buf[1], 0xe2);
	ee1004_select(dev, 0);
	read_at(dev, &g, 0xff, buf, 2);
	assert_all(buf, 2, 0xff);

	/* 18 bytes from 0x22: roll-over in the 16-byte page 0x20..0x2f. */
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x40 + i);
	write_at(dev, &g, 0x22, data, sizeof(data));
	read_at(dev, &g, 0x1f, buf, 4);
	const uint8_t expect[] = {0xff, 0x4e, 0x4f, 0x50};
	assert_memory_equal(buf, expect, 4);
	read_at(dev, &g, 0x2f, buf, 2);
	assert_int_equal(buf[0], 0x4d);
	assert_int_equal(buf[1], 0xff);
	emul_destroy(dev);
}

/* A bank select between a write and its STOP is a START: the write is aborted. */
static void test_ee1004_select_aborts_write(void **state)
{
	const struct geometry g = {EMUL_EE1004, 512, 16, 1, "ee1004"};
	char err[256];
	struct emul_dev *dev = create_ee1004(0x50, NULL, err, sizeof(err));
	uint8_t w[] = {0x05, 0x99}, zero = 0, buf[1];

	assert_non_null(dev);
	assert_int_equal(emul_xfer(dev, false, w, 2), 0);
	assert_int_equal(emul_xfer_shared(dev, 0x37, false, &zero, 1), 0);
	assert_int_equal(emul_stop(dev), 0);
	read_at(dev, &g, 0x05, buf, 1); /* bank 1 */
	assert_int_equal(buf[0], 0xff);
	ee1004_select(dev, 0);
	read_at(dev, &g, 0x05, buf, 1);
	assert_int_equal(buf[0], 0xff);
	emul_destroy(dev);
}

/* file=: 512 bytes, bank 1 at offset 256. */
static void test_ee1004_file(void **state)
{
	struct fixture *fx = *state;
	const struct geometry g = {EMUL_EE1004, 512, 16, 1, "ee1004"};
	static uint8_t content[512];
	uint8_t buf[2];
	char err[512];
	struct emul_dev *dev;
	struct stat st;

	dev = create_ee1004(0x51, fx->path, err, sizeof(err));
	assert_non_null(dev);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_size, 512);
	ee1004_select(dev, 1);
	write_at(dev, &g, 0x02, (const uint8_t[]){0x5a}, 1);
	pread_file(fx->path, 0x102, buf, 1);
	assert_int_equal(buf[0], 0x5a);
	emul_destroy(dev);

	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = (uint8_t)(i ^ (i >> 8) * 0x55);
	write_file(fx->path, content, sizeof(content));
	dev = create_ee1004(0x51, fx->path, err, sizeof(err));
	assert_non_null(dev);
	read_at(dev, &g, 0xfe, buf, 2);
	assert_memory_equal(buf, content + 0xfe, 2);
	ee1004_select(dev, 1);
	read_at(dev, &g, 0xfe, buf, 2);
	assert_memory_equal(buf, content + 0x1fe, 2);
	emul_destroy(dev);

	write_file(fx->path, content, 256);
	assert_null(create_ee1004(0x51, fx->path, err, sizeof(err)));
	snprintf((char *)content, sizeof(content),
		 "--emulate 'ee1004@0x51,file=%s': '%s' is 256 bytes, expected 512 bytes for a "
		 "ee1004",
		 fx->path, fx->path);
	assert_string_equal(err, (char *)content);
}

/* CLOCK_MONOTONIC for the write cycle, stepped by the tests. */
static uint64_t fake_mono;

static uint64_t fake_mono_ns(void)
{
	return fake_mono;
}

/* A message to the device while it is in its write cycle: NACKed, nothing changes. */
static void expect_nack(struct emul_dev *dev, const struct geometry *g)
{
	uint8_t buf[4] = {0};

	assert_int_equal(emul_xfer(dev, true, buf, 4), -ENXIO);
	assert_int_equal(emul_stop(dev), 0);
	assert_int_equal(emul_xfer(dev, false, NULL, 0), -ENXIO); /* probe */
	assert_int_equal(emul_stop(dev), 0);
	assert_int_equal(write_msg(dev, g, 0x20, (const uint8_t[]){0x11}, 1), -ENXIO);
	assert_int_equal(emul_stop(dev), 0);
}

/*
 * write_cycle_us: after the STOP that commits a write, the part NACKs every
 * message (probes included) for that long; then the data reads back.
 */
static void test_write_cycle(void **state)
{
	uint64_t (*saved)(void) = emul_clock_mono_ns;

	(void)state;
	emul_clock_mono_ns = fake_mono_ns;
	for (size_t k = 0; k < sizeof(all_geos) / sizeof(all_geos[0]); k++) {
		const struct geometry *g = all_geos[k];
		struct emul_dev *dev = create_dev(g, NULL, NULL);
		uint8_t buf[2];
		double v;

		fake_mono = 1000000000ull;
		assert_int_equal(emul_get_prop(dev, "write_cycle_us", &v), 0);
		assert_true(v == 0);
		/* off by default: readable at once */
		write_at(dev, g, 0x10, (const uint8_t[]){0xaa}, 1);
		read_at(dev, g, 0x10, buf, 1);
		assert_int_equal(buf[0], 0xaa);

		assert_int_equal(emul_set_prop(dev, "write_cycle_us", 5000), 0);
		write_at(dev, g, 0x10, (const uint8_t[]){0x5a, 0xa5}, 2);
		expect_nack(dev, g);
		fake_mono += 4999999;
		expect_nack(dev, g);
		fake_mono += 1;
		read_at(dev, g, 0x10, buf, 2);
		assert_int_equal(buf[0], 0x5a);
		assert_int_equal(buf[1], 0xa5);
		/* the NACKed write at 0x20 changed nothing */
		read_at(dev, g, 0x20, buf, 1);
		assert_int_equal(buf[0], 0xff);

		/* no data (a random read's dummy write) or an aborted write: no cycle */
		assert_int_equal(write_msg(dev, g, 0x30, NULL, 0), 0);
		assert_int_equal(emul_stop(dev), 0);
		read_cur(dev, buf, 1);
		assert_int_equal(write_msg(dev, g, 0x30, (const uint8_t[]){1}, 1), 0);
		assert_int_equal(emul_xfer(dev, true, buf, 1), 0); /* repeated START */
		assert_int_equal(emul_stop(dev), 0);
		read_at(dev, g, 0x30, buf, 1);
		assert_int_equal(buf[0], 0xff);

		/* a new value applies from the next cycle on */
		assert_int_equal(emul_set_prop(dev, "write_cycle_us", 100000), 0);
		write_at(dev, g, 0x40, (const uint8_t[]){7}, 1);
		fake_mono += 99999999;
		expect_nack(dev, g);
		fake_mono += 1;
		read_at(dev, g, 0x40, buf, 1);
		assert_int_equal(buf[0], 7);
		emul_destroy(dev);
	}
	emul_clock_mono_ns = saved;
}

/* The property: whole us, 0..100000; set at start like the others; not on ee1004. */
static void test_write_cycle_property(void **state)
{
	struct cfg_emul spec = {.model = EMUL_24C02,
				.addr = 0x50,
				.spec = "24c02@0x50,write_cycle_us=250",
				.opts = {{"write_cycle_us", 250}},
				.n_opts = 1};
	char err[256] = "";
	struct emul_dev *dev = emul_create(&spec, err, sizeof(err));
	double v;

	(void)state;
	assert_non_null(dev);
	assert_int_equal(emul_get_prop(dev, "write_cycle_us", &v), 0);
	assert_true(v == 250);
	assert_int_equal(emul_set_prop(dev, "write_cycle_us", -1), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "write_cycle_us", 100001), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "write_cycle_us", 2.5), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "write_cycle_us", 1e300), -ERANGE);
	assert_int_equal(emul_set_prop(dev, "write_cycle_us", NAN), -ERANGE);
	assert_int_equal(emul_get_prop(dev, "write_cycle_us", &v), 0);
	assert_true(v == 250);
	assert_int_equal(emul_set_prop(dev, "write_cycle_us", 100000), 0);
	assert_int_equal(emul_set_prop(dev, "write_cycle_us", 0), 0);
	emul_destroy(dev);

	spec.model = EMUL_EE1004;
	spec.spec = "ee1004@0x50";
	spec.n_opts = 0;
	dev = emul_create(&spec, err, sizeof(err));
	assert_non_null(dev);
	assert_int_equal(emul_set_prop(dev, "write_cycle_us", 5000), -ENOENT);
	assert_null(emul_model_opts(EMUL_EE1004)->name);
	emul_destroy(dev);
}

/* A write whose commit to file= fails starts no write cycle (nothing was written). */
static void test_write_cycle_failed_commit(void **state)
{
	struct fixture *fx = *state;
	struct emul_dev *dev = create_dev(&geo_24c02, fx->path, fx->spec);
	uint64_t (*saved)(void) = emul_clock_mono_ns;
	uint8_t buf[1];

	emul_clock_mono_ns = fake_mono_ns;
	fake_mono = 1000000000ull;
	assert_int_equal(emul_set_prop(dev, "write_cycle_us", 5000), 0);
	syncs_reset(fx->path);
	syncs.fail_errno = EIO;
	assert_int_equal(write_msg(dev, &geo_24c02, 0x08, (const uint8_t[]){0x33}, 1), 0);
	assert_int_equal(emul_stop(dev), -EIO);
	read_at(dev, &geo_24c02, 0x08, buf, 1);
	assert_int_equal(buf[0], 0xff);
	/* the next one that reaches the file does */
	write_at(dev, &geo_24c02, 0x08, (const uint8_t[]){0x33}, 1);
	expect_nack(dev, &geo_24c02);
	fake_mono += 5000000;
	read_at(dev, &geo_24c02, 0x08, buf, 1);
	assert_int_equal(buf[0], 0x33);
	emul_destroy(dev);
	emul_clock_mono_ns = saved;
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
		cmocka_unit_test(test_write_commits_at_stop_only),
		cmocka_unit_test_setup_teardown(test_file_written_at_stop, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_sync_error, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_created_atomically, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_create_fails_cleanly, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_trailing_slash, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_create_race, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_create_without_noreplace, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_dangling_symlink, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_page_wrap, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_write_error, setup_dir, teardown_dir),
		cmocka_unit_test(test_write_cycle),
		cmocka_unit_test(test_write_cycle_property),
		cmocka_unit_test_setup_teardown(test_write_cycle_failed_commit, setup_dir,
						teardown_dir),
		cmocka_unit_test(test_ee1004_identity),
		cmocka_unit_test(test_ee1004_banks),
		cmocka_unit_test(test_ee1004_wrap),
		cmocka_unit_test(test_ee1004_select_aborts_write),
		cmocka_unit_test_setup_teardown(test_ee1004_file, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
