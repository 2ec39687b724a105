// SPDX-License-Identifier: MIT
/*
 * Adaptive polling (--poll-max-ns) against a real daemon: requests are served
 * without kicks while the daemon polls, with EVENT_IDX on and off and with two
 * guests; vhost-user messages and shutdown are not held up by polling; once
 * traffic stops the daemon asks for kicks again and uses no CPU. No speed is
 * asserted here (that is the bench's job): the bounds below only tell "served
 * at once" from "served after a 1-second poll window".
 */
#include <endian.h>
#include <errno.h>
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

#define STUB	0x20
#define MAX_NS	"1000000000" /* a 1 s window: anything waiting on it would show */
#define FAST_MS 500
/* How long the daemon may take to be seen polling (a loaded machine). */
#define POLLING_MS 1500
/* grow_windows: gaps of 10 us doubling to 655 ms, then 700 ms twice: the window reaches 1 s. */
#define GAP_MAX_US 700000
#define GROW_STEPS 20

static int setup(void **state)
{
	static char *args[] = {"-e", "stub@0x20", "--poll-max-ns=" MAX_NS, NULL};

	return daemon_fx_start(state, 2, args);
}

static struct vf_dev *open_guest(struct daemon_fx *fx, unsigned idx, bool event_idx)
{
	struct vf_dev_opts o;
	struct vf_dev *dev;

	vf_dev_opts_default(&o);
	o.event_idx = event_idx;
	dev = vf_dev_open(fx->paths[idx], &o);
	assert_non_null(dev);
	return dev;
}

/* n write+read-back groups; the read must see the write. */
static void transfers(struct vf_dev *dev, unsigned n, uint8_t seed)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t w[2] = {(uint8_t)(i & 0x7f), (uint8_t)(seed + i)}, r = 0;

		assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
		assert_int_equal(vf_i2c_write_read(dev, STUB, w, 1, &r, 1), 0);
		assert_int_equal(r, w[1]);
	}
}

/*
 * Whether the device wants a kick for the next request: EVENT_IDX, avail_event
 * is where the avail index stands now (it is moved half the index space away
 * while polling); otherwise NO_NOTIFY is clear.
 */
static bool kicks_wanted(struct vf_dev *dev)
{
	if (dev->vr.event_idx)
		return le16toh(__atomic_load_n(vf_vring_avail_event(&dev->vr), __ATOMIC_ACQUIRE)) ==
		       dev->vr.avail_idx;
	return vf_vring_need_kick(&dev->vr);
}

/* Waits until the device's wish for kicks is `want` (up to ms). */
static bool wait_need_kick(struct vf_dev *dev, bool want, int ms)
{
	int64_t end = monotonic_ms() + ms;

	do {
		if (kicks_wanted(dev) == want)
			return true;
		usleep(200);
	} while (monotonic_ms() < end);
	return false;
}

/*
 * Grows the guests' polling windows to the 1 s maximum. A window grows only
 * when a wait outlasts it (and stays under the maximum), as QEMU's does, so
 * back-to-back traffic leaves it near the gap between requests: microseconds,
 * too short to be seen reliably from here on a loaded machine. Gaps that double
 * from 10 us outrun a window that doubles from 4 us (POLL_WINDOW_START_NS); the
 * last ones stay under the 1 s maximum (a longer wait shrinks it). Returns the
 * transfers made per guest (3 requests each).
 */
static unsigned grow_windows(struct vf_dev **devs, unsigned ndevs, uint8_t seed)
{
	unsigned n = 0;

	for (useconds_t gap = 10;; gap = gap * 2 > GAP_MAX_US ? GAP_MAX_US : gap * 2) {
		for (unsigned i = 0; i < ndevs; i++)
			transfers(devs[i], 1, (uint8_t)(seed + n + 50 * i));
		if (++n == GROW_STEPS)
			return n;
		usleep(gap);
	}
}

static unsigned grow_window(struct vf_dev *dev, uint8_t seed)
{
	return grow_windows(&dev, 1, seed);
}

