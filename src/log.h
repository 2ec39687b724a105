/* SPDX-License-Identifier: MIT */
/*
 * Logging: one line per message, to stderr (default; journald picks it up and
 * gets the level from a "<N>" prefix when stderr is the journal) or to
 * syslog(3). Thread-safe: each line is written with one write(2).
 *
 * A guest socket's thread registers its socket with log_set_guest(): every
 * line that thread logs then names the socket (prefixed if the message does
 * not already start with "<name>:"), and is rate-limited per socket, since a
 * misbehaving guest or VMM must not flood the log: at most LOG_RATE_BURST
 * lines per LOG_RATE_INTERVAL_MS, then one "N messages suppressed" line when
 * the next interval lets a line through (or when the thread unregisters).
 * Debug lines (-vv) are never suppressed: they were asked for.
 */
#ifndef VI2C_LOG_H
#define VI2C_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
};

#define LOG_RATE_BURST	     10
#define LOG_RATE_INTERVAL_MS 1000

/* Per-socket rate-limit state; used by one thread only (the socket's). Zero-initialise. */
struct log_ratelimit {
	int64_t window_start_ms; /* CLOCK_MONOTONIC */
	unsigned in_window;	 /* lines let through in the current window */
	unsigned suppressed;	 /* lines dropped since the last one let through */
};

/* Current threshold; messages above it are dropped. Default: LOG_LVL_WARN. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Sends every later line to syslog (facility daemon) under ident (borrowed, static). */
void log_use_syslog(const char *ident);

/*
 * Ties the calling thread's lines to guest socket `name` and rate limit rl
 * (both borrowed until the next call). NULL, NULL unregisters, first logging
 * how many lines were suppressed, if any.
 */
void log_set_guest(const char *name, struct log_ratelimit *rl);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Logs whatever the threshold and rate limit (for output the user asked for, e.g. SIGUSR1). */
void log_force(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
