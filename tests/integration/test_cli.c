// SPDX-License-Identifier: MIT
/*
 * The daemon as a program: bad command lines (exit 2, one line naming the
 * token, no socket), SIGTERM/SIGINT and the other termination signals (exit 0,
 * sockets removed), SIGHUP (logged, still serving), stale sockets replaced,
 * regular files, live sockets and sockets not yet listening refused, exit
 * removing only the socket file the daemon created, a missing parent dir,
 * EEPROM backing files of the wrong size or not writable (exit 1), running
 * out of file descriptors (no busy loop, logged once, recovers),
 * --help/--version.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "vu_frontend.h"

#define TMO  5000
#define STUB 0x20

/* Files in the temp dir other than the daemon's own log and stdout. */
static int stray_files(const struct daemon *d)
{
	struct dirent *e;
	DIR *dir = opendir(d->dir);
	int n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, "daemon.log") || !strcmp(e->d_name, "daemon.out"))
			continue;
		printf("stray file %s\n", e->d_name);
		n++;
	}
	closedir(dir);
	return n;
}

/* Runs argv; expects exit 2, exactly one stderr line containing token (if any), no socket. */
static void expect_usage_error(struct daemon_dir_fx *fx, char *const argv[], const char *token)
{
	char *log, *nl;
	int code = -1;

	if (truncate(fx->d->log_path, 0) && errno != ENOENT)
		fail();
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	log = daemon_log(fx->d);
	assert_non_null(log);
	if (code != 2 || (token && !strstr(log, token)))
		printf("args after -s: '%s': exit %d, stderr: %s", argv[2] ? argv[2] : "", code,
		       log);
	assert_int_equal(code, 2);
	nl = strchr(log, '\n');
	assert_non_null(nl);	       /* one line... */
	assert_int_equal(nl[1], '\0'); /* ...and only one */
	assert_true(nl - log > 10);    /* saying something */
	if (token)
		assert_non_null(strstr(log, token));
	free(log);
	assert_int_equal(stray_files(fx->d), 0);
}

static void test_bad_command_lines(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *s = fx->d->sock;
	struct {
		char *argv[10];
		const char *token;
	} cases[] = {
		{{"-s", s, "-c", "abc", "-e", "stub@0x20"}, "abc"},
		{{"-s", s, "-c", "000", "-e", "stub@0x20"}, "000"},
		{{"-s", s, "-c", "1025", "-e", "stub@0x20"}, "1025"},
		{{"-s", s, "-e", "24c99@0x50"}, "24c99"},
		{{"-s", s, "-e", "24c02@0x80"}, "0x80"},
		{{"-s", s, "-e", "24c02@fifty"}, "fifty"},
		{{"-s", s, "-e", "lm75@0x48,bogus=1"}, "bogus"},
		{{"-s", s, "-e", "lm75@0x48,temp=warm"}, "warm"},
		{{"-s", s, "-e", "24c02@0x50,temp=20"}, "temp"},
		{{"-s", s, "-e", "tmp102@0x40"}, "0x40"},
		{{"-s", s, "-e", "sht3x@0x44,humidity=101"}, "101"},
		{{"-s", s, "-e", "pca9555@0x20,outputs=3"}, "outputs"},
		{{"-s", s, "-e", "ds1307@0x68,offset=1e3"}, "1e3"},
		{{"-s", s, "-e", "24c02@0x50,write_cycle_us=5ms"}, "'5ms'"},
		{{"-s", s, "-e", "ee1004@0x50,write_cycle_us=5000"}, "write_cycle_us"},
		{{"-s", s, "--frobnicate", "-e", "stub@0x20"}, "frobnicate"},
		{{"-s", s, "-e", "stub@0x20", "-e", "lm75@0x20"}, "0x20"},
		{{"-s", s, "-e", "ee1004@0x48"},
		 "address '0x48' is not valid for model ee1004 in --emulate 'ee1004@0x48': must be "
		 "0x50..0x57"},
		{{"-s", s, "-e", "stub@0x36", "-e", "ee1004@0x50"},
		 "'ee1004@0x50': address already in use (it answers at 0x50 and at 0x36, 0x37)"},
		{{"-s", s, "-e", "ee1004@0x51", "-e", "lm75@0x37"}, "'lm75@0x37': address already"},
		{{"-s", s, "-e", "stub@0x20", "stray-argument"}, "stray-argument"},
		{{"-s", s, "-e", "stub@0x20", "-l", "1:0x200"}, "0x200"},
		{{"-s", s, "-e", "stub@0x20", "--max-guest-memory=lots"}, "'lots'"},
		{{"-s", s, "-e", "stub@0x20", "--max-guest-memory=512K"}, "'512K'"},
		{{"-s", s, "-e", "stub@0x20", "--max-guest-memory", "1P"}, "'1P'"},
		{{"-s", s}, NULL},	     /* no device at all */
		{{"-e", "stub@0x20"}, NULL}, /* no socket path */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_usage_error(fx, cases[i].argv, cases[i].token);
	fx->passed = true;
}

static void test_missing_parent_dir(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char path[200];
	char *argv[] = {"-s", path, "-e", "stub@0x20", NULL};
	char *log;
	int code = -1;

	snprintf(path, sizeof(path), "%s/no-such-dir/vi2c.sock", fx->d->dir);
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 2);
	log = daemon_log(fx->d);
	assert_non_null(log);
	assert_non_null(strstr(log, "no-such-dir"));
	free(log);
	assert_int_equal(stray_files(fx->d), 0);
	fx->passed = true;
}

