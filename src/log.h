/* SPDX-License-Identifier: MIT */
/*
 * Logging: one line per message, to stderr (default; journald picks it up and
 * gets the level from a "<N>" prefix when stderr is the journal) or to
 * syslog(3). Thread-safe: each line is written with one write(2).
 *
 * A guest socket's thread registers its socket with log_set_guest(): every
 * line that thread logs then names the socket (prefixed if the message does
 * not already start with "<name>:"), and is rate-limited per socket, since a
 * misbehaving guest or VMM must not flood the log: per level (error, warning,
 * info: routine info lines never use up the budget of errors), at most
 * LOG_RATE_BURST lines per LOG_RATE_INTERVAL_MS window. What was dropped is
 * reported in one "N messages suppressed" line per level, at that level, when
 * the window ends: by the ticker (log_start_ticker) within LOG_TICK_MS of the
 * window's end, or earlier by the socket's next line or by unregistering.
 * Debug lines (-vv) are never suppressed: they were asked for.
 */
#ifndef VI2C_LOG_H
#define VI2C_LOG_H

#include <stdint.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
};

#define LOG_RATE_BURST	     10
#define LOG_RATE_INTERVAL_MS 1000
#define LOG_TICK_MS	     100

/*
 * Per-socket rate-limit state, zero-initialised by its owner and left alone
 * by it afterwards: log.c reads and writes it under its own lock (the socket's
 * thread and the ticker both use it) while it is registered.
 */
struct log_ratelimit {
	int64_t window_start_ms;	       /* CLOCK_MONOTONIC */
	unsigned in_window[LOG_LVL_DEBUG];     /* lines let through in the window, per level */
	unsigned suppressed[LOG_LVL_DEBUG];    /* lines dropped in the window, per level */
	const char *name;		       /* the socket, while registered */
	struct log_ratelimit *next_registered; /* log.c's list of registered sockets */
};

/* Current threshold; messages above it are dropped. Default: LOG_LVL_WARN. */
void log_set_level(enum log_level level);

/* Sends every later line to syslog (facility daemon) under ident (borrowed, static). */
void log_use_syslog(const char *ident);

/*
 * Ties the calling thread's lines to guest socket `name` and rate limit rl
 * (both borrowed until the next call, which unregisters them). NULL, NULL
 * unregisters, first logging how many lines were suppressed, if any.
 */
void log_set_guest(const char *name, struct log_ratelimit *rl);

/* Reports the suppressed lines of every registered socket whose window has ended. */
void log_tick(void);

/*
 * Starts a thread calling log_tick every LOG_TICK_MS, so a "suppressed" line
 * never waits for the socket's next line. Returns 0 or -errno.
 */
int log_start_ticker(void);
/* Stops and joins it (after a final tick). No-op if not started. */
void log_stop_ticker(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs whatever the threshold and rate limit (for output the user asked for, e.g. SIGUSR1). */
void log_force(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
