// SPDX-License-Identifier: MIT
/*
 * Every emulated device over the wire, the way a Linux guest reaches it:
 * AT24 EEPROMs of each size (random, sequential, current-address reads, page
 * write roll-over, end-of-memory roll-over, file= persistence across a daemon
 * restart, a file replaced or deleted under the daemon, a write the file
 * cannot take failing as ERR, the write-cycle time), LM75 registers, the stub register file,
 * zero-length requests and unknown addresses.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "test_assert.h"
#include "vu_frontend.h"

#define TMO	5000
#define LM75	0x48
#define LM75NEG 0x49
#define STUB	0x20
#define UNKNOWN 0x33

struct eeprom {
	uint8_t addr;
	unsigned size, page, alen;
};

static const struct eeprom ee24c02 = {0x50, 256, 8, 1};
static const struct eeprom ee24c32 = {0x54, 4096, 32, 2};
static const struct eeprom ee24c256 = {0x57, 32768, 64, 2};

static char *std_args[] = {DAEMON_STD_DEVICES, NULL};

static int setup(void **state)
{
	struct daemon_fx *fx;

	if (daemon_fx_start(state, 1, std_args))
		return -1;
	fx = *state;
	fx->dev = vf_dev_open(fx->path, NULL);
	if (!fx->dev) {
		printf("vf_dev_open: %s\n", strerror(errno));
		daemon_fx_teardown(state);
		return -1;
	}
	return 0;
}

/* ---- EEPROM helpers: word address big-endian, 1 or 2 bytes ---- */

static unsigned put_word_addr(const struct eeprom *e, unsigned off, uint8_t *p)
{
	if (e->alen == 2) {
		p[0] = (uint8_t)(off >> 8);
		p[1] = (uint8_t)off;
	} else {
		p[0] = (uint8_t)off;
	}
	return e->alen;
}

static void ee_write(struct vf_dev *dev, const struct eeprom *e, unsigned off, const void *data,
		     unsigned n)
{
	uint8_t buf[2 + 256];
	unsigned a = put_word_addr(e, off, buf);

	assert_true(n <= 256);
	memcpy(buf + a, data, n);
	assert_int_equal(vf_i2c_write(dev, e->addr, buf, a + n), 0);
}

/* Random read: [W word address][R n] as one group (repeated start). */
static void ee_read(struct vf_dev *dev, const struct eeprom *e, unsigned off, void *out, unsigned n)
{
	uint8_t a[2];
	struct vf_i2c_msg m[2] = {
		{.addr = e->addr, .len = put_word_addr(e, off, a), .buf = a},
		{.addr = e->addr, .flags = VF_I2C_M_RD, .len = n, .buf = out},
	};

	assert_int_equal(vf_i2c_transfer(dev, m, 2, 0, TMO), 2);
	assert_int_equal(m[0].status, VIRTIO_I2C_MSG_OK);
	assert_int_equal(m[0].used_len, 1);
	assert_int_equal(m[1].status, VIRTIO_I2C_MSG_OK);
	assert_int_equal(m[1].used_len, 1 + n);
}

static void assert_all(const uint8_t *p, unsigned n, uint8_t v)
{
	for (unsigned i = 0; i < n; i++) {
		if (p[i] != v)
			printf("byte %u: 0x%02x, expected 0x%02x\n", i, p[i], v);
		assert_int_equal(p[i], v);
	}
}