static void check_signal_exit(struct daemon_dir_fx *fx, int sig)
{
	char *args[] = {DAEMON_STD_DEVICES, NULL};
	char path[160];
	struct vf_dev *dev;
	uint8_t w[2] = {1, 2};
	int64_t t0;
	int code = -1, i;

	assert_int_equal(daemon_start(fx->d, 3, args), 0);
	/* one guest busy on socket 1 while the signal arrives */
	daemon_sock_path(fx->d, 1, path, sizeof(path));
	dev = vf_dev_open(path, NULL);
	assert_non_null(dev);
	assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
	t0 = monotonic_ms();
	assert_int_equal(kill(fx->d->pid, sig), 0);
	assert_int_equal(daemon_wait_exit(fx->d, 2000, &code), 0);
	printf("signal %d: exit %d after %lld ms\n", sig, code, (long long)(monotonic_ms() - t0));
	assert_int_equal(code, 0);
	assert_int_equal(vf_conn_wait_closed(dev->conn, TMO), 0);
	vf_dev_destroy(dev);
	for (i = 0; i < 3; i++) {
		daemon_sock_path(fx->d, (unsigned)i, path, sizeof(path));
		assert_int_equal(access(path, F_OK), -1);
	}
	assert_int_equal(stray_files(fx->d), 0);
}

static void test_sigterm(void **state)
{
	check_signal_exit(*state, SIGTERM);
	((struct daemon_dir_fx *)*state)->passed = true;
}

static void test_sigint(void **state)
{
	check_signal_exit(*state, SIGINT);
	((struct daemon_dir_fx *)*state)->passed = true;
}

/* Signals whose default action is to terminate end the daemon cleanly, like SIGTERM. */
static void test_other_termination_signals(void **state)
{
	struct daemon_dir_fx *fx = *state;
	const int sigs[] = {SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGPOLL, SIGPWR};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		check_signal_exit(fx, sigs[i]);
	fx->passed = true;
}

/* SIGHUP (a closing terminal) is logged and changes nothing: the guests keep being served. */
static void test_sighup_keeps_serving(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *args[] = {"-e", "stub@0x20", NULL};
	uint8_t w[2] = {7, 0x5a}, r = 0;
	char path[160];
	struct vf_dev *dev;

	assert_int_equal(daemon_start(fx->d, 1, args), 0);
	daemon_sock_path(fx->d, 0, path, sizeof(path));
	dev = vf_dev_open(path, NULL);
	assert_non_null(dev);
	assert_int_equal(kill(fx->d->pid, SIGHUP), 0);
	assert_true(
		daemon_wait_log(fx->d, "warning: SIGHUP: nothing to reload; still serving", TMO));
	assert_int_equal(kill(fx->d->pid, SIGHUP), 0);
	msleep(100);
	assert_true(daemon_alive(fx->d));
	assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
	assert_int_equal(vf_i2c_write_read(dev, STUB, w, 1, &r, 1), 0);
	assert_int_equal(r, 0x5a);
	vf_dev_destroy(dev);
	fx->passed = true;
	assert_int_equal(daemon_finish(fx->d, true), 0);
	fx->d = daemon_new();
	assert_non_null(fx->d);
}

