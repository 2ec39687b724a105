// SPDX-License-Identifier: MIT
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

enum log_sink { SINK_UNSET, SINK_STDERR, SINK_JOURNAL, SINK_SYSLOG };

static volatile enum log_level current_level = LOG_LVL_WARN;
static volatile enum log_sink sink = SINK_UNSET;

static __thread const char *thread_guest;
static __thread struct log_ratelimit *thread_rl;

static const char *const level_names[] = {"error", "warning", "info", "debug"};
static const int syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

static enum log_sink current_sink(void);

void log_set_level(enum log_level level)
{
	current_level = level;
	current_sink(); /* decided once, by main, before threads start */
}

enum log_level log_get_level(void)
{
	return current_level;
}

void log_use_syslog(const char *ident)
{
	/* NDELAY: connect now, before a sandbox may forbid it. */
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	sink = SINK_SYSLOG;
}

/* systemd sets JOURNAL_STREAM=dev:ino when stderr is the journal. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static enum log_sink current_sink(void)
{
	if (sink == SINK_UNSET)
		sink = stderr_is_journal() ? SINK_JOURNAL : SINK_STDERR;
	return sink;
}

static void emit(enum log_level level, const char *text)
{
	char line[1100];
	int n;

	switch (current_sink()) {
	case SINK_SYSLOG:
		syslog(syslog_prio[level], "%s", text);
		return;
	case SINK_JOURNAL:
		/* The journal adds the program name; "<N>" carries the priority. */
		n = snprintf(line, sizeof(line) - 1, "<%d>%s", syslog_prio[level], text);
		break;
	default:
		n = snprintf(line, sizeof(line) - 1, "vhost-user-i2c: %s: %s", level_names[level],
			     text);
		break;
	}
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line so concurrent threads never interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report_suppressed(const char *name, struct log_ratelimit *rl)
{
	char text[160];

	if (!rl->suppressed)
		return;
	snprintf(text, sizeof(text), "%s: %u messages suppressed", name, rl->suppressed);
	rl->suppressed = 0;
	emit(LOG_LVL_WARN, text);
}

/* True if this thread's socket may log one more line now. */
static bool ratelimit_pass(const char *name, struct log_ratelimit *rl)
{
	int64_t now = now_ms();

	if (now - rl->window_start_ms >= LOG_RATE_INTERVAL_MS || now < rl->window_start_ms) {
		rl->window_start_ms = now;
		rl->in_window = 0;
		report_suppressed(name, rl);
	}
	if (rl->in_window >= LOG_RATE_BURST) {
		rl->suppressed++;
		return false;
	}
	rl->in_window++;
	return true;
}

void log_set_guest(const char *name, struct log_ratelimit *rl)
{
	if (thread_guest && thread_rl)
		report_suppressed(thread_guest, thread_rl);
	thread_guest = name;
	thread_rl = rl;
}

static void format_and_emit(enum log_level level, bool forced, const char *fmt, va_list ap)
{
	const char *guest = thread_guest;
	char text[1024];
	size_t glen;

	if (level < LOG_LVL_ERR || level > LOG_LVL_DEBUG)
		return;
	if (!forced && guest && thread_rl && level < LOG_LVL_DEBUG &&
	    !ratelimit_pass(guest, thread_rl))
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (guest) {
		glen = strlen(guest);
		/* Name the socket unless the message already starts with it. */
		if ((strncmp(text, guest, glen) || text[glen] != ':') && glen + 2 < sizeof(text)) {
			size_t keep = strnlen(text, sizeof(text) - 1);

			if (keep > sizeof(text) - 1 - (glen + 2))
				keep = sizeof(text) - 1 - (glen + 2);
			memmove(text + glen + 2, text, keep);
			text[glen + 2 + keep] = '\0';
			memcpy(text, guest, glen);
			memcpy(text + glen, ": ", 2);
		}
	}
	/* A line stays a line: guest-influenced text must not forge another one. */
	for (char *p = text; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	emit(level, text);
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (level > current_level)
		return;
	format_and_emit(level, false, fmt, ap);
}

void log_force(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_and_emit(level, true, fmt, ap);
	va_end(ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
