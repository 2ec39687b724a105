// SPDX-License-Identifier: MIT
/*
 * --trace lines (trace_format) compared whole, and trace_group writing one
 * line per group to the trace file with a plausible duration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

static const struct timespec t0 = {.tv_sec = 1714564800, .tv_nsec = 123456789};

static void expect(const char *want, const struct i2c_msg_buf *m, unsigned n, unsigned done,
		   uint64_t ns)
{
	char *got = trace_format("vi2c.sock0", m, n, done, &t0, ns);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_write_then_read(void **state)
{
	uint8_t off[1] = {0x00}, rd[4] = {0xff, 0x01, 0x80, 0x7e};
	struct i2c_msg_buf m[2] = {{.addr = 0x50, .len = 1, .buf = off},
				   {.addr = 0x50, .read = true, .len = 4, .buf = rd}};

	(void)state;
	expect("2024-05-01T12:00:00.123456Z vi2c.sock0 w1@0x50 0x00 r4 -> OK "
	       "[0xff 0x01 0x80 0x7e] 35us",
	       m, 2, 2, 35999);
}

static void test_address_changes_and_zero_length(void **state)
{
	uint8_t w[2] = {0x10, 0x20}, r1[1] = {0xaa}, r2[2] = {0x01, 0x02};
	struct i2c_msg_buf m[4] = {
		{.addr = 0x20, .len = 0, .buf = NULL},
		{.addr = 0x48, .len = 2, .buf = w},
		{.addr = 0x48, .read = true, .len = 1, .buf = r1},
		{.addr = 0x20, .read = true, .len = 2, .buf = r2},
	};

	(void)state;
	expect("2024-05-01T12:00:00.123456Z vi2c.sock0 w0@0x20 w2@0x48 0x10 0x20 r1 r2@0x20 -> OK "
	       "[0xaa] [0x01 0x02] 0us",
	       m, 4, 4, 999);
}

static void test_failure_reports_index_and_earlier_reads(void **state)
{
	uint8_t r1[2] = {0x12, 0x34}, w[1] = {0x99}, r2[3] = {0xde, 0xad, 0xbe};
	struct i2c_msg_buf m[3] = {
		{.addr = 0x50, .read = true, .len = 2, .buf = r1},
		{.addr = 0x33, .len = 1, .buf = w},
		{.addr = 0x50, .read = true, .len = 3, .buf = r2},
	};

	(void)state;
	/* request 1 failed: its read data and the later read's are not shown */
	expect("2024-05-01T12:00:00.123456Z vi2c.sock0 r2@0x50 w1@0x33 0x99 r3@0x50 -> ERR@1 "
	       "[0x12 0x34] 1234us",
	       m, 3, 1, 1234567);
	expect("2024-05-01T12:00:00.123456Z vi2c.sock0 r2@0x50 w1@0x33 0x99 r3@0x50 -> ERR@0 1us",
	       m, 3, 0, 1000);
	/* a read of zero bytes that succeeded still shows as [] */
	m[0].len = 0;
	expect("2024-05-01T12:00:00.123456Z vi2c.sock0 r0@0x50 w1@0x33 0x99 r3@0x50 -> ERR@1 [] "
	       "1us",
	       m, 3, 1, 1000);
}

static void test_group_to_file(void **state)
{
	char path[] = "/tmp/vi2c-trace-XXXXXX", err[200] = "", buf[512];
	uint8_t w[2] = {0x01, 0x02};
	struct i2c_msg_buf m = {.addr = 0x20, .len = 2, .buf = w};
	struct trace_stamp ts;
	FILE *f;
	int fd = mkstemp(path);
	unsigned long us;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_false(trace_enabled());
	trace_start(&ts); /* off: nothing recorded, nothing written */
	trace_group("g", &m, 1, 1, &ts);
	assert_int_equal(trace_open(path, err, sizeof(err)), 0);
	assert_true(trace_enabled());
	trace_start(&ts);
	usleep(2000);
	trace_group("g", &m, 1, 1, &ts);
	trace_group("g", &m, 1, 0, &ts);
	trace_close();
	assert_false(trace_enabled());
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_non_null(strstr(buf, " g w2@0x20 0x01 0x02 -> OK "));
	assert_int_equal(sscanf(strstr(buf, "-> OK ") + 6, "%luus\n", &us), 1);
	assert_true(us >= 2000 && us < 2000000);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_non_null(strstr(buf, " g w2@0x20 0x01 0x02 -> ERR@0 "));
	assert_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	unlink(path);

	assert_int_equal(trace_open("/nonexistent-dir/t", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "invalid --trace '/nonexistent-dir/t': No such file or directory");
	assert_false(trace_enabled());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_then_read),
		cmocka_unit_test(test_address_changes_and_zero_length),
		cmocka_unit_test(test_failure_reports_index_and_earlier_reads),
		cmocka_unit_test(test_group_to_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
