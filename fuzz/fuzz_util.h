/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the libFuzzer targets: a reader that takes typed values
 * off the fuzzer's input (running out yields zeros, never an error), a fatal
 * check that makes libFuzzer record the input, and an open-fd counter for
 * leak checks. Header-only: each target is one translation unit.
 */
#ifndef VI2C_FUZZ_UTIL_H
#define VI2C_FUZZ_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline size_t fuzz_left(const struct fuzz_in *in)
{
	return in->n;
}

/* Copies up to len bytes into dst (zero-filling the rest); returns how many were real. */
static inline size_t fuzz_take(struct fuzz_in *in, void *dst, size_t len)
{
	size_t got = len < in->n ? len : in->n;

	memcpy(dst, in->p, got);
	memset((uint8_t *)dst + got, 0, len - got);
	in->p += got;
	in->n -= got;
	return got;
}

/* Borrows up to len bytes of the input itself; *got says how many. */
static inline const uint8_t *fuzz_borrow(struct fuzz_in *in, size_t len, size_t *got)
{
	const uint8_t *p = in->p;

	*got = len < in->n ? len : in->n;
	in->p += *got;
	in->n -= *got;
	return p;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

/* A broken invariant: abort() so libFuzzer saves the input as a crash. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Number of open fds of this process (the directory's own fd included, so stable). */
static inline int fuzz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/*
 * Log level for the targets: debug by default so every log format string is
 * exercised (run libFuzzer with -close_fd_mask=2 to keep the noise out);
 * VI2C_FUZZ_LOG=err|warn|info|debug overrides.
 */
static inline void fuzz_set_log_level(void)
{
	const char *v = getenv("VI2C_FUZZ_LOG");

	if (!v || !strcmp(v, "debug"))
		log_set_level(LOG_LVL_DEBUG);
	else if (!strcmp(v, "info"))
		log_set_level(LOG_LVL_INFO);
	else if (!strcmp(v, "warn"))
		log_set_level(LOG_LVL_WARN);
	else
		log_set_level(LOG_LVL_ERR);
}

/*
 * VI2C_FUZZ_WORKAROUNDS=1 makes the targets step around daemon bugs already
 * found and reported but not yet fixed, so that a long run can look for new
 * ones. Never set in CI: there the regression inputs must pass. None is open
 * now; the F1-F4 workarounds were removed with their fixes (fuzz/RESULTS.md).
 */
static inline bool fuzz_workarounds(void)
{
	static int on = -1;

	if (on < 0) {
		const char *v = getenv("VI2C_FUZZ_WORKAROUNDS");

		on = v && *v && strcmp(v, "0");
	}
	return on;
}

#endif
