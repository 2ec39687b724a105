// SPDX-License-Identifier: MIT
/*
 * Log lines: level threshold, the guest socket named once, no forged lines,
 * the per-socket rate limit with its "N messages suppressed" line, debug lines
 * never limited, log_force ignoring the threshold. stderr is captured in a file.
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
	assert_int_equal(count(out, "g0: more"), LOG_RATE_BURST - 1);
	assert_non_null(strstr(out, "vhost-user-i2c: warning: g0: 4 messages suppressed\n"));
	free(out);
	log_set_level(LOG_LVL_WARN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_and_names),
		cmocka_unit_test(test_rate_limit),
	};

	return cmocka_run_group_tests(tests, capture, restore);
}