static void check_eeprom(struct vf_dev *dev, const struct eeprom *e)
{
	uint8_t buf[256], back[256], b;
	unsigned pg = e->size / 2 & ~(e->page - 1), i, last = e->size - 1;

	/* erased, at both ends */
	ee_read(dev, e, 0, back, 32);
	assert_all(back, 32, 0xff);
	ee_read(dev, e, e->size - 32, back, 32);
	assert_all(back, 32, 0xff);

	/* random byte write; neighbours untouched */
	b = 0x5a;
	ee_write(dev, e, 0x12, &b, 1);
	ee_read(dev, e, 0x11, back, 3);
	assert_int_equal(back[0], 0xff);
	assert_int_equal(back[1], 0x5a);
	assert_int_equal(back[2], 0xff);

	/* a whole page at a page boundary, read back across the page end */
	for (i = 0; i < e->page; i++)
		buf[i] = (uint8_t)(i + 1);
	ee_write(dev, e, pg, buf, e->page);
	ee_read(dev, e, pg, back, e->page + 1);
	assert_memory_equal(back, buf, e->page);
	assert_int_equal(back[e->page], 0xff);

	/* page write roll-over: page+2 bytes from 2 before the end of the next page */
	for (i = 0; i < e->page + 2; i++)
		buf[i] = (uint8_t)(0x80 + i);
	ee_write(dev, e, pg + 2 * e->page - 2, buf, e->page + 2);
	ee_read(dev, e, pg + e->page, back, e->page);
	assert_memory_equal(back, buf + 2, e->page - 2);
	assert_int_equal(back[e->page - 2], buf[e->page]);
	assert_int_equal(back[e->page - 1], buf[e->page + 1]);
	ee_read(dev, e, pg + 2 * e->page, back, 4); /* next page untouched */
	assert_all(back, 4, 0xff);
	ee_read(dev, e, pg, back, e->page); /* previous page untouched */
	for (i = 0; i < e->page; i++)
		assert_int_equal(back[i], (uint8_t)(i + 1));

	/* sequential read rolls over at the end of memory */
	buf[0] = 0xe1;
	buf[1] = 0xe2;
	ee_write(dev, e, last - 1, buf, 2);
	buf[2] = 0x01;
	buf[3] = 0x02;
	ee_write(dev, e, 0, buf + 2, 2);
	ee_read(dev, e, last - 1, back, 4);
	assert_memory_equal(back, buf, 4);

	/* current-address read continues after the last byte read */
	ee_read(dev, e, pg, back, 2);
	assert_int_equal(vf_i2c_read(dev, e->addr, back, 2), 0);
	assert_int_equal(back[0], 3);
	assert_int_equal(back[1], 4);

	/* address-only write sets the pointer for a later, separate read (i2cget style) */
	{
		uint8_t a[2];
		unsigned n = put_word_addr(e, pg + 4, a);

		assert_int_equal(vf_i2c_write(dev, e->addr, a, n), 0);
		assert_int_equal(vf_i2c_read(dev, e->addr, back, 3), 0);
		assert_int_equal(back[0], 5);
		assert_int_equal(back[1], 6);
		assert_int_equal(back[2], 7);
	}
}

static void test_24c02(void **state)
{
	struct daemon_fx *fx = *state;

	check_eeprom(fx->dev, &ee24c02);
	fx->passed = true;
}

static void test_24c32(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t b = 0x42, back;

	check_eeprom(fx->dev, &ee24c32);
	/* the word address is big-endian */
	ee_write(fx->dev, &ee24c32, 0x0102, &b, 1);
	ee_read(fx->dev, &ee24c32, 0x0201, &back, 1);
	assert_int_equal(back, 0xff);
	ee_read(fx->dev, &ee24c32, 0x0102, &back, 1);
	assert_int_equal(back, 0x42);
	fx->passed = true;
}

static void test_24c256(void **state)
{
	struct daemon_fx *fx = *state;
	static uint8_t big[8192];
	struct vf_i2c_msg m[2];
	uint8_t a[2] = {0x08, 0x00}; /* 0x0800..0x27ff: untouched above */

	check_eeprom(fx->dev, &ee24c256);
	/* the largest buffer a request may carry */
	m[0] = (struct vf_i2c_msg){.addr = ee24c256.addr, .len = 2, .buf = a};
	m[1] = (struct vf_i2c_msg){
		.addr = ee24c256.addr, .flags = VF_I2C_M_RD, .len = sizeof(big), .buf = big};
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 2, 0, TMO), 2);
	assert_int_equal(m[1].status, VIRTIO_I2C_MSG_OK);
	assert_int_equal(m[1].used_len, 1 + sizeof(big));
	assert_all(big, sizeof(big), 0xff);
	fx->passed = true;
}

