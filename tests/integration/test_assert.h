/* SPDX-License-Identifier: MIT */
/*
 * cmocka checks shared by the integration tests (daemon.c itself stays free
 * of cmocka: bench_smoke links it too). Include after <cmocka.h>.
 */
#ifndef VI2C_TEST_ASSERT_H
#define VI2C_TEST_ASSERT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "vu_frontend.h"

/* How long msg_status waits for its transfer. */
#define TEST_XFER_TIMEOUT_MS 5000

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

/* Whether the reply to line is exactly want; says what came instead (no assertion: usable in
 * threads other than the test's). */
static inline bool reply_is(int fd, const char *line, const char *want)
{
	char *got = ctl_request(fd, line);
	bool same = got && !strcmp(got, want);

	if (!same)
		printf("request %s\n  expected %s\n  got      %s\n", line, want, got ? got : "-");
	free(got);
	return same;
}

/* One message at addr as its own transfer; returns its status. */
static inline uint8_t msg_status(struct vf_dev *dev, uint16_t addr, bool read, uint8_t *buf,
				 uint32_t len)
{
	struct vf_i2c_msg m = {
		.addr = addr, .flags = read ? VF_I2C_M_RD : 0, .len = len, .buf = buf};

	assert_int_equal(vf_i2c_transfer(dev, &m, 1, 0, TEST_XFER_TIMEOUT_MS), 1);
	return m.status;
}

/* The daemon closes dev's connection (within timeout_ms) and stays alive; dev is destroyed. */
static inline void expect_dev_closed(struct daemon *d, struct vf_dev *dev, int timeout_ms,
				     const char *what)
{
	int err = vf_conn_wait_closed(dev->conn, timeout_ms);

	if (err)
		printf("%s: connection not closed (%s)\n", what, strerror(-err));
	assert_int_equal(err, 0);
	vf_dev_destroy(dev);
	assert_true(daemon_alive(d));
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
