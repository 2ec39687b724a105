// SPDX-License-Identifier: MIT
/*
 * Soak: many connect / negotiate / transfer / disconnect cycles with fds and
 * RSS flat, then several guests doing random groups with random disconnects.
 * CI runs short versions; scripts/soak.sh runs the long ones
 * (VI2C_SOAK_CYCLES=10000, VI2C_SOAK_SECONDS=600).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "vu_frontend.h"

#define EE256  0x57
#define LM75   0x48
#define STUB   0x20
#define NOBODY 0x33
#define GUESTS 4

static char *std_args[] = {DAEMON_STD_DEVICES, NULL};

static unsigned env_uint(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 10) : dflt;
}

static void test_connect_cycles(void **state)
{
	unsigned cycles = env_uint("VI2C_SOAK_CYCLES", 1000);
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[512];
	struct daemon *d;

	/*
	 * Under ASan freed memory sits in a quarantine that grows RSS by itself:
	 * keep it off for the daemon so RSS shows only what the daemon holds.
	 * Leaks are caught anyway by LeakSanitizer when the daemon exits.
	 */
	snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=0", asan ? asan : "", asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	d = daemon_launch(1, std_args);
	if (asan)
		setenv("ASAN_OPTIONS", asan, 1);
	else
		unsetenv("ASAN_OPTIONS");
	int fds100 = -1, fds_end = -1;
	long rss100 = -1, rss_end = -1;
	char path[160];

	assert_non_null(d);
	daemon_sock_path(d, 0, path, sizeof(path));
	for (unsigned i = 1; i <= cycles; i++) {
		struct vf_dev *dev = vf_dev_open(path, NULL);
		uint8_t w[2] = {0x10, (uint8_t)i}, r = 0;

		if (!dev)
			fail_msg("cycle %u: connect/negotiate failed: %s", i, strerror(errno));
		assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
		assert_int_equal(vf_i2c_write_read(dev, STUB, w, 1, &r, 1), 0);
		assert_int_equal(r, (uint8_t)i);
		if (i == 100) {
			fds100 = daemon_fd_count(d);
			rss100 = daemon_rss_kb(d);
		}
		if (i == cycles) {
			fds_end = daemon_fd_count(d);
			rss_end = daemon_rss_kb(d);
		}
		vf_dev_destroy(dev);
	}
	printf("%u cycles: after 100: %d fds %ld KiB; at the end: %d fds %ld KiB\n", cycles, fds100,
	       rss100, fds_end, rss_end);
	assert_int_equal(fds_end, fds100);
	/* Allocator noise only (ASan's quarantine included); a per-connection leak grows linearly.
	 */
	assert_true(rss_end - rss100 < 2048);
	assert_int_equal(daemon_finish(d, true), 0);
}

struct guest {
	const char *path;
	unsigned id;
	unsigned seed;
	unsigned groups, disconnects;
	char failure[256];
};

/* One random group; returns 0 or fills g->failure. */
static int random_group(struct guest *g, struct vf_dev *dev, uint8_t *shadow)
{
	unsigned kind = (unsigned)rand_r(&g->seed) % 5;
	/* Each guest owns 16 pages of the 24c256: its writes can be checked exactly. */
	unsigned off = g->id * 1024 + (unsigned)rand_r(&g->seed) % 1024;
	uint8_t buf[2 + 16], r[16];
	unsigned len = 1 + (unsigned)rand_r(&g->seed) % 16;
	int ret;

	buf[0] = (uint8_t)(off >> 8);
	buf[1] = (uint8_t)off;
	switch (kind) {
	case 0: /* write within one page */
		len = len < 64 - off % 64 ? len : 64 - off % 64;
		for (unsigned i = 0; i < len; i++)
			buf[2 + i] = (uint8_t)rand_r(&g->seed);
		if (vf_i2c_write(dev, EE256, buf, 2 + len))
			goto bad;
		memcpy(shadow + off - g->id * 1024, buf + 2, len);
		return 0;
	case 1: /* random read with repeated start, checked against what we wrote */
		len = len < 2048 - off % 1024 ? len : 1;
		if (off - g->id * 1024 + len > 1024)
			len = 1024 - (off - g->id * 1024);
		if (vf_i2c_write_read(dev, EE256, buf, 2, r, len))
			goto bad;
		if (memcmp(r, shadow + off - g->id * 1024, len))
			goto bad;
		return 0;
	case 2: { /* probes: configured answers, nobody at NOBODY */
		struct vf_i2c_msg m[2] = {{.addr = LM75}, {.addr = NOBODY}};

		ret = vf_i2c_transfer(dev, &m[0], 1, 0, 5000);
		if (ret != 1 || m[0].status != VIRTIO_I2C_MSG_OK)
			goto bad;
		ret = vf_i2c_transfer(dev, &m[1], 1, 0, 5000);
		if (ret != 1 || m[1].status != VIRTIO_I2C_MSG_ERR)
			goto bad;
		return 0;
	}
	case 3: { /* lm75 temperature: 25 C */
		uint8_t ptr = 0;

		if (vf_i2c_write_read(dev, LM75, &ptr, 1, r, 2) || r[0] != 0x19 || r[1] != 0)
			goto bad;
		return 0;
	}
	default: { /* a group failing in the middle: the rest must not run */
		uint8_t w1[3] = {buf[0], buf[1], 0xee};
		struct vf_i2c_msg m[2] = {{.addr = NOBODY, .len = 1, .buf = w1},
					  {.addr = EE256, .len = 3, .buf = w1}};

		ret = vf_i2c_transfer(dev, m, 2, 0, 5000);
		if (ret != 2 || m[0].status != VIRTIO_I2C_MSG_ERR ||
		    m[1].status != VIRTIO_I2C_MSG_ERR)
			goto bad;
		return 0;
	}
	}
bad:
	snprintf(g->failure, sizeof(g->failure), "guest %u: group kind %u at 0x%04x len %u failed",
		 g->id, kind, off, len);
	return -1;
}

