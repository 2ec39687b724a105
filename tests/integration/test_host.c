// SPDX-License-Identifier: MIT
/*
 * Host passthrough (-l) end to end: the real daemon on fake /dev/i2c-N nodes
 * (tests/shim, preloaded into this test and inherited by the daemon), driven
 * by a guest over vhost-user. What reaches the "kernel" is read back from the
 * fake's log file, line by line: start-up (I2C_FUNCS, I2C_SLAVE and never
 * I2C_SLAVE_FORCE, drivers, a second instance, adapter names), I2C mode (one
 * I2C_RDWR per group, address translation, the kernel's limits, zero-length
 * messages), several adapters on one guest bus, /ro, SMBus translation,
 * injected bus errors, a disappearing adapter and two guests at once.
 *
 * A fake device is a 256-byte register file whose first written byte sets an
 * auto-incrementing pointer; register r of the device at address a starts as
 * (a + r) & 0xff.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../shim/fake_i2cdev.h"
#include "daemon.h"
#include "vu_frontend.h"

#define TMO 5000

/* Initial content of register r of the fake device at addr. */
#define REG0(addr, r) ((uint8_t)((addr) + (r)))

#define WR(a, b, l)                                                                                \
	{                                                                                          \
		.addr = (a), .len = (l), .buf = (b)                                                \
	}
#define RD(a, b, l)                                                                                \
	{                                                                                          \
		.addr = (a), .flags = VF_I2C_M_RD, .len = (l), .buf = (b)                          \
	}

/* One daemon on a fake i2c-dev described by a per-test configuration. */
struct hx {
	struct daemon *d;
	char conf[160];
	char shim_log[160];
	size_t shim_mark;   /* shim log bytes already looked at */
	size_t daemon_mark; /* daemon log bytes already looked at */
	struct vf_dev *dev[2];
	char path[2][160];
	struct daemon *other; /* a second instance, if the test runs one */
};

/* The running test's fixture, for the teardown after a failed assertion. */
static struct hx *cur;

/* Writes the fake's configuration (node dir, sysfs and log inside the daemon's dir). */
static struct hx *hx_new(const char *config)
{
	struct hx *hx = calloc(1, sizeof(*hx));
	FILE *f;

	assert_non_null(hx);
	hx->d = daemon_new();
	assert_non_null(hx->d);
	snprintf(hx->conf, sizeof(hx->conf), "%s/shim.conf", hx->d->dir);
	snprintf(hx->shim_log, sizeof(hx->shim_log), "%s/shim.log", hx->d->dir);
	f = fopen(hx->conf, "w");
	assert_non_null(f);
	fprintf(f, "dev %s/dev\nsysfs %s/sys\nlog %s\n%s", hx->d->dir, hx->d->dir, hx->shim_log,
		config);
	assert_int_equal(fclose(f), 0);
	/* The daemon inherits the environment, LD_PRELOAD included. */
	assert_int_equal(setenv("VI2C_SHIM_CONFIG", hx->conf, 1), 0);
	cur = hx;
	return hx;
}

/* daemon_start; the daemon runs sandboxed, as in production (the fake keeps its log open). */
static int start_daemon(struct daemon *d, unsigned count, char *const extra[])
{
	return daemon_start(d, count, extra);
}

/* Starts the daemon with `count` sockets and opens a guest on each. */
static void hx_start(struct hx *hx, unsigned count, char *const extra[])
{
	int err = start_daemon(hx->d, count, extra);

	if (err) {
		printf("daemon_start: %s\n", strerror(-err));
		daemon_print_log_tail(hx->d, 40);
	}
	assert_int_equal(err, 0);
	for (unsigned i = 0; i < count; i++) {
		struct vf_dev_opts o;

		vf_dev_opts_default(&o);
		o.queue_size = 64; /* room for a 43-message group */
		daemon_sock_path(hx->d, i, hx->path[i], sizeof(hx->path[i]));
		hx->dev[i] = vf_dev_open(hx->path[i], &o);
		assert_non_null(hx->dev[i]);
	}
}

/* The bytes appended to path since *mark (NUL-terminated, malloc'd); advances *mark. */
static char *read_new(const char *path, size_t *mark)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_non_null(buf);
	if (fd < 0) {
		buf[0] = '\0';
		return buf;
	}
	for (;;) {
		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = pread(fd, buf + len, cap - len - 1, (off_t)(*mark + len));
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*mark += len;
	return buf;
}

/* Guests gone, the daemon exits 0 on SIGTERM with its sockets removed. */
static void hx_finish(struct hx *hx)
{
	size_t all = 0;
	char *log = read_new(hx->shim_log, &all);
	int ret = 0;

	/* Whatever the test did, the kernel drivers' claims were never overridden. */
	assert_null(strstr(log, "I2C_SLAVE_FORCE"));
	free(log);

	for (unsigned i = 0; i < 2; i++)
		vf_dev_destroy(hx->dev[i]);
	daemon_free(hx->other);
	if (hx->d->pid > 0)
		ret = daemon_finish(hx->d, true);
	else
		daemon_free(hx->d);
	unsetenv("VI2C_SHIM_CONFIG");
	free(hx);
	cur = NULL;
	assert_int_equal(ret, 0);
}

/* After a failed assertion: show the daemon's log, kill what is left, free. */
static int teardown(void **state)
{
	struct hx *hx = cur;

	if (!hx)
		return 0;
	for (unsigned i = 0; i < 2; i++)
		vf_dev_destroy(hx->dev[i]);
	daemon_free(hx->other);
	daemon_print_log_tail(hx->d, 40);
	daemon_free(hx->d);
	unsetenv("VI2C_SHIM_CONFIG");
	free(hx);
	cur = NULL;
	return 0;
}

/* What the daemon asked of the fake kernel since the last call. */
static char *shim_new(struct hx *hx)
{
	return read_new(hx->shim_log, &hx->shim_mark);
}

static char *daemon_new_log(struct hx *hx)
{
	return read_new(hx->d->log_path, &hx->daemon_mark);
}

/* The fake saw exactly `want` (whole lines, in order) since the last check. */
static void expect_shim(struct hx *hx, const char *want)
{
	char *got = shim_new(hx);

	if (strcmp(got, want))
		fail_msg("fake i2c-dev log:\n%s---- expected:\n%s----", got, want);
	free(got);
}

static unsigned count_lines_with(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (memmem(line, len, needle, strlen(needle)))
			n++;
		line += len + (end ? 1 : 0);
	}
	return n;
}

static unsigned count_lines(const char *text)
{
	return count_lines_with(text, "");
}

/* Runs one group and checks each message's status: want[i] is 'O' (OK) or 'E' (ERR). */
static void xfer(struct vf_dev *dev, struct vf_i2c_msg *m, unsigned n, const char *want)
{
	assert_int_equal(strlen(want), n);
	assert_int_equal(vf_i2c_transfer(dev, m, n, 0, TMO), (int)n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t st = want[i] == 'O' ? VIRTIO_I2C_MSG_OK : VIRTIO_I2C_MSG_ERR;

		if (m[i].status != st)
			fail_msg("message %u of \"%s\": status %u, expected %u", i, want,
				 m[i].status, st);
	}
}

/* [W 1 reg][R n] from guest address addr; must succeed. */
static void read_regs(struct vf_dev *dev, uint8_t addr, uint8_t reg, uint8_t *out, unsigned n)
{
	struct vf_i2c_msg m[2] = {WR(addr, &reg, 1), RD(addr, out, n)};

	xfer(dev, m, 2, "OO");
}

/*
 * Spawns the daemon (-s, -c 1, args) expecting it to fail at start: exit
 * code `code`, no socket. Returns what it logged (malloc'd).
 */
