// SPDX-License-Identifier: MIT
/*
 * vi2c-bench: measures any vhost-user virtio-i2c backend through its socket,
 * the way QEMU and a Linux guest drive it. It never starts the backend, so
 * other implementations are measured identically. See docs/performance.md.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_RUNS    31
#define MAX_CFGS    8
#define MAX_SCALE   8
#define MAX_SOCKETS 1024

struct params {
	const char *socket;
	unsigned sockets;
	bool exact_path; /* --socket names the socket itself (no index appended) */
	uint16_t addr;
	uint8_t reg;
	pid_t pid;
	unsigned runs;
	unsigned long warmup, lat_count, tput_count, scale_total;
	unsigned lat_queues[MAX_CFGS], n_lat_queues;
	unsigned tput_queues[MAX_CFGS], n_tput_queues;
	unsigned scale[MAX_SCALE], n_scale;
	unsigned long idle_window_ms;
	const char *json_path, *footprint_path, *label;
};

/* Totals over all runs of one configuration. */
struct tally {
	uint64_t groups, requests_ok, errors, len_mismatch, kicks, calls;
	/* how the backend broke the spec (see struct guest) */
	uint64_t write_len_bad, read_len_bad, status_err, status_untouched, data_wrong, bad_id;
	uint32_t write_len_seen, read_len_seen;
	uint64_t open_retries;
	int err; /* first failure, 0 if none */
	char what[96];
};

struct lat_result {
	unsigned queue;
	bool event_idx;
	struct lat_stats run[MAX_RUNS];
	double cpu_sched[MAX_RUNS]; /* daemon ns per request */
	double cpu_util[MAX_RUNS];  /* daemon CPU time / wall time of the timed run */
	bool cpu_ok;
	struct tally t;
};

/* The daemon's CPU use while a connected guest sends nothing. */
struct idle_result {
	double cpu_util[MAX_RUNS]; /* CPU time / wall time over the window */
	bool cpu_ok;
	struct tally t;
};

struct tput_result {
	unsigned queue;
	double gps[MAX_RUNS], cpu_sched[MAX_RUNS], cpu_ticks[MAX_RUNS], bench_cpu[MAX_RUNS];
	bool cpu_ok;
	struct tally t;
};

struct scale_result {
	unsigned guests;
	double gps[MAX_RUNS], rss[MAX_RUNS], anon[MAX_RUNS], file[MAX_RUNS], shmem[MAX_RUNS],
		threads[MAX_RUNS], cpu_sched[MAX_RUNS];
	struct lat_stats run[MAX_RUNS];
	bool mem_ok, cpu_ok;
	struct tally t;
};

struct footprint_cfg {
	unsigned sockets;
	double listen_ms, listen_ms_max, rss_kb, anon_kb, file_kb, shmem_kb, threads;
};

struct report {
	struct params p;
	pid_t pid;
	struct lat_stats floor[MAX_RUNS];
	int floor_err;
	struct lat_result lat[MAX_CFGS * 2];
	unsigned n_lat;
	struct tput_result tput[MAX_CFGS];
	struct scale_result scale[MAX_SCALE];
	struct idle_result idle;
	char cmdline[256]; /* the backend's, "" if unknown */
	struct footprint_cfg fp[4];
	unsigned n_fp;
	bool have_fp;
	double load_start[3], load_end[3];
};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static void sock_path(const struct params *p, unsigned idx, char *buf, size_t len)
{
	if (p->exact_path)
		snprintf(buf, len, "%s", p->socket);
	else
		snprintf(buf, len, "%s%u", p->socket, idx);
}

static void tally_guest(struct tally *t, const struct guest *g)
{
	t->groups += g->groups;
	t->requests_ok += g->requests_ok;
	t->errors += g->errors;
	t->len_mismatch += g->len_mismatch;
	t->kicks += g->kicks;
	t->calls += g->calls;
	if (!t->write_len_bad)
		t->write_len_seen = g->write_len_seen;
	if (!t->read_len_bad)
		t->read_len_seen = g->read_len_seen;
	t->write_len_bad += g->write_len_bad;
	t->read_len_bad += g->read_len_bad;
	t->status_err += g->status_err;
	t->status_untouched += g->status_untouched;
	t->data_wrong += g->data_wrong;
	t->bad_id += g->bad_id;
	t->open_retries += g->open_retries;
}

/*
 * One line saying how the backend broke the spec in this configuration
 * (empty if it did not): virtio 1.2 5.20.6.1 has the device write the status
 * byte, plus the data of a read, and used.len counts the bytes written.
 */
static bool misbehaviour(const struct tally *t, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (n < len)                                                                       \
			n += (size_t)snprintf(buf + n, len - n, "%s", n ? "; " : "");              \
		if (n < len)                                                                       \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);                      \
	} while (0)
	if (t->write_len_bad)
		ADD("used.len %u for a 1-byte write (spec: 1, the status) in %llu requests",
		    t->write_len_seen, (unsigned long long)t->write_len_bad);
	if (t->read_len_bad)
		ADD("used.len %u for a 1-byte read (spec: 2, data + status) in %llu requests",
		    t->read_len_seen, (unsigned long long)t->read_len_bad);
	if (t->status_err)
		ADD("status not OK in %llu requests", (unsigned long long)t->status_err);
	if (t->status_untouched)
		ADD("status byte never written in %llu requests",
		    (unsigned long long)t->status_untouched);
	if (t->data_wrong)
		ADD("wrong data read in %llu requests", (unsigned long long)t->data_wrong);
	if (t->bad_id)
		ADD("%llu used entries with an unknown id", (unsigned long long)t->bad_id);
#undef ADD
	return n > 0;
}

static void tally_fail(struct tally *t, int err, const char *what)
{
	if (t->err)
		return;
	t->err = err ? err : -EIO;
	snprintf(t->what, sizeof(t->what), "%s: %s", what, strerror(-t->err));
	fprintf(stderr, "vi2c-bench: %s\n", t->what);
}

/* Medians over runs of one statistic. */
static double med_stat(const struct lat_stats *run, unsigned n, size_t offset)
{
	double v[MAX_RUNS] = {0};
	unsigned i;

	for (i = 0; i < n && i < MAX_RUNS; i++)
		v[i] = *(const double *)((const char *)&run[i] + offset);
	return median_of(v, n);
}

#define MED(run, n, field) med_stat(run, n, offsetof(struct lat_stats, field))

static pid_t backend_pid(struct report *r, const struct guest *g)
{
	if (r->pid > 0)
		return r->pid;
	r->pid = proc_peer_pid(g->dev->conn->fd);
	if (r->pid <= 0)
		r->pid = -1;
	return r->pid;
}

