// SPDX-License-Identifier: MIT
/*
 * bench.smoke: runs vi2c-bench-startup and vi2c-bench with tiny counts
 * against the dev daemon and checks that what they report is well-formed and
 * complete: the JSON parses, every configuration ran the requested counts,
 * every request came back OK, the backend pid was found. Then vi2c-bench
 * against the stand-in backend (bench/standin.c) twice: re-creating its
 * socket after each client (every configuration must still complete, the
 * reopens counted) and with vhost-device-i2c's used.len for writes (every
 * configuration completes and is marked as misbehaving). No timing limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define CHILD_TIMEOUT_MS 40000
#define RUNS		 2
#define LAT_COUNT	 200
#define TPUT_COUNT	 2000
#define SCALE_TOTAL	 400

static unsigned failures;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	failures++;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static double num(const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	if (!json_is_number(v)) {
		check(false, "missing number '%s'", key);
		return -1;
	}
	return json_number_value(v);
}

static const char *str(const json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static bool is_null(const json_t *j, const char *key)
{
	return json_is_null(json_object_get(j, key));
}

/* Runs argv with stdout to out_path; returns the exit code, or -1 on timeout/signal. */
static int run(char *const argv[], const char *out_path)
{
	struct timespec ms = {0, 10000000};
	int status, waited = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (waited >= CHILD_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			printf("FAIL: %s timed out\n", argv[0]);
			return -1;
		}
		nanosleep(&ms, NULL);
		waited += 10;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n > 0 ? (size_t)n + 1 : 1);
	if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static json_t *load(const char *path)
{
	json_error_t err;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);

	check(j != NULL, "%s does not parse: line %d: %s", path, err.line, err.text);
	return j;
}

/* Which backend a report came from, and what it must show. */
enum backend {
	DAEMON,	  /* ours: everything exact, nothing misbehaves, no reopen needed */
	RECREATE, /* stand-in re-creating its socket: complete, reopens counted */
	QUIRK,	  /* stand-in with vhost-device-i2c's used.len: complete, misbehaviour marked,
		     no reopen needed */
};

/*
 * Counters every configuration reports. A sequential guest sleeps for a call
 * on every group; with several groups in flight the backend may never need a
 * kick or a call, so only sequential runs must show them.
 */
static void check_tally(const json_t *c, const char *what, double groups, bool sequential,
			enum backend b)
{
	double g = num(c, "groups");
	const char *mis = str(c, "misbehaviour");

	if (groups >= 0)
		check(g == groups, "%s: %g groups, expected %g", what, g, groups);
	else
		check(g > 0, "%s: no groups completed", what);
	check(num(c, "requests_ok") == 2 * g, "%s: %g requests OK of %g", what,
	      num(c, "requests_ok"), 2 * g);
	check(num(c, "errors") == 0, "%s: %g request errors", what, num(c, "errors"));
	check(is_null(c, "failure"), "%s: failed: %s", what, str(c, "failure"));
	check(num(c, "kicks_per_group") >= 0, "%s: kicks per group", what);
	if (sequential)
		check(num(c, "calls_per_group") >= 1, "%s: %g calls per group", what,
		      num(c, "calls_per_group"));
	check(num(c, "read_len_bad") == 0 && num(c, "status_errors") == 0 &&
		      num(c, "status_untouched") == 0 && num(c, "data_wrong") == 0 &&
		      num(c, "bad_used_id") == 0,
	      "%s: misbehaviour counters", what);
	if (b == QUIRK) {
		/* Every write, warm-up included, came back with used.len 2. */
		check(num(c, "write_len_bad") >= g &&
			      num(c, "len_mismatch") == num(c, "write_len_bad"),
		      "%s: %g wrong write lengths for %g groups", what, num(c, "write_len_bad"), g);
		check(mis && strstr(mis, "used.len 2 for a 1-byte write (spec: 1"),
		      "%s: misbehaviour not reported: %s", what, mis);
	} else {
		check(num(c, "len_mismatch") == 0 && num(c, "write_len_bad") == 0,
		      "%s: %g wrong used lengths", what, num(c, "len_mismatch"));
		check(is_null(c, "misbehaviour"), "%s: misbehaviour: %s", what, mis);
	}
}