static void lm75_reg(struct vf_dev *dev, uint8_t addr, uint8_t reg, uint8_t *out, unsigned n)
{
	assert_int_equal(vf_i2c_write_read(dev, addr, &reg, 1, out, n), 0);
}

static void test_lm75(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t r[2] = {0};
	uint8_t w[3];

	/* power-on pointer is the temperature register: 25 C */
	assert_int_equal(vf_i2c_read(fx->dev, LM75, r, 2), 0);
	assert_int_equal(r[0], 0x19);
	assert_int_equal(r[1], 0x00);
	lm75_reg(fx->dev, LM75, 0, r, 2);
	assert_int_equal(r[0], 0x19);
	assert_int_equal(r[1], 0x00);
	lm75_reg(fx->dev, LM75, 1, r, 1);
	assert_int_equal(r[0], 0x00);
	lm75_reg(fx->dev, LM75, 2, r, 2);
	assert_int_equal(r[0], 0x4b);
	assert_int_equal(r[1], 0x00);
	lm75_reg(fx->dev, LM75, 3, r, 2);
	assert_int_equal(r[0], 0x50);
	assert_int_equal(r[1], 0x00);
	/* the pointer persists: a plain read returns T_os again */
	assert_int_equal(vf_i2c_read(fx->dev, LM75, r, 2), 0);
	assert_int_equal(r[0], 0x50);
	assert_int_equal(r[1], 0x00);
	/* writable registers */
	w[0] = 3, w[1] = 0x46, w[2] = 0x80; /* T_os = 70.5 C */
	assert_int_equal(vf_i2c_write(fx->dev, LM75, w, 3), 0);
	w[0] = 2, w[1] = 0x3c, w[2] = 0x00; /* T_hyst = 60 C */
	assert_int_equal(vf_i2c_write(fx->dev, LM75, w, 3), 0);
	w[0] = 1, w[1] = 0x18;
	assert_int_equal(vf_i2c_write(fx->dev, LM75, w, 2), 0);
	lm75_reg(fx->dev, LM75, 3, r, 2);
	assert_int_equal(r[0], 0x46);
	assert_int_equal(r[1], 0x80);
	lm75_reg(fx->dev, LM75, 2, r, 2);
	assert_int_equal(r[0], 0x3c);
	assert_int_equal(r[1], 0x00);
	lm75_reg(fx->dev, LM75, 1, r, 1);
	assert_int_equal(r[0], 0x18);
	lm75_reg(fx->dev, LM75, 0, r, 2);
	assert_int_equal(r[0], 0x19);
	assert_int_equal(r[1], 0x00);
	/* temp=-0.5 on the second sensor, which is independent of the first */
	lm75_reg(fx->dev, LM75NEG, 0, r, 2);
	assert_int_equal(r[0], 0xff);
	assert_int_equal(r[1], 0x80);
	lm75_reg(fx->dev, LM75NEG, 3, r, 2);
	assert_int_equal(r[0], 0x50);
	assert_int_equal(r[1], 0x00);
	fx->passed = true;
}

static void test_stub(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t w[33], r[32], reg;
	unsigned i;

	/* initial zero */
	reg = 0x00;
	memset(r, 0xee, sizeof(r));
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &reg, 1, r, 32), 0);
	assert_all(r, 32, 0);
	/* byte */
	w[0] = 0x05, w[1] = 0x11;
	assert_int_equal(vf_i2c_write(fx->dev, STUB, w, 2), 0);
	reg = 0x05;
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &reg, 1, r, 1), 0);
	assert_int_equal(r[0], 0x11);
	/* word (SMBus order: low byte first) */
	w[0] = 0x10, w[1] = 0x34, w[2] = 0x12;
	assert_int_equal(vf_i2c_write(fx->dev, STUB, w, 3), 0);
	reg = 0x10;
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &reg, 1, r, 2), 0);
	assert_int_equal(r[0], 0x34);
	assert_int_equal(r[1], 0x12);
	/* block of 32 */
	w[0] = 0x40;
	for (i = 1; i < 33; i++)
		w[i] = (uint8_t)(0xc0 + i);
	assert_int_equal(vf_i2c_write(fx->dev, STUB, w, 33), 0);
	reg = 0x40;
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &reg, 1, r, 32), 0);
	assert_memory_equal(r, w + 1, 32);
	/* auto-increment continues across transfers */
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &reg, 1, r, 2), 0);
	assert_int_equal(vf_i2c_read(fx->dev, STUB, r, 1), 0);
	assert_int_equal(r[0], w[3]);
	/* a register next to the written ones is still zero */
	reg = 0x3f;
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &reg, 1, r, 1), 0);
	assert_int_equal(r[0], 0);
	fx->passed = true;
}