static int daemon_cpu(pid_t pid, uint64_t *sched, uint64_t *ticks)
{
	if (pid <= 0)
		return -ESRCH;
	if (proc_cpu_sched_ns(pid, sched) || proc_cpu_ticks_ns(pid, ticks))
		return -ESRCH;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The measurements                                                    */
/* ------------------------------------------------------------------ */

static void measure_floor(struct report *r, unsigned run, uint32_t *samples)
{
	int ret = floor_run(samples, r->p.lat_count, r->p.warmup);

	if (ret && !r->floor_err) {
		r->floor_err = ret;
		fprintf(stderr, "vi2c-bench: floor: %s\n", strerror(-ret));
	}
	lat_stats_compute(samples, ret ? 0 : r->p.lat_count, &r->floor[run]);
}

/*
 * Opens a guest on the first socket for one measurement, with the backend's
 * pid in *pid. NULL (tallied in t as "WHAT: cannot open the device") when
 * the device cannot be opened.
 */
static struct guest *open_measured(struct report *r, struct guest_opts *o, struct tally *t,
				   const char *what, pid_t *pid)
{
	char path[PATH_MAX], msg[64];
	struct guest *g;

	sock_path(&r->p, 0, path, sizeof(path));
	o->path = path; /* guest_open() does not keep it */
	g = guest_open(o);
	if (!g) {
		int err = -errno;

		snprintf(msg, sizeof(msg), "%s: cannot open the device", what);
		tally_fail(t, err, msg);
		return NULL;
	}
	*pid = backend_pid(r, g);
	return g;
}

static void measure_latency(struct report *r, struct lat_result *l, unsigned run, uint32_t *samples)
{
	struct guest_opts o = {.queue_size = l->queue,
			       .event_idx = l->event_idx,
			       .addr = r->p.addr,
			       .reg = r->p.reg};
	uint64_t s0, s1, k0, k1, t0, el;
	struct guest *g;
	pid_t pid;
	int ret;

	g = open_measured(r, &o, &l->t, "latency", &pid);
	if (!g)
		return;
	ret = guest_run_latency(g, samples, r->p.warmup);
	if (!ret) {
		/* Warm-up groups are not counted. */
		g->groups = g->requests_ok = g->kicks = g->calls = 0;
		l->cpu_ok = !daemon_cpu(pid, &s0, &k0);
		t0 = bench_now_ns();
		ret = guest_run_latency(g, samples, r->p.lat_count);
		el = bench_now_ns() - t0;
		if (l->cpu_ok)
			l->cpu_ok = !daemon_cpu(pid, &s1, &k1);
		if (l->cpu_ok) {
			/* With polling on, this includes the spinning between requests. */
			l->cpu_sched[run] = (double)(s1 - s0) / (2.0 * r->p.lat_count);
			l->cpu_util[run] = el ? (double)(s1 - s0) / (double)el : 0;
		}
	}
	if (ret)
		tally_fail(&l->t, ret, "latency run");
	else
		lat_stats_compute(samples, r->p.lat_count, &l->run[run]);
	tally_guest(&l->t, g);
	guest_close(g);
}

static void measure_full(struct report *r, struct tput_result *t, unsigned run)
{
	struct guest_opts o = {
		.queue_size = t->queue, .event_idx = true, .addr = r->p.addr, .reg = r->p.reg};
	uint64_t s0, s1, k0, k1, b0, el = 0;
	struct guest *g;
	pid_t pid;
	int ret;

	g = open_measured(r, &o, &t->t, "throughput", &pid);
	if (!g)
		return;
	ret = guest_run_full(g, r->p.warmup, &el);
	if (!ret) {
		g->groups = g->requests_ok = g->kicks = g->calls = 0;
		t->cpu_ok = !daemon_cpu(pid, &s0, &k0);
		b0 = bench_thread_cpu_ns();
		ret = guest_run_full(g, r->p.tput_count, &el);
		t->bench_cpu[run] = (double)(bench_thread_cpu_ns() - b0) / (2.0 * r->p.tput_count);
		if (t->cpu_ok)
			t->cpu_ok = !daemon_cpu(pid, &s1, &k1);
		if (t->cpu_ok) {
			/* Per virtio request: a group is two requests. */
			t->cpu_sched[run] = (double)(s1 - s0) / (2.0 * r->p.tput_count);
			t->cpu_ticks[run] = (double)(k1 - k0) / (2.0 * r->p.tput_count);
		}
	}
	if (ret)
		tally_fail(&t->t, ret, "throughput run");
	else
		t->gps[run] = (double)r->p.tput_count * 1e9 / (double)el;
	tally_guest(&t->t, g);
	guest_close(g);
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Idle cost: a started guest sends a few groups, then nothing. After
 * IDLE_SETTLE_MS (far above any polling window) the daemon's CPU time over
 * idle_window_ms must be ~0: polling stops when traffic does.
 */
#define IDLE_SETTLE_MS 100
#define IDLE_GROUPS    100

static void measure_idle(struct report *r, struct idle_result *d, unsigned run, uint32_t *samples)
{
	struct guest_opts o = {
		.queue_size = 4, .event_idx = true, .addr = r->p.addr, .reg = r->p.reg};
	uint64_t s0, s1, k0, k1, t0, el;
	struct guest *g;
	pid_t pid;
	int ret;

	g = open_measured(r, &o, &d->t, "idle", &pid);
	if (!g)
		return;
	ret = guest_run_latency(g, samples, IDLE_GROUPS);
	if (!ret) {
		sleep_ms(IDLE_SETTLE_MS);
		d->cpu_ok = !daemon_cpu(pid, &s0, &k0);
		t0 = bench_now_ns();
		sleep_ms(r->p.idle_window_ms);
		el = bench_now_ns() - t0;
		if (d->cpu_ok)
			d->cpu_ok = !daemon_cpu(pid, &s1, &k1);
		if (d->cpu_ok)
			d->cpu_util[run] = el ? (double)(s1 - s0) / (double)el : 0;
	} else {
		tally_fail(&d->t, ret, "idle: groups before the pause");
	}
	tally_guest(&d->t, g);
	guest_close(g);
}

struct scale_ctx {
	atomic_bool go, stop;
	atomic_uint ready, finished;
	unsigned long per_guest, warmup;
};

struct scale_guest {
	struct scale_ctx *ctx;
	struct guest *g;
	pthread_t thread;
	uint32_t *samples; /* per_guest entries */
	size_t n;	   /* measured groups */
	int err;
};

static void short_sleep(void)
{
	struct timespec ts = {0, 100000};

	nanosleep(&ts, NULL);
}

static void *scale_thread(void *arg)
{
	struct scale_guest *sg = arg;
	struct scale_ctx *ctx = sg->ctx;
	unsigned long i;

	for (i = 0; i < ctx->warmup && !sg->err; i++)
		sg->err = guest_run_latency(sg->g, &sg->samples[0], 1);
	sg->g->groups = sg->g->requests_ok = sg->g->kicks = sg->g->calls = 0;
	atomic_fetch_add(&ctx->ready, 1);
	while (!atomic_load(&ctx->go))
		short_sleep();
	while (!sg->err && sg->n < ctx->per_guest &&
	       !atomic_load_explicit(&ctx->stop, memory_order_relaxed)) {
		sg->err = guest_run_latency(sg->g, &sg->samples[sg->n], 1);
		if (!sg->err)
			sg->n++;
	}
	atomic_fetch_add(&ctx->finished, 1);
	return NULL;
}

static unsigned long scale_per_guest(const struct params *p, unsigned guests)
{
	unsigned long n = p->scale_total / guests;

	return n < 10 ? 10 : n;
}

static void measure_scale(struct report *r, struct scale_result *s, unsigned run)
{
	struct scale_ctx ctx = {.per_guest = scale_per_guest(&r->p, s->guests)};
	struct guest_opts o = {
		.queue_size = 4, .event_idx = true, .addr = r->p.addr, .reg = r->p.reg};
	struct scale_guest *sg = calloc(s->guests, sizeof(*sg));
	unsigned i, opened = 0, started = 0;
	uint64_t t0, el, s0 = 0, s1, k0, k1, total = 0, n = 0;
	uint32_t *all = NULL;
	char path[PATH_MAX];
	struct proc_mem mem;
	pid_t pid = -1;
	int ret;

	ctx.warmup = r->p.warmup / s->guests + 1;
	atomic_init(&ctx.go, false);
	atomic_init(&ctx.stop, false);
	atomic_init(&ctx.ready, 0);
	atomic_init(&ctx.finished, 0);
	if (!sg) {
		tally_fail(&s->t, -ENOMEM, "scale");
		return;
	}
	for (i = 0; i < s->guests; i++) {
		sock_path(&r->p, i, path, sizeof(path));
		o.path = path;
		sg[i].ctx = &ctx;
		sg[i].samples = malloc(ctx.per_guest * sizeof(uint32_t));
		sg[i].g = sg[i].samples ? guest_open(&o) : NULL;
		if (!sg[i].g) {
			tally_fail(&s->t, -errno, "scale: cannot open a device");
			goto out;
		}
		opened++;
	}
	pid = backend_pid(r, sg[0].g);
	for (i = 0; i < s->guests; i++) {
		ret = -pthread_create(&sg[i].thread, NULL, scale_thread, &sg[i]);
		if (ret) {
			tally_fail(&s->t, ret, "scale: pthread_create");
			atomic_store(&ctx.stop, true);
			break;
		}
		started++;
	}
	while (atomic_load(&ctx.ready) < started)
		short_sleep();
	s->cpu_ok = !daemon_cpu(pid, &s0, &k0);
	t0 = bench_now_ns();
	atomic_store(&ctx.go, true);
	/* The window ends when the first guest is done: until then all are busy. */
	while (!atomic_load(&ctx.finished) && started == s->guests) {
		struct timespec ms = {0, 1000000};

		nanosleep(&ms, NULL);
	}
	s->mem_ok = pid > 0 && !proc_mem_read(pid, &mem);
	atomic_store(&ctx.stop, true);
	for (i = 0; i < started; i++)
		pthread_join(sg[i].thread, NULL);
	el = bench_now_ns() - t0;
	if (started < s->guests)
		goto out;
	if (s->cpu_ok)
		s->cpu_ok = !daemon_cpu(pid, &s1, &k1);
	for (i = 0; i < s->guests; i++) {
		total += sg[i].n;
		if (sg[i].err)
			tally_fail(&s->t, sg[i].err, "scale run");
	}
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all) {
		tally_fail(&s->t, -ENOMEM, "scale");
		goto out;
	}
	for (i = 0; i < s->guests; i++) {
		memcpy(all + n, sg[i].samples, sg[i].n * sizeof(*all));
		n += sg[i].n;
	}
	lat_stats_compute(all, n, &s->run[run]);
	s->gps[run] = (double)total * 1e9 / (double)el;
	if (s->cpu_ok)
		s->cpu_sched[run] = total ? (double)(s1 - s0) / (2.0 * (double)total) : 0;
	if (s->mem_ok) {
		s->rss[run] = mem.rss_kb;
		s->anon[run] = mem.anon_kb;
		s->file[run] = mem.file_kb;
		s->shmem[run] = mem.shmem_kb;
		s->threads[run] = mem.threads;
	}
out:
	free(all);
	for (i = 0; i < opened; i++) {
		tally_guest(&s->t, sg[i].g);
		guest_close(sg[i].g);
	}
	for (i = 0; i < s->guests; i++)
		free(sg[i].samples);
	free(sg);
}

/* ------------------------------------------------------------------ */
/* Footprint file from vi2c-bench-startup                              */
/* ------------------------------------------------------------------ */

/* Number member of a JSON object: true and *out filled if present and a number. */
static bool get_num(const json_t *obj, const char *key, double *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

static int load_footprint(struct report *r, const char *path)
{
	json_error_t jerr;
	json_t *root, *cfgs, *c;
	size_t i;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fprintf(stderr, "vi2c-bench: %s:%d: %s\n", path, jerr.line, jerr.text);
		return -EINVAL;
	}
	cfgs = json_object_get(root, "configs");
	json_array_foreach(cfgs, i, c)
	{
		struct footprint_cfg *fp = &r->fp[r->n_fp];
		double sockets;

		if (r->n_fp >= 4)
			break;
		if (!get_num(c, "sockets", &sockets) ||
		    !get_num(c, "listen_ms_median", &fp->listen_ms) ||
		    !get_num(c, "listen_ms_max", &fp->listen_ms_max) ||
		    !get_num(c, "idle_rss_kb", &fp->rss_kb))
			continue;
		fp->sockets = (unsigned)sockets;
		fp->anon_kb = fp->file_kb = fp->shmem_kb = fp->threads = -1;
		get_num(c, "idle_anon_kb", &fp->anon_kb);
		get_num(c, "idle_file_kb", &fp->file_kb);
		get_num(c, "idle_shmem_kb", &fp->shmem_kb);
		get_num(c, "idle_threads", &fp->threads);
		r->n_fp++;
	}
	json_decref(root);
	r->have_fp = true;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Targets                                                             */
/* ------------------------------------------------------------------ */

struct target {
	char name[64];
	double value, limit;
	bool measured, at_most; /* value <= limit (else >=) */
	const char *unit;
};

static unsigned n_targets;
static struct target targets[48];

static void add_target(const char *name, bool measured, double value, bool at_most, double limit,
		       const char *unit)
{
	struct target *t;

	if (n_targets >= sizeof(targets) / sizeof(targets[0]))
		return;
	t = &targets[n_targets++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->measured = measured;
	t->value = value;
	t->at_most = at_most;
	t->limit = limit;
	t->unit = unit;
}

static const char *verdict(const struct target *t)
{
	if (!t->measured)
		return "not measured";
	if (t->at_most ? t->value <= t->limit : t->value >= t->limit)
		return "met";
	return "missed";
}

static const struct scale_result *scale_point(const struct report *r, unsigned guests)
{
	for (unsigned i = 0; i < r->p.n_scale; i++) {
		if (r->scale[i].guests == guests && !r->scale[i].t.err)
			return &r->scale[i];
	}
	return NULL;
}

static const struct footprint_cfg *fp_point(const struct report *r, unsigned sockets)
{
	for (unsigned i = 0; i < r->n_fp; i++) {
		if (r->fp[i].sockets == sockets)
			return &r->fp[i];
	}
	return NULL;
}

static void lat_name(const struct lat_result *l, char *buf, size_t len)
{
	snprintf(buf, len, "q%u-%s", l->queue, l->event_idx ? "evidx" : "noevidx");
}

static void evaluate_targets(const struct report *r)
{
	unsigned R = r->p.runs;
	double f50 = r->floor_err ? 0 : MED(r->floor, R, p50);
	double f99 = r->floor_err ? 0 : MED(r->floor, R, p99);
	const struct scale_result *s1 = scale_point(r, 1), *s64 = scale_point(r, 64);
	const struct footprint_cfg *fp1 = fp_point(r, 1), *fp64 = fp_point(r, 64);
	char name[64], cfg[32];

	for (unsigned i = 0; i < r->n_lat; i++) {
		const struct lat_result *l = &r->lat[i];
		bool ok = !l->t.err && f50 > 0;

		lat_name(l, cfg, sizeof(cfg));
		snprintf(name, sizeof(name), "latency %s p50 / floor p50", cfg);
		add_target(name, ok, ok ? MED(l->run, R, p50) / f50 : 0, true, 1.3, "x");
		snprintf(name, sizeof(name), "latency %s p99 / floor p99", cfg);
		add_target(name, ok, ok ? MED(l->run, R, p99) / f99 : 0, true, 3.0, "x");
	}
	for (unsigned i = 0; i < r->p.n_tput_queues; i++) {
		const struct tput_result *t = &r->tput[i];
		bool ok = !t->t.err && t->cpu_ok;

		snprintf(name, sizeof(name), "daemon CPU per request, full queue %u", t->queue);
		add_target(name, ok, ok ? median_of(t->cpu_sched, R) : 0, true, 300, "ns");
	}
	add_target("64 busy guests: aggregate / 1 guest throughput", s1 && s64,
		   s1 && s64 ? median_of(s64->gps, R) / median_of(s1->gps, R) : 0, false, 0.8, "x");
	add_target("64 busy guests: daemon RSS", s64 && s64->mem_ok,
		   s64 && s64->mem_ok ? median_of(s64->rss, R) : 0, true, 2048, "KiB");
	add_target("idle RSS, 1 socket", fp1 != NULL, fp1 ? fp1->rss_kb : 0, true, 1024, "KiB");
	add_target("exec to listening, 1 socket (median)", fp1 != NULL, fp1 ? fp1->listen_ms : 0,
		   true, 10, "ms");
	add_target("exec to listening, 64 sockets (median)", fp64 != NULL,
		   fp64 ? fp64->listen_ms : 0, true, 10, "ms");
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			colon += strspn(colon + 1, " \t") + 1;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	fclose(f);
}

static double us(double ns)
{
	return ns / 1000.0;
}

static void print_misbehaviour(const struct tally *t)
{
	char buf[512];

	if (misbehaviour(t, buf, sizeof(buf)))
		printf("  %-12s MISBEHAVED: %s\n", "", buf);
}

static void print_table(const struct report *r)
{
	unsigned R = r->p.runs;
	double f50 = MED(r->floor, R, p50), f99 = MED(r->floor, R, p99),
	       f999 = MED(r->floor, R, p999);
	char cpu[128], cfg[32];
	struct utsname u;

	cpu_model(cpu, sizeof(cpu));
	uname(&u);
	if (r->p.label)
		printf("label: %s\n", r->p.label);
	printf("vi2c-bench: backend pid %d, socket %s%s, target 0x%02x, %u run(s), medians over "
	       "runs\n",
	       (int)r->pid, r->p.socket, r->p.exact_path ? "" : "<n>", r->p.addr, R);
	if (r->cmdline[0])
		printf("backend: %s\n", r->cmdline);
	printf("machine: %ld x %s, Linux %s, load %.2f -> %.2f\n\n", sysconf(_SC_NPROCESSORS_ONLN),
	       cpu, u.release, r->load_start[0], r->load_end[0]);

	printf("floor: eventfd ping-pong between two threads, %lu round trips per run\n",
	       r->p.lat_count);
	printf("  p50 %.2f us   p99 %.2f us   p99.9 %.2f us\n\n", us(f50), us(f99), us(f999));

	printf("latency: one [write 1][read 1] group, publish -> used + call, sequential\n");
	printf("  %-12s %9s %9s %9s   %-19s %9s %9s %9s %6s\n", "config", "p50 us", "p99 us",
	       "p99.9 us", "x floor 50/99/99.9", "kicks/grp", "calls/grp", "dmn ns/req", "dmn %");
	for (unsigned i = 0; i < r->n_lat; i++) {
		const struct lat_result *l = &r->lat[i];
		double p50 = MED(l->run, R, p50), p99 = MED(l->run, R, p99),
		       p999 = MED(l->run, R, p999), g = l->t.groups ? (double)l->t.groups : 1;

		lat_name(l, cfg, sizeof(cfg));
		if (l->t.err) {
			printf("  %-12s FAILED: %s\n", cfg, l->t.what);
		} else {
			printf("  %-12s %9.2f %9.2f %9.2f   %5.2f/%5.2f/%5.2f   %9.2f %9.2f %9.0f "
			       "%6.1f\n",
			       cfg, us(p50), us(p99), us(p999), p50 / f50, p99 / f99, p999 / f999,
			       (double)l->t.kicks / g, (double)l->t.calls / g,
			       l->cpu_ok ? median_of(l->cpu_sched, R) : -1,
			       l->cpu_ok ? 100 * median_of(l->cpu_util, R) : -1);
		}
		print_misbehaviour(&l->t);
	}

	printf("\nthroughput: queue kept full of groups, EVENT_IDX on\n");
	printf("  %-6s %11s %11s %14s %14s %9s %9s\n", "queue", "groups/s", "requests/s",
	       "daemon ns/req", "bench ns/req", "kicks/grp", "calls/grp");
	for (unsigned i = 0; i < r->p.n_tput_queues; i++) {
		const struct tput_result *t = &r->tput[i];
		double gps = median_of(t->gps, R), g = t->t.groups ? (double)t->t.groups : 1;

		if (t->t.err) {
			printf("  %-6u FAILED: %s\n", t->queue, t->t.what);
		} else {
			printf("  %-6u %11.0f %11.0f %14.0f %14.0f %9.3f %9.3f\n", t->queue, gps,
			       2 * gps, t->cpu_ok ? median_of(t->cpu_sched, R) : -1,
			       median_of(t->bench_cpu, R), (double)t->t.kicks / g,
			       (double)t->t.calls / g);
		}
		print_misbehaviour(&t->t);
	}

	printf("\nscale: N guests connected, each sending groups one at a time on a queue of 4\n");
	printf("  %-6s %11s %9s %9s %9s %9s %8s %14s\n", "guests", "groups/s", "p50 us", "p99 us",
	       "p99.9 us", "RSS KiB", "threads", "daemon ns/req");
	for (unsigned i = 0; i < r->p.n_scale; i++) {
		const struct scale_result *s = &r->scale[i];

		if (s->t.err) {
			printf("  %-6u FAILED: %s\n", s->guests, s->t.what);
		} else {
			printf("  %-6u %11.0f %9.2f %9.2f %9.2f %9.0f %8.0f %14.0f\n", s->guests,
			       median_of(s->gps, R), us(MED(s->run, R, p50)),
			       us(MED(s->run, R, p99)), us(MED(s->run, R, p999)),
			       s->mem_ok ? median_of(s->rss, R) : -1,
			       s->mem_ok ? median_of(s->threads, R) : -1,
			       s->cpu_ok ? median_of(s->cpu_sched, R) : -1);
		}
		print_misbehaviour(&s->t);
	}

	if (r->p.idle_window_ms) {
		const struct idle_result *d = &r->idle;

		printf("\nidle: daemon CPU over %lu ms, from %d ms after a guest's last request\n",
		       r->p.idle_window_ms, IDLE_SETTLE_MS);
		if (d->t.err)
			printf("  FAILED: %s\n", d->t.what);
		else if (d->cpu_ok)
			printf("  %.3f %% of a CPU\n", 100 * median_of(d->cpu_util, R));
		else
			printf("  not measured (no access to the backend's /proc)\n");
		print_misbehaviour(&d->t);
	}

	if (r->have_fp) {
		printf("\nfootprint (from the wrapper): exec -> connect() succeeds; idle = no "
		       "VMM\n");
		printf("  %-8s %12s %12s %9s %9s %9s %9s %8s\n", "sockets", "listen ms", "max ms",
		       "RSS KiB", "anon", "file", "shmem", "threads");
		for (unsigned i = 0; i < r->n_fp; i++) {
			const struct footprint_cfg *f = &r->fp[i];

			printf("  %-8u %12.3f %12.3f %9.0f %9.0f %9.0f %9.0f %8.0f\n", f->sockets,
			       f->listen_ms, f->listen_ms_max, f->rss_kb, f->anon_kb, f->file_kb,
			       f->shmem_kb, f->threads);
		}
	}

	printf("\ntargets\n");
	for (unsigned i = 0; i < n_targets; i++) {
		const struct target *t = &targets[i];

		if (t->measured)
			printf("  %-50s %10.2f %-3s %s %8.2f  %s\n", t->name, t->value, t->unit,
			       t->at_most ? "<=" : ">=", t->limit, verdict(t));
		else
			printf("  %-50s %10s %-3s %s %8.2f  %s\n", t->name, "-", t->unit,
			       t->at_most ? "<=" : ">=", t->limit, verdict(t));
	}
}

/* ---- JSON report (jansson) ---- */

/* Non-finite numbers (a ratio to a failed floor) are null, as JSON has no NaN. */
static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* NULL, or bytes that are not UTF-8 (a socket path may be anything), are null. */
static json_t *jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	return j ? j : json_null();
}

static json_t *jint(long long v)
{
	return json_integer(v);
}

/* Sets key; json_object_set_new takes the reference even on failure. */
static void put(json_t *obj, const char *key, json_t *v)
{
	json_object_set_new(obj, key, v ? v : json_null());
}

static json_t *jdoubles(const double *v, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < n; i++)
		json_array_append_new(a, jnum(v[i]));
	return a;
}

static void json_stats(json_t *o, const struct lat_stats *run, unsigned R, const double *fl)
{
	json_t *a = json_array();

	put(o, "p50_ns", jnum(MED(run, R, p50)));
	put(o, "p99_ns", jnum(MED(run, R, p99)));
	put(o, "p999_ns", jnum(MED(run, R, p999)));
	put(o, "mean_ns", jnum(MED(run, R, mean)));
	put(o, "max_ns", jnum(MED(run, R, max)));
	if (fl) {
		put(o, "p50_x_floor", jnum(fl[0] > 0 ? MED(run, R, p50) / fl[0] : 0));
		put(o, "p99_x_floor", jnum(fl[1] > 0 ? MED(run, R, p99) / fl[1] : 0));
		put(o, "p999_x_floor", jnum(fl[2] > 0 ? MED(run, R, p999) / fl[2] : 0));
	}
	for (unsigned i = 0; a && i < R; i++)
		json_array_append_new(
			a, json_pack("{s:I, s:o, s:o, s:o, s:o}", "count", (json_int_t)run[i].count,
				     "p50_ns", jnum(run[i].p50), "p99_ns", jnum(run[i].p99),
				     "p999_ns", jnum(run[i].p999), "mean_ns", jnum(run[i].mean)));
	put(o, "per_run", a);
}

static void json_tally(json_t *o, const struct tally *t)
{
	char buf[512];
	bool bad = misbehaviour(t, buf, sizeof(buf));

	put(o, "groups", jint((long long)t->groups));
	put(o, "requests_ok", jint((long long)t->requests_ok));
	put(o, "errors", jint((long long)t->errors));
	put(o, "len_mismatch", jint((long long)t->len_mismatch));
	put(o, "kicks_per_group", jnum(t->groups ? (double)t->kicks / (double)t->groups : 0));
	put(o, "calls_per_group", jnum(t->groups ? (double)t->calls / (double)t->groups : 0));
	put(o, "failure", jstr(t->err ? t->what : NULL));
	/* Added later: what the backend did wrong, how often a device had to be reopened. */
	put(o, "misbehaviour", jstr(bad ? buf : NULL));
	put(o, "write_len_bad", jint((long long)t->write_len_bad));
	put(o, "read_len_bad", jint((long long)t->read_len_bad));
	put(o, "status_errors", jint((long long)t->status_err));
	put(o, "status_untouched", jint((long long)t->status_untouched));
	put(o, "data_wrong", jint((long long)t->data_wrong));
	put(o, "bad_used_id", jint((long long)t->bad_id));
	put(o, "open_retries", jint((long long)t->open_retries));
}

static json_t *json_report(const struct report *r)
{
	unsigned R = r->p.runs;
	double fl[3] = {MED(r->floor, R, p50), MED(r->floor, R, p99), MED(r->floor, R, p999)};
	char cpu[128], cfg[32], host[128] = "";
	json_t *root, *o, *a;
	struct utsname u;

	cpu_model(cpu, sizeof(cpu));
	uname(&u);
	gethostname(host, sizeof(host) - 1);
	root = json_object();
	if (!root)
		return NULL;
	put(root, "tool", jstr("vi2c-bench"));
	/*
	 * Still 1: later fields (label, backend.cmdline, the misbehaviour
	 * counters, latency CPU, idle) were only added, readers of the first
	 * ones are unaffected.
	 */
	put(root, "format", jint(1));
	put(root, "timestamp", jint((long long)time(NULL)));
	put(root, "label", jstr(r->p.label));

	o = json_object();
	put(o, "nproc", jint(sysconf(_SC_NPROCESSORS_ONLN)));
	put(o, "cpu", jstr(cpu));
	put(o, "kernel", jstr(u.release));
	put(o, "hostname", jstr(host));
	put(o, "load_start", jdoubles(r->load_start, 3));
	put(o, "load_end", jdoubles(r->load_end, 3));
	put(root, "machine", o);

	o = json_object();
	put(o, "socket", jstr(r->p.socket));
	put(o, "socket_index_appended", json_boolean(!r->p.exact_path));
	put(o, "sockets", jint(r->p.sockets));
	put(o, "pid", jint(r->pid));
	put(o, "cmdline", jstr(r->cmdline[0] ? r->cmdline : NULL));
	put(o, "addr", jint(r->p.addr));
	put(o, "reg", jint(r->p.reg));
	put(root, "backend", o);

	o = json_object();
	put(o, "runs", jint(R));
	put(o, "warmup", jint((long long)r->p.warmup));
	put(o, "latency_count", jint((long long)r->p.lat_count));
	put(o, "throughput_count", jint((long long)r->p.tput_count));
	put(o, "scale_total", jint((long long)r->p.scale_total));
	put(o, "idle_window_ms", jint((long long)r->p.idle_window_ms));
	put(o, "open_retry_ms", jint(BENCH_OPEN_RETRY_MS));
	put(o, "statistic", jstr("median over runs of each per-run percentile (nearest rank)"));
	put(o, "cpu_source", jstr("sum of /proc/PID/task/*/schedstat run time"));
	put(root, "params", o);

	o = json_object();
	put(o, "method", jstr("eventfd ping-pong between two threads, poll()+read() both sides"));
	put(o, "failure", jstr(r->floor_err ? strerror(-r->floor_err) : NULL));
	json_stats(o, r->floor, R, NULL);
	put(root, "floor", o);

	a = json_array();
	for (unsigned i = 0; i < r->n_lat; i++) {
		const struct lat_result *l = &r->lat[i];

		lat_name(l, cfg, sizeof(cfg));
		o = json_object();
		put(o, "name", jstr(cfg));
		put(o, "queue", jint(l->queue));
		put(o, "event_idx", json_boolean(l->event_idx));
		put(o, "runs", jint(R));
		put(o, "count_per_run", jint((long long)r->p.lat_count));
		json_tally(o, &l->t);
		json_stats(o, l->run, R, fl);
		put(o, "daemon_cpu_ns_per_request",
		    l->cpu_ok ? jnum(median_of(l->cpu_sched, R)) : json_null());
		put(o, "daemon_cpu_utilization",
		    l->cpu_ok ? jnum(median_of(l->cpu_util, R)) : json_null());
		json_array_append_new(a, o);
	}
	put(root, "latency", a);

	a = json_array();
	for (unsigned i = 0; i < r->p.n_tput_queues; i++) {
		const struct tput_result *t = &r->tput[i];

		o = json_object();
		put(o, "queue", jint(t->queue));
		put(o, "event_idx", json_true());
		put(o, "runs", jint(R));
		put(o, "count_per_run", jint((long long)r->p.tput_count));
		json_tally(o, &t->t);
		put(o, "groups_per_s", jnum(median_of(t->gps, R)));
		put(o, "requests_per_s", jnum(2 * median_of(t->gps, R)));
		put(o, "daemon_cpu_ns_per_request",
		    t->cpu_ok ? jnum(median_of(t->cpu_sched, R)) : json_null());
		put(o, "daemon_cpu_ns_per_request_stat",
		    t->cpu_ok ? jnum(median_of(t->cpu_ticks, R)) : json_null());
		put(o, "bench_cpu_ns_per_request", jnum(median_of(t->bench_cpu, R)));
		put(o, "groups_per_s_per_run", jdoubles(t->gps, R));
		put(o, "daemon_cpu_ns_per_request_per_run", jdoubles(t->cpu_sched, R));
		json_array_append_new(a, o);
	}
	put(root, "throughput", a);

	a = json_array();
	for (unsigned i = 0; i < r->p.n_scale; i++) {
		const struct scale_result *s = &r->scale[i];

		o = json_object();
		put(o, "guests", jint(s->guests));
		put(o, "queue", jint(4));
		put(o, "runs", jint(R));
		put(o, "max_groups_per_guest", jint((long long)scale_per_guest(&r->p, s->guests)));
		json_tally(o, &s->t);
		put(o, "groups_per_s", jnum(median_of(s->gps, R)));
		json_stats(o, s->run, R, fl);
		if (s->mem_ok) {
			put(o, "daemon_rss_kb", jnum(median_of(s->rss, R)));
			put(o, "daemon_rss_anon_kb", jnum(median_of(s->anon, R)));
			put(o, "daemon_rss_file_kb", jnum(median_of(s->file, R)));
			put(o, "daemon_rss_shmem_kb", jnum(median_of(s->shmem, R)));
			put(o, "daemon_threads", jnum(median_of(s->threads, R)));
		} else {
			put(o, "daemon_rss_kb", json_null());
			put(o, "daemon_threads", json_null());
		}
		put(o, "daemon_cpu_ns_per_request",
		    s->cpu_ok ? jnum(median_of(s->cpu_sched, R)) : json_null());
		put(o, "groups_per_s_per_run", jdoubles(s->gps, R));
		json_array_append_new(a, o);
	}
	put(root, "scale", a);

	if (r->p.idle_window_ms) {
		const struct idle_result *d = &r->idle;

		o = json_object();
		put(o, "settle_ms", jint(IDLE_SETTLE_MS));
		put(o, "window_ms", jint((long long)r->p.idle_window_ms));
		json_tally(o, &d->t);
		put(o, "daemon_cpu_utilization",
		    d->cpu_ok ? jnum(median_of(d->cpu_util, R)) : json_null());
		put(o, "daemon_cpu_utilization_per_run", jdoubles(d->cpu_util, R));
		put(root, "idle", o);
	} else {
		put(root, "idle", json_null());
	}

	if (r->have_fp) {
		a = json_array();
		for (unsigned i = 0; i < r->n_fp; i++) {
			const struct footprint_cfg *fp = &r->fp[i];

			o = json_object();
			put(o, "sockets", jint(fp->sockets));
			put(o, "listen_ms_median", jnum(fp->listen_ms));
			put(o, "listen_ms_max", jnum(fp->listen_ms_max));
			put(o, "idle_rss_kb", jnum(fp->rss_kb));
			put(o, "idle_anon_kb", jnum(fp->anon_kb));
			put(o, "idle_file_kb", jnum(fp->file_kb));
			put(o, "idle_shmem_kb", jnum(fp->shmem_kb));
			put(o, "idle_threads", jnum(fp->threads));
			json_array_append_new(a, o);
		}
		put(root, "footprint", a);
	} else {
		put(root, "footprint", json_null());
	}

	a = json_array();
	for (unsigned i = 0; i < n_targets; i++) {
		const struct target *t = &targets[i];

		o = json_object();
		put(o, "name", jstr(t->name));
		put(o, "value", t->measured ? jnum(t->value) : json_null());
		put(o, "op", jstr(t->at_most ? "<=" : ">="));
		put(o, "limit", jnum(t->limit));
		put(o, "unit", jstr(t->unit));
		put(o, "verdict", jstr(verdict(t)));
		json_array_append_new(a, o);
	}
	put(root, "targets", a);
	return root;
}

static int write_json(const struct report *r, const char *path)
{
	json_t *root = json_report(r);
	int ret;

	if (!root)
		return -ENOMEM;
	errno = 0;
	ret = json_dump_file(root, path, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	json_decref(root);
	return ret ? (errno ? -errno : -EIO) : 0;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f, "usage: vi2c-bench --socket PATH --addr A [options]\n"
		   "Measures a running vhost-user virtio-i2c backend (it never starts one).\n"
		   "Opening a device is retried for 5 s while the backend refuses or resets "
		   "connections;\n"
		   "a backend breaking the spec is reported per configuration (exit 1 at the "
		   "end).\n"
		   "  -s, --socket PATH      socket base path: PATH0..PATH<N-1> are used (PATH "
		   "itself\n"
		   "                         if it is a socket and PATH0 does not exist)\n"
		   "  -n, --sockets N        sockets the backend serves (default 1; 64 for scale)\n"
		   "  -a, --addr A           7-bit address of a device on the backend's bus\n"
		   "      --reg R            register written by each group (default 0)\n"
		   "  -p, --pid PID          backend pid (default: SO_PEERCRED of the socket)\n"
		   "  -r, --runs R           runs; figures are medians over runs (default 5)\n"
		   "  -w, --warmup N         unmeasured groups before each measurement (default "
		   "2000)\n"
		   "      --latency-count N  timed groups per latency run (default 20000)\n"
		   "      --throughput-count N  groups per throughput run (default 200000)\n"
		   "      --scale-total N    groups per scale run, shared by the guests (default "
		   "60000)\n"
		   "      --latency-queues LIST   (default 4,256)\n"
		   "      --throughput-queues LIST (default 256,1024)\n"
		   "      --scale LIST       guest counts (default 1,8,64; capped by --sockets)\n"
		   "      --idle-window-ms N daemon CPU of an idle guest over N ms (default "
		   "500; 0 = skip)\n"
		   "      --label TEXT       names the run in the report (e.g. the backend's "
		   "options)\n"
		   "      --footprint FILE   vi2c-bench-startup output to include\n"
		   "  -j, --json FILE        write the JSON report there\n"
		   "  -h, --help\n");
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_list(const char *s, unsigned *out, unsigned cap, unsigned *n, unsigned long min,
		      unsigned long max)
{
	char buf[128], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long v;

		if (*n >= cap || parse_ulong(tok, min, max, &v))
			return -EINVAL;
		out[(*n)++] = (unsigned)v;
	}
	return *n ? 0 : -EINVAL;
}

enum {
	OPT_REG = 256,
	OPT_LAT_COUNT,
	OPT_TPUT_COUNT,
	OPT_SCALE_TOTAL,
	OPT_LAT_QUEUES,
	OPT_TPUT_QUEUES,
	OPT_SCALE,
	OPT_FOOTPRINT,
	OPT_IDLE_WINDOW,
	OPT_LABEL,
};

static int parse_args(int argc, char **argv, struct params *p)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"sockets", required_argument, NULL, 'n'},
		{"addr", required_argument, NULL, 'a'},
		{"reg", required_argument, NULL, OPT_REG},
		{"pid", required_argument, NULL, 'p'},
		{"runs", required_argument, NULL, 'r'},
		{"warmup", required_argument, NULL, 'w'},
		{"latency-count", required_argument, NULL, OPT_LAT_COUNT},
		{"throughput-count", required_argument, NULL, OPT_TPUT_COUNT},
		{"scale-total", required_argument, NULL, OPT_SCALE_TOTAL},
		{"latency-queues", required_argument, NULL, OPT_LAT_QUEUES},
		{"throughput-queues", required_argument, NULL, OPT_TPUT_QUEUES},
		{"scale", required_argument, NULL, OPT_SCALE},
		{"footprint", required_argument, NULL, OPT_FOOTPRINT},
		{"idle-window-ms", required_argument, NULL, OPT_IDLE_WINDOW},
		{"label", required_argument, NULL, OPT_LABEL},
		{"json", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	unsigned long v;
	bool have_addr = false, scale_given = false;
	char first[PATH_MAX];
	struct stat st;
	int c;

	memset(p, 0, sizeof(*p));
	p->sockets = 1;
	p->runs = 5;
	p->warmup = 2000;
	p->lat_count = 20000;
	p->tput_count = 200000;
	p->scale_total = 60000;
	p->idle_window_ms = 500;
	p->lat_queues[0] = 4;
	p->lat_queues[1] = 256;
	p->n_lat_queues = 2;
	p->tput_queues[0] = 256;
	p->tput_queues[1] = 1024;
	p->n_tput_queues = 2;
	p->scale[0] = 1;
	p->scale[1] = 8;
	p->scale[2] = 64;
	p->n_scale = 3;
	while ((c = getopt_long(argc, argv, "s:n:a:p:r:w:j:h", longopts, NULL)) != -1) {
		int err = 0;

		switch (c) {
		case 's':
			p->socket = optarg;
			break;
		case 'n':
			err = parse_ulong(optarg, 1, MAX_SOCKETS, &v);
			p->sockets = (unsigned)v;
			break;
		case 'a':
			err = parse_ulong(optarg, 0, 0x7f, &v);
			p->addr = (uint16_t)v;
			have_addr = true;
			break;
		case OPT_REG:
			err = parse_ulong(optarg, 0, 0xff, &v);
			p->reg = (uint8_t)v;
			break;
		case 'p':
			err = parse_ulong(optarg, 1, INT_MAX, &v);
			p->pid = (pid_t)v;
			break;
		case 'r':
			err = parse_ulong(optarg, 1, MAX_RUNS, &v);
			p->runs = (unsigned)v;
			break;
		case 'w':
			err = parse_ulong(optarg, 0, 10000000, &p->warmup);
			break;
		case OPT_LAT_COUNT:
			err = parse_ulong(optarg, 1, 100000000, &p->lat_count);
			break;
		case OPT_TPUT_COUNT:
			err = parse_ulong(optarg, 1, 1000000000, &p->tput_count);
			break;
		case OPT_SCALE_TOTAL:
			err = parse_ulong(optarg, 1, 100000000, &p->scale_total);
			break;
		case OPT_LAT_QUEUES:
			err = parse_list(optarg, p->lat_queues, MAX_CFGS, &p->n_lat_queues, 4,
					 VIRTQ_MAX_SIZE);
			break;
		case OPT_TPUT_QUEUES:
			err = parse_list(optarg, p->tput_queues, MAX_CFGS, &p->n_tput_queues, 4,
					 VIRTQ_MAX_SIZE);
			break;
		case OPT_SCALE:
			err = parse_list(optarg, p->scale, MAX_SCALE, &p->n_scale, 1, MAX_SOCKETS);
			scale_given = true;
			break;
		case OPT_FOOTPRINT:
			p->footprint_path = optarg;
			break;
		case OPT_IDLE_WINDOW:
			err = parse_ulong(optarg, 0, 60000, &p->idle_window_ms);
			break;
		case OPT_LABEL:
			p->label = optarg;
			break;
		case 'j':
			p->json_path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (err) {
			fprintf(stderr, "vi2c-bench: invalid value '%s' for option -%c/%d\n",
				optarg, c < 256 ? c : '-', c);
			return -EINVAL;
		}
	}
	if (optind != argc || !p->socket || !have_addr) {
		usage(stderr);
		return -EINVAL;
	}
	for (unsigned i = 0; i < p->n_lat_queues; i++) {
		if (p->lat_queues[i] & (p->lat_queues[i] - 1))
			return fprintf(stderr, "vi2c-bench: queue sizes are powers of 2\n"),
			       -EINVAL;
	}
	for (unsigned i = 0; i < p->n_tput_queues; i++) {
		if (p->tput_queues[i] & (p->tput_queues[i] - 1))
			return fprintf(stderr, "vi2c-bench: queue sizes are powers of 2\n"),
			       -EINVAL;
	}
	/* Guest counts above --sockets: an error if asked for, dropped from the default. */
	for (unsigned i = 0; i < p->n_scale;) {
		if (p->scale[i] <= p->sockets) {
			i++;
			continue;
		}
		if (scale_given) {
			fprintf(stderr, "vi2c-bench: --scale %u needs --sockets >= %u\n",
				p->scale[i], p->scale[i]);
			return -EINVAL;
		}
		memmove(&p->scale[i], &p->scale[i + 1], (p->n_scale - i - 1) * sizeof(unsigned));
		p->n_scale--;
	}
	snprintf(first, sizeof(first), "%s0", p->socket);
	if (p->sockets == 1 && stat(first, &st) && !stat(p->socket, &st) && S_ISSOCK(st.st_mode))
		p->exact_path = true;
	return 0;
}

/* A configuration that failed or saw the backend break the spec. */
static bool bad_tally(const struct tally *t)
{
	return t->err || t->errors || t->len_mismatch;
}

static unsigned failures(const struct report *r)
{
	unsigned n = r->floor_err ? 1 : 0;

	for (unsigned i = 0; i < r->n_lat; i++)
		n += bad_tally(&r->lat[i].t);
	for (unsigned i = 0; i < r->p.n_tput_queues; i++)
		n += bad_tally(&r->tput[i].t);
	for (unsigned i = 0; i < r->p.n_scale; i++)
		n += bad_tally(&r->scale[i].t);
	if (r->p.idle_window_ms)
		n += bad_tally(&r->idle.t);
	return n;
}

int main(int argc, char **argv)
{
	struct report *r = calloc(1, sizeof(*r));
	uint32_t *samples;
	unsigned run, i, bad;
	int ret;

	if (!r)
		return 1;
	if (parse_args(argc, argv, &r->p)) {
		free(r);
		return 2;
	}
	r->pid = r->p.pid;
	samples = malloc((r->p.lat_count > r->p.warmup ? r->p.lat_count : r->p.warmup + 1) *
			 sizeof(*samples));
	if (!samples) {
		free(r);
		return 1;
	}
	for (i = 0; i < r->p.n_lat_queues; i++) {
		r->lat[r->n_lat++] =
			(struct lat_result){.queue = r->p.lat_queues[i], .event_idx = true};
		r->lat[r->n_lat++] =
			(struct lat_result){.queue = r->p.lat_queues[i], .event_idx = false};
	}
	for (i = 0; i < r->p.n_tput_queues; i++)
		r->tput[i].queue = r->p.tput_queues[i];
	for (i = 0; i < r->p.n_scale; i++)
		r->scale[i].guests = r->p.scale[i];
	if (r->p.footprint_path && load_footprint(r, r->p.footprint_path)) {
		fprintf(stderr, "vi2c-bench: cannot load %s\n", r->p.footprint_path);
		free(samples);
		free(r);
		return 2;
	}
	getloadavg(r->load_start, 3);

	/* Every run measures everything, so slow drifts of the machine hit all alike. */
	for (run = 0; run < r->p.runs; run++) {
		fprintf(stderr, "vi2c-bench: run %u/%u\n", run + 1, r->p.runs);
		measure_floor(r, run, samples);
		for (i = 0; i < r->n_lat; i++)
			measure_latency(r, &r->lat[i], run, samples);
		for (i = 0; i < r->p.n_tput_queues; i++)
			measure_full(r, &r->tput[i], run);
		for (i = 0; i < r->p.n_scale; i++)
			measure_scale(r, &r->scale[i], run);
		if (r->p.idle_window_ms)
			measure_idle(r, &r->idle, run, samples);
	}
	if (r->pid > 0)
		proc_cmdline(r->pid, r->cmdline, sizeof(r->cmdline));
	getloadavg(r->load_end, 3);
	evaluate_targets(r);
	print_table(r);
	if (r->p.json_path && (ret = write_json(r, r->p.json_path))) {
		fprintf(stderr, "vi2c-bench: cannot write %s: %s\n", r->p.json_path,
			strerror(-ret));
		free(samples);
		free(r);
		return 1;
	}
	bad = failures(r);
	if (bad)
		fprintf(stderr,
			"vi2c-bench: %u measurement(s) failed or saw the backend misbehave\n", bad);
	free(samples);
	free(r);
	return bad ? 1 : 0;
}
