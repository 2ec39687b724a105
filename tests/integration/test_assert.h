/* SPDX-License-Identifier: MIT */
/*
 * cmocka checks shared by the integration tests (daemon.c itself stays free
 * of cmocka: bench_smoke links it too). Include after <cmocka.h>.
 */
#ifndef VI2C_TEST_ASSERT_H
#define VI2C_TEST_ASSERT_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* The control socket's reply to line must be exactly want. */
static inline void expect_reply(int fd, const char *line, const char *want)
{
	char *got = ctl_request(fd, line);

	if (!got)
		fail_msg("no reply to %s: %s", line, strerror(errno));
	if (strcmp(got, want))
		fail_msg("request %s\n  expected %s\n  got      %s", line, want, got);
	free(got);
}

/* Bytes in the daemon's log so far. */
static inline size_t log_len(const struct daemon *d)
{
	char *log = daemon_log(d);
	size_t n;

	assert_non_null(log);
	n = strlen(log);
	free(log);
	return n;
}

/* How often needle stands in the daemon's log. */
static inline unsigned count_in_log(const struct daemon *d, const char *needle)
{
	char *log = daemon_log(d);
	unsigned n;

	assert_non_null(log);
	n = count_in(log, needle);
	free(log);
	return n;
}

#endif