/* Binds (and optionally listens on) a Unix socket at path; returns the fd. */
static int bind_at(const char *path, bool do_listen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static void test_stale_socket_replaced(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *args[] = {"-e", "stub@0x20", NULL};
	char path[160];
	struct vf_dev *dev;
	uint8_t w[2] = {3, 4}, r = 0;

	daemon_sock_path(fx->d, 0, path, sizeof(path));
	close(bind_at(path, true)); /* the file stays, nobody listens: stale */
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(daemon_start(fx->d, 1, args), 0);
	dev = vf_dev_open(path, NULL);
	assert_non_null(dev);
	assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
	assert_int_equal(vf_i2c_write_read(dev, STUB, w, 1, &r, 1), 0);
	assert_int_equal(r, 4);
	vf_dev_destroy(dev);
	fx->passed = true;
	assert_int_equal(daemon_finish(fx->d, true), 0);
	fx->d = daemon_new();
	assert_non_null(fx->d);
}

/* The daemon must refuse to start and leave what is at PATH0 alone. */
static void expect_refused_start(struct daemon_dir_fx *fx)
{
	char *argv[] = {"-s", fx->d->sock, "-c", "2", "-e", "stub@0x20", NULL};
	char path1[160], *log;
	int code = -1;

	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_true(code != 0 && code < 128);
	log = daemon_log(fx->d);
	assert_non_null(log);
	assert_non_null(strstr(log, "vi2c.sock0"));
	free(log);
	daemon_sock_path(fx->d, 1, path1, sizeof(path1));
	assert_int_equal(access(path1, F_OK), -1); /* nothing left behind either */
}

static void test_regular_file_refused(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char path[160], buf[32] = {0};
	int fd;

	daemon_sock_path(fx->d, 0, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "precious", 8), 8);
	close(fd);
	expect_refused_start(fx);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 8);
	close(fd);
	assert_string_equal(buf, "precious");
	fx->passed = true;
}

static void test_live_socket_refused(void **state)
{
	struct daemon_dir_fx *fx = *state;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[160];
	int lfd, c;

	daemon_sock_path(fx->d, 0, path, sizeof(path));
	lfd = bind_at(path, true); /* another "daemon" serves PATH0 */
	expect_refused_start(fx);
	/* still ours: the file was not unlinked */
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(c);
	close(lfd);
	fx->passed = true;
}

static ino_t inode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_ino;
}

static void expect_connectable(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(c >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(c);
}

/*
 * Another instance between bind() and listen() (connect() says ECONNREFUSED,
 * as for a stale file) holds the directory lock: the daemon waits for it,
 * then finds the socket live and leaves it alone.
 */
static void test_socket_not_yet_listening_refused(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char path[160];
	ino_t ino;
	int dfd, lfd, code = -1;
	char *argv[] = {"-s", fx->d->sock, "-c", "2", "-e", "stub@0x20", NULL};

	daemon_sock_path(fx->d, 0, path, sizeof(path));
	dfd = open(fx->d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(flock(dfd, LOCK_EX), 0);
	lfd = bind_at(path, false);
	ino = inode_of(path);
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	msleep(500); /* the daemon has long reached the check by now */
	assert_int_equal(inode_of(path), ino);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(flock(dfd, LOCK_UN), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 1);
	assert_true(daemon_log_contains(fx->d, "vi2c.sock0' is in use by another process"));
	assert_int_equal(inode_of(path), ino);
	expect_connectable(path);
	close(lfd);
	close(dfd);
	fx->passed = true;
}

/* At exit the daemon removes its own socket file only, not one put in its place. */
static void test_exit_keeps_foreign_socket(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *args[] = {"-e", "stub@0x20", NULL};
	char path[160];
	ino_t ino;
	int lfd, code = -1;

	assert_int_equal(daemon_start(fx->d, 1, args), 0);
	daemon_sock_path(fx->d, 0, path, sizeof(path));
	/* Someone (say, a second daemon told the file was stale) replaced it. */
	assert_int_equal(unlink(path), 0);
	lfd = bind_at(path, true);
	ino = inode_of(path);
	assert_int_equal(daemon_stop(fx->d, TMO, &code), 0);
	assert_int_equal(code, 0);
	assert_int_equal(inode_of(path), ino);
	expect_connectable(path);
	assert_true(daemon_log_contains(fx->d, "it is no longer the socket this daemon created"));
	close(lfd);
	fx->passed = true;
}

/* Sockets the daemon holds open (listening and connected). */
static int socket_fds(const struct daemon *d)
{
	char dir[64], link[64 + 256], target[64];
	struct dirent *e;
	DIR *dh;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)d->pid);
	dh = opendir(dir);
	assert_non_null(dh);
	while ((e = readdir(dh))) {
		ssize_t len;

		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			n += !strncmp(target, "socket:", 7);
		}
	}
	closedir(dh);
	return n;
}

