// SPDX-License-Identifier: MIT
/*
 * The control socket (--control) against the real daemon, with guests on
 * its vhost-user sockets: every command with its exact replies, what a guest
 * sees after set/add/remove, every fault kind (a delay on one device does
 * not hold up another guest's transfers), hot-plug while a guest is busy,
 * the regmap model, and bad control input that must leave the connection and
 * the daemon working.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "test_assert.h"
#include "vu_frontend.h"

#define TMO	5000
#define LM75	0x48
#define EE02	0x50
#define REGMAP	0x40
#define NEWADDR 0x4a
#define CONTROL_CLIENTS_TESTED                                                                     \
	16 /* the daemon serves 16 at once: the main one + 15, then no more */

struct fx {
	struct daemon *d;
	struct vf_dev *dev[2];
	char path[2][160];
	char ctl_path[160];
	char map_path[160];
	int ctl;
	bool passed;
};

static const char map_json[] =
	"{\"reg_bits\": 8, \"val_bits\": 16, \"endian\": \"big\", \"size\": 16,\n"
	" \"registers\": {\"0x00\": {\"reset\": 4660, \"ro\": true}, \"0x01\": {\"reset\": "
	"\"0x12\"}}}\n";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) < 0, 0);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char map_arg[200];
	char *extra[] = {DAEMON_STD_DEVICES, "-e", map_arg, "--socket-mode=0640", NULL};

	if (!fx)
		return -1;
	fx->d = daemon_new();
	if (!fx->d)
		return -1;
	snprintf(fx->map_path, sizeof(fx->map_path), "%s/map.json", fx->d->dir);
	write_file(fx->map_path, map_json);
	snprintf(map_arg, sizeof(map_arg), "regmap@0x40,map=%s", fx->map_path);
	if (daemon_start_ctl(fx->d, 2, extra, fx->ctl_path, sizeof(fx->ctl_path))) {
		daemon_free(fx->d);
		free(fx);
		return -1;
	}
	for (unsigned i = 0; i < 2; i++) {
		daemon_sock_path(fx->d, i, fx->path[i], sizeof(fx->path[i]));
		fx->dev[i] = vf_dev_open(fx->path[i], NULL);
		if (!fx->dev[i])
			return -1;
	}
	fx->ctl = ctl_connect(fx->ctl_path, TMO);
	if (fx->ctl < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct stat st;
	int ret;

	close(fx->ctl);
	for (unsigned i = 0; i < 2; i++)
		vf_dev_destroy(fx->dev[i]);
	ret = daemon_finish(fx->d, fx->passed);
	/* daemon_finish removed the dir; the daemon removed its control socket before that. */
	if (ret == 0 && fx->passed && lstat(fx->ctl_path, &st) == 0)
		ret = -1;
	free(fx);
	return ret;
}

/* The reply to line starts with want. */
static void expect_prefix(int fd, const char *line, const char *want)
{
	char *got = ctl_request(fd, line);

	if (!got)
		fail_msg("no reply to %s: %s", line, strerror(errno));
	if (strncmp(got, want, strlen(want)))
		fail_msg("request %s\n  expected %s...\n  got      %s", line, want, got);
	free(got);
}

/* Reads n bytes of register reg (pointer write + read in one transfer). */
static int reg_read(struct vf_dev *dev, uint8_t addr, uint8_t reg, uint8_t *out, unsigned n)
{
	return vf_i2c_write_read(dev, addr, &reg, 1, out, n);
}

static void expect_temp(struct vf_dev *dev, uint8_t addr, uint8_t msb, uint8_t lsb)
{
	uint8_t t[2];

	assert_int_equal(reg_read(dev, addr, 0, t, 2), 0);
	assert_int_equal(t[0], msb);
	assert_int_equal(t[1], lsb);
}

static void test_list_get_set(void **state)
{
	struct fx *fx = *state;

	expect_reply(fx->ctl, "{\"cmd\":\"list\",\"id\":7}",
		     "{\"ok\":true,\"devices\":["
		     "{\"addr\":\"0x20\",\"model\":\"stub\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x40\",\"model\":\"regmap\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x48\",\"model\":\"lm75\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x49\",\"model\":\"lm75\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x50\",\"model\":\"24c02\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x54\",\"model\":\"24c32\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x57\",\"model\":\"24c256\",\"bus\":\"shared\"}],\"id\":7}");
	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x48\",\"id\":\"a\"}",
		     "{\"ok\":true,\"props\":{\"temp\":25.0},\"addr\":\"0x48\",\"model\":\"lm75\","
		     "\"id\":\"a\"}");
	expect_temp(fx->dev[0], LM75, 0x19, 0x00);
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":72,\"props\":{\"temp\":30.5}}",
		     "{\"ok\":true,\"model\":\"lm75\"}");
	/* Both guests share the bus: both see it from the next transfer on. */
	expect_temp(fx->dev[0], LM75, 0x1e, 0x80);
	expect_temp(fx->dev[1], LM75, 0x1e, 0x80);
	expect_reply(
		fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x48\",\"props\":[\"temp\"]}",
		"{\"ok\":true,\"props\":{\"temp\":30.5},\"addr\":\"0x48\",\"model\":\"lm75\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{\"temp\":-10}}",
		     "{\"ok\":true,\"model\":\"lm75\"}");
	expect_temp(fx->dev[1], LM75, 0xf6, 0x00);
	/* An AT24's one property: the write-cycle time, off by default. */
	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x50\"}",
		     "{\"ok\":true,\"props\":{\"write_cycle_us\":0.0},\"addr\":\"0x50\",\"model\":"
		     "\"24c02\"}");
	fx->passed = true;
}

