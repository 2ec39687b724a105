/* SPDX-License-Identifier: MIT */
/*
 * One listening socket per guest (PATH0 .. PATH<N-1>), each served by its own
 * thread: it accepts one VMM at a time, serves it until it hangs up, then
 * waits for the next one with fresh state. A thread blocks only for its own
 * guest, so a slow device or a stuck VMM never stalls another guest.
 */
#ifndef VI2C_GUEST_SOCKET_H
#define VI2C_GUEST_SOCKET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#include "i2c_bus.h"

struct guest_socket {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *name;    /* basename of path, for log lines */
	int listen_fd;	     /* owned */
	int quit_fd;	     /* borrowed eventfd: readable = shut down */
	struct i2c_bus *bus; /* borrowed, shared by all guests */
	pthread_t thread;
	bool thread_started;
};

/*
 * Creates, binds and listens on gs->path. A stale socket file (nobody
 * listening) is replaced; a live socket or any other file is left alone and
 * is an error. Returns 0 or -errno with err filled (one line).
 */
int guest_socket_listen(struct guest_socket *gs, char *err, size_t errlen);

/* Starts the serving thread. Returns 0 or -errno. */
int guest_socket_start(struct guest_socket *gs);

/* Closes the listening socket and removes its file (if we created it). */
void guest_socket_close(struct guest_socket *gs);

/* The thread body, exposed for tests that serve in-process. */
void *guest_socket_serve(void *gs);

#endif