/*
 * More VMMs than file descriptors: the sockets that cannot accept wait
 * (logged once each, no busy loop), a message whose fds cannot be received
 * says why, and once fds are free the waiting VMMs are served.
 */
static void test_fd_exhaustion(void **state)
{
	struct daemon_dir_fx *fx = *state;
	enum { N = 24 };
	char *args[] = {"-v", "-e", "stub@0x20", NULL};
	struct vf_conn *first[N], *second[N];
	char path[160], needle[64], *log;
	uint8_t w[2] = {3, 0x99}, r = 0;
	struct vf_dev *dev;
	long cpu0, cpu1;
	unsigned failing;
	int efd;

	fx->d->nofile = 40; /* about 31 are open before any VMM comes */
	assert_int_equal(daemon_start(fx->d, N, args), 0);
	assert_true(daemon_log_contains(fx->d, "warning: 24 socket(s) need about "));
	assert_true(daemon_log_contains(fx->d, "the open-file limit (RLIMIT_NOFILE) is 40"));

	daemon_sock_path(fx->d, 0, path, sizeof(path));
	first[0] = vf_conn_connect(path, TMO);
	assert_non_null(first[0]);
	assert_true(daemon_wait_log(fx->d, "vi2c.sock0: VMM connected", TMO));
	for (unsigned i = 1; i < N; i++) {
		daemon_sock_path(fx->d, i, path, sizeof(path));
		first[i] = vf_conn_connect(path, TMO);
		assert_non_null(first[i]);
	}
	for (unsigned i = 0; i < N; i++) {
		daemon_sock_path(fx->d, i, path, sizeof(path));
		second[i] = vf_conn_connect(path, TMO);
		assert_non_null(second[i]);
	}
	assert_true(daemon_wait_log(fx->d, "Too many open files", TMO));

	/* Not spinning: a busy loop would use about 1 s of CPU per second and core. */
	msleep(300);
	log = daemon_log(fx->d);
	assert_non_null(log);
	failing = count_in(log, ": cannot accept a VMM connection");
	free(log);
	cpu0 = daemon_cpu_ms(fx->d);
	msleep(1000);
	cpu1 = daemon_cpu_ms(fx->d);
	printf("daemon CPU while out of fds: %ld ms in 1000 ms\n", cpu1 - cpu0);
	assert_true(cpu0 >= 0 && cpu1 >= cpu0);
	assert_true(cpu1 - cpu0 < 200);

	/* Logged once when a socket starts waiting, not per retry (10 retries a second). */
	log = daemon_log(fx->d);
	assert_non_null(log);
	printf("%u sockets waiting for fds\n", failing);
	assert_int_equal(count_in(log, ": cannot accept a VMM connection"), failing);
	assert_true(failing >= N / 2);
	for (unsigned i = 0; i < N; i++) {
		snprintf(needle, sizeof(needle), "vi2c.sock%u: cannot accept a VMM connection", i);
		assert_true(count_in(log, needle) <= 2);
	}
	assert_null(strstr(log, "messages suppressed"));
	free(log);

	/*
	 * The first VMM sends an fd the daemon has no room for: it is told why.
	 * An fd slot can be free for an instant (a socket refusing an extra VMM
	 * frees its spare fd, a waiting accept() takes the next free one), and an
	 * fd that arrives then is received: a valid SET_VRING_CALL. So send until
	 * one arrives with no room (each send is a valid message either way).
	 */
	for (int t = 0, closed = -1; closed; t += 50) {
		int ret;

		assert_true(t < TMO);
		efd = eventfd(0, EFD_CLOEXEC);
		assert_true(efd >= 0);
		ret = vf_msg_set_vring_fd(first[0], VHOST_USER_SET_VRING_CALL, 0, efd, false);
		close(efd);
		closed = vf_conn_wait_closed(first[0], 50);
		assert_true(ret == 0 || closed == 0);
	}
	assert_true(daemon_log_contains(fx->d, "vi2c.sock0: closing connection: the fds of a "
					       "message could not be received: open-file limit"));

	/* fds free again: every queued connection is taken (and ends), then a VMM is served. */
	for (unsigned i = 0; i < N; i++) {
		vf_conn_close(first[i]);
		vf_conn_close(second[i]);
	}
	for (int t = 0, quiet = 0; quiet < 300; t += 20, msleep(20)) {
		assert_true(t < TMO);
		quiet = socket_fds(fx->d) <= N ? quiet + 20 : 0;
	}
	daemon_sock_path(fx->d, N - 1, path, sizeof(path));
	dev = vf_dev_open(path, NULL);
	assert_non_null(dev);
	assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
	assert_int_equal(vf_i2c_write_read(dev, STUB, w, 1, &r, 1), 0);
	assert_int_equal(r, 0x99);
	vf_dev_destroy(dev);
	/* Every socket that had to wait says when it accepts again. */
	log = daemon_log(fx->d);
	assert_non_null(log);
	for (unsigned i = 0; i < N; i++) {
		char again[64];

		snprintf(needle, sizeof(needle), "vi2c.sock%u: cannot accept a VMM connection", i);
		snprintf(again, sizeof(again), "vi2c.sock%u: accepting VMM connections again", i);
		assert_int_equal(count_in(log, needle), count_in(log, again));
	}
	free(log);
	fx->passed = true;
	assert_int_equal(daemon_finish(fx->d, true), 0);
	fx->d = daemon_new();
	assert_non_null(fx->d);
}

