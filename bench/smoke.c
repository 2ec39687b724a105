// SPDX-License-Identifier: MIT
/*
 * bench.smoke: runs vi2c-bench-startup and vi2c-bench with tiny counts
 * against the dev daemon and checks that what they report is well-formed and
 * complete: the JSON parses, every configuration ran the requested counts,
 * every request came back OK, the backend pid was found. No timing limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "json.h"

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

static double num(const struct json *j, const char *key)
{
	double v;

	if (!json_get_num(j, key, &v)) {
		check(false, "missing number '%s'", key);
		return -1;
	}
	return v;
}

static const char *str(const struct json *j, const char *key)
{
	const struct json *c = json_get(j, key);

	return c && c->type == JSON_STR ? c->str : NULL;
}

static bool is_null(const struct json *j, const char *key)
{
	const struct json *c = json_get(j, key);

	return c && c->type == JSON_NULL;
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

static struct json *load(const char *path)
{
	char err[128], *text = slurp(path);
	struct json *j;

	if (!text) {
		check(false, "cannot read %s", path);
		return NULL;
	}
	j = json_parse(text, err, sizeof(err));
	check(j != NULL, "%s does not parse: %s", path, err);
	free(text);
	return j;
}

/* The reader the checks rely on must refuse what is not JSON. */
static void check_parser(void)
{
	static const char *const bad[] = {"",	   "{",	      "[1,]", "{\"a\":01}", "{\"a\" 1}",
					  "[1] x", "\"\\q\"", "nul",  "[1.]",	    "{\"a\":1,}"};
	char err[128];
	struct json *j;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_parse(bad[i], err, sizeof(err));
		check(!j, "the JSON reader accepted '%s'", bad[i]);
		json_free(j);
	}
	j = json_parse(" {\"a\": [1, -2.5e3, true, null, \"x\\u0041\"], \"b\": {}} ", err,
		       sizeof(err));
	check(j && json_at(json_get(j, "a"), 1)->num == -2500 &&
		      !strcmp(json_at(json_get(j, "a"), 4)->str, "xA") &&
		      json_get(j, "b")->type == JSON_OBJ,
	      "the JSON reader misread a valid document");
	json_free(j);
}

/*
 * Counters every configuration reports. A sequential guest sleeps for a call
 * on every group; with several groups in flight the backend may never need a
 * kick or a call, so only sequential runs must show them.
 */
static void check_tally(const struct json *c, const char *what, double groups, bool sequential)
{
	double g = num(c, "groups");

	if (groups >= 0)
		check(g == groups, "%s: %g groups, expected %g", what, g, groups);
	else
		check(g > 0, "%s: no groups completed", what);
	check(num(c, "requests_ok") == 2 * g, "%s: %g requests OK of %g", what,
	      num(c, "requests_ok"), 2 * g);
	check(num(c, "errors") == 0, "%s: %g request errors", what, num(c, "errors"));
	check(num(c, "len_mismatch") == 0, "%s: %g wrong used lengths", what,
	      num(c, "len_mismatch"));
	check(is_null(c, "failure"), "%s: failed: %s", what, str(c, "failure"));
	check(num(c, "kicks_per_group") >= 0, "%s: kicks per group", what);
	if (sequential)
		check(num(c, "calls_per_group") >= 1, "%s: %g calls per group", what,
		      num(c, "calls_per_group"));
}

static void check_percentiles(const struct json *c, const char *what, bool with_ratios)
{
	double p50 = num(c, "p50_ns"), p99 = num(c, "p99_ns"), p999 = num(c, "p999_ns");
	const struct json *runs = json_get(c, "per_run");

	check(p50 > 0 && p50 <= p99 && p99 <= p999, "%s: percentiles out of order %g %g %g", what,
	      p50, p99, p999);
	check(runs && runs->type == JSON_ARR && runs->n == RUNS, "%s: per_run is not %d runs", what,
	      RUNS);
	if (with_ratios)
		check(num(c, "p50_x_floor") > 0, "%s: no ratio to the floor", what);
}

