// SPDX-License-Identifier: MIT
/*
 * Host passthrough (i2c_host.c) through the real i2c-dev code path, played
 * by the fake_i2cdev LD_PRELOAD library (tests/shim): open and mode choice,
 * claims (driver-bound EBUSY, OFD lock conflicts), name resolution, I2C_RDWR
 * limits and zero-length fallback, SMBus translation on the wire, faults
 * and a disappearing adapter, the per-adapter lock under two threads, a
 * driver binding after start-up, and the /ro, /ro16 policy of i2c_bus on
 * both kinds of adapter.
 * Needs the fake preloaded (CTest sets LD_PRELOAD); fails loudly otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/i2c.h>

#include "config.h"
#include "../shim/fake_i2cdev.h"
#include "i2c_bus.h"
#include "i2c_host.h"

static struct fake_i2cdev fake;

struct env {
	char base[64];
	char dev[96];
	char sys[96];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/*
 * i2c-1: I2C adapter "main bus" with devices 0x50, 0x52, busy 0x51 (at24).
 * i2c-2: SMBus-only (i2c-stub functionality) "stub bus", devices 0x50, 0x60.
 * i2c-3: I2C adapter refusing zero-length messages, with QUICK, device 0x20.
 * i2c-4: same as 3 without SMBus QUICK.
 * i2c-5: SMBus adapter with every SMBus call incl. block and proc call, 0x30.
 * i2c-6: neither I2C nor SMBus.
 * i2c-7: "dup", i2c-8: "dup".
 */
static const char base_config[] = "adapter 1 funcs=i2c name=\"main bus\"\n"
				  "device 1 0x50\n"
				  "device 1 0x51 busy=at24\n"
				  "device 1 0x52\n"
				  "adapter 2 funcs=stub name=\"stub bus\"\n"
				  "device 2 0x50\n"
				  "device 2 0x60\n"
				  "adapter 3 funcs=0x10001 no-zero-len\n"
				  "device 3 0x20\n"
				  "adapter 4 funcs=0x1 no-zero-len\n"
				  "device 4 0x20\n"
				  "adapter 5 funcs=0x0fff0000\n"
				  "device 5 0x30\n"
				  "adapter 6 funcs=0x2\n"
				  "adapter 7 name=dup\n"
				  "adapter 8 name=dup\n";

static int load(struct env *e, const char *extra)
{
	char *text;
	int ret;

	if (asprintf(&text, "dev %s\nsysfs %s\n%s%s", e->dev, e->sys, base_config, extra) < 0)
		return -ENOMEM;
	ret = fake.load(text);
	free(text);
	return ret;
}

static int setup_with(void **state, const char *extra)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!fake_i2cdev_bind(&fake)) {
		fprintf(stderr, "fake_i2cdev is not preloaded (LD_PRELOAD)\n");
		return -1;
	}
	snprintf(e->base, sizeof(e->base), "/tmp/vi2c-host-XXXXXX");
	if (!mkdtemp(e->base))
		return -1;
	snprintf(e->dev, sizeof(e->dev), "%s/dev", e->base);
	snprintf(e->sys, sizeof(e->sys), "%s/sys", e->base);
	if (load(e, extra) < 0) {
		fprintf(stderr, "fake_i2cdev: bad configuration\n");
		return -1;
	}
	*state = e;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, "");
}

/* i2c-9 disappears after two transfers. */
static int setup_gone(void **state)
{
	return setup_with(state, "adapter 9 gone-after=2\ndevice 9 0x10\n");
}

