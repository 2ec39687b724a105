// SPDX-License-Identifier: MIT
/* Starting, probing and stopping the real daemon process for integration tests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "vu_frontend.h"

int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct daemon *daemon_new(void)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	strcpy(d->dir, "/tmp/vi2c-test-XXXXXX");
	if (!mkdtemp(d->dir)) {
		free(d);
		return NULL;
	}
	snprintf(d->sock, sizeof(d->sock), "%s/vi2c.sock", d->dir);
	snprintf(d->log_path, sizeof(d->log_path), "%s/daemon.log", d->dir);
	snprintf(d->out_path, sizeof(d->out_path), "%s/daemon.out", d->dir);
	return d;
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path) ? -1 : 0;
}

void daemon_free(struct daemon *d)
{
	int code;

	if (!d)
		return;
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		daemon_wait_exit(d, DAEMON_TIMEOUT_MS, &code);
	}
	nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}

void daemon_sock_path(const struct daemon *d, unsigned idx, char *buf, size_t len)
{
	snprintf(buf, len, "%s%u", d->sock, idx);
}

int daemon_spawn(struct daemon *d, char *const argv[])
{
	const char *bin = getenv("VI2C_DAEMON");
	char *args[64];
	unsigned n = 0;
	int logfd, outfd, err;
	pid_t pid, parent;

	if (!bin || !*bin)
		return -ENOENT;
	if (d->pid > 0)
		return -EBUSY;
	args[n++] = (char *)bin;
	for (; argv && argv[n - 1] && n < 63; n++)
		args[n] = argv[n - 1];
	args[n] = NULL;
	logfd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return -errno;
	outfd = open(d->out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (outfd < 0) {
		err = -errno;
		close(logfd);
		return err;
	}
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(outfd);
		close(logfd);
		return err;
	}
	if (pid == 0) {
		int nul;

		/* A test that crashes (or is killed by ctest) must not leave the daemon running. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		if (d->nofile) {
			struct rlimit rl = {.rlim_cur = d->nofile, .rlim_max = d->nofile};

			if (setrlimit(RLIMIT_NOFILE, &rl))
				_exit(127);
		}
		if (d->nproc) {
			struct rlimit rl = {.rlim_cur = d->nproc, .rlim_max = d->nproc};

			if (setrlimit(RLIMIT_NPROC, &rl))
				_exit(127);
		}
		if (d->uid && (setgroups(0, NULL) || setresgid(d->uid, d->uid, d->uid) ||
			       setresuid(d->uid, d->uid, d->uid)))
			_exit(127);
		nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(outfd, 1);
		dup2(logfd, 2);
		execv(bin, args);
		dprintf(2, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(outfd);
	close(logfd);
	d->pid = pid;
	d->reaped = false;
	return 0;
}

/* Inode of a listening (SO_ACCEPTCON) Unix socket bound to path, or 0. */
static unsigned long listening_inode(const char *path)
{
	char line[512], sock_path[256];
	unsigned long flags, inode, found = 0;
	FILE *f = fopen("/proc/net/unix", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %255s", &flags, &inode, sock_path) ==
			    3 &&
		    (flags & 0x10000) && !strcmp(sock_path, path)) {
			found = inode;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Whether /proc/PID/fd holds socket:[inode]. */
static bool process_has_socket(pid_t pid, unsigned long inode)
{
	char dir[64], link[64 + 256], target[64], want[64];
	struct dirent *e;
	bool found = false;
	DIR *d;
	ssize_t n;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = !strcmp(target, want);
		}
	}
	closedir(d);
	return found;
}

/*
 * The daemon listens on path. Checked in /proc rather than with a probe
 * connection, which the daemon would have to serve (and log) like a guest.
 */