static void test_set_errors(void **state)
{
	struct fx *fx = *state;

	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{\"temp\":500}}",
		     "{\"ok\":false,\"error\":\"lm75 at 0x48: 'temp': value out of range\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{\"temp\":40,\"x\":1}}",
		     "{\"ok\":false,\"error\":\"lm75 at 0x48: 'x': no such property\"}");
	/* All or nothing: temp was put back. */
	expect_temp(fx->dev[0], LM75, 0x19, 0x00);
	expect_reply(
		fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{\"temp\":\"hot\"}}",
		"{\"ok\":false,\"error\":\"lm75 at 0x48: 'temp': the value must be a number\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"props\":{}}",
		     "{\"ok\":false,\"error\":\"'props' must be an object of name: value, e.g. "
		     "{\\\"temp\\\": 30.5}\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x33\",\"props\":{\"temp\":1}}",
		     "{\"ok\":false,\"error\":\"no device at 0x33\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"addr\":128}",
		     "{\"ok\":false,\"error\":\"'addr' must be a 7-bit address: a number 0..127 or "
		     "a \\\"0x..\\\" string\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"get\"}", "{\"ok\":false,\"error\":\"missing 'addr'\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x48\",\"guest\":2}",
		     "{\"ok\":false,\"error\":\"'guest' must be a socket index 0..1\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x48\",\"props\":[\"nope\"]}",
		     "{\"ok\":false,\"error\":\"lm75 at 0x48: 'nope': no such property\"}");
	expect_temp(fx->dev[0], LM75, 0x19, 0x00);
	fx->passed = true;
}

static void test_add_remove(void **state)
{
	struct fx *fx = *state;
	uint8_t b[4];
	char line[400], file[200];
	const uint8_t w[] = {0x10, 0xde, 0xad, 0xbe, 0xef};
	int fd;

	assert_int_not_equal(reg_read(fx->dev[0], NEWADDR, 0, b, 2), 0);
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"lm75@0x4a,temp=20\"}",
		     "{\"ok\":true,\"addr\":\"0x4a\",\"model\":\"lm75\"}");
	expect_temp(fx->dev[0], NEWADDR, 0x14, 0x00);
	/* SIGUSR1 logs the counters of what is on the bus now, hot-plugged devices included. */
	assert_int_equal(kill(fx->d->pid, SIGUSR1), 0);
	assert_true(daemon_wait_log(
		fx->d, "counters: all sockets: lm75@0x4a: 2 transfers, 3 bytes, 0 errors", TMO));
	assert_true(daemon_log_contains(fx->d, "counters: all sockets: regmap@0x40: 0 transfers"));
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"stub@0x4a\"}",
		     "{\"ok\":false,\"error\":\"address 0x4a is in use\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"lm76@0x4b\"}",
		     "{\"ok\":false,\"error\":\"unknown model 'lm76' in --emulate 'lm76@0x4b'\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x4a\"}", "{\"ok\":true}");
	/* Absent from the next transfer on. */
	assert_int_not_equal(reg_read(fx->dev[1], NEWADDR, 0, b, 2), 0);
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x4a\"}",
		     "{\"ok\":false,\"error\":\"no device at 0x4a\"}");

	/* An EEPROM's file: written through, synced and closed (unlocked) on removal. */
	snprintf(file, sizeof(file), "%s/hot.bin", fx->d->dir);
	snprintf(line, sizeof(line), "{\"cmd\":\"add\",\"spec\":\"24c02@0x51,file=%s\"}", file);
	expect_reply(fx->ctl, line, "{\"ok\":true,\"addr\":\"0x51\",\"model\":\"24c02\"}");
	assert_int_equal(vf_i2c_write(fx->dev[0], 0x51, w, sizeof(w)), 0);
	expect_reply(fx->ctl, "{\"cmd\":\"remove\",\"addr\":81}", "{\"ok\":true}");
	fd = open(file, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 4, 0x10), 4);
	assert_memory_equal(b, w + 1, 4);
	/* Not locked any more: another instance (here: the same, again) may open it. */
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	expect_reply(fx->ctl, line, "{\"ok\":true,\"addr\":\"0x51\",\"model\":\"24c02\"}");
	assert_int_equal(reg_read(fx->dev[1], 0x51, 0x10, b, 4), 0);
	assert_memory_equal(b, w + 1, 4);
	fx->passed = true;
}