static int teardown(void **state)
{
	struct env *e = *state;

	nftw(e->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(e);
	return 0;
}

static struct i2c_host_adapter *open_ok(struct env *e, unsigned nr)
{
	char err[256] = "";
	struct i2c_host_adapter *ad = i2c_host_open(nr, e->dev, err, sizeof(err));

	if (!ad)
		fail_msg("i2c_host_open(%u): %s", nr, err);
	return ad;
}

static void claim_ok(struct env *e, struct i2c_host_adapter *ad, uint8_t addr)
{
	char err[256] = "";

	if (i2c_host_claim(ad, addr, e->sys, err, sizeof(err)) != 0)
		fail_msg("claim 0x%02x: %s", addr, err);
}

/* Number of occurrences of needle in the fake's log. */
static int log_count(const char *needle)
{
	char *log = fake.log();
	int n = 0;

	for (const char *p = log; (p = strstr(p, needle)); p++)
		n++;
	free(log);
	return n;
}

static void expect_log(const char *needle)
{
	char *log = fake.log();

	if (!strstr(log, needle))
		fail_msg("fake log lacks \"%s\":\n%s", needle, log);
	free(log);
}

static struct i2c_msg_buf msg(uint8_t addr, bool read, uint8_t *buf, uint16_t len)
{
	return (struct i2c_msg_buf){.addr = addr, .read = read, .len = len, .buf = buf};
}

/* ---- open ----------------------------------------------------------------- */

static void test_open_modes(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *i2c = open_ok(e, 1), *smbus = open_ok(e, 2);

	assert_int_equal(i2c_host_nr(i2c), 1);
	assert_true(i2c_host_i2c_mode(i2c));
	assert_true(i2c_host_funcs(i2c) & I2C_FUNC_I2C);
	assert_false(i2c_host_gone(i2c));
	assert_int_equal(i2c_host_nr(smbus), 2);
	assert_false(i2c_host_i2c_mode(smbus));
	expect_log("open i2c-1");
	expect_log("I2C_FUNCS i2c-2 -> ok");
	i2c_host_close(i2c);
	i2c_host_close(smbus);
	i2c_host_close(NULL);
}

static void test_open_errors(void **state)
{
	struct env *e = *state;
	char err[256] = "";

	errno = 0;
	assert_null(i2c_host_open(6, e->dev, err, sizeof(err)));
	assert_int_equal(errno, EOPNOTSUPP);
	assert_non_null(strstr(err, "neither I2C nor SMBus"));
	assert_non_null(strstr(err, "i2c-6"));

	errno = 0;
	assert_null(i2c_host_open(42, e->dev, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "i2c-42"));
	assert_non_null(strstr(err, "No such file"));
}

/* ---- claim ---------------------------------------------------------------- */

static void test_claim(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 1);
	char err[256] = "";

	claim_ok(e, ad, 0x50);
	claim_ok(e, ad, 0x52);
	expect_log("I2C_SLAVE i2c-1 0x50 -> ok");
	assert_int_equal(i2c_host_claim(ad, 0x50, e->sys, err, sizeof(err)), -EEXIST);
	assert_int_equal(i2c_host_claim(ad, 0x80, e->sys, err, sizeof(err)), -EINVAL);
	assert_int_equal(log_count("I2C_SLAVE_FORCE"), 0);
	i2c_host_close(ad);
}

/* Is byte addr of the node locked by someone else? Asked through a fresh open. */
static bool locked_elsewhere(struct env *e, unsigned nr, unsigned addr)
{
	char path[160];
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = addr, .l_len = 1};
	int fd;

	snprintf(path, sizeof(path), "%s/i2c-%u", e->dev, nr);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_OFD_GETLK, &fl), 0);
	close(fd);
	return fl.l_type != F_UNLCK;
}

static void test_claim_driver_bound(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 1);
	char err[256] = "";

	assert_int_equal(i2c_host_claim(ad, 0x51, e->sys, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "i2c-1"));
	assert_non_null(strstr(err, "0x51"));
	assert_non_null(strstr(err, "at24"));
	expect_log("I2C_SLAVE i2c-1 0x51 -> EBUSY");
	assert_int_equal(log_count("I2C_SLAVE_FORCE"), 0);
	/* A failed claim keeps no lock behind. */
	assert_false(locked_elsewhere(e, 1, 0x51));

	/* Without sysfs information the message still says why. */
	assert_int_equal(i2c_host_claim(ad, 0x51, "/nonexistent-vi2c", err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "in use by a host kernel driver"));
	i2c_host_close(ad);
}

static void test_claim_lock_conflict(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *first = open_ok(e, 1), *second = open_ok(e, 1);
	char err[256] = "";

	claim_ok(e, first, 0x50);
	assert_true(locked_elsewhere(e, 1, 0x50));
	assert_false(locked_elsewhere(e, 1, 0x52));

	/* Same process, second open file description: conflicts like another process. */
	assert_int_equal(i2c_host_claim(second, 0x50, e->sys, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "i2c-1 address 0x50"));
	assert_non_null(strstr(err, "already passed through by another process"));
	claim_ok(e, second, 0x52);

	/* The lock dies with its holder. */
	i2c_host_close(first);
	assert_false(locked_elsewhere(e, 1, 0x50));
	claim_ok(e, second, 0x50);
	i2c_host_close(second);
	assert_false(locked_elsewhere(e, 1, 0x50));
}

static void test_claim_lock_other_process(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 2);
	char err[256] = "";
	int status;
	pid_t pid;

	claim_ok(e, ad, 0x60);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct i2c_host_adapter *child = i2c_host_open(2, e->dev, err, sizeof(err));
		int ret = child ? i2c_host_claim(child, 0x60, e->sys, err, sizeof(err)) : -1;

		_exit(ret == -EBUSY && strstr(err, "another process") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	i2c_host_close(ad);
}