static void test_zero_length_requests(void **state)
{
	struct daemon_fx *fx = *state;
	static const uint8_t addrs[] = {0x50, 0x54, 0x57, LM75, LM75NEG, STUB};
	struct vf_i2c_msg m[2 * sizeof(addrs)];
	unsigned i;

	/* separate transfers (one request each), as i2cdetect -q does */
	for (i = 0; i < sizeof(addrs); i++) {
		m[0] = (struct vf_i2c_msg){.addr = addrs[i]};
		assert_int_equal(vf_i2c_transfer(fx->dev, m, 1, 0, TMO), 1);
		assert_int_equal(m[0].status, VIRTIO_I2C_MSG_OK);
		assert_int_equal(m[0].used_len, 1);
		m[0] = (struct vf_i2c_msg){.addr = addrs[i], .flags = VF_I2C_M_RD};
		assert_int_equal(vf_i2c_transfer(fx->dev, m, 1, 0, TMO), 1);
		assert_int_equal(m[0].status, VIRTIO_I2C_MSG_OK);
		assert_int_equal(m[0].used_len, 1);
	}
	/* all in one group (the queue of 4 splits it into batches) */
	for (i = 0; i < 2 * sizeof(addrs); i++)
		m[i] = (struct vf_i2c_msg){.addr = addrs[i / 2],
					   .flags = (i & 1) ? VF_I2C_M_RD : 0};
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 2 * sizeof(addrs), 0, TMO), 2 * sizeof(addrs));
	for (i = 0; i < 2 * sizeof(addrs); i++) {
		assert_int_equal(m[i].status, VIRTIO_I2C_MSG_OK);
		assert_int_equal(m[i].used_len, 1);
	}
	/* unknown address: ERR */
	m[0] = (struct vf_i2c_msg){.addr = UNKNOWN};
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 1, 0, TMO), 1);
	assert_int_equal(m[0].status, VIRTIO_I2C_MSG_ERR);
	assert_int_equal(m[0].used_len, 1);
	fx->passed = true;
}

static void test_unknown_address(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t w[3] = {0x00, 0x12, 0x34}, r[4];
	struct vf_i2c_msg m;
	unsigned a;

	/* every address without a device, for writes and reads */
	for (a = 0; a < 0x80; a++) {
		if (a == 0x50 || a == 0x54 || a == 0x57 || a == LM75 || a == LM75NEG || a == STUB)
			continue;
		m = (struct vf_i2c_msg){.addr = (uint16_t)a, .len = 3, .buf = w};
		assert_int_equal(vf_i2c_transfer(fx->dev, &m, 1, 0, TMO), 1);
		assert_int_equal(m.status, VIRTIO_I2C_MSG_ERR);
		assert_int_equal(m.used_len, 1);
		memset(r, 0x3c, sizeof(r));
		m = (struct vf_i2c_msg){
			.addr = (uint16_t)a, .flags = VF_I2C_M_RD, .len = 4, .buf = r};
		assert_int_equal(vf_i2c_transfer(fx->dev, &m, 1, 0, TMO), 1);
		assert_int_equal(m.status, VIRTIO_I2C_MSG_ERR);
		/* The status byte follows the read buffer (virtio 1.2 §2.7.8.1). */
		assert_int_equal(m.used_len, 5);
		assert_all(r, 4, 0x3c);
	}
	/* nothing else changed: the neighbours of those addresses are untouched */
	ee_read(fx->dev, &ee24c02, 0, r, 4);
	assert_all(r, 4, 0xff);
	ee_read(fx->dev, &ee24c32, 0, r, 4);
	assert_all(r, 4, 0xff);
	r[0] = 0;
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &w[0], 1, r, 2), 0);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], 0);
	fx->passed = true;
}