static char *expect_start_failure(struct hx *hx, struct daemon *d, char *const args[], int code)
{
	char *argv[32], sock0[160];
	size_t mark = 0;
	unsigned n = 0;
	int got = -1;

	argv[n++] = "-s";
	argv[n++] = d->sock;
	argv[n++] = "-c";
	argv[n++] = "1";
	for (unsigned i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (d == hx->d)
		mark = hx->daemon_mark;
	assert_int_equal(daemon_spawn(d, argv), 0);
	assert_int_equal(daemon_wait_exit(d, DAEMON_TIMEOUT_MS, &got), 0);
	daemon_sock_path(d, 0, sock0, sizeof(sock0));
	assert_int_equal(access(sock0, F_OK), -1);
	{
		char *log = read_new(d->log_path, &mark);

		if (d == hx->d)
			hx->daemon_mark = mark;
		if (got != code)
			fail_msg("exit code %d, expected %d; log:\n%s", got, code, log);
		return log;
	}
}

/* The daemon's failure output is exactly one line holding every fragment. */
static void expect_one_line(const char *log, const char *const frags[])
{
	if (count_lines(log) != 1)
		fail_msg("expected one line, got:\n%s", log);
	for (unsigned i = 0; frags[i]; i++)
		if (!strstr(log, frags[i]))
			fail_msg("\"%s\" not in: %s", frags[i], log);
}

/* ---- start-up ---------------------------------------------------------- */

static void test_startup_opens_and_claims_without_force(void **state)
{
	struct hx *hx = hx_new("adapter 0 funcs=i2c\ndevice 0 0x50\ndevice 0 0x51\n"
			       "device 0 0x52\nadapter 1 funcs=stub\ndevice 1 0x20\n");
	char *args[] = {"-v", "-l", "0:0x50:0x51,1:0x20", NULL};
	char *log, *dlog;
	uint8_t r[2];

	hx_start(hx, 1, args);
	/* Only the listed addresses, with I2C_SLAVE; 0x52 is left alone. */
	expect_shim(hx, "open i2c-0\n"
			"I2C_FUNCS i2c-0 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_SLAVE i2c-0 0x51 -> ok\n"
			"open i2c-1\n"
			"I2C_FUNCS i2c-1 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n");
	dlog = daemon_new_log(hx);
	assert_non_null(strstr(dlog, "i2c-0: I2C mode"));
	assert_non_null(strstr(dlog, "i2c-1: SMBus mode"));
	free(dlog);

	/* The mode decides the ioctl: I2C_RDWR on i2c-0, I2C_SLAVE + I2C_SMBUS on i2c-1. */
	read_regs(hx->dev[0], 0x51, 0x07, r, 2);
	assert_int_equal(r[0], REG0(0x51, 7));
	assert_int_equal(r[1], REG0(0x51, 8));
	read_regs(hx->dev[0], 0x20, 0x07, r, 2);
	assert_int_equal(r[0], REG0(0x20, 7));
	assert_int_equal(r[1], REG0(0x20, 8));
	log = shim_new(hx);
	assert_string_equal(log, "I2C_SLAVE i2c-0 0x51 -> ok\n"
				 "I2C_RDWR i2c-0 W0x51/1 R0x51/2 -> ok\n"
				 "I2C_SLAVE i2c-1 0x20 -> ok\n"
				 "I2C_SMBUS i2c-1 0x20 R WORD_DATA cmd=0x07 -> ok\n");
	free(log);
	hx_finish(hx);
}

static void test_address_owned_by_kernel_driver_refused(void **state)
{
	struct hx *hx = hx_new("adapter 0 funcs=i2c\ndevice 0 0x50 busy=at24\ndevice 0 0x51\n");
	/* The free address first: claimed, then released on the way out (LSan would add lines). */
	char *args[] = {"-l", "0:0x51:0x50", NULL};
	const char *frags[] = {"i2c-0", "0x50", "at24", NULL};
	char *log = expect_start_failure(hx, hx->d, args, 1);

	expect_one_line(log, frags);
	free(log);
	/* Asked politely, refused, and not forced. */
	expect_shim(hx, "open i2c-0\n"
			"I2C_FUNCS i2c-0 -> ok\n"
			"I2C_SLAVE i2c-0 0x51 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> EBUSY\n");
	hx_finish(hx);
}

static void test_second_instance_same_address_refused(void **state)
{
	struct hx *hx = hx_new("adapter 0 funcs=i2c\ndevice 0 0x50\ndevice 0 0x51\n"
			       "device 0 0x52\n");
	char *first[] = {"-l", "0:0x50:0x51", NULL};
	char *same[] = {"-l", "0:0x51", NULL};
	char *other[] = {"-l", "0:0x52", NULL};
	const char *frags[] = {"i2c-0", "0x51", "another process", NULL};
	struct daemon *d2 = daemon_new();
	char *log;
	int code;

	assert_non_null(d2);
	hx->other = d2;
	hx_start(hx, 1, first);
	free(shim_new(hx));
	log = expect_start_failure(hx, d2, same, 1);
	expect_one_line(log, frags);
	free(log);
	/* Refused by the lock before touching the bus. */
	expect_shim(hx, "open i2c-0\nI2C_FUNCS i2c-0 -> ok\n");
	/* The first instance is unaffected. */
	read_regs(hx->dev[0], 0x51, 0x00, (uint8_t[1]){0}, 1);

	/* Another address of the same adapter is free for a second instance. */
	assert_int_equal(start_daemon(d2, 1, other), 0);
	assert_int_equal(daemon_stop(d2, DAEMON_TIMEOUT_MS, &code), 0);
	assert_int_equal(code, 0);
	/* Once the first instance is gone, so is its claim. */
	vf_dev_destroy(hx->dev[0]);
	hx->dev[0] = NULL;
	assert_int_equal(daemon_stop(hx->d, DAEMON_TIMEOUT_MS, &code), 0);
	assert_int_equal(code, 0);
	assert_int_equal(start_daemon(d2, 1, same), 0);
	assert_int_equal(daemon_stop(d2, DAEMON_TIMEOUT_MS, &code), 0);
	assert_int_equal(code, 0);
	hx_finish(hx);
}

static void test_adapter_names_and_numbers(void **state)
{
	struct hx *hx = hx_new("adapter 0 name=alpha\nadapter 1 name=alpha\nadapter 2 name=beta\n"
			       "device 2 0x50\ndevice 0 0x50\n");
	char *shared[] = {"-l", "alpha:0x50", NULL};
	char *twice[] = {"-l", "beta:0x50,2:0x51", NULL};
	char *unknown_name[] = {"-l", "gamma:0x50", NULL};
	char *unknown_nr[] = {"-l", "7:0x50", NULL};
	char *by_name[] = {"-l", "beta:0x50", NULL};
	const char *f_shared[] = {"alpha", "i2c-0", "i2c-1", NULL};
	const char *f_twice[] = {"i2c-2", "beta", NULL};
	const char *f_name[] = {"gamma", NULL};
	const char *f_nr[] = {"i2c-7", NULL};
	char *log;
	uint8_t r;

	log = expect_start_failure(hx, hx->d, shared, 1);
	expect_one_line(log, f_shared);
	free(log);
	log = expect_start_failure(hx, hx->d, twice, 1);
	expect_one_line(log, f_twice);
	free(log);
	log = expect_start_failure(hx, hx->d, unknown_name, 1);
	expect_one_line(log, f_name);
	free(log);
	log = expect_start_failure(hx, hx->d, unknown_nr, 1);
	expect_one_line(log, f_nr);
	free(log);
	/* Nothing was opened for the ambiguous, duplicated or unknown names. */
	expect_shim(hx, "");

	/* A unique name finds its adapter. */
	hx_start(hx, 1, by_name);
	expect_shim(hx, "open i2c-2\nI2C_FUNCS i2c-2 -> ok\nI2C_SLAVE i2c-2 0x50 -> ok\n");
	read_regs(hx->dev[0], 0x50, 0x33, &r, 1);
	assert_int_equal(r, REG0(0x50, 0x33));
	expect_shim(hx, "I2C_SLAVE i2c-2 0x50 -> ok\n"
			"I2C_RDWR i2c-2 W0x50/1 R0x50/1 -> ok\n");
	hx_finish(hx);
}

/* ---- I2C mode ------------------------------------------------------------ */

static void test_i2c_mode_one_rdwr_per_group_translated(void **state)
{
	struct hx *hx = hx_new("adapter 0 funcs=i2c\ndevice 0 0x50\ndevice 0 0x51\n");
	/* 0x52 is listed but nobody answers there. */
	char *args[] = {"-e", "stub@0x20", "-l", "0:0x50@0x60:0x51:0x52", NULL};
	uint8_t reg = 0x10, r4[4], w3[3] = {0x20, 0xaa, 0xbb}, r2[2], w1 = 0x20;
	char *log;

	hx_start(hx, 1, args);
	free(shim_new(hx));

	/* Guest address 0x60 is host 0x50; the group is one I2C_RDWR. */
	{
		struct vf_i2c_msg m[2] = {WR(0x60, &reg, 1), RD(0x60, r4, 4)};

		xfer(hx->dev[0], m, 2, "OO");
	}
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/4 -> ok\n");
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(r4[i], REG0(0x50, 0x10 + i));

	assert_int_equal(vf_i2c_write(hx->dev[0], 0x60, w3, 3), 0);
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/3 -> ok\n");
	assert_int_equal(vf_i2c_write_read(hx->dev[0], 0x60, &w1, 1, r2, 2), 0);
	assert_int_equal(r2[0], 0xaa);
	assert_int_equal(r2[1], 0xbb);
	/* Host 0x51 is untouched by the write to 0x50. */
	read_regs(hx->dev[0], 0x51, 0x20, r2, 2);
	assert_int_equal(r2[0], REG0(0x51, 0x20));
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/2 -> ok\n"
			"I2C_SLAVE i2c-0 0x51 -> ok\n"
			"I2C_RDWR i2c-0 W0x51/1 R0x51/2 -> ok\n");

	/* The host address itself is not on the guest's bus. */
	assert_int_equal(vf_i2c_read(hx->dev[0], 0x50, r2, 1), -EIO);
	expect_shim(hx, "");

	/* Two devices of one adapter in one group: still one I2C_RDWR, each translated. */
	{
		uint8_t a = 0x05, b = 0x06, x[1], y[1];
		struct vf_i2c_msg m[4] = {WR(0x51, &a, 1), RD(0x51, x, 1), WR(0x60, &b, 1),
					  RD(0x60, y, 1)};

		xfer(hx->dev[0], m, 4, "OOOO");
		assert_int_equal(x[0], REG0(0x51, 5));
		assert_int_equal(y[0], REG0(0x50, 6));
	}
	expect_shim(hx, "I2C_SLAVE i2c-0 0x51 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x51/1 R0x51/1 W0x50/1 R0x50/1 -> ok\n");

	/* Zero-length messages go through as such, both directions. */
	{
		struct vf_i2c_msg m[1] = {WR(0x60, NULL, 0)};

		xfer(hx->dev[0], m, 1, "O");
		m[0].flags = VF_I2C_M_RD;
		xfer(hx->dev[0], m, 1, "O");
		/* Probing an address nobody answers: NACK, as i2cdetect expects. */
		m[0].addr = 0x52;
		m[0].flags = 0;
		xfer(hx->dev[0], m, 1, "E");
	}
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/0 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 R0x50/0 -> ok\n"
			"I2C_SLAVE i2c-0 0x52 -> ok\n"
			"I2C_RDWR i2c-0 W0x52/0 -> ENXIO\n");
	/* A NACK fails the whole group, and the next group works. */
	{
		struct vf_i2c_msg m[2] = {WR(0x52, &reg, 1), RD(0x52, r2, 1)};

		xfer(hx->dev[0], m, 2, "EE");
	}
	read_regs(hx->dev[0], 0x60, 0x10, r2, 1);
	assert_int_equal(r2[0], REG0(0x50, 0x10));
	log = shim_new(hx);
	assert_string_equal(log, "I2C_SLAVE i2c-0 0x52 -> ok\n"
				 "I2C_RDWR i2c-0 W0x52/1 R0x52/1 -> ENXIO\n"
				 "I2C_SLAVE i2c-0 0x50 -> ok\n"
				 "I2C_RDWR i2c-0 W0x50/1 R0x50/1 -> ok\n");
	free(log);
	/* Only I2C_M_RD was ever passed to the kernel. */
	{
		size_t all = 0;

		log = read_new(hx->shim_log, &all);
		assert_null(strstr(log, "!flags"));
		assert_null(strstr(log, "EINVAL"));
		free(log);
	}
	hx_finish(hx);
}