/* ---- resolve --------------------------------------------------------------- */

static void test_resolve(void **state)
{
	struct env *e = *state;
	struct cfg_adapter ads[3] = {
		{.by_name = false, .number = 2},
		{.by_name = true, .name = "main bus"},
		{.by_name = true, .name = "stub bus"},
	};
	struct vi2c_config cfg = {.adapters = ads, .n_adapters = 2};
	unsigned nrs[3] = {0};
	char err[256] = "";

	assert_int_equal(i2c_host_resolve(&cfg, e->sys, nrs, err, sizeof(err)), 0);
	assert_int_equal(nrs[0], 2);
	assert_int_equal(nrs[1], 1);

	/* i2c-2 by number and by name. */
	cfg.n_adapters = 3;
	assert_int_equal(i2c_host_resolve(&cfg, e->sys, nrs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "i2c-2 is given twice"));
	assert_non_null(strstr(err, "\"stub bus\""));

	/* The same number twice. */
	ads[1] = (struct cfg_adapter){.by_name = false, .number = 2};
	cfg.n_adapters = 2;
	assert_int_equal(i2c_host_resolve(&cfg, e->sys, nrs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "i2c-2 is given twice"));

	ads[1] = (struct cfg_adapter){.by_name = true, .name = "dup"};
	assert_int_equal(i2c_host_resolve(&cfg, e->sys, nrs, err, sizeof(err)), -ENOTUNIQ);
	assert_non_null(strstr(err, "i2c-7 and i2c-8"));

	ads[1] = (struct cfg_adapter){.by_name = true, .name = "nope"};
	assert_int_equal(i2c_host_resolve(&cfg, e->sys, nrs, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "\"nope\""));
}

/* ---- I2C mode ---------------------------------------------------------------- */

static void test_i2c_write_read(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 1);
	uint8_t w[3] = {0x10, 0xaa, 0xbb}, ptr[1] = {0x10}, r[4];
	struct i2c_msg_buf m[2];

	claim_ok(e, ad, 0x50);
	m[0] = msg(0x50, false, w, 3);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 1);
	assert_int_equal(fake.reg(1, 0x50, 0x10), 0xaa);
	assert_int_equal(fake.reg(1, 0x50, 0x11), 0xbb);

	m[0] = msg(0x50, false, ptr, 1);
	m[1] = msg(0x50, true, r, 4);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 2);
	assert_int_equal(r[0], 0xaa);
	assert_int_equal(r[1], 0xbb);
	assert_int_equal(r[2], (0x50 + 0x12) & 0xff); /* untouched registers: (addr + reg) */
	assert_int_equal(r[3], (0x50 + 0x13) & 0xff);
	/* One combined transfer, only the read flag. */
	expect_log("I2C_RDWR i2c-1 W0x50/1 R0x50/4 -> ok");
	assert_int_equal(log_count("!flags"), 0);
	i2c_host_close(ad);
}

static void test_i2c_limits(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 1);
	struct i2c_msg_buf m[43];
	uint8_t *big = calloc(1, 8193), b[43];

	for (int i = 0; i < 43; i++)
		m[i] = msg(0x50, true, &b[i], 1);
	assert_int_equal(i2c_host_transfer(ad, m, 42), 42);
	assert_int_equal(log_count("I2C_RDWR"), 1);
	/* 43 messages: refused as a whole before any ioctl. */
	assert_int_equal(i2c_host_transfer(ad, m, 43), 0);
	assert_int_equal(log_count("I2C_RDWR"), 1);

	m[0] = msg(0x50, true, big, 8192);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 1);
	assert_int_equal(log_count("I2C_RDWR"), 2);
	m[0] = msg(0x50, true, big, 8193);
	m[1] = msg(0x50, true, b, 1);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 0);
	assert_int_equal(log_count("I2C_RDWR"), 2);
	assert_int_equal(i2c_host_transfer(ad, m, 0), 0);
	free(big);
	i2c_host_close(ad);
}