/* ---- file= persistence: its own daemon ---- */

static void read_file(const char *path, uint8_t *buf, size_t len, size_t expect_size)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, expect_size);
	assert_int_equal(pread(fd, buf, len, 0), (ssize_t)len);
	close(fd);
}

/* Replaces the standard daemon of fx by one with `args`, and opens a guest on it. */
static void restart_with(struct daemon_fx *fx, char *const args[])
{
	int code;

	vf_dev_destroy(fx->dev);
	fx->dev = NULL;
	assert_int_equal(daemon_stop(fx->d, DAEMON_TIMEOUT_MS, &code), 0);
	assert_int_equal(code, 0);
	assert_int_equal(daemon_start(fx->d, 1, args), 0);
	fx->dev = vf_dev_open(fx->path, NULL);
	assert_non_null(fx->dev);
}

static void test_eeprom_file_persists(void **state)
{
	struct daemon_fx *fx = *state;
	char f02[200], f256[200], s02[220], s256[220];
	char *args[] = {"-e", s02, "-e", s256, NULL};
	uint8_t data[16], buf[256];
	unsigned i;

	/* replace the standard daemon by one with file-backed EEPROMs in the same dir */
	snprintf(f02, sizeof(f02), "%s/ee02.bin", fx->d->dir);
	snprintf(f256, sizeof(f256), "%s/ee256.bin", fx->d->dir);
	snprintf(s02, sizeof(s02), "24c02@0x50,file=%s", f02);
	snprintf(s256, sizeof(s256), "24c256@0x57,file=%s", f256);
	restart_with(fx, args);

	/* created erased, with the device's size */
	read_file(f02, buf, 256, 256);
	assert_all(buf, 256, 0xff);
	read_file(f256, buf, 256, 32768);
	assert_all(buf, 256, 0xff);

	/* each write is in the file when the request completes */
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xa0 + i);
	ee_write(fx->dev, &ee24c02, 0x20, data, 8);
	read_file(f02, buf, 256, 256);
	assert_memory_equal(buf + 0x20, data, 8);
	assert_int_equal(buf[0x28], 0xff);
	ee_write(fx->dev, &ee24c02, 0x30, data, 10); /* rolls over within the page */
	read_file(f02, buf, 256, 256);
	assert_memory_equal(buf + 0x30, data + 8, 2);
	assert_memory_equal(buf + 0x32, data + 2, 6);
	ee_write(fx->dev, &ee24c256, 0x7fff, data, 1);
	ee_write(fx->dev, &ee24c256, 0x0040, data + 1, 4);

	/* restart: the content comes back from the files */
	restart_with(fx, args);
	ee_read(fx->dev, &ee24c02, 0x20, buf, 0x20);
	assert_memory_equal(buf, data, 8);
	assert_all(buf + 8, 8, 0xff);
	assert_memory_equal(buf + 0x10, data + 8, 2);
	assert_memory_equal(buf + 0x12, data + 2, 6);
	ee_read(fx->dev, &ee24c256, 0x7fff, buf, 1);
	assert_int_equal(buf[0], data[0]);
	ee_read(fx->dev, &ee24c256, 0x0040, buf, 5);
	assert_memory_equal(buf, data + 1, 4);
	assert_int_equal(buf[4], 0xff);
	fx->passed = true;
}

static void write_bytes(const char *path, uint8_t val, size_t n)
{
	uint8_t buf[256];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0 && n <= sizeof(buf));
	memset(buf, val, n);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

/*
 * The file replaced (renamed over) or deleted under the daemon: writes go on
 * (to the old inode, which the guest keeps reading), one warning line per
 * change, and the new file is never written.
 */