static void test_i2c_mode_kernel_limits(void **state)
{
	struct hx *hx = hx_new("adapter 0 funcs=i2c\ndevice 0 0x50\n");
	char *args[] = {"-l", "0:0x50", NULL};
	static uint8_t big[8193];
	struct vf_i2c_msg m[43];
	uint8_t regs[21], rd[21];
	char want[1024];
	size_t used;

	hx_start(hx, 1, args);
	free(shim_new(hx));

	/* 42 messages: the most one I2C_RDWR takes, all in one call. */
	used = (size_t)snprintf(want, sizeof(want), "I2C_SLAVE i2c-0 0x50 -> ok\nI2C_RDWR i2c-0");
	for (unsigned i = 0; i < 21; i++) {
		regs[i] = (uint8_t)(3 * i);
		m[2 * i] = (struct vf_i2c_msg)WR(0x50, &regs[i], 1);
		m[2 * i + 1] = (struct vf_i2c_msg)RD(0x50, &rd[i], 1);
		used += (size_t)snprintf(want + used, sizeof(want) - used, " W0x50/1 R0x50/1");
	}
	snprintf(want + used, sizeof(want) - used, " -> ok\n");
	xfer(hx->dev[0], m, 42, "OOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOO");
	for (unsigned i = 0; i < 21; i++)
		assert_int_equal(rd[i], REG0(0x50, 3 * i));
	expect_shim(hx, want);

	/* 43: refused as a whole without an ioctl. */
	m[42] = (struct vf_i2c_msg)RD(0x50, &rd[0], 1);
	xfer(hx->dev[0], m, 43, "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE");
	expect_shim(hx, "");

	/* 8192 bytes in a message pass; 8193 fail without an ioctl. */
	regs[0] = 0x00;
	m[0] = (struct vf_i2c_msg)WR(0x50, &regs[0], 1);
	m[1] = (struct vf_i2c_msg)RD(0x50, big, 8192);
	xfer(hx->dev[0], m, 2, "OO");
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/8192 -> ok\n");
	for (unsigned i = 0; i < 8192; i++)
		if (big[i] != REG0(0x50, i))
			fail_msg("byte %u of the 8192-byte read: 0x%02x", i, big[i]);
	m[0] = (struct vf_i2c_msg)WR(0x50, big, 8192);
	xfer(hx->dev[0], m, 1, "O");
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/8192 -> ok\n");
	m[0] = (struct vf_i2c_msg)RD(0x50, big, 8193);
	xfer(hx->dev[0], m, 1, "E");
	m[0] = (struct vf_i2c_msg)WR(0x50, big, 8193);
	xfer(hx->dev[0], m, 1, "E");
	expect_shim(hx, "");
	assert_true(daemon_alive(hx->d));
	hx_finish(hx);
}

