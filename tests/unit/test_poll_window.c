// SPDX-License-Identifier: MIT
/* The adaptive polling window: grows while waits fit under the maximum, shrinks past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "poll_window.h"

static void test_off_stays_off(void **state)
{
	struct poll_window pw;

	poll_window_init(&pw, 0);
	for (int i = 0; i < 10; i++)
		poll_window_update(&pw, 1000);
	assert_int_equal(pw.ns, 0);
}

static void test_grows_to_max(void **state)
{
	struct poll_window pw;

	poll_window_init(&pw, 50000);
	assert_int_equal(pw.ns, 0);
	poll_window_update(&pw, 10000); /* a 10 us wait polling could have covered */
	assert_int_equal(pw.ns, POLL_WINDOW_START_NS);
	poll_window_update(&pw, 10000);
	assert_int_equal(pw.ns, 8000);
	poll_window_update(&pw, 10000);
	assert_int_equal(pw.ns, 16000);
	/* Covered by the window: the sweet spot, no change. */
	poll_window_update(&pw, 10000);
	assert_int_equal(pw.ns, 16000);
	poll_window_update(&pw, 40000);
	assert_int_equal(pw.ns, 32000);
	poll_window_update(&pw, 40000);
	assert_int_equal(pw.ns, 50000); /* capped */
}

static void test_shrinks_when_waits_exceed_max(void **state)
{
	struct poll_window pw;

	poll_window_init(&pw, 32768);
	pw.ns = 32768;
	poll_window_update(&pw, 1000000); /* traffic stopped: a 1 ms wait */
	assert_int_equal(pw.ns, 16384);
	poll_window_update(&pw, 1000000);
	poll_window_update(&pw, 1000000);
	assert_int_equal(pw.ns, 4096);
	/* Below the starting window: off until waits are short again. */
	poll_window_update(&pw, 1000000);
	assert_int_equal(pw.ns, 0);
	poll_window_update(&pw, 1000000);
	assert_int_equal(pw.ns, 0);
	poll_window_update(&pw, 3000);
	assert_int_equal(pw.ns, POLL_WINDOW_START_NS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_stays_off),
		cmocka_unit_test(test_grows_to_max),
		cmocka_unit_test(test_shrinks_when_waits_exceed_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