static void test_eeprom_file_replaced(void **state)
{
	struct daemon_fx *fx = *state;
	char f02[200], other[200], s02[220];
	char *args[] = {"-e", s02, NULL};
	uint8_t b, buf[256];

	snprintf(f02, sizeof(f02), "%s/ee02.bin", fx->d->dir);
	snprintf(other, sizeof(other), "%s/other.bin", fx->d->dir);
	snprintf(s02, sizeof(s02), "24c02@0x50,file=%s", f02);
	restart_with(fx, args);

	b = 0x11;
	ee_write(fx->dev, &ee24c02, 0x00, &b, 1);
	assert_int_equal(count_in_log(fx->d, "ee02.bin' was"), 0);

	write_bytes(other, 0x00, 256);
	assert_int_equal(rename(other, f02), 0);
	b = 0x22;
	ee_write(fx->dev, &ee24c02, 0x01, &b, 1);
	ee_write(fx->dev, &ee24c02, 0x02, &b, 1);
	assert_int_equal(count_in_log(fx->d, "24c02@0x50: '"), 1);
	assert_true(daemon_log_contains(
		fx->d, "ee02.bin' was replaced by another file while in use: writes now go to "
		       "the old file, which nothing will read; restart the daemon to use the "
		       "file at that path"));
	read_file(f02, buf, 256, 256);
	assert_all(buf, 256, 0x00); /* the replacement is left alone */
	ee_read(fx->dev, &ee24c02, 0x00, buf, 3);
	assert_int_equal(buf[0], 0x11);
	assert_int_equal(buf[1], 0x22);
	assert_int_equal(buf[2], 0x22);

	/* the replacement deleted too: still orphaned, not said again */
	assert_int_equal(unlink(f02), 0);
	ee_write(fx->dev, &ee24c02, 0x03, &b, 1);
	assert_int_equal(count_in_log(fx->d, "24c02@0x50: '"), 1);
	fx->passed = true;
}

/* A deleted file: one warning, the guest's writes still succeed. */
static void test_eeprom_file_deleted(void **state)
{
	struct daemon_fx *fx = *state;
	char f02[200], s02[220];
	char *args[] = {"-e", s02, NULL};
	uint8_t b = 0x33, buf[2];

	snprintf(f02, sizeof(f02), "%s/ee02.bin", fx->d->dir);
	snprintf(s02, sizeof(s02), "24c02@0x50,file=%s", f02);
	restart_with(fx, args);
	assert_int_equal(unlink(f02), 0);
	ee_write(fx->dev, &ee24c02, 0x10, &b, 1);
	ee_write(fx->dev, &ee24c02, 0x11, &b, 1);
	assert_int_equal(count_in_log(fx->d, "ee02.bin' was deleted while in use"), 1);
	ee_read(fx->dev, &ee24c02, 0x10, buf, 2);
	assert_int_equal(buf[0], 0x33);
	assert_int_equal(buf[1], 0x33);
	assert_int_equal(access(f02, F_OK), -1); /* not re-created */
	fx->passed = true;
}

/*
 * A write the file cannot take (here: beyond the daemon's file-size limit,
 * which the daemon inherits) fails as ERR, changes nothing, and the daemon
 * goes on (SIGXFSZ does not kill it); writes elsewhere still work.
 */