/* A message over 8192 bytes fails its whole group: the messages before it do not run either. */
static void test_i2c_mode_oversized_message_fails_whole_group(void **state)
{
	struct hx *hx = hx_new("adapter 0 funcs=i2c\ndevice 0 0x50\n");
	char *args[] = {"-l", "0:0x50", NULL};
	static uint8_t big[8193];
	uint8_t reg = 0x07, set[2] = {0x07, 0xee}, r;

	hx_start(hx, 1, args);
	free(shim_new(hx));
	{
		struct vf_i2c_msg m[2] = {WR(0x50, &reg, 1), RD(0x50, big, 8193)};

		xfer(hx->dev[0], m, 2, "EE");
	}
	{
		struct vf_i2c_msg m[2] = {WR(0x50, set, 2), WR(0x50, big, 8193)};

		xfer(hx->dev[0], m, 2, "EE");
	}
	expect_shim(hx, "");
	read_regs(hx->dev[0], 0x50, 0x07, &r, 1);
	assert_int_equal(r, REG0(0x50, 7));
	hx_finish(hx);
}

static void test_i2c_mode_zero_length_falls_back_to_quick(void **state)
{
	struct hx *hx = hx_new("adapter 0 funcs=i2c no-zero-len\ndevice 0 0x50\n");
	char *args[] = {"-l", "0:0x50:0x52", NULL};
	struct vf_i2c_msg m[1] = {WR(0x50, NULL, 0)};
	uint8_t r;

	hx_start(hx, 1, args);
	free(shim_new(hx));

	xfer(hx->dev[0], m, 1, "O");
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/0 -> EOPNOTSUPP\n"
			"I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_SMBUS i2c-0 0x50 W QUICK cmd=0x00 -> ok\n");
	/* Remembered: straight to SMBus quick from now on, in both directions. */
	m[0].flags = VF_I2C_M_RD;
	xfer(hx->dev[0], m, 1, "O");
	m[0].addr = 0x52;
	xfer(hx->dev[0], m, 1, "E");
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_SMBUS i2c-0 0x50 R QUICK cmd=0x00 -> ok\n"
			"I2C_SLAVE i2c-0 0x52 -> ok\n"
			"I2C_SMBUS i2c-0 0x52 R QUICK cmd=0x00 -> ENXIO\n");
	/* Other transfers still use I2C_RDWR. */
	read_regs(hx->dev[0], 0x50, 0x44, &r, 1);
	assert_int_equal(r, REG0(0x50, 0x44));
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/1 -> ok\n");
	hx_finish(hx);
}

/* ---- several adapters ---------------------------------------------------- */

static void test_devices_of_several_adapters_on_one_bus(void **state)
{
	struct hx *hx = hx_new("adapter 0 funcs=i2c\ndevice 0 0x50\n"
			       "adapter 1 funcs=stub\ndevice 1 0x50\n");
	char *args[] = {"-e", "stub@0x20", "-l", "0:0x50,1:0x50@0x51", NULL};
	uint8_t reg = 0x08, r[2], w[2] = {0x08, 0x99}, stub_before;

	hx_start(hx, 1, args);
	free(shim_new(hx));
	read_regs(hx->dev[0], 0x20, 0x08, &stub_before, 1);

	read_regs(hx->dev[0], 0x50, 0x08, r, 1);
	read_regs(hx->dev[0], 0x51, 0x09, r + 1, 1);
	assert_int_equal(r[0], REG0(0x50, 8));
	assert_int_equal(r[1], REG0(0x50, 9));
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/1 -> ok\n"
			"I2C_SLAVE i2c-1 0x50 -> ok\n"
			"I2C_SMBUS i2c-1 0x50 R BYTE_DATA cmd=0x09 -> ok\n");

	/* A group spanning the two adapters fails whole, before any ioctl. */
	{
		struct vf_i2c_msg m[2] = {WR(0x50, w, 2), WR(0x51, w, 2)};

		xfer(hx->dev[0], m, 2, "EE");
	}
	{
		struct vf_i2c_msg m[2] = {WR(0x51, &reg, 1), RD(0x50, r, 1)};

		xfer(hx->dev[0], m, 2, "EE");
	}
	/* So does one spanning a host and an emulated device. */
	{
		uint8_t sw[2] = {0x08, 0x77};
		struct vf_i2c_msg m[2] = {WR(0x20, sw, 2), WR(0x50, w, 2)};

		xfer(hx->dev[0], m, 2, "EE");
	}
	expect_shim(hx, "");
	/* Nothing was written anywhere. */
	read_regs(hx->dev[0], 0x50, 0x08, r, 1);
	read_regs(hx->dev[0], 0x51, 0x08, r + 1, 1);
	assert_int_equal(r[0], REG0(0x50, 8));
	assert_int_equal(r[1], REG0(0x50, 8));
	read_regs(hx->dev[0], 0x20, 0x08, r, 1);
	assert_int_equal(r[0], stub_before);
	free(shim_new(hx));
	hx_finish(hx);
}

/* ---- /ro ----------------------------------------------------------------- */

/* A group to a read-only device that must be refused without any ioctl. */
static void refused(struct hx *hx, struct vf_i2c_msg *m, unsigned n)
{
	char want[16] = "";

	memset(want, 'E', n);
	xfer(hx->dev[0], m, n, want);
	expect_shim(hx, "");
}

