// SPDX-License-Identifier: MIT
/* Clocks and percentiles for vi2c-bench. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bench_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted s[0..n), n > 0. */
static double rank(const uint32_t *s, size_t n, double p)
{
	size_t k = (size_t)ceil(p * (double)n);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return s[k - 1];
}

void lat_stats_compute(uint32_t *samples, size_t n, struct lat_stats *st)
{
	double sum = 0;
	size_t i;

	memset(st, 0, sizeof(*st));
	st->count = n;
	if (!n)
		return;
	qsort(samples, n, sizeof(*samples), cmp_u32);
	for (i = 0; i < n; i++)
		sum += samples[i];
	st->mean = sum / (double)n;
	st->p50 = rank(samples, n, 0.50);
	st->p99 = rank(samples, n, 0.99);
	st->p999 = rank(samples, n, 0.999);
	st->max = samples[n - 1];
}

double median_of(const double *v, size_t n)
{
	double tmp[64];

	if (!n)
		return 0;
	if (n > 64)
		n = 64;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}