/* Without the fd limit in the way, no warning. */
/* The lowest fd number free in the daemon: the one its next open/accept gets. */
static int lowest_free_fd(const struct daemon *d)
{
	char path[64];

	for (int fd = 0;; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)d->pid, fd);
		if (access(path, F_OK))
			return fd;
	}
}

/*
 * Room for exactly one more fd when a VMM connects: serving it needs two (the
 * connection and its epoll set). The VMM must stay queued, as when accept()
 * itself fails, and be served once fds are free, not be accepted and dropped.
 */
static void test_one_fd_left(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *args[] = {"-v", "-e", "stub@0x20", NULL}; /* -v: "VMM connected" is logged */
	struct rlimit rl, tight;
	struct vf_conn *conn;
	char path[160];
	uint64_t features = 0;

	assert_int_equal(daemon_start(fx->d, 1, args), 0);
	assert_int_equal(prlimit(fx->d->pid, RLIMIT_NOFILE, NULL, &rl), 0);
	tight = rl;
	tight.rlim_cur = (rlim_t)lowest_free_fd(fx->d) + 1;
	assert_int_equal(prlimit(fx->d->pid, RLIMIT_NOFILE, &tight, NULL), 0);
	daemon_sock_path(fx->d, 0, path, sizeof(path));
	conn = vf_conn_connect(path, TMO);
	assert_non_null(conn);
	assert_true(daemon_wait_log(fx->d, "vi2c.sock0: cannot accept a VMM connection", TMO));
	msleep(300); /* three more tries */
	assert_false(daemon_log_contains(fx->d, "cannot watch it"));
	assert_false(daemon_log_contains(fx->d, "VMM connected"));
	/* fds again: it is served (it waited in the listen queue). */
	assert_int_equal(prlimit(fx->d->pid, RLIMIT_NOFILE, &rl, NULL), 0);
	assert_true(daemon_wait_log(fx->d, "vi2c.sock0: VMM connected", TMO));
	assert_int_equal(vf_conn_send(conn, VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, NULL, 0,
				      NULL, 0),
			 0);
	assert_int_equal(vf_conn_recv_reply(conn, VHOST_USER_GET_FEATURES, &features,
					    sizeof(features), TMO),
			 0);
	assert_true(features & (1ull << 32)); /* VIRTIO_F_VERSION_1 */
	vf_conn_close(conn);
	fx->passed = true;
	assert_int_equal(daemon_finish(fx->d, true), 0);
	fx->d = daemon_new();
	assert_non_null(fx->d);
}