static void test_read_only_devices(void **state)
{
	/*
	 * i2c-0 (I2C_RDWR): 0x50 /ro, 0x51 writable, 0x52 /ro16 (seen at 0x62).
	 * i2c-1 (SMBus): 0x20 /ro (seen at 0x30), 0x21 /ro16 (seen at 0x31).
	 */
	struct hx *hx = hx_new("adapter 0 funcs=i2c\ndevice 0 0x50\ndevice 0 0x51\n"
			       "device 0 0x52\nadapter 1 funcs=stub\ndevice 1 0x20\n"
			       "device 1 0x21\n");
	char *args[] = {"-l", "0:0x50/ro:0x51:0x52@0x62/ro16,1:0x20@0x30/ro:0x21@0x31/ro16", NULL};
	uint8_t p1 = 0x10, p2[2] = {0x00, 0x10}, w2[2] = {0x10, 0xaa}, w3[3] = {0x00, 0x10, 0xaa};
	uint8_t r[4], r2[4];

	hx_start(hx, 1, args);
	free(shim_new(hx));

	/* /ro, I2C mode: reads, a zero-length read, [W 1][R n]; nothing else. */
	{
		struct vf_i2c_msg m[1] = {RD(0x50, NULL, 0)};

		xfer(hx->dev[0], m, 1, "O");
	}
	assert_int_equal(vf_i2c_read(hx->dev[0], 0x50, r, 4), 0);
	assert_int_equal(vf_i2c_write_read(hx->dev[0], 0x50, &p1, 1, r, 2), 0);
	assert_int_equal(r[0], REG0(0x50, 0x10));
	assert_int_equal(r[1], REG0(0x50, 0x11));
	{
		uint8_t q = 0x20;
		struct vf_i2c_msg m[4] = {WR(0x50, &p1, 1), RD(0x50, r, 1), WR(0x50, &q, 1),
					  RD(0x50, r2, 0)};

		xfer(hx->dev[0], m, 4, "OOOO");
	}
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 R0x50/0 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 R0x50/4 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/2 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/1 W0x50/1 R0x50/0 -> ok\n");
	/* The review's example: register 0x10 := 0xaa, then a read. It used to pass. */
	{
		struct vf_i2c_msg m[2] = {WR(0x50, w2, 2), RD(0x50, r, 1)};

		refused(hx, m, 2);
	}
	{
		/* A zero-length write (SMBus quick write) and a lone pointer (send byte). */
		struct vf_i2c_msg m[1] = {WR(0x50, NULL, 0)};

		refused(hx, m, 1);
		m[0] = (struct vf_i2c_msg)WR(0x50, &p1, 1);
		refused(hx, m, 1);
		m[0] = (struct vf_i2c_msg)WR(0x50, w2, 2);
		refused(hx, m, 1);
	}
	{
		/* A 2- or 3-byte "pointer" before a read; a pointer before a write. */
		struct vf_i2c_msg m[2] = {WR(0x50, p2, 2), RD(0x50, r, 2)};

		refused(hx, m, 2);
		m[0] = (struct vf_i2c_msg)WR(0x50, w3, 3);
		refused(hx, m, 2);
		m[0] = (struct vf_i2c_msg)WR(0x50, &p1, 1);
		m[1] = (struct vf_i2c_msg)WR(0x50, w2, 2);
		refused(hx, m, 2);
		/* ... or before a read of another device, even a writable one. */
		m[1] = (struct vf_i2c_msg)RD(0x51, r, 1);
		refused(hx, m, 2);
	}
	{
		/* A pointer, then the zero-length write that would end it. */
		struct vf_i2c_msg m[3] = {WR(0x50, &p1, 1), WR(0x50, NULL, 0), RD(0x50, r, 1)};

		refused(hx, m, 3);
	}
	/* Like a NACK on a wire: what comes before the refused write runs, it does not. */
	{
		struct vf_i2c_msg m[3] = {WR(0x50, &p1, 1), RD(0x50, r, 1), WR(0x50, w2, 2)};

		xfer(hx->dev[0], m, 3, "OOE");
	}
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/1 -> ok\n");
	/* A group mixing the writable and the read-only device is one I2C_RDWR. */
	{
		struct vf_i2c_msg m[4] = {WR(0x51, w2, 2), WR(0x50, &p1, 1), RD(0x50, r, 1),
					  RD(0x51, r2, 1)};

		xfer(hx->dev[0], m, 4, "OOOO");
		assert_int_equal(r[0], REG0(0x50, 0x10));
		assert_int_equal(r2[0], REG0(0x51, 0x11));
	}
	expect_shim(hx, "I2C_SLAVE i2c-0 0x51 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x51/2 W0x50/1 R0x50/1 R0x51/1 -> ok\n");
	/* Nothing was ever written to 0x50; 0x51 took its write. */
	read_regs(hx->dev[0], 0x50, 0x10, r, 2);
	assert_int_equal(r[0], REG0(0x50, 0x10));
	assert_int_equal(r[1], REG0(0x50, 0x11));
	read_regs(hx->dev[0], 0x51, 0x10, r, 1);
	assert_int_equal(r[0], 0xaa);
	read_regs(hx->dev[0], 0x50, 0x00, r, 1);
	assert_int_equal(r[0], REG0(0x50, 0x00));
	free(shim_new(hx));

	/* /ro16, I2C mode: [W 2][R n] and reads only. */
	{
		struct vf_i2c_msg m[2] = {WR(0x62, p2, 2), RD(0x62, r, 2)};

		/* The fake's pointer is 8-bit: {0x00, 0x10} stores 0x10 at 0, reads from 1. */
		xfer(hx->dev[0], m, 2, "OO");
		m[0] = (struct vf_i2c_msg)RD(0x62, r, 1);
		xfer(hx->dev[0], m, 1, "O");
		m[0] = (struct vf_i2c_msg)RD(0x62, NULL, 0);
		xfer(hx->dev[0], m, 1, "O");
	}
	expect_shim(hx, "I2C_SLAVE i2c-0 0x52 -> ok\n"
			"I2C_RDWR i2c-0 W0x52/2 R0x52/2 -> ok\n"
			"I2C_SLAVE i2c-0 0x52 -> ok\n"
			"I2C_RDWR i2c-0 R0x52/1 -> ok\n"
			"I2C_SLAVE i2c-0 0x52 -> ok\n"
			"I2C_RDWR i2c-0 R0x52/0 -> ok\n");
	{
		/* Address + data: a 24c32 byte write followed by a read. It used to pass. */
		struct vf_i2c_msg m[2] = {WR(0x62, w3, 3), RD(0x62, r, 1)};

		refused(hx, m, 2);
		m[0] = (struct vf_i2c_msg)WR(0x62, &p1, 1);
		refused(hx, m, 2);
		m[0] = (struct vf_i2c_msg)WR(0x62, p2, 2);
		refused(hx, m, 1);
		m[0] = (struct vf_i2c_msg)WR(0x62, NULL, 0);
		refused(hx, m, 1);
		m[0] = (struct vf_i2c_msg)WR(0x62, p2, 2);
		m[1] = (struct vf_i2c_msg)WR(0x62, w2, 2);
		refused(hx, m, 2);
	}

	/* SMBus mode: /ro gets only SMBus reads, quick write included in the refusals. */
	{
		struct vf_i2c_msg m[1] = {WR(0x30, NULL, 0)};

		refused(hx, m, 1);
		m[0] = (struct vf_i2c_msg)WR(0x30, &p1, 1);
		refused(hx, m, 1);
		m[0] = (struct vf_i2c_msg)WR(0x30, w2, 2);
		refused(hx, m, 1);
		m[0] = (struct vf_i2c_msg)WR(0x30, w3, 3);
		refused(hx, m, 1);
		m[0] = (struct vf_i2c_msg)RD(0x30, NULL, 0);
		xfer(hx->dev[0], m, 1, "O");
	}
	assert_int_equal(vf_i2c_write_read(hx->dev[0], 0x30, &p1, 1, r, 1), 0);
	assert_int_equal(r[0], REG0(0x20, 0x10));
	assert_int_equal(vf_i2c_write_read(hx->dev[0], 0x30, &p1, 1, r, 2), 0);
	assert_int_equal(vf_i2c_read(hx->dev[0], 0x30, r, 1), 0);
	expect_shim(hx, "I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R QUICK cmd=0x00 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R BYTE_DATA cmd=0x10 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R WORD_DATA cmd=0x10 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R BYTE cmd=0x00 -> ok\n");
	/*
	 * /ro16 on SMBus: [W 2][R n] has no SMBus equivalent (ERR, no ioctl), so
	 * such a device can only be read from its current address; writes are
	 * refused as on I2C.
	 */
	{
		struct vf_i2c_msg m[2] = {WR(0x31, p2, 2), RD(0x31, r, 1)};

		refused(hx, m, 2);
		m[0] = (struct vf_i2c_msg)WR(0x31, &p1, 1);
		refused(hx, m, 2);
		m[0] = (struct vf_i2c_msg)WR(0x31, NULL, 0);
		refused(hx, m, 1);
		m[0] = (struct vf_i2c_msg)WR(0x31, w3, 3);
		refused(hx, m, 1);
	}
	assert_int_equal(vf_i2c_read(hx->dev[0], 0x31, r, 1), 0);
	assert_int_equal(r[0], REG0(0x21, 0x00));
	expect_shim(hx, "I2C_SLAVE i2c-1 0x21 -> ok\n"
			"I2C_SMBUS i2c-1 0x21 R BYTE cmd=0x00 -> ok\n");
	/* The SMBus devices were never written either. */
	assert_int_equal(vf_i2c_write_read(hx->dev[0], 0x30, &p1, 1, r, 1), 0);
	assert_int_equal(r[0], REG0(0x20, 0x10));
	assert_int_equal(vf_i2c_write_read(hx->dev[0], 0x30, (uint8_t[]){0x00}, 1, r, 1), 0);
	assert_int_equal(r[0], REG0(0x20, 0x00));
	free(shim_new(hx));
	assert_true(daemon_alive(hx->d));
	hx_finish(hx);
}