static void test_i2c_zero_length_fallback(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 3);
	struct i2c_msg_buf m[2];
	uint8_t b[1];

	m[0] = msg(0x20, false, NULL, 0);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 1);
	expect_log("I2C_RDWR i2c-3 W0x20/0 -> EOPNOTSUPP");
	expect_log("I2C_SLAVE i2c-3 0x20 -> ok\nI2C_SMBUS i2c-3 0x20 W QUICK cmd=0x00 -> ok");
	/* Known now: the next one goes straight to SMBus quick. */
	m[0] = msg(0x20, true, NULL, 0);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 1);
	assert_int_equal(log_count("I2C_RDWR"), 1);
	expect_log("I2C_SMBUS i2c-3 0x20 R QUICK cmd=0x00 -> ok");
	/* Nobody at 0x21: quick gets the NACK. */
	m[0] = msg(0x21, false, NULL, 0);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 0);
	expect_log("I2C_SMBUS i2c-3 0x21 W QUICK cmd=0x00 -> ENXIO");
	/* A longer group with a zero-length message has no fallback. */
	m[0] = msg(0x20, false, NULL, 0);
	m[1] = msg(0x20, true, b, 1);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 0);
	expect_log("I2C_RDWR i2c-3 W0x20/0 R0x20/1 -> EOPNOTSUPP");
	/* Non-zero-length transfers still use I2C_RDWR. */
	assert_int_equal(i2c_host_transfer(ad, &m[1], 1), 1);
	expect_log("I2C_RDWR i2c-3 R0x20/1 -> ok");
	i2c_host_close(ad);

	/* Without SMBus quick the zero-length probe just fails. */
	ad = open_ok(e, 4);
	m[0] = msg(0x20, false, NULL, 0);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 0);
	assert_int_equal(log_count("I2C_SMBUS i2c-4"), 0);
	i2c_host_close(ad);
}

static void test_i2c_zero_length_native(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 1);
	struct i2c_msg_buf m = msg(0x50, false, NULL, 0);

	assert_int_equal(i2c_host_transfer(ad, &m, 1), 1);
	expect_log("I2C_RDWR i2c-1 W0x50/0 -> ok");
	assert_int_equal(log_count("I2C_SMBUS"), 0);
	i2c_host_close(ad);
}

static void test_i2c_nack(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 1);
	uint8_t w[2] = {0x00, 0x5a}, r[1];
	struct i2c_msg_buf m[2] = {msg(0x50, false, w, 2), msg(0x53, true, r, 1)};

	/* Second message NACKed: the group fails as a whole. */
	assert_int_equal(i2c_host_transfer(ad, m, 2), 0);
	expect_log("I2C_RDWR i2c-1 W0x50/2 R0x53/1 -> ENXIO");
	assert_int_equal(i2c_host_transfer(ad, m, 1), 1);
	i2c_host_close(ad);
}

static void test_faults(void **state)
{
	static const char *const errs[] = {"ENXIO", "EREMOTEIO", "EIO", "ETIMEDOUT", "EAGAIN"};
	struct env *e = *state;

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		char extra[96], line[96];
		struct i2c_host_adapter *i2c, *smbus;
		uint8_t cmd[1] = {0x00}, r[2];
		struct i2c_msg_buf m[2] = {msg(0x50, false, cmd, 1), msg(0x50, true, r, 2)};

		snprintf(extra, sizeof(extra), "fail 1 0x50 %s skip=1\nfail 2 0x50 %s\n", errs[i],
			 errs[i]);
		assert_int_equal(load(e, extra), 0);
		i2c = open_ok(e, 1);
		smbus = open_ok(e, 2);

		assert_int_equal(i2c_host_transfer(i2c, m, 2), 2);
		assert_int_equal(i2c_host_transfer(i2c, m, 2), 0); /* the injected fault */
		assert_int_equal(i2c_host_transfer(i2c, m, 2), 2); /* and it carries on */
		snprintf(line, sizeof(line), "I2C_RDWR i2c-1 W0x50/1 R0x50/2 -> %s", errs[i]);
		expect_log(line);

		assert_int_equal(i2c_host_transfer(smbus, m, 2), 0);
		assert_int_equal(i2c_host_transfer(smbus, m, 2), 2);
		snprintf(line, sizeof(line), "I2C_SMBUS i2c-2 0x50 R WORD_DATA cmd=0x00 -> %s",
			 errs[i]);
		expect_log(line);
		assert_false(i2c_host_gone(i2c));
		assert_false(i2c_host_gone(smbus));
		i2c_host_close(i2c);
		i2c_host_close(smbus);
	}
}

static void test_enodev_but_present(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad;
	uint8_t r[1];
	struct i2c_msg_buf m = msg(0x60, true, r, 1);

	/* i2c-stub answers ENODEV for an address it does not serve: not a lost adapter. */
	assert_int_equal(load(e, "fail 2 0x60 ENODEV\n"), 0);
	ad = open_ok(e, 2);
	assert_int_equal(i2c_host_transfer(ad, &m, 1), 0);
	assert_false(i2c_host_gone(ad));
	assert_int_equal(i2c_host_transfer(ad, &m, 1), 1);
	i2c_host_close(ad);
}