static void *guest_run(void *arg)
{
	struct guest *g = arg;
	unsigned seconds = env_uint("VI2C_SOAK_SECONDS", 15);
	time_t end = time(NULL) + seconds;
	uint8_t shadow[1024];
	struct vf_dev *dev = NULL;

	memset(shadow, 0xff, sizeof(shadow));
	while (time(NULL) < end && !g->failure[0]) {
		if (!dev) {
			dev = vf_dev_open(g->path, NULL);
			if (!dev) {
				snprintf(g->failure, sizeof(g->failure),
					 "guest %u: reconnect failed", g->id);
				break;
			}
		}
		if (random_group(g, dev, shadow))
			break;
		g->groups++;
		if (rand_r(&g->seed) % 50 == 0) {
			/* Vanish, sometimes with a request kicked and not collected. */
			if (rand_r(&g->seed) % 2) {
				uint8_t w[3] = {(uint8_t)(g->id * 4), 0, 0};

				vf_i2c_transfer(dev,
						&(struct vf_i2c_msg){.addr = EE256,
								     .flags = VF_I2C_M_RD,
								     .len = 1,
								     .buf = w},
						1, 0, 0);
			}
			vf_dev_destroy(dev);
			dev = NULL;
			g->disconnects++;
		}
	}
	vf_dev_destroy(dev);
	return NULL;
}

static void test_mixed_guests(void **state)
{
	struct daemon *d = daemon_launch(GUESTS, std_args);
	struct guest g[GUESTS];
	pthread_t t[GUESTS];
	char path[GUESTS][160];
	unsigned groups = 0, disconnects = 0;
	char *log;

	assert_non_null(d);
	for (unsigned i = 0; i < GUESTS; i++) {
		daemon_sock_path(d, i, path[i], sizeof(path[i]));
		g[i] = (struct guest){.path = path[i], .id = i, .seed = 1234 + i};
		assert_int_equal(pthread_create(&t[i], NULL, guest_run, &g[i]), 0);
	}
	for (unsigned i = 0; i < GUESTS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (g[i].failure[0])
			fail_msg("%s", g[i].failure);
		groups += g[i].groups;
		disconnects += g[i].disconnects;
	}
	printf("%u guests: %u groups, %u disconnects, no unexpected result\n", GUESTS, groups,
	       disconnects);
	assert_true(groups > 100);
	/* Nothing went wrong on the daemon's side either: no error line in its log. */
	log = daemon_log(d);
	assert_non_null(log);
	assert_null(strstr(log, "error"));
	free(log);
	assert_int_equal(daemon_finish(d, true), 0);
}

struct busy {
	const char *path;
	unsigned id;
	int result;
};

static void *busy_guest(void *arg)
{
	struct busy *b = arg;
	struct vf_dev *dev = vf_dev_open(b->path, NULL);
	uint8_t w[2] = {(uint8_t)(0x80 + b->id), 0}, r;

	b->result = dev ? 0 : -1;
	for (unsigned i = 0; dev && i < 200 && !b->result; i++) {
		w[1] = (uint8_t)i;
		if (vf_i2c_write(dev, STUB, w, 2) || vf_i2c_write_read(dev, STUB, w, 1, &r, 1) ||
		    r != (uint8_t)i)
			b->result = -1;
	}
	vf_dev_destroy(dev);
	return NULL;
}

/*
 * 16 guests busy at once: more threads than glibc's default malloc arenas
 * on a small machine. In a Release build this runs under the seccomp
 * filter as in production (a sanitizer build replaces malloc).
 */
static void test_many_busy_guests(void **state)
{
	enum { N = 16 };
	struct daemon *d = daemon_launch(N, std_args);
	struct busy b[N];
	pthread_t t[N];
	char path[N][160];

	assert_non_null(d);
	for (unsigned i = 0; i < N; i++) {
		daemon_sock_path(d, i, path[i], sizeof(path[i]));
		b[i] = (struct busy){.path = path[i], .id = i};
		assert_int_equal(pthread_create(&t[i], NULL, busy_guest, &b[i]), 0);
	}
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(b[i].result, 0);
	}
	assert_false(daemon_log_contains(d, "forbidden system call"));
	assert_int_equal(daemon_finish(d, true), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_cycles),
		cmocka_unit_test(test_mixed_guests),
		cmocka_unit_test(test_many_busy_guests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