/* ---- a kernel driver binding after start-up ---------------------------- */

static void test_driver_bound_later_gets_no_guest_traffic(void **state)
{
	/* at24 binds to i2c-0 0x50 after the 2nd transfer, lm75 to i2c-1 0x20 after the 1st. */
	struct hx *hx = hx_new("adapter 0 funcs=i2c\ndevice 0 0x50\ndevice 0 0x51\n"
			       "bind 0 0x50 at24 after=2\n"
			       "adapter 1 funcs=stub\ndevice 1 0x20\ndevice 1 0x21\n"
			       "bind 1 0x20 lm75 after=1\n");
	char *args[] = {"-l", "0:0x50:0x51,1:0x20:0x21", NULL};
	uint8_t w2[2] = {0x10, 0xaa}, r[2];
	char *dlog;

	hx_start(hx, 1, args);
	free(shim_new(hx));
	free(daemon_new_log(hx));

	/* I2C mode: every I2C_RDWR is preceded by an I2C_SLAVE claim of its addresses. */
	read_regs(hx->dev[0], 0x50, 0x10, r, 1);
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/1 -> ok\n");
	read_regs(hx->dev[0], 0x50, 0x11, r, 1);
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/1 -> ok\n"
			"driver at24 binds to i2c-0 0x50\n");
	/* at24 has it now: reads and writes fail, and not one byte reaches the device. */
	for (unsigned i = 0; i < 5; i++) {
		struct vf_i2c_msg m[2] = {WR(0x50, w2, 1), RD(0x50, r, 1)};

		xfer(hx->dev[0], m, 2, "EE");
		m[0] = (struct vf_i2c_msg)WR(0x50, w2, 2);
		xfer(hx->dev[0], m, 1, "E");
	}
	{
		char want[512] = "";

		for (unsigned i = 0; i < 10; i++)
			strcat(want, "I2C_SLAVE i2c-0 0x50 -> EBUSY\n");
		expect_shim(hx, want);
	}
	/* A group to both devices fails as a whole; 0x51 alone still works. */
	{
		struct vf_i2c_msg m[4] = {WR(0x51, w2, 1), RD(0x51, r, 1), WR(0x50, w2, 1),
					  RD(0x50, r + 1, 1)};

		xfer(hx->dev[0], m, 4, "EEEE");
	}
	expect_shim(hx, "I2C_SLAVE i2c-0 0x51 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> EBUSY\n");
	assert_int_equal(vf_i2c_write(hx->dev[0], 0x51, w2, 2), 0);
	expect_shim(hx, "I2C_SLAVE i2c-0 0x51 -> ok\n"
			"I2C_RDWR i2c-0 W0x51/2 -> ok\n");

	/* SMBus mode did this already; the same outcome. */
	read_regs(hx->dev[0], 0x20, 0x10, r, 1);
	assert_int_equal(vf_i2c_write(hx->dev[0], 0x20, w2, 2), -EIO);
	read_regs(hx->dev[0], 0x21, 0x10, r, 1);
	expect_shim(hx, "I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R BYTE_DATA cmd=0x10 -> ok\n"
			"driver lm75 binds to i2c-1 0x20\n"
			"I2C_SLAVE i2c-1 0x20 -> EBUSY\n"
			"I2C_SLAVE i2c-1 0x21 -> ok\n"
			"I2C_SMBUS i2c-1 0x21 R BYTE_DATA cmd=0x10 -> ok\n");

	/* One warning per adapter per second, naming the address; never a forced claim. */
	dlog = daemon_new_log(hx);
	if (count_lines_with(dlog, "i2c-0: 0x50 is now in use by a host kernel driver") != 1 ||
	    count_lines_with(dlog, "i2c-1: 0x20 is now in use by a host kernel driver") != 1 ||
	    !strstr(dlog, "/sys/bus/i2c/devices/0-0050/driver"))
		fail_msg("expected one warning per adapter, got:\n%s", dlog);
	free(dlog);
	assert_true(daemon_alive(hx->d));
	hx_finish(hx);
}

/* ---- SMBus mode ---------------------------------------------------------- */