static void test_fault_nack(void **state)
{
	struct fx *fx = *state;
	uint8_t b[2], ee[2] = {0x30, 0x5a}, r[1];
	struct vf_i2c_msg m[2] = {
		{.addr = EE02, .len = 1, .buf = ee},
		{.addr = LM75, .flags = VF_I2C_M_RD, .len = 2, .buf = b},
	};

	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"nack\"}",
		     "{\"ok\":true}");
	assert_int_equal(reg_read(fx->dev[0], LM75, 0, b, 2), -EIO);
	expect_temp(fx->dev[0], LM75, 0x19, 0x00);
	/* count 2: two transfers fail; the other guest's count too. */
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"nack\",\"count\":2}",
		     "{\"ok\":true}");
	assert_int_equal(reg_read(fx->dev[1], LM75, 0, b, 2), -EIO);
	assert_int_equal(reg_read(fx->dev[0], LM75, 0, b, 2), -EIO);
	expect_temp(fx->dev[0], LM75, 0x19, 0x00);
	/* In the middle of a transfer: what comes before the device runs. */
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"nack\"}",
		     "{\"ok\":true}");
	assert_int_equal(vf_i2c_transfer(fx->dev[0], m, 2, 0, TMO), 2);
	assert_int_equal(m[0].status, VIRTIO_I2C_MSG_OK);
	assert_int_equal(m[1].status, VIRTIO_I2C_MSG_ERR);
	/* Nothing reaches a NACKed device: an EEPROM write is not stored. */
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x50\",\"kind\":\"nack\"}",
		     "{\"ok\":true}");
	ee[1] = 0xa5;
	assert_int_equal(vf_i2c_write(fx->dev[0], EE02, ee, 2), -EIO);
	assert_int_equal(vf_i2c_write_read(fx->dev[0], EE02, ee, 1, r, 1), 0);
	assert_int_equal(r[0], 0xff);
	/* count 0: until cleared. */
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"nack\",\"count\":0}",
		     "{\"ok\":true}");
	for (int i = 0; i < 5; i++)
		assert_int_equal(reg_read(fx->dev[i % 2], LM75, 0, b, 2), -EIO);
	expect_reply(fx->ctl, "{\"cmd\":\"faults\"}",
		     "{\"ok\":true,\"faults\":[{\"addr\":\"0x48\",\"bus\":\"shared\",\"kind\":"
		     "\"nack\",\"count\":0}]}");
	expect_reply(fx->ctl, "{\"cmd\":\"clear\",\"addr\":\"0x48\"}",
		     "{\"ok\":true,\"cleared\":1}");
	expect_temp(fx->dev[0], LM75, 0x19, 0x00);
	expect_reply(fx->ctl, "{\"cmd\":\"faults\"}", "{\"ok\":true,\"faults\":[]}");
	fx->passed = true;
}

static void test_fault_corrupt(void **state)
{
	struct fx *fx = *state;

	expect_reply(fx->ctl,
		     "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"corrupt\",\"xor\":\"0xff\"}",
		     "{\"ok\":true}");
	expect_temp(fx->dev[0], LM75, 0xe6, 0xff);
	expect_temp(fx->dev[0], LM75, 0x19, 0x00);
	expect_reply(fx->ctl,
		     "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"corrupt\",\"xor\":1,"
		     "\"count\":3}",
		     "{\"ok\":true}");
	for (int i = 0; i < 3; i++)
		expect_temp(fx->dev[i % 2], LM75, 0x18, 0x01);
	expect_temp(fx->dev[0], LM75, 0x19, 0x00);
	expect_reply(fx->ctl,
		     "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"corrupt\",\"xor\":0}",
		     "{\"ok\":false,\"error\":\"'xor' must be a number 1..255\"}");
	expect_reply(
		fx->ctl,
		"{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"corrupt\",\"xor\":1,\"ms\":5}",
		"{\"ok\":false,\"error\":\"'ms' is only for kind \\\"delay\\\"\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x33\",\"kind\":\"nack\"}",
		     "{\"ok\":false,\"error\":\"no device at 0x33\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"melt\"}",
		     "{\"ok\":false,\"error\":\"'kind' must be \\\"nack\\\", \\\"delay\\\" or "
		     "\\\"corrupt\\\"\"}");
	fx->passed = true;
}

struct slow_guest {
	struct vf_dev *dev;
	int64_t elapsed_ms;
	int ret;
};

static void *slow_read(void *arg)
{
	struct slow_guest *g = arg;
	uint8_t reg = 0, b[2];
	int64_t t0 = monotonic_ms();

	g->ret = vf_i2c_write_read(g->dev, LM75, &reg, 1, b, 2);
	g->elapsed_ms = monotonic_ms() - t0;
	return NULL;
}