static void check_percentiles(const json_t *c, const char *what, bool with_ratios)
{
	double p50 = num(c, "p50_ns"), p99 = num(c, "p99_ns"), p999 = num(c, "p999_ns");
	const json_t *runs = json_object_get(c, "per_run");

	check(p50 > 0 && p50 <= p99 && p99 <= p999, "%s: percentiles out of order %g %g %g", what,
	      p50, p99, p999);
	check(json_is_array(runs) && json_array_size(runs) == RUNS, "%s: per_run is not %d runs",
	      what, RUNS);
	if (with_ratios)
		check(num(c, "p50_x_floor") > 0, "%s: no ratio to the floor", what);
}

/*
 * Reopens expected from the re-creating stand-in: every open of a socket
 * after its first is reset once (the stand-in's old listener waits for it).
 * Socket 0 serves every configuration in turn; socket 1 only scale with 2.
 */
static double expected_reopens(const char *section, size_t i)
{
	if (!strcmp(section, "latency"))
		return i == 0 ? RUNS - 1 : RUNS;
	if (!strcmp(section, "scale"))
		return i == 0 ? RUNS : 2 * RUNS - 1;
	return RUNS; /* throughput, idle */
}

static void check_reopens(const json_t *c, const char *what, const char *section, size_t i,
			  enum backend b)
{
	double want = b == RECREATE ? expected_reopens(section, i) : 0;

	check(num(c, "open_retries") == want, "%s: %g reopens, expected %g", what,
	      num(c, "open_retries"), want);
}

static void check_report(const json_t *r, pid_t pid, enum backend b, const char *label)
{
	static const char *const lat_names[] = {"q4-evidx", "q4-noevidx", "q256-evidx",
						"q256-noevidx"};
	static const unsigned tput_queues[] = {256, 1024};
	const json_t *a, *c, *m;
	const char *cmd;
	char what[64];
	size_t i;

	check(str(r, "tool") && !strcmp(str(r, "tool"), "vi2c-bench"), "tool name");
	check(num(r, "format") == 1, "format %g", num(r, "format"));
	check(str(r, "label") && !strcmp(str(r, "label"), label), "label %s", str(r, "label"));
	m = json_object_get(r, "machine");
	check(num(m, "nproc") >= 1 && str(m, "cpu") && str(m, "kernel"), "machine block");
	c = json_object_get(r, "backend");
	check(num(c, "pid") == pid, "backend pid %g (SO_PEERCRED), expected %d", num(c, "pid"),
	      (int)pid);
	cmd = str(c, "cmdline");
	check(cmd && strstr(cmd, b == DAEMON ? "vhost-user-i2c" : "vi2c-bench-standin"),
	      "backend cmdline %s", cmd);
	check(num(json_object_get(r, "params"), "runs") == RUNS, "params.runs");
	check_percentiles(json_object_get(r, "floor"), "floor", false);

	a = json_object_get(r, "latency");
	check(json_array_size(a) == 4, "latency: expected 4 configurations");
	json_array_foreach(a, i, c)
	{
		if (i >= 4)
			break;
		check(str(c, "name") && !strcmp(str(c, "name"), lat_names[i]),
		      "latency[%zu] is %s, expected %s", i, str(c, "name"), lat_names[i]);
		snprintf(what, sizeof(what), "latency %s", lat_names[i]);
		check_tally(c, what, RUNS * LAT_COUNT, true, b);
		check_reopens(c, what, "latency", i, b);
		check_percentiles(c, what, true);
		/* Sequential groups: at most one kick per group. */
		check(num(c, "kicks_per_group") <= 1, "%s: %g kicks per group", what,
		      num(c, "kicks_per_group"));
		check(num(c, "daemon_cpu_ns_per_request") > 0, "%s: daemon CPU not measured", what);
		check(num(c, "daemon_cpu_utilization") > 0, "%s: daemon CPU use not measured",
		      what);
	}

	a = json_object_get(r, "throughput");
	check(json_array_size(a) == 2, "throughput: expected 2 queue sizes");
	json_array_foreach(a, i, c)
	{
		if (i >= 2)
			break;
		snprintf(what, sizeof(what), "throughput q%u", tput_queues[i]);
		check(num(c, "queue") == tput_queues[i], "%s: queue %g", what, num(c, "queue"));
		check_tally(c, what, RUNS * TPUT_COUNT, false, b);
		check_reopens(c, what, "throughput", i, b);
		check(num(c, "groups_per_s") > 0, "%s: groups/s", what);
		check(num(c, "daemon_cpu_ns_per_request") > 0, "%s: daemon CPU not measured", what);
	}

	a = json_object_get(r, "scale");
	check(json_array_size(a) == 2, "scale: expected 1 and 2 guests");
	json_array_foreach(a, i, c)
	{
		if (i >= 2)
			break;
		snprintf(what, sizeof(what), "scale %zu guest(s)", i + 1);
		check(num(c, "guests") == (double)(i + 1), "%s: guests", what);
		check_tally(c, what, -1, true, b);
		check_reopens(c, what, "scale", i, b);
		check(num(c, "groups") <= RUNS * (SCALE_TOTAL + i + 1), "%s: too many groups",
		      what);
		check_percentiles(c, what, true);
		check(num(c, "daemon_rss_kb") > 0, "%s: RSS", what);
		/* ours: main thread + one per socket; the stand-in: the same */
		check(num(c, "daemon_threads") >= 3, "%s: %g daemon threads", what,
		      num(c, "daemon_threads"));
	}

	c = json_object_get(r, "idle");
	check(json_is_object(c), "idle: missing");
	check_tally(c, "idle", RUNS * 100, true, b);
	check_reopens(c, "idle", "idle", 0, b);
	/* A share of one CPU: measured, and no more than all of the machine's. */
	check(num(c, "daemon_cpu_utilization") >= 0 &&
		      num(c, "daemon_cpu_utilization") <= num(m, "nproc"),
	      "idle: daemon CPU use %g", num(c, "daemon_cpu_utilization"));

	a = json_object_get(r, "targets");
	check(json_array_size(a) == 15, "targets: expected 15, got %zu", json_array_size(a));
	json_array_foreach(a, i, c)
	{
		const char *v = str(c, "verdict"), *name = str(c, "name");
		bool needs_64 = name && strstr(name, "64");
		bool needs_fp = name && (strstr(name, "idle RSS") || strstr(name, "exec to"));

		check(v && (!strcmp(v, "met") || !strcmp(v, "missed") ||
			    !strcmp(v, "not measured")),
		      "target %s: verdict %s", name, v);
		/* Nothing here ran 64 guests or 64 sockets; everything else was measured. */
		if (v)
			check((needs_64 || (b != DAEMON && needs_fp)) == !strcmp(v, "not measured"),
			      "target %s: verdict %s", name, v);
	}
}