static void test_adapter_gone(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *gone = open_ok(e, 9), *other = open_ok(e, 1);
	uint8_t r[1];
	struct i2c_msg_buf m = msg(0x10, true, r, 1), o = msg(0x50, true, r, 1);
	int ioctls;

	claim_ok(e, gone, 0x10);
	assert_int_equal(i2c_host_transfer(gone, &m, 1), 1);
	assert_int_equal(i2c_host_transfer(gone, &m, 1), 1);
	assert_int_equal(i2c_host_transfer(gone, &m, 1), 0);
	expect_log("I2C_RDWR i2c-9 R0x10/1 -> ENODEV");
	assert_true(i2c_host_gone(gone));
	/* Later requests fail at once, without touching the device. */
	ioctls = log_count("i2c-9");
	for (int i = 0; i < 5; i++)
		assert_int_equal(i2c_host_transfer(gone, &m, 1), 0);
	assert_int_equal(log_count("i2c-9"), ioctls);
	/* Other adapters keep working. */
	assert_int_equal(i2c_host_transfer(other, &o, 1), 1);
	i2c_host_close(gone);
	i2c_host_close(other);
}

static void test_i2c_claims_before_each_transfer(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 1);
	uint8_t p[2] = {0x10, 0x20}, w[2] = {0x10, 0xcc}, r[2];
	struct i2c_msg_buf m[4] = {msg(0x50, false, &p[0], 1), msg(0x50, true, &r[0], 1),
				   msg(0x52, false, &p[1], 1), msg(0x52, true, &r[1], 1)};
	struct i2c_msg_buf wr = msg(0x52, false, w, 2);
	int rdwr;

	claim_ok(e, ad, 0x50);
	claim_ok(e, ad, 0x52);
	/* Each address once, in order of appearance, then the one I2C_RDWR. */
	assert_int_equal(i2c_host_transfer(ad, m, 4), 4);
	expect_log("I2C_SLAVE i2c-1 0x50 -> ok\nI2C_SLAVE i2c-1 0x52 -> ok\n"
		   "I2C_RDWR i2c-1 W0x50/1 R0x50/1 W0x52/1 R0x52/1 -> ok\n");

	/* A driver binds to 0x52: nothing is sent to it, nor in a group that includes it. */
	assert_int_equal(fake.set_driver(1, 0x52, "at24"), 0);
	rdwr = log_count("I2C_RDWR");
	assert_int_equal(i2c_host_transfer(ad, &wr, 1), 0);
	assert_int_equal(i2c_host_transfer(ad, m, 4), 0);
	assert_int_equal(log_count("I2C_RDWR"), rdwr);
	assert_int_equal(log_count("I2C_SLAVE i2c-1 0x52 -> EBUSY"), 2);
	assert_int_equal(fake.reg(1, 0x52, 0x10), (0x52 + 0x10) & 0xff);
	assert_false(i2c_host_gone(ad));
	/* The other device keeps working. */
	assert_int_equal(i2c_host_transfer(ad, m, 2), 2);
	assert_int_equal(log_count("I2C_RDWR"), rdwr + 1);

	/* Unbound again: the guest gets the device back. */
	assert_int_equal(fake.set_driver(1, 0x52, NULL), 0);
	assert_int_equal(i2c_host_transfer(ad, &wr, 1), 1);
	assert_int_equal(fake.reg(1, 0x52, 0x10), 0xcc);
	assert_int_equal(log_count("I2C_SLAVE_FORCE"), 0);
	i2c_host_close(ad);
}

/* ---- /ro and /ro16 through the bus ------------------------------------------ */

struct ro_case {
	const char *shape;
	enum cfg_access access;
	unsigned n;
	struct {
		bool read;
		uint16_t len;
		bool other; /* to the writable device at guest address 0x11 */
	} m[3];
	unsigned done_i2c;   /* messages that complete on the I2C adapter */
	unsigned done_smbus; /* and on the SMBus adapter */
};

#define W(l)                                                                                       \
	{                                                                                          \
		false, l, false                                                                    \
	}
#define R(l)                                                                                       \
	{                                                                                          \
		true, l, false                                                                     \
	}
#define RO(l)                                                                                      \
	{                                                                                          \
		true, l, true                                                                      \
	}