static void test_fault_delay(void **state)
{
	struct fx *fx = *state;
	struct vf_dev_opts o;
	struct slow_guest g;
	pthread_t th;
	unsigned during = 0, errors = 0;
	int64_t worst = 0;
	uint8_t b[2];

	expect_reply(fx->ctl,
		     "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"delay\",\"ms\":3000}",
		     "{\"ok\":true}");
	vf_dev_opts_default(&o);
	vf_dev_destroy(fx->dev[0]);
	o.timeout_ms = 15000;
	fx->dev[0] = vf_dev_open(fx->path[0], &o);
	assert_non_null(fx->dev[0]);
	g = (struct slow_guest){.dev = fx->dev[0]};
	assert_int_equal(pthread_create(&th, NULL, slow_read, &g), 0);
	usleep(300000);
	/*
	 * Guest 1, meanwhile: other devices, and the delayed one itself (the
	 * fault was for one transfer), answer at once. No assertion while the
	 * thread runs: it uses this frame.
	 */
	for (int64_t end = monotonic_ms() + 1500; monotonic_ms() < end; during++) {
		int64_t t0 = monotonic_ms();

		errors += reg_read(fx->dev[1], EE02, 0, b, 2) != 0;
		errors += reg_read(fx->dev[1], LM75, 0, b, 2) != 0;
		if (monotonic_ms() - t0 > worst)
			worst = monotonic_ms() - t0;
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	printf("delayed transfer: %lld ms; meanwhile %u rounds on the other guest, worst %lld ms\n",
	       (long long)g.elapsed_ms, during, (long long)worst);
	assert_int_equal(errors, 0);
	assert_true(during >= 5);
	assert_true(worst < 1000); /* far below the 3 s delay, with room for a loaded machine */
	assert_int_equal(g.ret, 0);
	assert_true(g.elapsed_ms >= 3000);
	assert_true(g.elapsed_ms < 6000);
	/* Used up: the next transfer is fast. */
	{
		int64_t t0 = monotonic_ms();

		expect_temp(fx->dev[0], LM75, 0x19, 0x00);
		assert_true(monotonic_ms() - t0 < 1000);
	}
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"delay\",\"ms\":0}",
		     "{\"ok\":false,\"error\":\"'ms' must be a number 1..60000\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"delay\"}",
		     "{\"ok\":false,\"error\":\"'ms' must be a number 1..60000\"}");
	fx->passed = true;
}

static void test_faults_list_clear_counters(void **state)
{
	struct fx *fx = *state;
	uint8_t b[2];

	expect_reply(
		fx->ctl,
		"{\"cmd\":\"fault\",\"addr\":\"0x50\",\"kind\":\"delay\",\"ms\":10,\"count\":4}",
		"{\"ok\":true}");
	expect_reply(fx->ctl,
		     "{\"cmd\":\"fault\",\"addr\":\"0x50\",\"kind\":\"corrupt\",\"xor\":\"0x0f\"}",
		     "{\"ok\":true}");
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x20\",\"kind\":\"nack\"}",
		     "{\"ok\":true}");
	expect_reply(
		fx->ctl, "{\"cmd\":\"faults\",\"guest\":1}",
		"{\"ok\":true,\"faults\":["
		"{\"addr\":\"0x20\",\"bus\":\"shared\",\"kind\":\"nack\",\"count\":1},"
		"{\"addr\":\"0x50\",\"bus\":\"shared\",\"kind\":\"delay\",\"count\":4,\"ms\":10},"
		"{\"addr\":\"0x50\",\"bus\":\"shared\",\"kind\":\"corrupt\",\"count\":1,"
		"\"xor\":15}]}");
	assert_int_equal(reg_read(fx->dev[0], EE02, 0, b, 2), 0);
	assert_int_equal(b[0], 0xf0);
	expect_reply(fx->ctl, "{\"cmd\":\"faults\"}",
		     "{\"ok\":true,\"faults\":["
		     "{\"addr\":\"0x20\",\"bus\":\"shared\",\"kind\":\"nack\",\"count\":1},"
		     "{\"addr\":\"0x50\",\"bus\":\"shared\",\"kind\":\"delay\",\"count\":3,"
		     "\"ms\":10}]}");
	expect_reply(fx->ctl, "{\"cmd\":\"clear\"}", "{\"ok\":true,\"cleared\":2}");
	expect_reply(fx->ctl, "{\"cmd\":\"clear\"}", "{\"ok\":true,\"cleared\":0}");
	expect_reply(fx->ctl, "{\"cmd\":\"faults\"}", "{\"ok\":true,\"faults\":[]}");

	/* Counters: per message; 0x50 had one write + one read of 2 bytes so far. */
	assert_int_not_equal(reg_read(fx->dev[0], 0x33, 0, b, 2), 0);
	expect_reply(fx->ctl, "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"nack\"}",
		     "{\"ok\":true}");
	assert_int_equal(reg_read(fx->dev[0], LM75, 0, b, 2), -EIO);
	assert_int_equal(reg_read(fx->dev[0], LM75, 0, b, 2), 0);
	expect_reply(fx->ctl, "{\"cmd\":\"counters\"}",
		     "{\"ok\":true,\"devices\":["
		     "{\"addr\":\"0x20\",\"model\":\"stub\",\"bus\":\"shared\",\"transfers\":0,"
		     "\"bytes\":0,\"errors\":0},"
		     "{\"addr\":\"0x40\",\"model\":\"regmap\",\"bus\":\"shared\",\"transfers\":0,"
		     "\"bytes\":0,\"errors\":0},"
		     "{\"addr\":\"0x48\",\"model\":\"lm75\",\"bus\":\"shared\",\"transfers\":2,"
		     "\"bytes\":3,\"errors\":1},"
		     "{\"addr\":\"0x49\",\"model\":\"lm75\",\"bus\":\"shared\",\"transfers\":0,"
		     "\"bytes\":0,\"errors\":0},"
		     "{\"addr\":\"0x50\",\"model\":\"24c02\",\"bus\":\"shared\",\"transfers\":2,"
		     "\"bytes\":3,\"errors\":0},"
		     "{\"addr\":\"0x54\",\"model\":\"24c32\",\"bus\":\"shared\",\"transfers\":0,"
		     "\"bytes\":0,\"errors\":0},"
		     "{\"addr\":\"0x57\",\"model\":\"24c256\",\"bus\":\"shared\",\"transfers\":0,"
		     "\"bytes\":0,\"errors\":0}]}");
	fx->passed = true;
}

