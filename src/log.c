// SPDX-License-Identifier: MIT
#include "log.h"
#include "clock.h"

#include <pthread.h>
#include <stdarg.h>
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

/*
 * Rate-limit state of every registered socket, and the registry itself. One
 * lock for all: a socket's thread and the ticker both touch its state.
 */
static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_ratelimit *registered;

/* One line per level that lost lines, at that level. Called with rl_lock held. */
static void report_suppressed(const char *name, struct log_ratelimit *rl)
{
	char text[160];

	for (int level = LOG_LVL_ERR; level < LOG_LVL_DEBUG; level++) {
		if (!rl->suppressed[level])
			continue;
		snprintf(text, sizeof(text), "%s: %u messages suppressed", name,
			 rl->suppressed[level]);
		rl->suppressed[level] = 0;
		emit((enum log_level)level, text);
	}
}

/* Starts a new window (reporting the old one's losses) once the old one is over. */
static void roll_window(const char *name, struct log_ratelimit *rl, int64_t now)
{
	if (now - rl->window_start_ms < LOG_RATE_INTERVAL_MS && now >= rl->window_start_ms)
		return;
	rl->window_start_ms = now;
	memset(rl->in_window, 0, sizeof(rl->in_window));
	report_suppressed(name, rl);
}

/* True if this thread's socket may log one more line of this level now. */
static bool ratelimit_pass(const char *name, struct log_ratelimit *rl, enum log_level level)
{
	bool pass;

	pthread_mutex_lock(&rl_lock);
	roll_window(name, rl, mono_ms());
	pass = rl->in_window[level] < LOG_RATE_BURST;
	if (pass)
		rl->in_window[level]++;
	else
		rl->suppressed[level]++;
	pthread_mutex_unlock(&rl_lock);
	return pass;
}

static void unregister(struct log_ratelimit *rl)
{
	for (struct log_ratelimit **p = &registered; *p; p = &(*p)->next_registered) {
		if (*p == rl) {
			*p = rl->next_registered;
			break;
		}
	}
	rl->next_registered = NULL;
	rl->name = NULL;
}

void log_set_guest(const char *name, struct log_ratelimit *rl)
{
	pthread_mutex_lock(&rl_lock);
	if (thread_guest && thread_rl) {
		report_suppressed(thread_guest, thread_rl);
		unregister(thread_rl);
	}
	thread_guest = name;
	thread_rl = rl;
	if (name && rl) {
		rl->name = name;
		rl->next_registered = registered;
		registered = rl;
	}
	pthread_mutex_unlock(&rl_lock);
}

void log_tick(void)
{
	int64_t now = mono_ms();

	pthread_mutex_lock(&rl_lock);
	for (struct log_ratelimit *rl = registered; rl; rl = rl->next_registered) {
		bool lost = false;

		for (int level = LOG_LVL_ERR; level < LOG_LVL_DEBUG; level++)
			lost |= rl->suppressed[level] != 0;
		if (lost)
			roll_window(rl->name, rl, now);
	}
	pthread_mutex_unlock(&rl_lock);
}

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, stop;
} ticker = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *ticker_main(void *arg)
{
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&ticker.lock);
	while (!ticker.stop) {
		ts = clock_deadline_ms(CLOCK_MONOTONIC, LOG_TICK_MS);
		pthread_cond_timedwait(&ticker.cond, &ticker.lock, &ts);
		pthread_mutex_unlock(&ticker.lock);
		log_tick();
		pthread_mutex_lock(&ticker.lock);
	}
	pthread_mutex_unlock(&ticker.lock);
	return NULL;
}

int log_start_ticker(void)
{
	pthread_condattr_t ca;
	pthread_attr_t attr;
	int ret;

	if (ticker.started)
		return 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ret = pthread_cond_init(&ticker.cond, &ca);
	pthread_condattr_destroy(&ca);
	if (ret)
		return -ret;
	ticker.stop = false;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	ret = pthread_create(&ticker.thread, &attr, ticker_main, NULL);
	pthread_attr_destroy(&attr);
	if (ret) {
		pthread_cond_destroy(&ticker.cond);
		return -ret;
	}
	ticker.started = true;
	return 0;
}

void log_stop_ticker(void)
{
	if (!ticker.started)
		return;
	pthread_mutex_lock(&ticker.lock);
	ticker.stop = true;
	pthread_cond_signal(&ticker.cond);
	pthread_mutex_unlock(&ticker.lock);
	pthread_join(ticker.thread, NULL);
	pthread_cond_destroy(&ticker.cond);
	ticker.started = false;
}

static void format_and_emit(enum log_level level, bool forced, const char *fmt, va_list ap)
{
	const char *guest = thread_guest;
	char text[1024];
	size_t glen;

	if (level < LOG_LVL_ERR || level > LOG_LVL_DEBUG)
		return;
	if (!forced && guest && thread_rl && level < LOG_LVL_DEBUG &&
	    !ratelimit_pass(guest, thread_rl, level))
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

	if (level > current_level)
		return;
	va_start(ap, fmt);
	format_and_emit(level, false, fmt, ap);
	va_end(ap);
}
