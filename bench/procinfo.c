// SPDX-License-Identifier: MIT
/* What the benchmark reads about the backend process from /proc. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

pid_t proc_peer_pid(int sock_fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(sock_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	return cred.pid > 0 ? cred.pid : -ESRCH;
}

/* Reads a small /proc file into buf (NUL-terminated). Returns 0 or -errno. */
static int read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n ? 0 : -EIO;
}

int proc_cpu_ticks_ns(pid_t pid, uint64_t *ns)
{
	char path[64], buf[1024], *p;
	unsigned long long utime, stime;
	long hz = sysconf(_SC_CLK_TCK);
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ret = read_small(path, buf, sizeof(buf));
	if (ret)
		return ret;
	/* comm may contain anything, so fields count from its closing parenthesis. */
	p = strrchr(buf, ')');
	if (!p || hz <= 0)
		return -EPROTO;
	/* ") S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime" */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
		   &stime) != 2)
		return -EPROTO;
	*ns = (utime + stime) * (1000000000ull / (unsigned long long)hz);
	return 0;
}

int proc_cpu_sched_ns(pid_t pid, uint64_t *ns)
{
	char path[64], buf[128];
	struct dirent *de;
	uint64_t sum = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		unsigned long long run;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", (int)pid, de->d_name);
		/* A thread may exit while we look: skip it. */
		if (read_small(path, buf, sizeof(buf)) || sscanf(buf, "%llu", &run) != 1)
			continue;
		sum += run;
	}
	closedir(dir);
	*ns = sum;
	return 0;
}

static long field_kb(const char *buf, const char *name)
{
	const char *p = strstr(buf, name);

	if (!p)
		return -1;
	return strtol(p + strlen(name), NULL, 10);
}

int proc_mem_read(pid_t pid, struct proc_mem *m)
{
	char path[64], buf[4096];
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	ret = read_small(path, buf, sizeof(buf));
	if (ret)
		return ret;
	m->rss_kb = field_kb(buf, "\nVmRSS:");
	m->hwm_kb = field_kb(buf, "\nVmHWM:");
	m->anon_kb = field_kb(buf, "\nRssAnon:");
	m->file_kb = field_kb(buf, "\nRssFile:");
	m->shmem_kb = field_kb(buf, "\nRssShmem:");
	m->vmsize_kb = field_kb(buf, "\nVmSize:");
	m->threads = field_kb(buf, "\nThreads:");
	return m->rss_kb < 0 ? -EPROTO : 0;
}

int proc_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	size_t n;
	FILE *f;

	if (!len)
		return -EINVAL;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Arguments are NUL-separated (a trailing NUL ends the last one). */
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
	return n ? 0 : -ESRCH;
}