struct busy_guest {
	struct vf_dev *dev;
	volatile bool stop;
	unsigned ok, absent;
	char err[200];
};

/* Reads the hot-plugged lm75 and the EEPROM in one transfer, as fast as it can. */
static void *busy_main(void *arg)
{
	struct busy_guest *g = arg;

	while (!g->stop) {
		uint8_t reg = 0, t[2] = {0, 0}, e[1];
		struct vf_i2c_msg m[3] = {
			{.addr = NEWADDR, .len = 1, .buf = &reg},
			{.addr = NEWADDR, .flags = VF_I2C_M_RD, .len = 2, .buf = t},
			{.addr = EE02, .flags = VF_I2C_M_RD, .len = 1, .buf = e},
		};
		int n = vf_i2c_transfer(g->dev, m, 3, 0, TMO);

		if (n != 3) {
			snprintf(g->err, sizeof(g->err), "transfer: %d", n);
			return NULL;
		}
		if (m[0].status == VIRTIO_I2C_MSG_OK && m[1].status == VIRTIO_I2C_MSG_OK &&
		    m[2].status == VIRTIO_I2C_MSG_OK) {
			if (t[0] != 0x14 || t[1] != 0) {
				snprintf(g->err, sizeof(g->err), "read %02x %02x", t[0], t[1]);
				return NULL;
			}
			g->ok++;
		} else if (m[0].status == VIRTIO_I2C_MSG_ERR && m[1].status == VIRTIO_I2C_MSG_ERR &&
			   m[2].status == VIRTIO_I2C_MSG_ERR) {
			g->absent++;
		} else {
			snprintf(g->err, sizeof(g->err), "mixed statuses %d %d %d", m[0].status,
				 m[1].status, m[2].status);
			return NULL;
		}
	}
	return NULL;
}

static void test_hotplug_busy(void **state)
{
	struct fx *fx = *state;
	struct busy_guest g[2] = {{.dev = fx->dev[0]}, {.dev = fx->dev[1]}};
	pthread_t th[2];
	unsigned bad = 0;

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, busy_main, &g[i]), 0);
	/* No assertion while the threads run (they use this frame): count bad replies. */
	for (int i = 0; i < 150; i++) {
		bad += !reply_is(fx->ctl, "{\"cmd\":\"add\",\"spec\":\"lm75@0x4a,temp=20\"}",
				 "{\"ok\":true,\"addr\":\"0x4a\",\"model\":\"lm75\"}");
		if (i % 3 == 0)
			bad += !reply_is(fx->ctl,
					 "{\"cmd\":\"fault\",\"addr\":\"0x4a\",\"kind\":"
					 "\"delay\",\"ms\":1,\"count\":0}",
					 "{\"ok\":true}");
		usleep(1000);
		bad += !reply_is(fx->ctl, "{\"cmd\":\"remove\",\"addr\":\"0x4a\"}",
				 "{\"ok\":true}");
	}
	for (int i = 0; i < 2; i++) {
		g[i].stop = true;
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (g[i].err[0])
			fail_msg("guest %d: %s", i, g[i].err);
		printf("guest %d: %u ok, %u absent\n", i, g[i].ok, g[i].absent);
		assert_true(g[i].absent > 0);
	}
	assert_int_equal(bad, 0);
	/* A removed device takes its faults with it. */
	expect_reply(fx->ctl, "{\"cmd\":\"faults\"}", "{\"ok\":true,\"faults\":[]}");
	assert_true(daemon_alive(fx->d));
	fx->passed = true;
}