static void test_smbus_translation(void **state)
{
	struct hx *hx = hx_new("adapter 1 funcs=stub\ndevice 1 0x20\ndevice 1 0x21\n");
	char *args[] = {"-v", "-v", "-l", "1:0x20@0x30:0x21", NULL};
	struct vf_dev *g;
	uint8_t r[32], b;
	char *dlog;

	hx_start(hx, 1, args);
	g = hx->dev[0];
	free(shim_new(hx));

	/* Quick, both directions. */
	{
		struct vf_i2c_msg m[1] = {WR(0x30, NULL, 0)};

		xfer(g, m, 1, "O");
		m[0].flags = VF_I2C_M_RD;
		xfer(g, m, 1, "O");
	}
	expect_shim(hx, "I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 W QUICK cmd=0x00 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R QUICK cmd=0x00 -> ok\n");

	/* Send byte sets the pointer, receive byte reads there. */
	b = 0x10;
	assert_int_equal(vf_i2c_write(g, 0x30, &b, 1), 0);
	assert_int_equal(vf_i2c_read(g, 0x30, r, 1), 0);
	assert_int_equal(r[0], REG0(0x20, 0x10));
	expect_shim(hx, "I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 W BYTE cmd=0x10 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R BYTE cmd=0x00 -> ok\n");

	/* Write byte data, read it back with read byte data and with receive byte. */
	assert_int_equal(vf_i2c_write(g, 0x30, (uint8_t[]){0x11, 0xab}, 2), 0);
	assert_int_equal(vf_i2c_write_read(g, 0x30, (uint8_t[]){0x11}, 1, r, 1), 0);
	assert_int_equal(r[0], 0xab);
	assert_int_equal(vf_i2c_write(g, 0x30, (uint8_t[]){0x11}, 1), 0);
	assert_int_equal(vf_i2c_read(g, 0x30, r, 1), 0);
	assert_int_equal(r[0], 0xab);
	expect_shim(hx, "I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 W BYTE_DATA cmd=0x11 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R BYTE_DATA cmd=0x11 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 W BYTE cmd=0x11 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R BYTE cmd=0x00 -> ok\n");

	/* Word data: low byte first on the wire, both ways. */
	assert_int_equal(vf_i2c_write(g, 0x30, (uint8_t[]){0x12, 0x34, 0x56}, 3), 0);
	assert_int_equal(vf_i2c_write_read(g, 0x30, (uint8_t[]){0x12}, 1, r, 2), 0);
	assert_int_equal(r[0], 0x34);
	assert_int_equal(r[1], 0x56);
	expect_shim(hx, "I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 W WORD_DATA cmd=0x12 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R WORD_DATA cmd=0x12 -> ok\n");

	/* I2C block write and read, shortest and longest. */
	assert_int_equal(vf_i2c_write(g, 0x30, (uint8_t[]){0x40, 1, 2, 3}, 4), 0);
	{
		uint8_t w33[33];

		w33[0] = 0x80;
		for (unsigned i = 1; i < 33; i++)
			w33[i] = (uint8_t)(0xc0 + i);
		assert_int_equal(vf_i2c_write(g, 0x30, w33, 33), 0);
	}
	assert_int_equal(vf_i2c_write_read(g, 0x30, (uint8_t[]){0x3f}, 1, r, 5), 0);
	assert_memory_equal(r, ((uint8_t[]){REG0(0x20, 0x3f), 1, 2, 3, REG0(0x20, 0x43)}), 5);
	assert_int_equal(vf_i2c_write_read(g, 0x30, (uint8_t[]){0x80}, 1, r, 32), 0);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(r[i], 0xc1 + i);
	/* The word and byte data written earlier read back as plain bytes too. */
	assert_int_equal(vf_i2c_write_read(g, 0x30, (uint8_t[]){0x10}, 1, r, 3), 0);
	assert_memory_equal(r, ((uint8_t[]){REG0(0x20, 0x10), 0xab, 0x34}), 3);
	expect_shim(hx, "I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 W I2C_BLOCK_DATA cmd=0x40 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 W I2C_BLOCK_DATA cmd=0x80 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R I2C_BLOCK_DATA cmd=0x3f -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R I2C_BLOCK_DATA cmd=0x80 -> ok\n"
			"I2C_SLAVE i2c-1 0x20 -> ok\n"
			"I2C_SMBUS i2c-1 0x20 R I2C_BLOCK_DATA cmd=0x10 -> ok\n");

	/* Shapes without an SMBus equivalent: refused, nothing reaches the adapter. */
	{
		uint8_t c = 0x10, c2[2] = {0x10, 0x11}, w[35] = {0x10};
		struct vf_i2c_msg wr0[2] = {WR(0x30, &c, 1), RD(0x30, r, 0)};
		struct vf_i2c_msg three[3] = {WR(0x30, &c, 1), RD(0x30, r, 1), RD(0x30, r + 1, 1)};
		struct vf_i2c_msg mixed[2] = {WR(0x30, &c, 1), RD(0x21, r, 1)};
		struct vf_i2c_msg r2[1] = {RD(0x30, r, 2)};
		struct vf_i2c_msg w2r1[2] = {WR(0x30, c2, 2), RD(0x30, r, 1)};
		struct vf_i2c_msg w35[1] = {WR(0x30, w, 35)};
		struct vf_i2c_msg r33[2] = {WR(0x30, &c, 1), RD(0x30, r, 33)};

		xfer(g, wr0, 2, "EE");
		xfer(g, three, 3, "EEE");
		xfer(g, mixed, 2, "EE");
		xfer(g, r2, 1, "E");
		xfer(g, w2r1, 2, "EE");
		xfer(g, w35, 1, "E");
		/* SMBus block read: this adapter lacks READ_BLOCK_DATA. */
		{
			uint8_t big[33];

			r33[1].buf = big;
			xfer(g, r33, 2, "EE");
		}
	}
	expect_shim(hx, "");
	dlog = daemon_new_log(hx);
	assert_non_null(strstr(dlog, "[W 1][R 0]"));
	assert_non_null(strstr(dlog, "[W 1][R 1][R 1]"));
	free(dlog);
	/* ... and the daemon carries on. */
	assert_int_equal(vf_i2c_write_read(g, 0x21, (uint8_t[]){0x05}, 1, r, 1), 0);
	assert_int_equal(r[0], REG0(0x21, 5));
	expect_shim(hx, "I2C_SLAVE i2c-1 0x21 -> ok\n"
			"I2C_SMBUS i2c-1 0x21 R BYTE_DATA cmd=0x05 -> ok\n");
	hx_finish(hx);
}

/* ---- faults -------------------------------------------------------------- */

/* The fake saw one [W 1 0x21][R 2] to addr on adapter nr (0: I2C, 1: SMBus) end with result. */
static void expect_shim_read(struct hx *hx, unsigned nr, uint8_t addr, const char *result)
{
	char want[256];

	if (nr == 0)
		snprintf(want, sizeof(want),
			 "I2C_SLAVE i2c-0 0x%02x -> ok\n"
			 "I2C_RDWR i2c-0 W0x%02x/1 R0x%02x/2 -> %s\n",
			 addr, addr, addr, result);
	else
		snprintf(want, sizeof(want),
			 "I2C_SLAVE i2c-1 0x%02x -> ok\n"
			 "I2C_SMBUS i2c-1 0x%02x R WORD_DATA cmd=0x21 -> %s\n",
			 addr, addr, result);
	expect_shim(hx, want);
}

/* Transfer 1 to addr works, transfer 2 fails (injected), transfer 3 works again. */
static void check_injected(struct hx *hx, unsigned nr, uint8_t addr, const char *err_name)
{
	struct vf_i2c_msg m[2];
	uint8_t reg = 0x21, r[2];

	read_regs(hx->dev[0], addr, reg, r, 2);
	expect_shim_read(hx, nr, addr, "ok");

	m[0] = (struct vf_i2c_msg)WR(addr, &reg, 1);
	m[1] = (struct vf_i2c_msg)RD(addr, r, 2);
	xfer(hx->dev[0], m, 2, "EE");
	expect_shim_read(hx, nr, addr, err_name);

	memset(r, 0, sizeof(r));
	read_regs(hx->dev[0], addr, reg, r, 2);
	assert_int_equal(r[0], REG0(addr, 0x21));
	assert_int_equal(r[1], REG0(addr, 0x22));
	expect_shim_read(hx, nr, addr, "ok");
}

static void test_injected_bus_errors(void **state)
{
	static const char *const errs[] = {"ENXIO", "EREMOTEIO", "EIO", "ETIMEDOUT", "EAGAIN"};
	char config[2048], *args[] = {"-l", "0:0x50:0x51:0x52:0x53:0x54,1:0x20:0x21:0x22", NULL};
	size_t used = 0;
	struct hx *hx;

	used += (size_t)snprintf(config, sizeof(config),
				 "adapter 0 funcs=i2c\n"
				 "adapter 1 funcs=stub\n");
	for (unsigned i = 0; i < 5; i++)
		used += (size_t)snprintf(config + used, sizeof(config) - used,
					 "device 0 0x%02x\nfail 0 0x%02x %s skip=1\n", 0x50 + i,
					 0x50 + i, errs[i]);
	for (unsigned i = 0; i < 3; i++)
		used += (size_t)snprintf(config + used, sizeof(config) - used,
					 "device 1 0x%02x\nfail 1 0x%02x %s skip=1\n", 0x20 + i,
					 0x20 + i, errs[i + 2]);
	hx = hx_new(config);
	hx_start(hx, 1, args);
	free(shim_new(hx));
	for (unsigned i = 0; i < 5; i++)
		check_injected(hx, 0, (uint8_t)(0x50 + i), errs[i]);
	for (unsigned i = 0; i < 3; i++)
		check_injected(hx, 1, (uint8_t)(0x20 + i), errs[i + 2]);
	/* Bus errors are warned about (NACKs are not), naming adapter and address. */
	assert_true(daemon_log_contains(hx->d, "i2c-0: I2C_RDWR to 0x52 failed"));
	assert_true(daemon_log_contains(hx->d, "i2c-1: I2C_SMBUS to 0x20 failed"));
	assert_false(daemon_log_contains(hx->d, "0x50"));
	/* A bus error is not a disappearance. */
	assert_false(daemon_log_contains(hx->d, "disappeared"));
	hx_finish(hx);
}