static void test_eeprom_file_write_error_is_err(void **state)
{
	struct daemon_fx *fx = *state;
	char f256[200], s256[220];
	char *args[] = {"-e", s256, NULL};
	struct rlimit old, lim;
	uint8_t w[3] = {0x40, 0x00, 0x77}, r;
	struct vf_i2c_msg m;
	int fd, ret;

	snprintf(f256, sizeof(f256), "%s/ee256.bin", fx->d->dir);
	snprintf(s256, sizeof(s256), "24c256@0x57,file=%s", f256);
	fd = open(f256, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < 32768 / 256; i++) {
		uint8_t ff[256];

		memset(ff, 0xff, sizeof(ff));
		assert_int_equal(write(fd, ff, sizeof(ff)), 256);
	}
	close(fd);

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 0x4000; /* the upper half of the 24c256 cannot be written */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	vf_dev_destroy(fx->dev);
	fx->dev = NULL;
	assert_int_equal(daemon_stop(fx->d, DAEMON_TIMEOUT_MS, &ret), 0);
	ret = daemon_start(fx->d, 1, args);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(ret, 0);
	fx->dev = vf_dev_open(fx->path, NULL);
	assert_non_null(fx->dev);

	m = (struct vf_i2c_msg){.addr = 0x57, .len = 3, .buf = w};
	assert_int_equal(vf_i2c_transfer(fx->dev, &m, 1, 0, TMO), 1);
	assert_int_equal(m.status, VIRTIO_I2C_MSG_ERR);
	assert_int_equal(m.used_len, 1);
	assert_true(daemon_alive(fx->d));
	assert_true(
		daemon_log_contains(fx->d, "24c256@0x57: cannot write 1 bytes at offset 16384"));
	ee_read(fx->dev, &ee24c256, 0x4000, &r, 1);
	assert_int_equal(r, 0xff);
	/* below the limit: fine */
	w[0] = 0x3f;
	w[1] = 0xff;
	assert_int_equal(vf_i2c_transfer(fx->dev, &m, 1, 0, TMO), 1);
	assert_int_equal(m.status, VIRTIO_I2C_MSG_OK);
	ee_read(fx->dev, &ee24c256, 0x3fff, &r, 1);
	assert_int_equal(r, 0x77);
	fx->passed = true;
}

/*
 * Two ee1004 (DDR4 SPD) on one bus: a write to 0x36/0x37 selects bank 0/1 of
 * both, a read at 0x36 is ACKed only in bank 0, a read at 0x37 never; each
 * answers at its own address in the selected bank; file= holds 512 bytes.
 */
static void test_ee1004_pages(void **state)
{
	struct daemon_fx *fx = *state;
	const struct eeprom spd = {0x50, 256, 16, 1}, spd2 = {0x51, 256, 16, 1};
	char f51[200], s51[220];
	char *args[] = {"-e", "ee1004@0x50", "-e", s51, NULL};
	uint8_t b, zero = 0, buf[512];

	snprintf(f51, sizeof(f51), "%s/spd51.bin", fx->d->dir);
	snprintf(s51, sizeof(s51), "ee1004@0x51,file=%s", f51);
	restart_with(fx, args);

	assert_int_equal(msg_status(fx->dev, 0x36, true, &b, 1), VIRTIO_I2C_MSG_OK); /* bank 0 */
	assert_int_equal(msg_status(fx->dev, 0x37, true, &b, 1), VIRTIO_I2C_MSG_ERR);
	b = 0xa0;
	ee_write(fx->dev, &spd, 0x10, &b, 1);
	b = 0xb0;
	ee_write(fx->dev, &spd2, 0x10, &b, 1);

	assert_int_equal(msg_status(fx->dev, 0x37, false, &zero, 1), VIRTIO_I2C_MSG_OK);
	assert_int_equal(msg_status(fx->dev, 0x36, true, &b, 1), VIRTIO_I2C_MSG_ERR); /* bank 1 */
	ee_read(fx->dev, &spd, 0x10, &b, 1);
	assert_int_equal(b, 0xff);
	b = 0xa1;
	ee_write(fx->dev, &spd, 0x10, &b, 1);
	b = 0xb1;
	ee_write(fx->dev, &spd2, 0x10, &b, 1);

	assert_int_equal(msg_status(fx->dev, 0x36, false, &zero, 1), VIRTIO_I2C_MSG_OK);
	assert_int_equal(msg_status(fx->dev, 0x36, true, &b, 1), VIRTIO_I2C_MSG_OK);
	ee_read(fx->dev, &spd, 0x10, &b, 1);
	assert_int_equal(b, 0xa0);
	ee_read(fx->dev, &spd2, 0x10, &b, 1);
	assert_int_equal(b, 0xb0);

	/* select and read in one transfer */
	{
		uint8_t off = 0x10, r = 0;
		struct vf_i2c_msg m[3] = {
			{.addr = 0x37, .len = 1, .buf = &zero},
			{.addr = 0x50, .len = 1, .buf = &off},
			{.addr = 0x50, .flags = VF_I2C_M_RD, .len = 1, .buf = &r},
		};

		assert_int_equal(vf_i2c_transfer(fx->dev, m, 3, 0, TMO), 3);
		assert_int_equal(m[2].status, VIRTIO_I2C_MSG_OK);
		assert_int_equal(r, 0xa1);
	}

	read_file(f51, buf, 512, 512);
	assert_int_equal(buf[0x10], 0xb0);
	assert_int_equal(buf[0x110], 0xb1);
	buf[0x10] = buf[0x110] = 0xff;
	assert_all(buf, 512, 0xff);
	fx->passed = true;
}