static void test_regmap(void **state)
{
	struct fx *fx = *state;
	uint8_t b[6];
	const uint8_t w_ro[] = {0x00, 0xaa, 0xbb, 0x01, 0x02};
	char line[400];

	/* 16-bit big-endian values, auto-increment, unspecified registers 0. */
	assert_int_equal(reg_read(fx->dev[0], REGMAP, 0, b, 6), 0);
	assert_memory_equal(b, ((uint8_t[]){0x12, 0x34, 0x00, 0x12, 0x00, 0x00}), 6);
	/* Writes to a ro register are ACKed and ignored; the pointer moves on. */
	assert_int_equal(vf_i2c_write(fx->dev[0], REGMAP, w_ro, sizeof(w_ro)), 0);
	assert_int_equal(reg_read(fx->dev[0], REGMAP, 0, b, 4), 0);
	assert_memory_equal(b, ((uint8_t[]){0x12, 0x34, 0x01, 0x02}), 4);
	/* Past size: no such register, NACK. */
	assert_int_equal(reg_read(fx->dev[0], REGMAP, 16, b, 2), -EIO);
	expect_reply(fx->ctl,
		     "{\"cmd\":\"set\",\"addr\":\"0x40\",\"props\":{\"reg:0x05\":18,"
		     "\"reg:0x00\":\"0xbeef\"}}",
		     "{\"ok\":true,\"model\":\"regmap\"}");
	assert_int_equal(reg_read(fx->dev[1], REGMAP, 5, b, 2), 0);
	assert_memory_equal(b, ((uint8_t[]){0x00, 0x12}), 2);
	assert_int_equal(reg_read(fx->dev[1], REGMAP, 0, b, 2), 0);
	assert_memory_equal(b, ((uint8_t[]){0xbe, 0xef}), 2);
	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x40\"}",
		     "{\"ok\":true,\"props\":{\"reg:0x00\":48879.0,\"reg:0x01\":258.0},"
		     "\"addr\":\"0x40\",\"model\":\"regmap\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x40\",\"props\":[\"reg:0x05\"]}",
		     "{\"ok\":true,\"props\":{\"reg:0x05\":18.0},\"addr\":\"0x40\",\"model\":"
		     "\"regmap\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x40\",\"props\":{\"reg:0x10\":1}}",
		     "{\"ok\":false,\"error\":\"regmap at 0x40: 'reg:0x10': no such property\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"set\",\"addr\":\"0x40\",\"props\":{\"reg:0x01\":65536}}",
		     "{\"ok\":false,\"error\":\"regmap at 0x40: 'reg:0x01': value out of range\"}");
	/* A hot-plugged regmap; a bad map file is an error reply. */
	snprintf(line, sizeof(line), "{\"cmd\":\"add\",\"spec\":\"regmap@0x41,map=%s\"}",
		 fx->map_path);
	expect_reply(fx->ctl, line, "{\"ok\":true,\"addr\":\"0x41\",\"model\":\"regmap\"}");
	assert_int_equal(reg_read(fx->dev[0], 0x41, 1, b, 2), 0);
	assert_memory_equal(b, ((uint8_t[]){0x00, 0x12}), 2);
	snprintf(line, sizeof(line), "%s/bad.json", fx->d->dir);
	write_file(line, "{\"reg_bits\": 12}");
	snprintf(line, sizeof(line), "{\"cmd\":\"add\",\"spec\":\"regmap@0x42,map=%s/bad.json\"}",
		 fx->d->dir);
	expect_prefix(fx->ctl, line, "{\"ok\":false,\"error\":\"--emulate 'regmap@0x42,map=");
	fx->passed = true;
}

static void test_bad_input(void **state)
{
	struct fx *fx = *state;
	char *big = malloc(70000 + 1);
	int fds[CONTROL_CLIENTS_TESTED];
	char *r;

	expect_reply(fx->ctl, "garbage",
		     "{\"ok\":false,\"error\":\"invalid JSON at column 7: '[' or '{' expected near "
		     "'garbage'\"}");
	expect_reply(fx->ctl, "[1,2]",
		     "{\"ok\":false,\"error\":\"a request must be a JSON object\"}");
	expect_reply(fx->ctl, "{\"id\":3}",
		     "{\"ok\":false,\"error\":\"missing \\\"cmd\\\" (list, get, set, add, remove, "
		     "fault, faults, clear, counters)\",\"id\":3}");
	expect_reply(fx->ctl, "{\"cmd\":\"reboot\",\"id\":[1]}",
		     "{\"ok\":false,\"error\":\"unknown command 'reboot'\",\"id\":[1]}");
	expect_reply(fx->ctl, "{\"cmd\":\"list\",\"verbose\":true}",
		     "{\"ok\":false,\"error\":\"unknown member 'verbose' for 'list'\"}");
	expect_reply(fx->ctl, "{\"cmd\":\"list\",\"cmd\":\"get\"}",
		     "{\"ok\":false,\"error\":\"invalid JSON at column 19: duplicate object key "
		     "near '\\\"cmd\\\"'\"}");
	expect_prefix(fx->ctl, "{\"cmd\":\"get\",\"addr\":\"\xff\"}",
		      "{\"ok\":false,\"error\":\"invalid JSON at column");
	expect_prefix(fx->ctl, "{\"cmd\":\"lis\\u0000t\"}", "{\"ok\":false,\"error\":");
	/* A line over 64 KiB: one error, then the connection goes on. */
	memset(big, 'x', 70000);
	big[70000] = '\0';
	assert_int_equal(ctl_send(fx->ctl, big), 0);
	r = ctl_recv(fx->ctl, TMO);
	assert_non_null(r);
	assert_string_equal(r, "{\"ok\":false,\"error\":\"line longer than 65536 bytes\"}");
	free(r);
	free(big);
	/* Requests pipelined in one write: one reply each, in order; empty lines are skipped. */
	assert_int_equal(ctl_send(fx->ctl,
				  "{\"cmd\":\"faults\",\"id\":1}\n\n{\"cmd\":\"x\",\"id\":2}\r\n"
				  "{\"cmd\":\"clear\",\"id\":3}"),
			 0);
	for (int i = 1; i <= 3; i++) {
		static const char *const want[] = {
			"{\"ok\":true,\"faults\":[],\"id\":1}",
			"{\"ok\":false,\"error\":\"unknown command 'x'\",\"id\":2}",
			"{\"ok\":true,\"cleared\":0,\"id\":3}",
		};

		r = ctl_recv(fx->ctl, TMO);
		assert_non_null(r);
		assert_string_equal(r, want[i - 1]);
		free(r);
	}
	/* Several clients at once, up to the limit; one more is told and closed. */
	for (int i = 0; i < CONTROL_CLIENTS_TESTED; i++) {
		fds[i] = ctl_connect(fx->ctl_path, TMO);
		assert_true(fds[i] >= 0);
	}
	for (int i = 0; i < CONTROL_CLIENTS_TESTED - 1; i++)
		expect_reply(fds[i], "{\"cmd\":\"clear\"}", "{\"ok\":true,\"cleared\":0}");
	r = ctl_recv(fds[CONTROL_CLIENTS_TESTED - 1], TMO);
	assert_non_null(r);
	assert_string_equal(r, "{\"ok\":false,\"error\":\"too many control clients\"}");
	free(r);
	/* A client leaving mid-line, or without reading its replies, changes nothing. */
	assert_int_equal(ctl_send(fds[0], "{\"cmd\":\"list\"}\n{\"cmd\":\"li"), 0);
	for (int i = 0; i < CONTROL_CLIENTS_TESTED; i++)
		close(fds[i]);
	expect_reply(
		fx->ctl, "{\"cmd\":\"get\",\"addr\":\"0x48\"}",
		"{\"ok\":true,\"props\":{\"temp\":25.0},\"addr\":\"0x48\",\"model\":\"lm75\"}");
	expect_temp(fx->dev[0], LM75, 0x19, 0x00);
	assert_true(daemon_alive(fx->d));
	fx->passed = true;
}

