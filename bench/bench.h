/* SPDX-License-Identifier: MIT */
/*
 * vi2c-bench internals: a guest driver built on the frontend library
 * (tests/frontend), the eventfd floor, statistics and /proc readers.
 *
 * Conventions as in the rest of the project: 0 or -errno; constructors return
 * NULL + errno. Nothing in a timed loop allocates or logs.
 */
#ifndef VI2C_BENCH_H
#define VI2C_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vu_frontend.h"

#define BENCH_TIMEOUT_MS 5000
/* How long opening a device is retried while the backend refuses or resets connections. */
#define BENCH_OPEN_RETRY_MS 5000

/* ------------------------------------------------------------------ */
/* Time and statistics (stats.c)                                       */
/* ------------------------------------------------------------------ */

uint64_t bench_now_ns(void);	    /* CLOCK_MONOTONIC */
uint64_t bench_thread_cpu_ns(void); /* CLOCK_THREAD_CPUTIME_ID */

struct lat_stats {
	double p50, p99, p999, mean, max; /* ns */
	uint64_t count;
};

/* Sorts samples[0..n) in place and fills st. n may be 0 (all zero). */
void lat_stats_compute(uint32_t *samples, size_t n, struct lat_stats *st);
/* Median of v[0..n) (sorts a copy of at most 64 values); 0 if n == 0. */
double median_of(const double *v, size_t n);

/* ------------------------------------------------------------------ */
/* The backend process, through /proc (procinfo.c)                     */
/* ------------------------------------------------------------------ */

struct proc_mem {
	long rss_kb, hwm_kb, anon_kb, file_kb, shmem_kb, vmsize_kb; /* -1 = unknown */
	long threads;
};

/* Pid of the process that listens on the far end of a connected AF_UNIX socket. */
pid_t proc_peer_pid(int sock_fd);
/* utime+stime of the whole process from /proc/PID/stat, in ns (tick resolution). */
int proc_cpu_ticks_ns(pid_t pid, uint64_t *ns);
/* Sum of run time over /proc/PID/task/<tid>/schedstat, in ns (exact), live threads only. */
int proc_cpu_sched_ns(pid_t pid, uint64_t *ns);
/* Command line of PID, arguments joined by spaces (cut to len), "" on failure. */
int proc_cmdline(pid_t pid, char *buf, size_t len);
/* VmRSS, VmHWM, RssAnon/File/Shmem, VmSize, Threads of /proc/PID/status. */
int proc_mem_read(pid_t pid, struct proc_mem *m);

/* ------------------------------------------------------------------ */
/* The guest driver (driver.c)                                         */
/* ------------------------------------------------------------------ */

/* One connected, started virtio-i2c device sending i2cget-shaped groups. */
struct guest {
	struct vf_dev *dev; /* owned */
	uint16_t addr;	    /* 7-bit target address */
	uint8_t reg;	    /* register written by the first request of a group */
	uint8_t expect;	    /* value the read must return when check_data */
	bool check_data;
	bool indirect;
	/* counters, cumulative */
	uint64_t groups;       /* completed groups */
	uint64_t requests_ok;  /* requests with status OK */
	uint64_t errors;       /* status ERR, untouched status, wrong data, unknown cookie */
	uint64_t len_mismatch; /* used.len differing from 1 (write) / 2 (read) */
	/* what went wrong, for the report (all are also in errors or len_mismatch) */
	uint64_t write_len_bad, read_len_bad;	/* used.len of a write != 1, of a read != 2 */
	uint32_t write_len_seen, read_len_seen; /* the first wrong used.len of each */
	uint64_t status_err;			/* status written but not OK */
	uint64_t status_untouched;		/* status byte never written */
	uint64_t data_wrong;			/* OK read returning other data than written */
	uint64_t bad_id;			/* used id out of range or not a request of ours */
	uint64_t open_retries;			/* opens retried (refused/reset/gone) */
	uint64_t kicks;				/* kick eventfd writes */
	uint64_t calls;				/* call eventfd wake-ups consumed */
	int call_poll_err;			/* last wait error (-ETIMEDOUT ...) */
};

struct guest_opts {
	const char *path;
	unsigned queue_size;
	bool event_idx;
	uint16_t addr;
	uint8_t reg;
};

/*
 * Connects, runs QEMU's init and start sequence, then primes the target:
 * writes [reg, pattern] and reads it back; if the device echoes it the reads
 * of the benchmark are checked against it. A refused, reset or missing
 * socket is retried for BENCH_OPEN_RETRY_MS (g->open_retries counts the
 * retries). NULL + errno.
 */
struct guest *guest_open(const struct guest_opts *opts);
void guest_close(struct guest *g); /* NULL allowed */

/*
 * Sequential latency: `count` groups one at a time, each timed from publish
 * to "all used entries seen and a call received". samples[count] in ns.
 */
int guest_run_latency(struct guest *g, uint32_t *samples, size_t count);
/*
 * Full queue: keeps the ring full of groups until `count` groups completed.
 * Returns 0 or -errno; *elapsed_ns covers first publish to last completion.
 */
int guest_run_full(struct guest *g, uint64_t count, uint64_t *elapsed_ns);

/* ------------------------------------------------------------------ */
/* Floor (floor.c)                                                     */
/* ------------------------------------------------------------------ */

/*
 * Eventfd ping-pong between this thread and a helper thread, shaped like a
 * vhost-user round trip (write kick, poll+read on the far side, write call,
 * poll+read here). samples[count] in ns after `warmup` unmeasured rounds.
 */
int floor_run(uint32_t *samples, size_t count, size_t warmup);

#endif
