/* SPDX-License-Identifier: MIT */
/*
 * --trace: one line per guest group (one combined I2C transfer), written so a
 * person can replay it with i2ctransfer(8):
 *
 *   TIME SOCKET DESC [DATA...] [DESC [DATA...]]... -> STATUS [READS] DURATION
 *
 *   TIME     UTC wall clock when the group started, 2024-05-01T12:00:00.123456Z
 *   SOCKET   the socket's name (vi2c.sock0, or fdN with --fd)
 *   DESC     i2ctransfer's message descriptor: w<len> or r<len>, with @0x<addr>
 *            on the first message and whenever the address changes; a write is
 *            followed by its bytes (0x..). Requests refused before reaching the
 *            bus (malformed) appear with length 0.
 *   STATUS   OK (every request succeeded) or ERR@<i>: request i of the group
 *            (0-based) and every later one failed; earlier ones succeeded
 *   READS    the bytes of each successful read, one [0x.. 0x..] per read message
 *   DURATION time the transfer took on the bus, e.g. 35us
 *
 * Example: 2024-05-01T12:00:00.123456Z vi2c.sock0 w1@0x50 0x00 r2 -> OK [0xff 0xff] 35us
 * Replay:  i2ctransfer -y -f -a BUS w1@0x50 0x00 r2
 *
 * Lines are written with one write(2) each (O_APPEND for files), so guests
 * tracing concurrently never interleave within a line.
 */
#ifndef VI2C_TRACE_H
#define VI2C_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "i2c_bus.h"

/* When a group started; taken by trace_start(), zero when tracing is off. */
struct trace_stamp {
	struct timespec real;
	struct timespec mono;
};

/*
 * Turns tracing on, to path (created 0640 or appended to) or to stderr if
 * path is NULL. Call before threads start. Returns 0 or -errno with err filled.
 */
int trace_open(const char *path, char *err, size_t errlen);

/* Turns tracing off and closes the file. */
void trace_close(void);

/* Whether a trace file is open. Only the unit tests use it (test_trace). */
bool trace_enabled(void);

/* Records the start of a group (does nothing when tracing is off). */
void trace_start(struct trace_stamp *ts);

/*
 * Writes the line of a group that started at ts: msgs[0..n) in group order,
 * the first `done` of which succeeded. Reads' buffers hold what was read.
 */
void trace_group(const char *socket, const struct i2c_msg_buf *msgs, unsigned n, unsigned done,
		 const struct trace_stamp *ts);

/*
 * Formats the line (without the trailing newline) into a malloc'ed string
 * that the caller frees; elapsed_ns is the duration. NULL on ENOMEM. For tests.
 */
char *trace_format(const char *socket, const struct i2c_msg_buf *msgs, unsigned n, unsigned done,
		   const struct timespec *start, uint64_t elapsed_ns);

#endif