int daemon_wait_socket(struct daemon *d, const char *path, int timeout_ms)
{
	int64_t deadline = monotonic_ms() + timeout_ms;
	unsigned long inode;

	for (;;) {
		inode = listening_inode(path);
		if (inode && process_has_socket(d->pid, inode))
			return 0;
		if (!daemon_alive(d))
			return -ECHILD;
		if (monotonic_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(5000);
	}
}

int daemon_start(struct daemon *d, unsigned count, char *const extra[])
{
	char cnt[16], path[160];
	char *argv[64];
	unsigned n = 0, i;
	int err, code;

	snprintf(cnt, sizeof(cnt), "%u", count);
	argv[n++] = "-s";
	argv[n++] = d->sock;
	argv[n++] = "-c";
	argv[n++] = cnt;
	for (i = 0; extra && extra[i] && n < 63; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	err = daemon_spawn(d, argv);
	if (err)
		return err;
	d->nsockets = count;
	for (i = 0; i < count; i++) {
		daemon_sock_path(d, i, path, sizeof(path));
		err = daemon_wait_socket(d, path, DAEMON_TIMEOUT_MS);
		if (err) {
			daemon_stop(d, 1000, &code);
			return err;
		}
	}
	return 0;
}

int daemon_start_ctl(struct daemon *d, unsigned count, char *const extra[], char *ctl_path,
		     size_t len)
{
	char arg[200], *args[64];
	unsigned n = 0;
	int err;

	snprintf(ctl_path, len, "%s/ctl", d->dir);
	snprintf(arg, sizeof(arg), "--control=%s", ctl_path);
	for (unsigned i = 0; extra && extra[i] && n < 62; i++)
		args[n++] = extra[i];
	args[n++] = arg;
	args[n] = NULL;
	err = daemon_start(d, count, args);
	if (err) {
		printf("daemon_start: %s\n", strerror(-err));
		daemon_print_log_tail(d, 20);
	}
	return err;
}

static int reap(struct daemon *d, int options, int *exit_code)
{
	int st;
	pid_t r;

	do {
		r = waitpid(d->pid, &st, options);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -EAGAIN;
	d->pid = 0;
	d->status = st;
	d->reaped = true;
	if (exit_code)
		*exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

int daemon_wait_exit(struct daemon *d, int timeout_ms, int *exit_code)
{
	int64_t deadline = monotonic_ms() + timeout_ms;
	int err;

	if (d->pid <= 0 && d->reaped) {
		/* already collected by daemon_alive */
		d->reaped = false;
		if (exit_code)
			*exit_code = WIFEXITED(d->status) ? WEXITSTATUS(d->status)
							  : 128 + WTERMSIG(d->status);
		return 0;
	}
	if (d->pid <= 0)
		return -ECHILD;
	for (;;) {
		err = reap(d, WNOHANG, exit_code);
		if (!err)
			d->reaped = false;
		if (err != -EAGAIN)
			return err;
		if (monotonic_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(2000);
	}
}

int daemon_stop(struct daemon *d, int timeout_ms, int *exit_code)
{
	int err;

	if (d->pid <= 0)
		return daemon_wait_exit(d, 0, exit_code);
	kill(d->pid, SIGTERM);
	err = daemon_wait_exit(d, timeout_ms, exit_code);
	if (err == -ETIMEDOUT) {
		kill(d->pid, SIGKILL);
		reap(d, 0, NULL);
		return -ETIMEDOUT;
	}
	return err;
}

bool daemon_alive(struct daemon *d)
{
	if (d->pid <= 0)
		return false;
	return reap(d, WNOHANG, NULL) == -EAGAIN;
}

long daemon_cpu_ms(const struct daemon *d)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	long tck = sysconf(_SC_CLK_TCK);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)d->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* Fields after "(comm)": state is field 3, utime 14, stime 15. */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) !=
		    2 ||
	    tck <= 0)
		return -EIO;
	return (long)((utime + stime) * 1000 / (unsigned long)tck);
}

int daemon_fd_count(const struct daemon *d)
{
	char path[64];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)d->pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

long daemon_rss_kb(const struct daemon *d)
{
	char path[64], line[256];
	long kb = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)d->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

int daemon_count_maps(const struct daemon *d, const char *needle)
{
	char path[64], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)d->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, needle))
			n++;
	}
	fclose(f);
	return n;
}