static const struct ro_case ro_cases[] = {
	{"[R 0]", CFG_ACCESS_RO, 1, {R(0)}, 1, 1},
	{"[R 1]", CFG_ACCESS_RO, 1, {R(1)}, 1, 1},
	{"[R 4]", CFG_ACCESS_RO, 1, {R(4)}, 1, 0}, /* no SMBus equivalent */
	{"[W 1][R 1]", CFG_ACCESS_RO, 2, {W(1), R(1)}, 2, 2},
	{"[W 1][R 2]", CFG_ACCESS_RO, 2, {W(1), R(2)}, 2, 2},
	{"[W 1][R 32]", CFG_ACCESS_RO, 2, {W(1), R(32)}, 2, 2},
	{"[W 1][R 0]", CFG_ACCESS_RO, 2, {W(1), R(0)}, 2, 0},
	{"[W 1][R 1][R 1]", CFG_ACCESS_RO, 3, {W(1), R(1), R(1)}, 3, 0},
	{"[W 0]", CFG_ACCESS_RO, 1, {W(0)}, 0, 0},
	{"[W 1]", CFG_ACCESS_RO, 1, {W(1)}, 0, 0},
	{"[W 2]", CFG_ACCESS_RO, 1, {W(2)}, 0, 0},
	{"[W 3]", CFG_ACCESS_RO, 1, {W(3)}, 0, 0},
	{"[W 2][R 1]", CFG_ACCESS_RO, 2, {W(2), R(1)}, 0, 0},
	{"[W 3][R 2]", CFG_ACCESS_RO, 2, {W(3), R(2)}, 0, 0}, /* SMBus process call */
	{"[W 0][R 1]", CFG_ACCESS_RO, 2, {W(0), R(1)}, 0, 0},
	{"[W 1][W 1][R 1]", CFG_ACCESS_RO, 3, {W(1), W(1), R(1)}, 0, 0},
	{"[W 1][R 1 other]", CFG_ACCESS_RO, 2, {W(1), RO(1)}, 0, 0},
	{"[R 1][W 2]", CFG_ACCESS_RO, 2, {R(1), W(2)}, 1, 1}, /* the read runs, like a NACK */
	{"[W 1][R 1][W 1]", CFG_ACCESS_RO, 3, {W(1), R(1), W(1)}, 2, 2},
	{"[R 0]", CFG_ACCESS_RO16, 1, {R(0)}, 1, 1},
	{"[R 1]", CFG_ACCESS_RO16, 1, {R(1)}, 1, 1},
	{"[W 2][R 1]", CFG_ACCESS_RO16, 2, {W(2), R(1)}, 2, 0},
	{"[W 2][R 8]", CFG_ACCESS_RO16, 2, {W(2), R(8)}, 2, 0},
	{"[W 1][R 1]", CFG_ACCESS_RO16, 2, {W(1), R(1)}, 0, 0},
	{"[W 3][R 1]", CFG_ACCESS_RO16, 2, {W(3), R(1)}, 0, 0},
	{"[W 3][R 2]", CFG_ACCESS_RO16, 2, {W(3), R(2)}, 0, 0},
	{"[W 0]", CFG_ACCESS_RO16, 1, {W(0)}, 0, 0},
	{"[W 2]", CFG_ACCESS_RO16, 1, {W(2)}, 0, 0},
	{"[W 2][W 1][R 1]", CFG_ACCESS_RO16, 3, {W(2), W(1), R(1)}, 0, 0},
	{"[W 2][R 1 other]", CFG_ACCESS_RO16, 2, {W(2), RO(1)}, 0, 0},
	{"[W 0] writable", CFG_ACCESS_RW, 1, {W(0)}, 1, 1},
	{"[W 2] writable", CFG_ACCESS_RW, 1, {W(2)}, 1, 1},
	{"[W 3][R 2] writable", CFG_ACCESS_RW, 2, {W(3), R(2)}, 2, 0},
};

#undef W
#undef R
#undef RO

/*
 * One case on adapter nr (I2C: 1, SMBus: 2): the device under test is host
 * 0x50 at guest 0x10 with the case's access, a writable one is host 0x60
 * (SMBus) or 0x52 (I2C) at guest 0x11. Write buffers hold 0x00 (the pointer),
 * then 0xee: a write that got through leaves 0xee in register 0.
 */