static void check_footprint(const json_t *r)
{
	const json_t *a = json_object_get(r, "footprint"), *c;
	size_t i;

	check(json_is_array(a) && json_array_size(a) == 2, "footprint: expected 1 and 2 sockets");
	json_array_foreach(a, i, c)
	{
		check(num(c, "sockets") == (double)(i + 1), "footprint[%zu].sockets", i);
		check(num(c, "listen_ms_median") > 0 &&
			      num(c, "listen_ms_median") <= num(c, "listen_ms_max"),
		      "footprint[%zu]: listen times", i);
		check(num(c, "idle_rss_kb") > 0, "footprint[%zu]: idle RSS", i);
	}
}

/* vi2c-bench with the smoke counts against sock (2 sockets); returns its exit code. */
static int run_bench(const char *bench, const char *sock, const char *label, const char *fp,
		     const char *js, const char *table)
{
	char *argv[40] = {(char *)bench, "--socket",
			  (char *)sock,	 "--sockets",
			  "2",		 "--addr",
			  "0x10",	 "--runs",
			  "2",		 "--warmup",
			  "20",		 "--latency-count",
			  "200",	 "--throughput-count",
			  "2000",	 "--scale-total",
			  "400",	 "--scale",
			  "1,2",	 "--idle-window-ms",
			  "100",	 "--label",
			  (char *)label, "--json",
			  (char *)js};
	int n = 25;

	if (fp) {
		argv[n++] = "--footprint";
		argv[n++] = (char *)fp;
	}
	argv[n] = NULL;
	return run(argv, table);
}

/* Prints the human table and checks its shape. */
static void check_table(const char *path, bool misbehaved)
{
	char *text = slurp(path);

	check(text && strstr(text, "floor:") && strstr(text, "targets") && strstr(text, "idle:"),
	      "the human table is incomplete");
	check(text && !strstr(text, "FAILED"), "the table shows a failed configuration");
	check(text && !!strstr(text, "MISBEHAVED: used.len 2 for a 1-byte write") == misbehaved,
	      "the table %s misbehaviour", misbehaved ? "does not show" : "shows");
	if (text)
		printf("%s", text);
	free(text);
}