static char *slurp(const char *path)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *nb;
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf[0] = '\0';
		return buf; /* nothing written yet */
	}
	for (;;) {
		if (cap - len < 1024) {
			nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

char *daemon_log(const struct daemon *d)
{
	return slurp(d->log_path);
}

char *daemon_stdout(const struct daemon *d)
{
	return slurp(d->out_path);
}

bool daemon_log_contains(const struct daemon *d, const char *needle)
{
	char *log = daemon_log(d);
	bool found = log && strstr(log, needle);

	free(log);
	return found;
}

bool daemon_wait_log(const struct daemon *d, const char *needle, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t += 20) {
		if (daemon_log_contains(d, needle))
			return true;
		msleep(20);
	}
	return daemon_log_contains(d, needle);
}

unsigned count_in(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

void msleep(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

void daemon_print_log_tail(const struct daemon *d, unsigned nlines)
{
	char *log = daemon_log(d);
	char *p;
	unsigned n = 0;

	if (!log)
		return;
	p = log + strlen(log);
	while (p > log) {
		p--;
		if (*p == '\n' && p[1] != '\0' && ++n > nlines) {
			p++;
			break;
		}
	}
	printf("---- daemon log tail (%s) ----\n%s%s---- end of daemon log ----\n", d->log_path, p,
	       (*p && p[strlen(p) - 1] != '\n') ? "\n" : "");
	fflush(stdout);
	free(log);
}

struct daemon *daemon_launch(unsigned count, char *const extra[])
{
	struct daemon *d = daemon_new();
	int err;

	if (!d)
		return NULL;
	err = daemon_start(d, count, extra);
	if (err) {
		printf("daemon_start: %s\n", strerror(-err));
		daemon_print_log_tail(d, 40);
		daemon_free(d);
		errno = -err;
		return NULL;
	}
	return d;
}

int daemon_finish(struct daemon *d, bool test_passed)
{
	bool ok = true;
	char path[160];
	unsigned i;
	int code = -1, err;

	if (!d)
		return test_passed ? 0 : -1;
	if (!daemon_alive(d)) {
		printf("daemon is not running any more\n");
		ok = false;
	}
	err = daemon_stop(d, DAEMON_TIMEOUT_MS, &code);
	if (err || code != 0) {
		printf("daemon stop: %s, exit code %d\n", strerror(-err), code);
		ok = false;
	}
	for (i = 0; i < d->nsockets; i++) {
		daemon_sock_path(d, i, path, sizeof(path));
		if (!access(path, F_OK)) {
			printf("socket %s left behind\n", path);
			ok = false;
		}
	}
	if (!ok || !test_passed)
		daemon_print_log_tail(d, 40);
	daemon_free(d);
	return ok ? 0 : -1;
}

int daemon_fx_start(void **state, unsigned count, char *const extra[])
{
	struct daemon_fx *fx;

	if (count > DAEMON_FX_MAX_SOCKETS)
		return -1;
	fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	fx->d = daemon_launch(count, extra);
	if (!fx->d) {
		free(fx);
		return -1;
	}
	for (unsigned i = 0; i < count; i++)
		daemon_sock_path(fx->d, i, fx->paths[i], sizeof(fx->paths[i]));
	*state = fx;
	return 0;
}

int daemon_fx_setup(void **state)
{
	static char *std_args[] = {DAEMON_STD_DEVICES, NULL};

	return daemon_fx_start(state, 1, std_args);
}

int daemon_fx_teardown(void **state)
{
	struct daemon_fx *fx = *state;
	int ret;

	vf_dev_destroy(fx->dev);
	ret = daemon_finish(fx->d, fx->passed);
	free(fx);
	return ret;
}

int daemon_dir_fx_setup(void **state)
{
	struct daemon_dir_fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->d = daemon_new();
	if (!fx->d) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

int daemon_dir_fx_teardown(void **state)
{
	struct daemon_dir_fx *fx = *state;

	if (!fx->passed)
		daemon_print_log_tail(fx->d, 30);
	daemon_free(fx->d);
	free(fx);
	return 0;
}

int ctl_connect(const char *path, int timeout_ms)
{
	int64_t end = monotonic_ms() + timeout_ms;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int err;

		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		err = errno;
		close(fd);
		if ((err != ENOENT && err != ECONNREFUSED) || monotonic_ms() >= end)
			return -err;
		usleep(20000);
	}
}

int ctl_send(int fd, const char *line)
{
	size_t len = strlen(line), done = 0;
	char *buf = malloc(len + 1);

	if (!buf)
		return -ENOMEM;
	memcpy(buf, line, len);
	buf[len++] = '\n';
	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			free(buf);
			return -err;
		}
		done += (size_t)n;
	}
	free(buf);
	return 0;
}

/* One byte at a time: replies are short and tests must not read past a line. */
char *ctl_recv(int fd, int timeout_ms)
{
	int64_t end = monotonic_ms() + timeout_ms;
	size_t cap = 1024, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = end - monotonic_ms();
		ssize_t n;
		char c;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			free(buf);
			errno = ETIMEDOUT;
			return NULL;
		}
		n = recv(fd, &c, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			errno = n == 0 ? ECONNRESET : errno;
			return NULL;
		}
		if (c == '\n') {
			buf[len] = '\0';
			return buf;
		}
		if (len + 2 > cap) {
			char *p2 = realloc(buf, cap * 2);

			if (!p2) {
				free(buf);
				return NULL;
			}
			buf = p2;
			cap *= 2;
		}
		buf[len++] = c;
	}
}

char *ctl_request(int fd, const char *line)
{
	if (ctl_send(fd, line))
		return NULL;
	return ctl_recv(fd, DAEMON_TIMEOUT_MS);
}