/*
 * A 24c02 with write_cycle_us=100000: for 100 ms after a write every message
 * to it is ERR (a read, a probe, a write, which changes nothing), the 24c32
 * next to it answers; then the data reads back. The ERR reads must come
 * within the cycle: a try the machine delayed past it is repeated.
 */
static void test_eeprom_write_cycle(void **state)
{
	struct daemon_fx *fx = *state;
	char *args[] = {"-e", "24c02@0x50,write_cycle_us=100000", "-e", "24c32@0x54", NULL};
	bool seen = false;

	restart_with(fx, args);
	for (int attempt = 0; attempt < 5 && !seen; attempt++) {
		uint8_t data = (uint8_t)(0xa0 + attempt), other = 0x11, off = 0x10, r = 0;
		struct vf_i2c_msg m[2] = {
			{.addr = 0x50, .len = 1, .buf = &off},
			{.addr = 0x50, .flags = VF_I2C_M_RD, .len = 1, .buf = &r},
		};
		int64_t t0 = monotonic_ms(), t;
		uint8_t w[2] = {0x10, 0x55}, st_read, st_probe, st_write;

		ee_write(fx->dev, &ee24c02, 0x10, &data, 1);
		assert_int_equal(vf_i2c_transfer(fx->dev, m, 2, 0, TMO), 2);
		st_read = m[0].status;
		st_probe = msg_status(fx->dev, 0x50, false, NULL, 0);
		st_write = msg_status(fx->dev, 0x50, false, w, 2);
		ee_write(fx->dev, &ee24c32, 0x10, &other, 1);
		t = monotonic_ms();
		if (t - t0 >= 100) {
			printf("# attempt %d took %lld ms, past the write cycle: again\n", attempt,
			       (long long)(t - t0));
			msleep(100);
			continue;
		}
		assert_int_equal(st_read, VIRTIO_I2C_MSG_ERR);
		assert_int_equal(m[1].status, VIRTIO_I2C_MSG_ERR);
		assert_int_equal(st_probe, VIRTIO_I2C_MSG_ERR);
		assert_int_equal(st_write, VIRTIO_I2C_MSG_ERR);
		/* the first read that succeeds: after the cycle, with the data */
		for (;;) {
			m[0].status = m[1].status = 0xff;
			assert_int_equal(vf_i2c_transfer(fx->dev, m, 2, 0, TMO), 2);
			if (m[0].status == VIRTIO_I2C_MSG_OK)
				break;
			assert_int_equal(m[0].status, VIRTIO_I2C_MSG_ERR);
			assert_true(monotonic_ms() - t0 < 5000);
			msleep(5);
		}
		assert_true(monotonic_ms() - t0 >= 100);
		assert_int_equal(m[1].status, VIRTIO_I2C_MSG_OK);
		assert_int_equal(r, data);
		ee_read(fx->dev, &ee24c32, 0x10, &r, 1);
		assert_int_equal(r, 0x11);
		seen = true;
	}
	assert_true(seen);
	fx->passed = true;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, daemon_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_24c02),
		T(test_24c32),
		T(test_24c256),
		T(test_lm75),
		T(test_stub),
		T(test_zero_length_requests),
		T(test_unknown_address),
		T(test_eeprom_file_persists),
		T(test_eeprom_file_replaced),
		T(test_eeprom_write_cycle),
		T(test_eeprom_file_deleted),
		T(test_eeprom_file_write_error_is_err),
		T(test_ee1004_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