/* Starts the stand-in on <dir>/standin.sock{0,1} and waits for both sockets. */
static pid_t standin_start(const char *standin, const char *dir, const char *mode, char *sock,
			   size_t len)
{
	char s1[200];
	pid_t pid;

	snprintf(sock, len, "%s/standin.sock", dir);
	snprintf(s1, sizeof(s1), "%s1", sock);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		char *const argv[] = {(char *)standin, "-s", sock, "-c", "2", (char *)mode, NULL};

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(standin, argv);
		_exit(127);
	}
	for (int i = 0; i < 500 && access(s1, F_OK); i++)
		usleep(10000);
	check(!access(s1, F_OK), "the stand-in did not create %s", s1);
	return pid;
}

static void standin_stop(pid_t pid, const char *what)
{
	int status = 0, i;

	kill(pid, SIGTERM);
	for (i = 0; i < 500 && waitpid(pid, &status, WNOHANG) != pid; i++)
		usleep(10000);
	if (i == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the %s stand-in exited with %#x",
	      what, status);
}

/* The bench against a stand-in backend: mode is its option, b what the report must show. */
static void standin_pass(const char *bench, const char *standin, const char *dir, const char *mode,
			 enum backend b)
{
	char sock[160], js[192], table[192];
	json_t *report;
	pid_t pid;
	int rc;

	printf("== vi2c-bench against vi2c-bench-standin %s\n", mode);
	pid = standin_start(standin, dir, mode, sock, sizeof(sock));
	if (pid < 0) {
		check(false, "cannot start the stand-in");
		return;
	}
	snprintf(js, sizeof(js), "%s/standin%s.json", dir, mode);
	snprintf(table, sizeof(table), "%s/standin%s.txt", dir, mode);
	rc = run_bench(bench, sock, mode, NULL, js, table);
	/* A backend that breaks the spec fails the run, but only after every configuration. */
	check(rc == (b == QUIRK ? 1 : 0), "vi2c-bench exited %d against the stand-in %s", rc, mode);
	check_table(table, b == QUIRK);
	report = load(js);
	if (report)
		check_report(report, pid, b, mode);
	json_decref(report);
	standin_stop(pid, mode);
}

int main(void)
{
	/*
	 * The tool is under test here, not the sandbox: --no-sandbox keeps a
	 * sanitizer build able to exit cleanly (LeakSanitizer needs ptrace).
	 */
	char *const extra[] = {"-e", "stub@0x10", "--no-sandbox", NULL};
	const char *bench = getenv("VI2C_BENCH"), *startup = getenv("VI2C_BENCH_STARTUP");
	const char *daemon_bin = getenv("VI2C_DAEMON"), *standin = getenv("VI2C_BENCH_STANDIN");
	char fp[192], js[192], table[192], slog[192];
	json_t *report = NULL, *fpj = NULL;
	struct daemon *d;
	int rc;

	if (!bench || !startup || !daemon_bin || !standin) {
		printf("FAIL: VI2C_BENCH, VI2C_BENCH_STARTUP, VI2C_BENCH_STANDIN and VI2C_DAEMON "
		       "must be set\n");
		return 1;
	}
	d = daemon_launch(2, extra);
	if (!d) {
		printf("FAIL: cannot start the daemon: %s\n", strerror(errno));
		return 1;
	}
	snprintf(fp, sizeof(fp), "%s/footprint.json", d->dir);
	snprintf(js, sizeof(js), "%s/bench.json", d->dir);
	snprintf(table, sizeof(table), "%s/bench.txt", d->dir);
	snprintf(slog, sizeof(slog), "%s/startup.txt", d->dir);

	{
		char *const argv[] = {(char *)startup,
				      "--daemon",
				      (char *)daemon_bin,
				      "--dir",
				      d->dir,
				      "--sockets",
				      "1,2",
				      "--reps",
				      "3",
				      "--json",
				      fp,
				      "--",
				      "-e",
				      "stub@0x10",
				      "--no-sandbox",
				      NULL};

		rc = run(argv, slog);
		check(rc == 0, "vi2c-bench-startup exited %d", rc);
	}
	printf("== vi2c-bench against vhost-user-i2c\n");
	rc = run_bench(bench, d->sock, "smoke", fp, js, table);
	check(rc == 0, "vi2c-bench exited %d", rc);
	check_table(table, false);
	fpj = load(fp);
	report = load(js);
	if (report) {
		check_report(report, d->pid, DAEMON, "smoke");
		check_footprint(report);
	}
	json_decref(report);
	json_decref(fpj);

	/* Other implementations' ways, played by the stand-in. */
	standin_pass(bench, standin, d->dir, "--recreate", RECREATE);
	standin_pass(bench, standin, d->dir, "--write-len-quirk", QUIRK);

	if (daemon_finish(d, failures == 0))
		failures++;
	printf("%s: %u failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