static void check_report(const struct json *r, pid_t daemon_pid)
{
	static const char *const lat_names[] = {"q4-evidx", "q4-noevidx", "q256-evidx",
						"q256-noevidx"};
	static const unsigned tput_queues[] = {256, 1024};
	const struct json *a, *c, *m;
	char what[64];
	size_t i;

	check(str(r, "tool") && !strcmp(str(r, "tool"), "vi2c-bench"), "tool name");
	m = json_get(r, "machine");
	check(num(m, "nproc") >= 1 && str(m, "cpu") && str(m, "kernel"), "machine block");
	c = json_get(r, "backend");
	check(num(c, "pid") == daemon_pid, "backend pid %g (SO_PEERCRED), daemon is %d",
	      num(c, "pid"), (int)daemon_pid);
	check(num(json_get(r, "params"), "runs") == RUNS, "params.runs");
	check_percentiles(json_get(r, "floor"), "floor", false);

	a = json_get(r, "latency");
	check(a && a->n == 4, "latency: expected 4 configurations");
	for (i = 0; i < 4 && (c = json_at(a, i)); i++) {
		check(str(c, "name") && !strcmp(str(c, "name"), lat_names[i]),
		      "latency[%zu] is %s, expected %s", i, str(c, "name"), lat_names[i]);
		snprintf(what, sizeof(what), "latency %s", lat_names[i]);
		check_tally(c, what, RUNS * LAT_COUNT, true);
		check_percentiles(c, what, true);
		/* Sequential groups: at most one kick per group. */
		check(num(c, "kicks_per_group") <= 1, "%s: %g kicks per group", what,
		      num(c, "kicks_per_group"));
	}

	a = json_get(r, "throughput");
	check(a && a->n == 2, "throughput: expected 2 queue sizes");
	for (i = 0; i < 2 && (c = json_at(a, i)); i++) {
		snprintf(what, sizeof(what), "throughput q%u", tput_queues[i]);
		check(num(c, "queue") == tput_queues[i], "%s: queue %g", what, num(c, "queue"));
		check_tally(c, what, RUNS * TPUT_COUNT, false);
		check(num(c, "groups_per_s") > 0, "%s: groups/s", what);
		check(num(c, "daemon_cpu_ns_per_request") > 0, "%s: daemon CPU not measured", what);
	}

	a = json_get(r, "scale");
	check(a && a->n == 2, "scale: expected 1 and 2 guests");
	for (i = 0; i < 2 && (c = json_at(a, i)); i++) {
		snprintf(what, sizeof(what), "scale %zu guest(s)", i + 1);
		check(num(c, "guests") == (double)(i + 1), "%s: guests", what);
		check_tally(c, what, -1, true);
		check(num(c, "groups") <= RUNS * (SCALE_TOTAL + i + 1), "%s: too many groups",
		      what);
		check_percentiles(c, what, true);
		check(num(c, "daemon_rss_kb") > 0, "%s: RSS", what);
		/* main thread + one per socket */
		check(num(c, "daemon_threads") >= 3, "%s: %g daemon threads", what,
		      num(c, "daemon_threads"));
	}

	a = json_get(r, "footprint");
	check(a && a->type == JSON_ARR && a->n == 2, "footprint: expected 1 and 2 sockets");
	for (i = 0; a && i < a->n; i++) {
		c = json_at(a, i);
		check(num(c, "sockets") == (double)(i + 1), "footprint[%zu].sockets", i);
		check(num(c, "listen_ms_median") > 0 &&
			      num(c, "listen_ms_median") <= num(c, "listen_ms_max"),
		      "footprint[%zu]: listen times", i);
		check(num(c, "idle_rss_kb") > 0, "footprint[%zu]: idle RSS", i);
	}

	a = json_get(r, "targets");
	check(a && a->n == 15, "targets: expected 15, got %zu", a ? a->n : 0);
	for (c = a ? a->child : NULL; c; c = c->next) {
		const char *v = str(c, "verdict"), *name = str(c, "name");
		bool needs_64 = name && strstr(name, "64");

		check(v && (!strcmp(v, "met") || !strcmp(v, "missed") ||
			    !strcmp(v, "not measured")),
		      "target %s: verdict %s", name, v);
		/* Nothing here ran 64 guests or 64 sockets; everything else was measured. */
		if (v)
			check(needs_64 == !strcmp(v, "not measured"), "target %s: verdict %s", name,
			      v);
	}
}

int main(void)
{
	/*
	 * The tool is under test here, not the sandbox: --no-sandbox keeps a
	 * sanitizer build able to exit cleanly (LeakSanitizer needs ptrace).
	 */
	char *const extra[] = {"-e", "stub@0x10", "--no-sandbox", NULL};
	const char *bench = getenv("VI2C_BENCH"), *startup = getenv("VI2C_BENCH_STARTUP");
	const char *daemon_bin = getenv("VI2C_DAEMON");
	char fp[192], js[192], table[192], slog[192];
	struct json *report = NULL, *fpj = NULL;
	struct daemon *d;
	char *text;
	int rc;

	if (!bench || !startup || !daemon_bin) {
		printf("FAIL: VI2C_BENCH, VI2C_BENCH_STARTUP and VI2C_DAEMON must be set\n");
		return 1;
	}
	check_parser();
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
	{
		char *const argv[] = {(char *)bench,
				      "--socket",
				      d->sock,
				      "--sockets",
				      "2",
				      "--addr",
				      "0x10",
				      "--runs",
				      "2",
				      "--warmup",
				      "20",
				      "--latency-count",
				      "200",
				      "--throughput-count",
				      "2000",
				      "--scale-total",
				      "400",
				      "--scale",
				      "1,2",
				      "--footprint",
				      fp,
				      "--json",
				      js,
				      NULL};

		rc = run(argv, table);
		check(rc == 0, "vi2c-bench exited %d", rc);
	}
	text = slurp(table);
	check(text && strstr(text, "floor:") && strstr(text, "targets"),
	      "the human table is incomplete");
	if (text)
		printf("%s", text);
	free(text);
	fpj = load(fp);
	report = load(js);
	if (report)
		check_report(report, d->pid);
	json_free(report);
	json_free(fpj);
	if (daemon_finish(d, failures == 0))
		failures++;
	printf("%s: %u failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
