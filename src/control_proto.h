/* SPDX-License-Identifier: MIT */
/*
 * The control protocol (--control, docs/control.md): one JSON object per
 * line each way. This module is the pure part: one request line in, one
 * reply line out, acting on the buses through i2c_bus's locked operations.
 * No I/O besides what `add` does (emul_create opens an EEPROM's file= or a
 * regmap's map=); the socket side is control.c.
 *
 * Replies are {"ok":true,...} or {"ok":false,"error":"<one line>"}; an "id"
 * member of the request is echoed. Nothing in a line can crash the daemon or
 * change anything but what a valid request asks for.
 */
#ifndef VI2C_CONTROL_PROTO_H
#define VI2C_CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "i2c_bus.h"

#define CONTROL_LINE_MAX (64 * 1024) /* bytes of one request line, without the newline */

/* One bus (device set) the control socket may act on. */
struct control_bus {
	struct i2c_bus *bus; /* borrowed; NULL if no socket uses this device set */
	const char *label;   /* borrowed: "shared", or the --guest LIST of the set */
};

struct control_ctx {
	struct control_bus *buses; /* borrowed; [0] is the shared bus (the common device set) */
	size_t n_buses;
	const int *socket_bus; /* borrowed; socket i's bus is buses[socket_bus[i]] */
	unsigned n_sockets;
	bool allow_files; /* `add` may open files (file=, map=); false for fuzzing */
};

/*
 * Handles one request (line[0..len), no newline, need not be NUL-terminated
 * or valid UTF-8). Returns the reply line, without newline, malloc'd (the
 * caller frees it); NULL only when out of memory.
 */
char *control_handle_line(struct control_ctx *ctx, const char *line, size_t len);

/* The reply to a line longer than CONTROL_LINE_MAX (no id: the line was not parsed). */
#define CONTROL_REPLY_TOO_LONG "{\"ok\":false,\"error\":\"line longer than 65536 bytes\"}"

#endif
