/* SPDX-License-Identifier: MIT */
/*
 * One listening socket per guest (PATH0 .. PATH<N-1>), each served by its own
 * thread: it accepts one VMM at a time, serves it until it hangs up, then
 * waits for the next one with fresh state. A thread blocks only for its own
 * guest, so a slow device or a stuck VMM never stalls another guest.
 *
 * A socket handed over with --fd is adopted instead: a listening one is
 * served the same way; a connected one is served once (see
 * guest_socket_adopt).
 */
#ifndef VI2C_GUEST_SOCKET_H
#define VI2C_GUEST_SOCKET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "i2c_bus.h"
#include "log.h"

struct guest_socket {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *name;    /* basename of path (or "fdN"), for log lines */
	int listen_fd;	     /* owned; -1 if none */
	int conn_fd;	     /* owned; a connected socket from --fd, served once; else -1 */
	int quit_fd;	     /* borrowed eventfd: readable = shut down */
	struct i2c_bus *bus; /* borrowed; shared by the guests of one device set */
	unsigned mode;	     /* permissions given to the socket file */
	uint64_t poll_max_ns; /* --poll-max-ns: busy-poll window limit, 0 = off */
	bool owns_path;	     /* we created path: remove it on close */
	char fd_name[16];
	struct log_ratelimit rl; /* for the serving thread's log lines */
	pthread_t main_thread;	 /* told with SIGTERM when a connected --fd hangs up */
	bool hung_up;		 /* set (atomically) just before that SIGTERM */
	pthread_t thread;
	bool thread_started;
	/* What one connection may map (vu_mem.max_mapped); 0 = vu_mem's default */
	uint64_t max_guest_memory;
};

/*
 * Creates, binds and listens on gs->path, with permissions gs->mode (set
 * before listen(), so no one connects earlier). A stale socket file (nobody
 * listening) is replaced; a live socket or any other file is left alone and
 * is an error. Returns 0 or -errno with err filled (one line).
 */
int guest_socket_listen(struct guest_socket *gs, char *err, size_t errlen);

/*
 * Takes over fd (--fd), an AF_UNIX stream socket made by someone else. A
 * listening one (SO_ACCEPTCONN) is served like gs->path would be; a
 * connected one is served once, and when its VMM hangs up the thread sets
 * gs->hung_up and sends gs->main_thread SIGTERM, so main ends with status 0
 * (pthread_kill: tgkill is in the sandbox's allowlist). On success gs owns fd (closed by
 * guest_socket_close); on failure fd is left alone. Returns 0, -EBADF (not open) or -ENOTSOCK (not
 * an AF_UNIX stream socket), with err filled.
 */
int guest_socket_adopt(struct guest_socket *gs, int fd, char *err, size_t errlen);

/* True once a connected --fd socket's VMM has hung up. */
bool guest_socket_hung_up(const struct guest_socket *gs);

/* Starts the serving thread. Returns 0 or -errno. */
int guest_socket_start(struct guest_socket *gs);

/* Closes the sockets and removes the socket file (if we created it). */
void guest_socket_close(struct guest_socket *gs);

/* The thread body, exposed for tests that serve in-process. */
void *guest_socket_serve(void *gs);

#endif
