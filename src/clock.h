/* SPDX-License-Identifier: MIT */
/*
 * Clock readings and sleeps in the units the daemon counts in: ns and ms on
 * CLOCK_MONOTONIC (intervals, timeouts) or CLOCK_REALTIME (wall-clock time,
 * file times, pthread deadlines). clock_gettime cannot fail for these clocks.
 */
#ifndef VI2C_CLOCK_H
#define VI2C_CLOCK_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

#define CLOCK_NS_PER_S	1000000000LL
#define CLOCK_NS_PER_MS 1000000LL

static inline int64_t timespec_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * CLOCK_NS_PER_S + ts->tv_nsec;
}

static inline int64_t clock_read_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return timespec_ns(&ts);
}

static inline uint64_t mono_ns(void)
{
	return (uint64_t)clock_read_ns(CLOCK_MONOTONIC);
}

static inline int64_t mono_ms(void)
{
	return clock_read_ns(CLOCK_MONOTONIC) / CLOCK_NS_PER_MS;
}

static inline int64_t real_ns(void)
{
	return clock_read_ns(CLOCK_REALTIME);
}

/* The time on clk ms milliseconds from now: a deadline for pthread_*timed* calls. */
static inline struct timespec clock_deadline_ms(clockid_t clk, int64_t ms)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000 * CLOCK_NS_PER_MS);
	if (ts.tv_nsec >= CLOCK_NS_PER_S) {
		ts.tv_sec++;
		ts.tv_nsec -= CLOCK_NS_PER_S;
	}
	return ts;
}

/* Sleeps ms milliseconds on CLOCK_MONOTONIC, whatever signals come. */
static inline void sleep_ms(uint32_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * CLOCK_NS_PER_MS};

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

#endif