/* Per-guest buses: "guest": N picks socket N's; the shared one is the default. */
static void test_guest_buses(void **state)
{
	struct daemon_dir_fx *dfx = *state;
	char *extra[] = {"-e", "lm75@0x48", "--guest", "1", "-e", "lm75@0x48,temp=50", NULL};
	char ctl[160], p0[160], p1[160];
	struct vf_dev *g0, *g1;
	int fd;

	assert_int_equal(daemon_start_ctl(dfx->d, 2, extra, ctl, sizeof(ctl)), 0);
	fd = ctl_connect(ctl, TMO);
	assert_true(fd >= 0);
	daemon_sock_path(dfx->d, 0, p0, sizeof(p0));
	daemon_sock_path(dfx->d, 1, p1, sizeof(p1));
	g0 = vf_dev_open(p0, NULL);
	g1 = vf_dev_open(p1, NULL);
	assert_non_null(g0);
	assert_non_null(g1);
	expect_reply(fd, "{\"cmd\":\"list\"}",
		     "{\"ok\":true,\"devices\":["
		     "{\"addr\":\"0x48\",\"model\":\"lm75\",\"bus\":\"shared\"},"
		     "{\"addr\":\"0x48\",\"model\":\"lm75\",\"bus\":\"1\"}]}");
	expect_reply(
		fd, "{\"cmd\":\"list\",\"guest\":1}",
		"{\"ok\":true,\"devices\":[{\"addr\":\"0x48\",\"model\":\"lm75\",\"bus\":\"1\"}]}");
	expect_reply(fd, "{\"cmd\":\"set\",\"addr\":\"0x48\",\"guest\":1,\"props\":{\"temp\":60}}",
		     "{\"ok\":true,\"model\":\"lm75\"}");
	expect_temp(g1, LM75, 0x3c, 0x00);
	expect_temp(g0, LM75, 0x19, 0x00);
	expect_reply(fd, "{\"cmd\":\"fault\",\"addr\":\"0x48\",\"kind\":\"nack\"}",
		     "{\"ok\":true}");
	expect_temp(g1, LM75, 0x3c, 0x00);
	expect_reply(fd, "{\"cmd\":\"faults\"}",
		     "{\"ok\":true,\"faults\":[{\"addr\":\"0x48\",\"bus\":\"shared\",\"kind\":"
		     "\"nack\",\"count\":1}]}");
	close(fd);
	vf_dev_destroy(g0);
	vf_dev_destroy(g1);
	assert_int_equal(daemon_finish(dfx->d, true), 0);
	dfx->d = NULL;
	assert_false(access(ctl, F_OK) == 0);
	dfx->passed = true;
}

