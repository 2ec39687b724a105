// SPDX-License-Identifier: MIT
/*
 * vi2c-bench-startup: how fast a backend starts and how small it is idle.
 * Spawns BIN -s DIR/start.sock -c N EXTRA..., measures the time from spawn to
 * the first successful connect() on the last socket (repeated, median), then
 * starts it once more, waits for its sockets to listen without connecting
 * (/proc/net/unix) and reads its idle memory. Writes a JSON file that
 * vi2c-bench --footprint includes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_REPS       101
#define MAX_COUNTS     4
#define START_TIMEOUT  5000000000ull /* ns */
#define IDLE_SETTLE_MS 300

extern char **environ;

struct opts {
	const char *daemon, *dir, *json;
	unsigned counts[MAX_COUNTS], n_counts;
	unsigned reps;
	char **extra;
	int n_extra;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Spawns the daemon with stdout/stderr appended to DIR/startup.log. */
static pid_t spawn(const struct opts *o, unsigned count, const char *base)
{
	char cbuf[16], log[PATH_MAX];
	posix_spawn_file_actions_t fa;
	char **argv;
	pid_t pid;
	int i, n = 0, ret;

	argv = calloc((size_t)o->n_extra + 6, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	snprintf(cbuf, sizeof(cbuf), "%u", count);
	snprintf(log, sizeof(log), "%s/startup.log", o->dir);
	argv[n++] = (char *)o->daemon;
	argv[n++] = "-s";
	argv[n++] = (char *)base;
	argv[n++] = "-c";
	argv[n++] = cbuf;
	for (i = 0; i < o->n_extra; i++)
		argv[n++] = o->extra[i];
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	ret = posix_spawn(&pid, o->daemon, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	return ret ? -ret : pid;
}

/* SIGTERM, then SIGKILL after 3 s. Returns the wait status or -1. */
static int stop(pid_t pid)
{
	int status, i;

	kill(pid, SIGTERM);
	for (i = 0; i < 300; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static bool try_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	bool ok;
	int fd;

	if (len >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Whether /proc/net/unix shows a listening socket bound to path. */
static bool listening(const char *path)
{
	FILE *f = fopen("/proc/net/unix", "re");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long flags;
		char p[256];

		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %255s", &flags, p) == 2)
			found = (flags & 0x10000) && !strcmp(p, path); /* __SO_ACCEPTCON */
	}
	fclose(f);
	return found;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int measure(const struct opts *o, unsigned count, json_t *configs)
{
	char base[PATH_MAX], last[PATH_MAX + 16];
	double ms[MAX_REPS], rss[3], anon[3], file[3], shmem[3];
	struct proc_mem mem = {0};
	json_t *runs, *c;
	unsigned rep;
	pid_t pid;

	snprintf(base, sizeof(base), "%s/start.sock", o->dir);
	snprintf(last, sizeof(last), "%s%u", base, count - 1);
	for (rep = 0; rep < o->reps; rep++) {
		uint64_t t0 = bench_now_ns(), t1;
		bool up = false;

		pid = spawn(o, count, base);
		if (pid < 0)
			return (int)pid;
		while (!(up = try_connect(last)) && bench_now_ns() - t0 < START_TIMEOUT) {
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				fprintf(stderr,
					"vi2c-bench-startup: the daemon exited; see "
					"%s/startup.log\n",
					o->dir);
				return -ECHILD;
			}
		}
		t1 = bench_now_ns();
		if (stop(pid) != 0 || !up) {
			fprintf(stderr, "vi2c-bench-startup: %s; see %s/startup.log\n",
				up ? "the daemon did not exit 0 on SIGTERM"
				   : "the daemon never listened",
				o->dir);
			return -EIO;
		}
		ms[rep] = (double)(t1 - t0) / 1e6;
	}
	/* Idle memory: never connected to, three times, median. */
	for (rep = 0; rep < 3; rep++) {
		uint64_t t0 = bench_now_ns();

		pid = spawn(o, count, base);
		if (pid < 0)
			return (int)pid;
		while (!listening(last) && bench_now_ns() - t0 < START_TIMEOUT)
			sleep_ms(1);
		sleep_ms(IDLE_SETTLE_MS);
		if (proc_mem_read(pid, &mem)) {
			stop(pid);
			return -EIO;
		}
		if (stop(pid) != 0)
			return -EIO;
		rss[rep] = mem.rss_kb;
		anon[rep] = mem.anon_kb;
		file[rep] = mem.file_kb;
		shmem[rep] = mem.shmem_kb;
	}
	runs = json_array();
	for (rep = 0; runs && rep < o->reps; rep++)
		json_array_append_new(runs, json_real(ms[rep]));
	qsort(ms, o->reps, sizeof(*ms), cmp_double);
	c = json_pack("{s:i, s:o, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "sockets",
		      (int)count, "listen_ms", runs, "listen_ms_median", median_of(ms, o->reps),
		      "listen_ms_min", ms[0], "listen_ms_max", ms[o->reps - 1], "idle_rss_kb",
		      median_of(rss, 3), "idle_anon_kb", median_of(anon, 3), "idle_file_kb",
		      median_of(file, 3), "idle_shmem_kb", median_of(shmem, 3), "idle_threads",
		      (double)mem.threads, "idle_vmsize_kb", (double)mem.vmsize_kb);
	if (!c || json_array_append_new(configs, c))
		return -ENOMEM;
	fprintf(stderr,
		"vi2c-bench-startup: %u socket(s): listening after %.3f ms (median of %u), "
		"idle RSS %.0f KiB\n",
		count, median_of(ms, o->reps), o->reps, median_of(rss, 3));
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vi2c-bench-startup --daemon BIN --dir DIR [--sockets 1,64] [--reps 20]\n"
		   "                          [--json FILE] [-- EXTRA DAEMON ARGS]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"daemon", required_argument, NULL, 'd'},
		{"dir", required_argument, NULL, 'D'},
		{"sockets", required_argument, NULL, 'n'},
		{"reps", required_argument, NULL, 'r'},
		{"json", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct opts o = {.reps = 20, .counts = {1, 64}, .n_counts = 2};
	json_t *root, *configs;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char buf[64], *tok, *save = NULL;

		switch (c) {
		case 'd':
			o.daemon = optarg;
			break;
		case 'D':
			o.dir = optarg;
			break;
		case 'n':
			snprintf(buf, sizeof(buf), "%s", optarg);
			o.n_counts = 0;
			for (tok = strtok_r(buf, ",", &save); tok && o.n_counts < MAX_COUNTS;
			     tok = strtok_r(NULL, ",", &save))
				o.counts[o.n_counts++] = (unsigned)strtoul(tok, NULL, 0);
			break;
		case 'r':
			o.reps = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'j':
			o.json = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.daemon || !o.dir || !o.n_counts || !o.reps || o.reps > MAX_REPS) {
		usage(stderr);
		return 2;
	}
	for (unsigned i = 0; i < o.n_counts; i++) {
		if (!o.counts[i] || o.counts[i] > 1024) {
			usage(stderr);
			return 2;
		}
	}
	o.extra = argv + optind;
	o.n_extra = argc - optind;
	configs = json_array();
	/* json_pack steals configs even when it fails. */
	root = json_pack("{s:s, s:s, s:i, s:s, s:o}", "tool", "vi2c-bench-startup", "daemon",
			 o.daemon, "reps", (int)o.reps, "method",
			 "spawn -> first successful connect() on the last socket", "configs",
			 configs);
	if (!root) {
		fprintf(stderr, "vi2c-bench-startup: cannot build the report (is the daemon path "
				"UTF-8?)\n");
		return 1;
	}
	for (unsigned i = 0; i < o.n_counts && !ret; i++)
		ret = measure(&o, o.counts[i], configs);
	if (!ret) {
		errno = 0;
		if (o.json ? json_dump_file(root, o.json, JSON_INDENT(2) | JSON_REAL_PRECISION(10))
			   : json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10))) {
			fprintf(stderr, "vi2c-bench-startup: cannot write %s: %s\n",
				o.json ? o.json : "the report", strerror(errno ? errno : EIO));
			ret = -EIO;
		}
	}
	json_decref(root);
	return ret ? 1 : 0;
}
