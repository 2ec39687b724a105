/* SPDX-License-Identifier: MIT */
/*
 * Runs the real daemon ($VI2C_DAEMON) as a child process for integration
 * tests: a private temp dir (mkdtemp under /tmp) holds its sockets, its log
 * (stderr) and its stdout; the dir is removed by daemon_free.
 * Functions return 0 or -errno; daemon_new returns NULL + errno.
 */
#ifndef VI2C_TEST_DAEMON_H
#define VI2C_TEST_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DAEMON_TIMEOUT_MS 10000

struct daemon {
	char dir[64];	    /* temp dir, removed by daemon_free */
	char sock[128];	    /* socket base path: <dir>/vi2c.sock (index appended by the daemon) */
	char log_path[128]; /* <dir>/daemon.log: stderr, appended across restarts */
	char out_path[128]; /* <dir>/daemon.out: stdout */
	pid_t pid;	    /* 0 when not running */
	int status;	    /* wait status of the last exit */
	bool reaped;	    /* status holds an exit not yet returned by daemon_wait_exit */
	unsigned nsockets;  /* sockets started by daemon_start (checked by daemon_finish) */
	unsigned nofile;    /* if non-zero: RLIMIT_NOFILE (soft and hard) of the next spawn */
	unsigned nproc;	    /* if non-zero: RLIMIT_NPROC of the next spawn */
	unsigned uid;	    /* if non-zero: the next spawn runs as uid:uid (from root) */
};

/* Creates the temp dir. Free with daemon_free. */
struct daemon *daemon_new(void);
/* Kills a still running daemon (SIGKILL), removes the dir recursively. NULL allowed. */
void daemon_free(struct daemon *d);

/* "<sock><idx>" into buf. */
void daemon_sock_path(const struct daemon *d, unsigned idx, char *buf, size_t len);

/*
 * Forks and execs $VI2C_DAEMON with exactly argv[] (NULL-terminated, no
 * argv[0]). The child gets SIGKILL if the test process dies first.
 */
int daemon_spawn(struct daemon *d, char *const argv[]);
/*
 * Spawns `$VI2C_DAEMON -s <sock> -c <count> extra...` and waits until it
 * listens on every socket <sock>0..<count-1> (DAEMON_TIMEOUT_MS).
 * extra may be NULL. On failure the daemon is killed.
 */
int daemon_start(struct daemon *d, unsigned count, char *const extra[]);
/*
 * daemon_start with --control=<dir>/ctl after extra; that path goes to
 * ctl_path. On failure the log tail is printed too.
 */
int daemon_start_ctl(struct daemon *d, unsigned count, char *const extra[], char *ctl_path,
		     size_t len);
/* Waits until the daemon listens on path (seen in /proc: no probe connection). */
int daemon_wait_socket(struct daemon *d, const char *path, int timeout_ms);

/* Waits for exit; *exit_code = exit status, or 128+signal. -ETIMEDOUT if still running. */
int daemon_wait_exit(struct daemon *d, int timeout_ms, int *exit_code);
/*
 * SIGTERM, then wait up to timeout_ms. If still alive: SIGKILL and -ETIMEDOUT.
 * *exit_code as for daemon_wait_exit.
 */
int daemon_stop(struct daemon *d, int timeout_ms, int *exit_code);
/* Still running (not exited, not a zombie)? */
bool daemon_alive(struct daemon *d);
/* CPU time (user + system, all threads) the daemon has used so far, in ms, or -errno. */
long daemon_cpu_ms(const struct daemon *d);

/* Open fds in /proc/PID/fd, or -errno. */
int daemon_fd_count(const struct daemon *d);
/* VmRSS in KiB from /proc/PID/status, or -errno. */
long daemon_rss_kb(const struct daemon *d);
/* Lines of /proc/PID/maps containing needle (e.g. a memfd name), or -errno. */
int daemon_count_maps(const struct daemon *d, const char *needle);