static void run_ro_case(struct env *e, unsigned nr, const struct ro_case *c)
{
	char err[256] = "";
	struct i2c_bus *bus = i2c_bus_new();
	struct i2c_host_adapter *ad = open_ok(e, nr);
	struct i2c_msg_buf m[3];
	uint8_t bufs[3][40];
	unsigned want = nr == 1 ? c->done_i2c : c->done_smbus, done, xfers;
	uint8_t other = nr == 1 ? 0x52 : 0x60;
	int before[4];

	assert_non_null(bus);
	assert_int_equal(i2c_bus_own_adapter(bus, ad), 0);
	assert_int_equal(i2c_host_claim(ad, 0x50, e->sys, err, sizeof(err)), 0);
	assert_int_equal(i2c_host_claim(ad, other, e->sys, err, sizeof(err)), 0);
	assert_int_equal(i2c_bus_add_host(bus, ad, 0x50, 0x10, c->access), 0);
	assert_int_equal(i2c_bus_add_host(bus, ad, other, 0x11, CFG_ACCESS_RW), 0);
	memset(bufs, 0xee, sizeof(bufs));
	for (unsigned i = 0; i < c->n; i++) {
		bufs[i][0] = 0x00;
		m[i] = msg(c->m[i].other ? 0x11 : 0x10, c->m[i].read, bufs[i], c->m[i].len);
	}
	for (unsigned r = 0; r < 4; r++)
		before[r] = fake.reg(nr, 0x50, r);
	xfers = (unsigned)(log_count("I2C_RDWR") + log_count("I2C_SMBUS"));
	done = i2c_bus_transfer(bus, m, c->n);
	if (done != want)
		fail_msg("%s %s on i2c-%u: %u messages done, expected %u", c->shape,
			 c->access == CFG_ACCESS_RO ? "/ro"
			 : c->access		    ? "/ro16"
						    : "rw",
			 nr, done, want);
	/* A refused group makes no transfer; only what ran before the refusal does. */
	if (!want)
		assert_int_equal(log_count("I2C_RDWR") + log_count("I2C_SMBUS"), xfers);
	/*
	 * Nothing was stored. (The fake's pointer is 8-bit: a /ro16 pointer that
	 * passes stores its second byte, as on an 8-bit chip; only refused /ro16
	 * groups can be checked this way.)
	 */
	for (unsigned r = 0; r < 4 && (c->access == CFG_ACCESS_RO || (c->access && !want)); r++)
		if (fake.reg(nr, 0x50, r) != before[r])
			fail_msg("%s on i2c-%u wrote register %u: 0x%02x, was 0x%02x", c->shape, nr,
				 r, fake.reg(nr, 0x50, r), before[r]);
	i2c_bus_free(bus);
}

static void test_bus_read_only_policy(void **state)
{
	struct env *e = *state;
	struct i2c_bus *bus = i2c_bus_new();
	struct i2c_host_adapter *ad = open_ok(e, 1);

	for (size_t i = 0; i < sizeof(ro_cases) / sizeof(ro_cases[0]); i++) {
		run_ro_case(e, 1, &ro_cases[i]);
		run_ro_case(e, 2, &ro_cases[i]);
	}
	/* Only the three access kinds exist. */
	assert_int_equal(i2c_bus_own_adapter(bus, ad), 0);
	assert_int_equal(i2c_bus_add_host(bus, ad, 0x50, 0x10, (enum cfg_access)3), -EINVAL);
	assert_false(i2c_bus_has(bus, 0x10));
	i2c_bus_free(bus);
}

/* ---- SMBus mode ------------------------------------------------------------- */

static void test_smbus_translation(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 2);
	uint8_t w[5] = {0x40, 1, 2, 3, 4}, cmd[1] = {0x40}, r[4];
	struct i2c_msg_buf m[3];

	claim_ok(e, ad, 0x50);
	/* Word read: I2C_SLAVE then I2C_SMBUS, low byte first. */
	m[0] = msg(0x50, false, cmd, 1);
	m[1] = msg(0x50, true, r, 2);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 2);
	assert_int_equal(r[0], 0x90);
	assert_int_equal(r[1], 0x91);
	expect_log("I2C_SLAVE i2c-2 0x50 -> ok\nI2C_SMBUS i2c-2 0x50 R WORD_DATA cmd=0x40 -> ok");

	/* I2C block write, read back with an I2C block read. */
	m[0] = msg(0x50, false, w, 5);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 1);
	expect_log("I2C_SMBUS i2c-2 0x50 W I2C_BLOCK_DATA cmd=0x40 -> ok");
	m[0] = msg(0x50, false, cmd, 1);
	m[1] = msg(0x50, true, r, 4);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 2);
	assert_memory_equal(r, "\x01\x02\x03\x04", 4);
	expect_log("I2C_SMBUS i2c-2 0x50 R I2C_BLOCK_DATA cmd=0x40 -> ok");

	/* Byte write then byte read: the register pointer. */
	m[0] = msg(0x50, false, cmd, 1);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 1);
	m[0] = msg(0x50, true, r, 1);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 1);
	assert_int_equal(r[0], 1);

	/* Quick to the other device: the slave address follows the group. */
	m[0] = msg(0x60, false, NULL, 0);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 1);
	expect_log("I2C_SLAVE i2c-2 0x60 -> ok\nI2C_SMBUS i2c-2 0x60 W QUICK");
	assert_int_equal(log_count("I2C_RDWR"), 0);
	assert_int_equal(log_count("I2C_SLAVE_FORCE"), 0);
	i2c_host_close(ad);
}