/*
 * With the window grown, the daemon polls after each group: kicks are not
 * wanted, and requests published without a kick are served.
 */
static void polls_then_sleeps(struct daemon_fx *fx, bool event_idx)
{
	struct vf_dev *dev = open_guest(fx, 0, event_idx);
	long cpu0, cpu1;

	grow_window(dev, 1);
	assert_true(wait_need_kick(dev, false, POLLING_MS));
	/* Not kicked: served by polling (vf_i2c_* kick only when the device asks). */
	transfers(dev, 20, 2);
	/* Traffic stops: within the window (1 s) kicks are wanted again... */
	assert_true(wait_need_kick(dev, true, 3000));
	/* ...and the thread sleeps (no busy loop left). */
	cpu0 = daemon_cpu_ms(fx->d);
	usleep(500 * 1000);
	cpu1 = daemon_cpu_ms(fx->d);
	assert_true(cpu0 >= 0 && cpu1 >= 0);
	if (cpu1 - cpu0 > 100)
		printf("daemon used %ld ms of CPU in 500 ms while idle\n", cpu1 - cpu0);
	assert_true(cpu1 - cpu0 <= 100);
	/* A kick still wakes it. */
	transfers(dev, 3, 3);
	vf_dev_destroy(dev);
}

static void test_polling_event_idx(void **state)
{
	struct daemon_fx *fx = *state;

	polls_then_sleeps(fx, true);
	fx->passed = true;
}

static void test_polling_no_event_idx(void **state)
{
	struct daemon_fx *fx = *state;

	polls_then_sleeps(fx, false);
	fx->passed = true;
}

/* Two guests polling at once on their own threads, interleaved. */
static void test_polling_two_guests(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_dev *a = open_guest(fx, 0, true), *b = open_guest(fx, 1, false);

	struct vf_dev *both[] = {a, b};

	grow_windows(both, 2, 0);
	assert_true(wait_need_kick(a, false, POLLING_MS));
	assert_true(wait_need_kick(b, false, POLLING_MS));
	/* and both keep serving, interleaved. */
	for (unsigned i = 0; i < 30; i++) {
		transfers(a, 1, (uint8_t)i);
		transfers(b, 1, (uint8_t)(i + 100));
	}
	vf_dev_destroy(a);
	vf_dev_destroy(b);
	fx->passed = true;
}

/* A vhost-user message is answered while the daemon polls, not after its window. */
static void test_messages_not_delayed(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_dev *dev = open_guest(fx, 0, true);
	uint16_t base = 0;
	unsigned n = grow_window(dev, 4);
	int64_t t0;

	assert_true(wait_need_kick(dev, false, POLLING_MS));
	t0 = monotonic_ms();
	assert_int_equal(vf_dev_stop(dev, &base), 0);
	assert_true(monotonic_ms() - t0 < FAST_MS);
	assert_int_equal(base, 3 * n); /* n x ([W] + [W][R]) */
	/* Restarted where it stopped, it serves again. */
	assert_int_equal(vf_dev_start(dev), 0);
	transfers(dev, 2, 5);
	vf_dev_destroy(dev);
	fx->passed = true;
}

/* SIGTERM while polling: clean exit at once. */
static void test_shutdown_while_polling(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_dev *dev = open_guest(fx, 0, true);
	int code = -1;
	int64_t t0;

	grow_window(dev, 6);
	assert_true(wait_need_kick(dev, false, POLLING_MS));
	t0 = monotonic_ms();
	assert_int_equal(daemon_stop(fx->d, 5000, &code), 0);
	assert_true(monotonic_ms() - t0 < FAST_MS);
	assert_int_equal(code, 0);
	vf_dev_destroy(dev);
	daemon_free(fx->d);
	fx->d = NULL;
	fx->passed = true;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, daemon_fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_polling_event_idx),    T(test_polling_no_event_idx),
		T(test_polling_two_guests),   T(test_messages_not_delayed),
		T(test_shutdown_while_polling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