/* The whole log (stderr), NUL-terminated, malloc'ed (caller frees); NULL + errno. */
char *daemon_log(const struct daemon *d);
/* Same for stdout. */
char *daemon_stdout(const struct daemon *d);
/* Whether the log contains needle. */
bool daemon_log_contains(const struct daemon *d, const char *needle);
/* Prints the last nlines of the log to stdout, framed, for failure diagnostics. */
void daemon_print_log_tail(const struct daemon *d, unsigned nlines);
/* Polls the log every 20 ms until it contains needle or timeout_ms passed. */
bool daemon_wait_log(const struct daemon *d, const char *needle, int timeout_ms);

/* How many times needle occurs in text (non-overlapping). */
unsigned count_in(const char *text, const char *needle);
/* CLOCK_MONOTONIC in ms. */
int64_t monotonic_ms(void);
/* Sleeps about ms milliseconds (a signal may cut it short). */
void msleep(unsigned ms);

/*
 * The emulated bus most tests use, as -e arguments (NULL-free, splice into an
 * argv): 24c02 at 0x50, 24c32 at 0x54, 24c256 at 0x57, lm75 at 0x48 (25 C),
 * lm75 at 0x49 (-0.5 C), stub at 0x20.
 */
#define DAEMON_STD_DEVICES                                                                         \
	"-e", "24c02@0x50", "-e", "24c32@0x54", "-e", "24c256@0x57", "-e", "lm75@0x48", "-e",      \
		"lm75@0x49,temp=-0.5", "-e", "stub@0x20"

/* daemon_new + daemon_start; on failure prints the log tail, frees, returns NULL + errno. */
struct daemon *daemon_launch(unsigned count, char *const extra[]);
/*
 * End of a test: checks that the daemon is still alive and exits 0 on SIGTERM
 * with its sockets removed; prints the log tail if that fails or if
 * !test_passed; frees d. Returns 0 if all was well, -1 otherwise.
 */
int daemon_finish(struct daemon *d, bool test_passed);

/*
 * The fixture of tests that need one running daemon: daemon_fx_start
 * launches it with `count` sockets and extra args (state = struct daemon_fx *,
 * paths[i] = socket i); the test may open a guest in dev and sets passed at
 * its end; teardown destroys dev and runs daemon_finish (a test that stopped
 * the daemon itself frees it and sets d = NULL). daemon_fx_setup is
 * daemon_fx_start with DAEMON_STD_DEVICES on one socket. For
 * cmocka_unit_test_setup_teardown; setups return 0 or -1.
 */
#define DAEMON_FX_MAX_SOCKETS 4
struct vf_dev;
struct daemon_fx {
	struct daemon *d;
	struct vf_dev *dev;
	union {
		char path[160];				/* socket 0 */
		char paths[DAEMON_FX_MAX_SOCKETS][160]; /* socket i, i < count */
	};
	bool passed;
};
int daemon_fx_start(void **state, unsigned count, char *const extra[]);
int daemon_fx_setup(void **state);
int daemon_fx_teardown(void **state);

/*
 * The fixture of tests that start (or fail to start) the daemon themselves:
 * setup only makes the temp dir (state = struct daemon_dir_fx *); teardown
 * prints the log tail unless passed and frees d, killing a daemon a failed
 * test left running.
 */
struct daemon_dir_fx {
	struct daemon *d;
	bool passed;
};
int daemon_dir_fx_setup(void **state);
int daemon_dir_fx_teardown(void **state);

/*
 * A control socket client (--control): connects to path, retrying until
 * timeout_ms (the socket appears after the guest sockets). Returns the fd or
 * -errno.
 */
int ctl_connect(const char *path, int timeout_ms);
/* Sends line (a '\n' is appended). 0 or -errno. */
int ctl_send(int fd, const char *line);
/* Receives one reply line (without '\n'), malloc'd; NULL + errno (ETIMEDOUT, ECONNRESET). */
char *ctl_recv(int fd, int timeout_ms);
/* ctl_send + ctl_recv with DAEMON_TIMEOUT_MS; NULL on failure. */
char *ctl_request(int fd, const char *line);

#endif