static void test_fd_limit_fits(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *args[] = {"-e", "stub@0x20", NULL};

	fx->d->nofile = 64;
	assert_int_equal(daemon_start(fx->d, 2, args), 0);
	assert_false(daemon_log_contains(fx->d, "RLIMIT_NOFILE"));
	fx->passed = true;
	assert_int_equal(daemon_finish(fx->d, true), 0);
	fx->d = daemon_new();
	assert_non_null(fx->d);
}

/* A thread that cannot start is a runtime failure whose line gives the reason. */
static void test_thread_start_failure(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *argv[] = {"-s", fx->d->sock, "-c", "2", "-e", "stub@0x20", NULL};
	const unsigned uid = 4243; /* no such account: no other process counts against its limit */
	int code = -1;

	if (geteuid() != 0)
		fail_msg(
			"needs root to run the daemon as a user of its own; run as root (CI does)");
	assert_int_equal(chown(fx->d->dir, uid, uid), 0);
	fx->d->uid = uid;
	/* The process itself uses up RLIMIT_NPROC 1: no thread at all. */
	fx->d->nproc = 1;
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 1);
	assert_true(daemon_log_contains(
		fx->d, "cannot start the logging thread: Resource temporarily unavailable"));
	/* One thread: the logger; the first guest thread fails. */
	fx->d->nproc = 2;
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 1);
	assert_true(daemon_log_contains(
		fx->d, "cannot start the thread of socket 0: Resource temporarily unavailable"));
	assert_int_equal(stray_files(fx->d), 0);
	fx->passed = true;
}

/* A backing file that cannot be opened is a runtime failure (1), not a bad command line (2). */
static void test_eeprom_file_unwritable(void **state)
{
	struct daemon_dir_fx *fx = *state;
	/* A sysfs attribute without a write method: EACCES even for root. */
	char *argv[] = {"-s", fx->d->sock, "-e", "24c02@0x50,file=/sys/kernel/notes", NULL};
	int code = -1;

	assert_int_equal(access("/sys/kernel/notes", F_OK), 0);
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 1);
	assert_true(daemon_log_contains(fx->d, "/sys/kernel/notes"));
	assert_true(daemon_log_contains(fx->d, "Permission denied"));
	assert_int_equal(stray_files(fx->d), 0);
	fx->passed = true;
}

static void test_eeprom_file_wrong_size(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char file[200], spec[240];
	char *argv[] = {"-s", fx->d->sock, "-e", spec, NULL};
	struct stat st;
	int fd, code = -1;

	snprintf(file, sizeof(file), "%s/short.bin", fx->d->dir);
	snprintf(spec, sizeof(spec), "24c02@0x50,file=%s", file);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 100), 0);
	close(fd);
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 1);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_size, 100); /* not "repaired" */
	assert_true(daemon_log_contains(fx->d, "short.bin"));
	fx->passed = true;
}

static void test_help_and_version(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *help[] = {"--help", NULL}, *version[] = {"--version", NULL};
	char *out;
	int code = -1;

	assert_int_equal(daemon_spawn(fx->d, help), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 0);
	out = daemon_stdout(fx->d);
	assert_non_null(out);
	assert_non_null(strstr(out, "-s"));
	free(out);
	assert_int_equal(daemon_spawn(fx->d, version), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 0);
	assert_int_equal(stray_files(fx->d), 0);
	fx->passed = true;
}

#define T(f) cmocka_unit_test_setup_teardown(f, daemon_dir_fx_setup, daemon_dir_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bad_command_lines),
		T(test_missing_parent_dir),
		T(test_sigterm),
		T(test_sigint),
		T(test_other_termination_signals),
		T(test_sighup_keeps_serving),
		T(test_stale_socket_replaced),
		T(test_regular_file_refused),
		T(test_live_socket_refused),
		T(test_socket_not_yet_listening_refused),
		T(test_exit_keeps_foreign_socket),
		T(test_fd_exhaustion),
		T(test_fd_limit_fits),
		T(test_one_fd_left),
		T(test_eeprom_file_wrong_size),
		T(test_eeprom_file_unwritable),
		T(test_thread_start_failure),
		T(test_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
