/* SPDX-License-Identifier: MIT */
/*
 * The control socket (--control=PATH): a Unix stream socket, created and
 * removed like the guest sockets (guest_socket_listen: same stale-file and
 * --socket-mode rules), served by one thread that polls the listener and up
 * to CONTROL_MAX_CLIENTS clients at once. Each client sends request lines
 * and gets one reply line per request, in order (control_proto.h). The
 * thread never touches a guest's path: guests only meet it through the
 * per-address locks of i2c_bus, for the instant a request needs one.
 *
 * Errors: 0 or -errno; control_open returns NULL with err filled.
 */
#ifndef VI2C_CONTROL_H
#define VI2C_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "control_proto.h"

#define CONTROL_MAX_CLIENTS 16

struct control_server;

/* The directory of path must exist: checked at start-up like --socket-path's (exit 2). */
int control_check_dir(const char *path, char *err, size_t errlen);

/*
 * Creates and listens on path with permissions mode, owned by owner_uid and
 * owner_gid ((uid_t)-1 / (gid_t)-1: as created). ctx is borrowed and
 * must outlive the server. Returns the server (free with control_close) or
 * NULL with err filled (one line).
 */
struct control_server *control_open(const char *path, unsigned mode, uid_t owner_uid,
				    gid_t owner_gid, struct control_ctx *ctx,
				    char *err, size_t errlen);

/* Starts the serving thread; it ends when quit_fd (an eventfd, borrowed) is readable. 0 or -errno.
 */
int control_start(struct control_server *cs, int quit_fd);

/*
 * Waits for the thread until deadline (CLOCK_REALTIME); false if it did not
 * end. Only then may control_close be called.
 */
struct timespec;
bool control_join(struct control_server *cs, const struct timespec *deadline);

/* Closes every client and the listener and removes the socket file. NULL allowed. */
void control_close(struct control_server *cs);

/* Removes the socket file only (for an exit that cannot free: a thread is stuck). */
void control_unlink(struct control_server *cs);

#endif