static void test_adapter_disappears(void **state)
{
	struct hx *hx = hx_new("adapter 0 funcs=i2c gone-after=2\ndevice 0 0x50\n"
			       "adapter 1 funcs=stub\ndevice 1 0x20\n");
	char *args[] = {"-l", "0:0x50,1:0x20", NULL};
	uint8_t r[2];
	char *log;

	hx_start(hx, 1, args);
	free(shim_new(hx));
	read_regs(hx->dev[0], 0x50, 0x01, r, 1);
	read_regs(hx->dev[0], 0x50, 0x02, r, 1);
	assert_int_equal(vf_i2c_write_read(hx->dev[0], 0x50, (uint8_t[]){3}, 1, r, 1), -EIO);
	expect_shim(hx, "I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/1 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/1 -> ok\n"
			"I2C_SLAVE i2c-0 0x50 -> ok\n"
			"I2C_RDWR i2c-0 W0x50/1 R0x50/1 -> ENODEV\n");

	/* From now on every request to it fails at once; the other adapter works. */
	for (unsigned i = 0; i < 5; i++) {
		struct vf_i2c_msg z[1] = {WR(0x50, NULL, 0)};

		assert_int_equal(vf_i2c_write_read(hx->dev[0], 0x50, (uint8_t[]){3}, 1, r, 1),
				 -EIO);
		assert_int_equal(vf_i2c_write(hx->dev[0], 0x50, (uint8_t[]){3, 4}, 2), -EIO);
		xfer(hx->dev[0], z, 1, "E");
		read_regs(hx->dev[0], 0x20, (uint8_t)i, r, 1);
		assert_int_equal(r[0], REG0(0x20, i));
	}
	log = shim_new(hx);
	assert_int_equal(count_lines_with(log, "i2c-0"), 0);
	assert_int_equal(count_lines_with(log, "I2C_SMBUS i2c-1 0x20 R BYTE_DATA"), 5);
	free(log);
	log = daemon_log(hx->d);
	assert_non_null(log);
	if (count_lines_with(log, "disappeared") != 1 || !strstr(log, "i2c-0"))
		fail_msg("expected one line about i2c-0 disappearing:\n%s", log);
	free(log);
	hx_finish(hx);
}

/* ---- two guests at once -------------------------------------------------- */

#define HAMMER_ROUNDS 800

struct hammer {
	struct vf_dev *dev;
	uint8_t addr;
	unsigned tag;
	unsigned wrong, failed;
	char first_error[160];
};

static void hammer_error(struct hammer *h, bool wrong, const char *what, unsigned round)
{
	if (wrong)
		h->wrong++;
	else
		h->failed++;
	if (!h->first_error[0])
		snprintf(h->first_error, sizeof(h->first_error), "0x%02x round %u: %s", h->addr,
			 round, what);
}

/* Word writes and block writes of this guest's own data, each read back at once. */
static void *hammer_run(void *arg)
{
	struct hammer *h = arg;

	for (unsigned i = 0; i < HAMMER_ROUNDS; i++) {
		uint8_t v0 = (uint8_t)(h->tag ^ i), v1 = (uint8_t)(h->tag + 3 * i);
		uint8_t word[3] = {0x10, v0, v1}, blk[9] = {0x80}, r[8];

		for (unsigned k = 1; k < 9; k++)
			blk[k] = (uint8_t)(h->tag * 7 + i + k);
		if (vf_i2c_write(h->dev, h->addr, word, 3) ||
		    vf_i2c_write_read(h->dev, h->addr, word, 1, r, 2)) {
			hammer_error(h, false, "word transfer failed", i);
			continue;
		}
		if (r[0] != v0 || r[1] != v1)
			hammer_error(h, true, "word read back wrong", i);
		if (vf_i2c_write(h->dev, h->addr, blk, 9) ||
		    vf_i2c_write_read(h->dev, h->addr, blk, 1, r, 8)) {
			hammer_error(h, false, "block transfer failed", i);
			continue;
		}
		if (memcmp(r, blk + 1, 8))
			hammer_error(h, true, "block read back wrong", i);
	}
	return NULL;
}

static void test_two_guests_hammer_one_smbus_adapter(void **state)
{
	struct hx *hx = hx_new("adapter 1 funcs=stub\ndevice 1 0x20\ndevice 1 0x21\n");
	char *args[] = {"-l", "1:0x20:0x21", NULL};
	struct hammer h[2] = {{.addr = 0x20, .tag = 0x5a}, {.addr = 0x21, .tag = 0xc3}};
	pthread_t t[2];
	char *log, *line, *save = NULL;
	unsigned pairs = 0, interleaved = 0;
	char slave[64] = "";

	hx_start(hx, 2, args);
	free(shim_new(hx));
	for (unsigned i = 0; i < 2; i++) {
		h[i].dev = hx->dev[i];
		assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]), 0);
	}
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	/*
	 * What the adapter saw, in order: every I2C_SMBUS right after the
	 * I2C_SLAVE of its own transfer. Another guest's I2C_SLAVE in between
	 * (no adapter lock) shows here even when the data happen to match.
	 */
	log = shim_new(hx);
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned a;

		if (sscanf(line, "I2C_SLAVE i2c-1 0x%x -> ok", &a) == 1) {
			if (slave[0])
				interleaved++;
			snprintf(slave, sizeof(slave), "I2C_SMBUS i2c-1 0x%02x ", a);
		} else if (!strncmp(line, "I2C_SMBUS", 9)) {
			if (!slave[0] || strncmp(line, slave, strlen(slave)) ||
			    !strstr(line, "-> ok"))
				interleaved++;
			slave[0] = '\0';
			pairs++;
		} else {
			interleaved++;
		}
	}
	free(log);
	for (unsigned i = 0; i < 2; i++)
		if (h[i].wrong || h[i].failed || interleaved)
			fail_msg("guest %u: %u wrong values, %u failed transfers (first: %s); "
				 "%u interleaved calls in the adapter's log",
				 i, h[i].wrong, h[i].failed, h[i].first_error, interleaved);
	assert_int_equal(pairs, 2 * 4 * HAMMER_ROUNDS);
	hx_finish(hx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_startup_opens_and_claims_without_force, teardown),
		cmocka_unit_test_teardown(test_address_owned_by_kernel_driver_refused, teardown),
		cmocka_unit_test_teardown(test_second_instance_same_address_refused, teardown),
		cmocka_unit_test_teardown(test_adapter_names_and_numbers, teardown),
		cmocka_unit_test_teardown(test_i2c_mode_one_rdwr_per_group_translated, teardown),
		cmocka_unit_test_teardown(test_i2c_mode_kernel_limits, teardown),
		cmocka_unit_test_teardown(test_i2c_mode_oversized_message_fails_whole_group,
					  teardown),
		cmocka_unit_test_teardown(test_i2c_mode_zero_length_falls_back_to_quick, teardown),
		cmocka_unit_test_teardown(test_devices_of_several_adapters_on_one_bus, teardown),
		cmocka_unit_test_teardown(test_read_only_devices, teardown),
		cmocka_unit_test_teardown(test_driver_bound_later_gets_no_guest_traffic, teardown),
		cmocka_unit_test_teardown(test_smbus_translation, teardown),
		cmocka_unit_test_teardown(test_injected_bus_errors, teardown),
		cmocka_unit_test_teardown(test_adapter_disappears, teardown),
		cmocka_unit_test_teardown(test_two_guests_hammer_one_smbus_adapter, teardown),
	};
	struct fake_i2cdev fake;

	/* Without the fake, /dev/i2c-N would be the real thing (or nothing): refuse to run. */
	if (!fake_i2cdev_bind(&fake)) {
		printf("test_host needs the fake i2c-dev preloaded (run it with ctest)\n");
		return 1;
	}
	/* This process never touches an adapter: keep its own copy of the fake empty. */
	if (fake.load("") < 0) {
		printf("cannot reset the fake i2c-dev\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