/* Runs $VI2C_CTL with args; returns its exit status, stdout in out (one line, no newline). */
static int run_ctl(char *const args[], char *out, size_t outlen)
{
	const char *ctl = getenv("VI2C_CTL");
	char *argv[16];
	int pipefd[2], st;
	unsigned n = 0;
	ssize_t len;
	pid_t pid;

	assert_non_null(ctl);
	argv[n++] = (char *)ctl;
	for (unsigned i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execv(ctl, argv);
		_exit(127);
	}
	close(pipefd[1]);
	len = read(pipefd[0], out, outlen - 1);
	close(pipefd[0]);
	out[len > 0 ? len : 0] = '\0';
	if (len > 0 && out[len - 1] == '\n')
		out[len - 1] = '\0';
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* vhost-user-i2c-ctl: the command line becomes the request, the exit status says ok. */
static void test_ctl_client(void **state)
{
	struct fx *fx = *state;
	char out[1024];

	{
		char *a[] = {fx->ctl_path, "set", "0x48", "temp=30.5", NULL};

		assert_int_equal(run_ctl(a, out, sizeof(out)), 0);
		assert_string_equal(out, "{\"ok\":true,\"model\":\"lm75\"}");
	}
	expect_temp(fx->dev[0], LM75, 0x1e, 0x80);
	{
		char *a[] = {fx->ctl_path, "set", "0x40", "reg:0x05=0x12", NULL};

		assert_int_equal(run_ctl(a, out, sizeof(out)), 0);
	}
	{
		char *a[] = {"--guest", "1", fx->ctl_path, "get", "0x40", "reg:0x05", NULL};

		assert_int_equal(run_ctl(a, out, sizeof(out)), 0);
		assert_string_equal(out, "{\"ok\":true,\"props\":{\"reg:0x05\":18.0},\"addr\":"
					 "\"0x40\",\"model\":\"regmap\"}");
	}
	{
		char *a[] = {fx->ctl_path, "fault", "0x48", "delay", "ms=5", "count=2", NULL};

		assert_int_equal(run_ctl(a, out, sizeof(out)), 0);
	}
	{
		char *a[] = {fx->ctl_path, "faults", NULL};

		assert_int_equal(run_ctl(a, out, sizeof(out)), 0);
		assert_string_equal(out, "{\"ok\":true,\"faults\":[{\"addr\":\"0x48\",\"bus\":"
					 "\"shared\",\"kind\":\"delay\",\"count\":2,\"ms\":5}]}");
	}
	{
		char *a[] = {fx->ctl_path, "add", "stub@0x21", NULL};

		assert_int_equal(run_ctl(a, out, sizeof(out)), 0);
		assert_int_equal(run_ctl(a, out, sizeof(out)), 1);
		assert_string_equal(out, "{\"ok\":false,\"error\":\"address 0x21 is in use\"}");
	}
	{
		char *a[] = {fx->ctl_path, "{\"cmd\":\"remove\",\"addr\":33,\"id\":9}", NULL};

		assert_int_equal(run_ctl(a, out, sizeof(out)), 0);
		assert_string_equal(out, "{\"ok\":true,\"id\":9}");
	}
	{
		char *a[] = {fx->ctl_path, "frobnicate", NULL};

		assert_int_equal(run_ctl(a, out, sizeof(out)), 2);
		assert_string_equal(out, "");
	}
	{
		char *a[] = {"/nonexistent/ctl", "list", NULL};

		assert_int_equal(run_ctl(a, out, sizeof(out)), 1);
	}
	fx->passed = true;
}

/* Start-up errors: one line, exit 2, no socket. */
static void test_start_errors(void **state)
{
	struct daemon_dir_fx *dfx = *state;
	char map[160], arg[200], want[600], *log;
	int code;

	snprintf(map, sizeof(map), "%s/bad.json", dfx->d->dir);
	write_file(map, "{\"reg_bits\": 8, \"registers\": {\"0x100\": {}}}");
	snprintf(arg, sizeof(arg), "regmap@0x40,map=%s", map);
	{
		char *argv[] = {"-s", dfx->d->sock, "-e", arg, NULL};

		assert_int_equal(daemon_spawn(dfx->d, argv), 0);
		assert_int_equal(daemon_wait_exit(dfx->d, TMO, &code), 0);
		assert_int_equal(code, 2);
	}
	log = daemon_log(dfx->d);
	assert_non_null(log);
	snprintf(want, sizeof(want),
		 "vhost-user-i2c: --emulate 'regmap@0x40,map=%s': map '%s': register '0x100': "
		 "not an address 0..0xff\n",
		 map, map);
	assert_string_equal(log, want);
	free(log);
	{
		char *argv[] = {"-s", dfx->d->sock, "-e", "regmap@0x40", NULL};

		assert_int_equal(daemon_spawn(dfx->d, argv), 0);
		assert_int_equal(daemon_wait_exit(dfx->d, TMO, &code), 0);
		assert_int_equal(code, 2);
		assert_true(daemon_log_contains(
			dfx->d, "model regmap needs map=FILE in --emulate 'regmap@0x40'"));
	}
	{
		char *argv[] = {"-s", dfx->d->sock, "-e", "stub@0x20", "--control=/nonexistent/ctl",
				NULL};

		assert_int_equal(daemon_spawn(dfx->d, argv), 0);
		assert_int_equal(daemon_wait_exit(dfx->d, TMO, &code), 0);
		assert_int_equal(code, 2);
		assert_true(daemon_log_contains(dfx->d, "invalid --control '/nonexistent/ctl': "
							"directory '/nonexistent' does not exist"));
	}
	dfx->passed = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_get_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_nack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_delay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults_list_clear_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hotplug_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_buses, daemon_dir_fx_setup,
						daemon_dir_fx_teardown),
		cmocka_unit_test_setup_teardown(test_start_errors, daemon_dir_fx_setup,
						daemon_dir_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
