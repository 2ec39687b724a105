// SPDX-License-Identifier: MIT
/*
 * Log lines: level threshold, the guest socket named once, no forged lines,
 * the per-socket rate limit (a budget per level) with its "N messages
 * suppressed" lines at the level of what was dropped, reported by the ticker
 * without waiting for a next line, debug lines never limited, log_force
 * ignoring the threshold. stderr is captured in a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char path[] = "/tmp/vi2c-log-XXXXXX";
static int saved_stderr = -1;

static int capture(void **state)
{
	int fd = mkstemp(path);

	(void)state;
	if (fd < 0)
		return -1;
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	return 0;
}

static int restore(void **state)
{
	(void)state;
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	unlink(path);
	return 0;
}

/* Everything logged since the last call. */
static char *take(void)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	assert_non_null(f);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 65535, f) < 65535);
	fclose(f);
	assert_int_equal(ftruncate(STDERR_FILENO, 0), 0);
	lseek(STDERR_FILENO, 0, SEEK_SET);
	return buf;
}

static unsigned count(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_levels_and_names(void **state)
{
	struct log_ratelimit rl = {0};
	char *out;

	(void)state;
	log_set_level(LOG_LVL_WARN);
	log_info("hidden");
	log_warn("plain %d", 1);
	log_set_guest("vi2c.sock3", &rl);
	log_err("eeprom 0x50: cannot write");
	log_warn("vi2c.sock3: already named");
	log_warn("two\nlines");
	log_set_guest(NULL, NULL);
	log_warn("main again");
	log_force(LOG_LVL_INFO, "forced %s", "info");
	out = take();
	assert_string_equal(out, "vhost-user-i2c: warning: plain 1\n"
				 "vhost-user-i2c: error: vi2c.sock3: eeprom 0x50: cannot write\n"
				 "vhost-user-i2c: warning: vi2c.sock3: already named\n"
				 "vhost-user-i2c: warning: vi2c.sock3: two lines\n"
				 "vhost-user-i2c: warning: main again\n"
				 "vhost-user-i2c: info: forced info\n");
	free(out);
}

static void test_rate_limit(void **state)
{
	struct log_ratelimit rl = {0};
	char *out;

	(void)state;
	log_set_level(LOG_LVL_DEBUG);
	log_set_guest("g0", &rl);
	for (int i = 0; i < 25; i++)
		log_warn("flood %d", i);
	for (int i = 0; i < 15; i++)
		log_debug("dbg %d", i); /* asked for with -vv: never dropped */
	out = take();
	assert_int_equal(count(out, "warning: g0: flood "), LOG_RATE_BURST);
	assert_non_null(strstr(out, "g0: flood 9\n"));
	assert_null(strstr(out, "g0: flood 10\n"));
	assert_int_equal(count(out, "debug: g0: dbg "), 15);
	assert_null(strstr(out, "suppressed"));
	free(out);

	/* Next window: first the summary, then the line. */
	usleep((LOG_RATE_INTERVAL_MS + 50) * 1000);
	log_err("again");
	out = take();
	assert_string_equal(out, "vhost-user-i2c: warning: g0: 15 messages suppressed\n"
				 "vhost-user-i2c: error: g0: again\n");
	free(out);

	/* Unregistering reports what was dropped since. */
	for (int i = 0; i < LOG_RATE_BURST + 3; i++)
		log_info("more");
	log_set_guest(NULL, NULL);
	out = take();
	assert_int_equal(count(out, "g0: more"), LOG_RATE_BURST);
	assert_string_equal(strstr(out, "vhost-user-i2c: info: g0: 3 messages suppressed\n"),
			    "vhost-user-i2c: info: g0: 3 messages suppressed\n");
	free(out);
	log_set_level(LOG_LVL_WARN);
}

/* Each level has its own budget: routine info lines never crowd out the errors. */
static void test_budget_per_level(void **state)
{
	struct log_ratelimit rl = {0};
	char *out;

	(void)state;
	log_set_level(LOG_LVL_INFO);
	log_set_guest("g1", &rl);
	for (int i = 0; i < 30; i++)
		log_info("VMM connected %d", i);
	for (int i = 0; i < 12; i++)
		log_err("bad message %d", i);
	for (int i = 0; i < 11; i++)
		log_warn("odd %d", i);
	out = take();
	assert_int_equal(count(out, "info: g1: VMM connected "), LOG_RATE_BURST);
	assert_int_equal(count(out, "error: g1: bad message "), LOG_RATE_BURST);
	assert_int_equal(count(out, "warning: g1: odd "), LOG_RATE_BURST);
	free(out);
	/* The summaries come at the level of what they stand for. */
	log_set_guest(NULL, NULL);
	out = take();
	assert_string_equal(out, "vhost-user-i2c: error: g1: 2 messages suppressed\n"
				 "vhost-user-i2c: warning: g1: 1 messages suppressed\n"
				 "vhost-user-i2c: info: g1: 20 messages suppressed\n");
	free(out);
	log_set_level(LOG_LVL_WARN);
}

/* The summary does not wait for the socket's next line: log_tick, and the ticker thread. */
static void test_summary_without_next_line(void **state)
{
	struct log_ratelimit rl = {0};
	char *out;

	(void)state;
	log_set_guest("g2", &rl);
	for (int i = 0; i < LOG_RATE_BURST + 5; i++)
		log_err("flood %d", i);
	log_tick(); /* window still open: nothing yet */
	out = take();
	assert_int_equal(count(out, "g2: flood "), LOG_RATE_BURST);
	assert_null(strstr(out, "suppressed"));
	free(out);
	usleep((LOG_RATE_INTERVAL_MS + 20) * 1000);
	log_tick();
	out = take();
	assert_string_equal(out, "vhost-user-i2c: error: g2: 5 messages suppressed\n");
	free(out);

	/* The same from the ticker thread, within LOG_TICK_MS of the window's end. */
	assert_int_equal(log_start_ticker(), 0);
	for (int i = 0; i < LOG_RATE_BURST + 7; i++)
		log_err("flood %d", i);
	usleep((LOG_RATE_INTERVAL_MS + 3 * LOG_TICK_MS) * 1000);
	out = take();
	assert_non_null(strstr(out, "vhost-user-i2c: error: g2: 7 messages suppressed\n"));
	free(out);
	log_stop_ticker();
	log_set_guest(NULL, NULL);
	out = take();
	assert_string_equal(out, ""); /* reported once, not again */
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_and_names),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_budget_per_level),
		cmocka_unit_test(test_summary_without_next_line),
	};

	return cmocka_run_group_tests(tests, capture, restore);
}
