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
#include <sys/types.h>
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
	uid_t owner_uid;     /* owner given to the socket file; (uid_t)-1 = as created */
	gid_t owner_gid;     /* group given to the socket file; (gid_t)-1 = as created */
	bool owns_path;	     /* we created path: remove it on close (if still that inode) */
	dev_t path_dev;	     /* the socket file we created: only this one is removed */
	ino_t path_ino;
	bool accept_failing; /* accept() is out of fds: logged once, retried with a back-off */
	int conn_error;	     /* why the last connection ended: 0 = hang-up, else -errno */
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
 * Creates, binds and listens on gs->path, owned by gs->owner_uid/gid and
 * with permissions gs->mode (both set before listen(), so no one connects
 * earlier). What is at the path already:
 *   - any file that is not a socket: left alone, -EEXIST;
 *   - a socket something accepts connections on: left alone, -EADDRINUSE;
 *   - a socket whose connect() says ECONNREFUSED: that is also what a socket
 *     bound but not yet listening says, so it is stale only if it says so
 *     when its file is at least STALE_RECHECK_MS old (a younger one is
 *     probed again once it is) and is still the same file (st_dev/st_ino);
 *     then exactly that file is removed and replaced.
 * Instances of this daemon hold an exclusive flock(2) on the directory from
 * the check until listen(), so no instance ever sees another's socket between
 * bind() and listen(). Returns 0 or -errno with err filled (one line).
 */
int guest_socket_listen(struct guest_socket *gs, char *err, size_t errlen);

/*
 * Whether uid/gid (with no capabilities and no supplementary groups, as after
 * the sandbox; or, for uid 0 without a switch, the current groups) can remove
 * the socket files from the directory of path at exit: write and search
 * permission on it (mode bits; ACLs are not read). 0, or -EACCES with err
 * filled (one line), or -errno of stat().
 */
int guest_socket_check_dir(const char *path, uid_t uid, gid_t gid, bool with_current_groups,
			   char *err, size_t errlen);

/* File descriptors count sockets need, for the start-up check against RLIMIT_NOFILE. */
unsigned long guest_socket_fds_needed(unsigned count);

/*
 * Takes over fd (--fd), an AF_UNIX stream socket made by someone else. A
 * listening one (SO_ACCEPTCONN) is served like gs->path would be; a
 * connected one is served once, and when its VMM hangs up the thread sets
 * gs->hung_up and sends gs->main_thread SIGTERM, so main ends with status 0
 * (pthread_kill: tgkill is in the sandbox's allowlist). On success gs owns fd (closed by
 * guest_socket_close); on failure fd is left alone. Returns 0, -EBADF (not open), -ENOTSOCK (not
 * an AF_UNIX stream socket) or -ENOTCONN (neither listening nor connected), with err filled.
 */
int guest_socket_adopt(struct guest_socket *gs, int fd, char *err, size_t errlen);

/* True once a connected --fd socket's connection has ended. */
bool guest_socket_hung_up(const struct guest_socket *gs);
/* Once hung up: 0 if its VMM hung up, -errno if it was closed for an error (logged). */
int guest_socket_end_error(const struct guest_socket *gs);

/* Starts the serving thread. Returns 0 or -errno. */
int guest_socket_start(struct guest_socket *gs);

/*
 * Closes the sockets and removes the socket file if it is still the one we
 * created (same st_dev/st_ino; a file put there by someone else stays).
 */
void guest_socket_close(struct guest_socket *gs);

/* The thread body, exposed for tests that serve in-process. */
void *guest_socket_serve(void *gs);

#endif