static void test_smbus_refused_shapes(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 2);
	uint8_t cmd[1] = {0x00}, r[40];
	struct i2c_msg_buf m[3];

	/* [W 1][R 0]: the reference panics on it. */
	m[0] = msg(0x50, false, cmd, 1);
	m[1] = msg(0x50, true, r, 0);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 0);
	/* Mixed addresses. */
	m[1] = msg(0x60, true, r, 1);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 0);
	/* Three messages, a bare multi-byte read, an SMBus block read without the bit. */
	m[1] = msg(0x50, true, r, 1);
	m[2] = msg(0x50, true, r, 1);
	assert_int_equal(i2c_host_transfer(ad, m, 3), 0);
	m[0] = msg(0x50, true, r, 2);
	assert_int_equal(i2c_host_transfer(ad, m, 1), 0);
	m[0] = msg(0x50, false, cmd, 1);
	m[1] = msg(0x50, true, r, 33);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 0);
	/* None of these reached the bus. */
	assert_int_equal(log_count("I2C_SMBUS"), 0);
	assert_int_equal(log_count("I2C_SLAVE"), 0);
	i2c_host_close(ad);
}

static void test_smbus_block_and_proc_call(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad;
	uint8_t cmd[1] = {0x10}, r[33], pc[3] = {0x20, 0x34, 0x12}, word[2];
	struct i2c_msg_buf m[2];

	/* Registers 0x10.. hold an SMBus block reply: count 3, then data. */
	assert_int_equal(load(e, "reg 5 0x30 0x10 03 c0 ff ee\nreg 5 0x30 0x22 cd ab\n"), 0);
	ad = open_ok(e, 5);
	m[0] = msg(0x30, false, cmd, 1);
	m[1] = msg(0x30, true, r, 33);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 2);
	assert_memory_equal(r, "\x03\xc0\xff\xee", 4);
	for (int i = 4; i < 33; i++)
		assert_int_equal(r[i], 0xff);
	expect_log("I2C_SMBUS i2c-5 0x30 R BLOCK_DATA cmd=0x10 -> ok");

	/* Process call: write word 0x1234 at 0x20, the device answers from 0x22. */
	m[0] = msg(0x30, false, pc, 3);
	m[1] = msg(0x30, true, word, 2);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 2);
	assert_int_equal(fake.reg(5, 0x30, 0x20), 0x34);
	assert_int_equal(fake.reg(5, 0x30, 0x21), 0x12);
	assert_int_equal(word[0], 0xcd);
	assert_int_equal(word[1], 0xab);
	expect_log("I2C_SMBUS i2c-5 0x30 W PROC_CALL cmd=0x20 -> ok");

	/* A block reply with an impossible count fails the group. */
	assert_int_equal(load(e, "reg 5 0x30 0x10 00\n"), 0);
	i2c_host_close(ad);
	ad = open_ok(e, 5);
	m[0] = msg(0x30, false, cmd, 1);
	m[1] = msg(0x30, true, r, 33);
	assert_int_equal(i2c_host_transfer(ad, m, 2), 0);
	i2c_host_close(ad);
}

/* ---- concurrency ------------------------------------------------------------ */

struct worker {
	struct i2c_host_adapter *ad;
	uint8_t addr;
	int errors;
};

/* Word reads from register 0: each device answers its own address-derived value. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 3000; i++) {
		uint8_t cmd[1] = {0x00}, r[2] = {0, 0};
		struct i2c_msg_buf m[2] = {msg(w->addr, false, cmd, 1), msg(w->addr, true, r, 2)};

		if (i2c_host_transfer(w->ad, m, 2) != 2 || r[0] != w->addr ||
		    r[1] != (uint8_t)(w->addr + 1))
			w->errors++;
	}
	return NULL;
}

static void test_smbus_concurrent_guests(void **state)
{
	struct env *e = *state;
	struct i2c_host_adapter *ad = open_ok(e, 2);
	struct worker w[2] = {{.ad = ad, .addr = 0x50}, {.ad = ad, .addr = 0x60}};
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w[0].errors, 0);
	assert_int_equal(w[1].errors, 0);
	i2c_host_close(ad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_driver_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_lock_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_lock_other_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_i2c_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_i2c_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_i2c_zero_length_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_i2c_zero_length_native, setup, teardown),
		cmocka_unit_test_setup_teardown(test_i2c_nack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enodev_but_present, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adapter_gone, setup_gone, teardown),
		cmocka_unit_test_setup_teardown(test_i2c_claims_before_each_transfer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bus_read_only_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smbus_translation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smbus_refused_shapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smbus_block_and_proc_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smbus_concurrent_guests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
