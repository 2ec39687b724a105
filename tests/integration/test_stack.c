// SPDX-License-Identifier: MIT
/*
 * The daemon in the virtualization stack: --print-capabilities, --fd with a
 * connected socket (served once, exit 0 on hang-up, exit 1 with the reason
 * after a protocol error), a listening one, and one that is neither (exit 1),
 * --socket-mode, sockets owned by --user/--group (root only) and removed at
 * exit, per-guest device sets (--guest), log lines naming their socket and
 * rate-limited per socket and level with the summary on time, --syslog
 * keeping stderr quiet, --trace
 * (exact lines; the i2ctransfer part replayed by the real i2ctransfer on the
 * fake i2c-dev) and the SIGUSR1 counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "vu_frontend.h"

#define TMO   5000
#define EE02  0x50
#define LM75  0x48
#define STUB  0x20
#define EMPTY 0x33

/* daemon_finish (alive, exit 0 on SIGTERM, sockets removed), then a fresh daemon for teardown. */
static bool finish(struct daemon_dir_fx *fx)
{
	int ret = daemon_finish(fx->d, true);

	fx->d = daemon_new();
	return ret == 0 && fx->d;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* ---------------------------------------------------------------- */

static void test_print_capabilities(void **state)
{
	struct daemon_dir_fx *fx = *state;
	/* Other options, even invalid ones, are ignored. */
	char *argv[] = {"--frobnicate", "-s", fx->d->sock, "--print-capabilities", "-c", "0", NULL};
	char *out, *log;
	int code = -1;

	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 0);
	out = daemon_stdout(fx->d);
	log = daemon_log(fx->d);
	assert_non_null(out);
	assert_non_null(log);
	assert_string_equal(out, "{\"type\": \"i2c\", \"features\": []}\n");
	assert_string_equal(log, "");
	free(out);
	free(log);
	assert_int_equal(access(fx->d->sock, F_OK), -1);
	fx->passed = true;
}

/* Runs argv; expects exit 2 and token in the one stderr line. */
static void expect_exit2(struct daemon_dir_fx *fx, char *const argv[], const char *token)
{
	char *log;
	int code = -1;

	if (truncate(fx->d->log_path, 0) && errno != ENOENT)
		fail();
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	log = daemon_log(fx->d);
	assert_non_null(log);
	if (code != 2 || !strstr(log, token))
		printf("expected exit 2 with '%s', got %d: %s", token, code, log);
	assert_int_equal(code, 2);
	assert_non_null(strstr(log, token));
	assert_int_equal(count_in(log, "\n"), 1);
	free(log);
}

static void test_bad_stack_options(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *s = fx->d->sock, file[200];
	char *no_fd[] = {"--fd", "77", "-e", "stub@0x20", NULL};
	char *reg_fd[] = {"--fd", "9", "-e", "stub@0x20", NULL};
	char *fd_and_s[] = {"--fd", "9", "-s", s, "-e", "stub@0x20", NULL};
	char *fd_count[] = {"--fd", "9", "-c", "2", "-e", "stub@0x20", NULL};
	char *guest_range[] = {"-s", s, "-c", "2", "--guest", "2", "-e", "stub@0x20", NULL};
	char *guest_empty[] = {"-s", s, "-e", "lm75@0x48", "--guest", "0", NULL};
	char *uncovered[] = {"-s", s, "-c", "2", "--guest", "1", "-e", "stub@0x20", NULL};
	char *twice[] = {"-s",	      s,	 "-c", "3",  "--guest",	  "0-1", "-e",
			 "stub@0x20", "--guest", "1",  "-e", "stub@0x20", NULL};
	char *mode[] = {"-s", s, "--socket-mode", "0800", "-e", "stub@0x20", NULL};
	char *user[] = {"-s", s, "--user", "no-such-user-vi2c", "-e", "stub@0x20", NULL};
	char *trace[] = {"-s", s, "--trace=/nonexistent-dir/trace", "-e", "stub@0x20", NULL};
	int fd;

	expect_exit2(fx, no_fd, "'77'");
	/* a regular file as fd 9 */
	snprintf(file, sizeof(file), "%s/plain", fx->d->dir);
	fd = open(file, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 9), 9);
	expect_exit2(fx, reg_fd, "not a Unix stream socket");
	close(9);
	close(fd);
	unlink(file);
	expect_exit2(fx, fd_and_s, "exclusive");
	expect_exit2(fx, fd_count, "--socket-count");
	expect_exit2(fx, guest_range, "socket 2 does not exist");
	expect_exit2(fx, guest_empty, "--guest '0' has no");
	expect_exit2(fx, uncovered, "socket 0 has no devices");
	expect_exit2(fx, twice, "socket 1 is in an earlier --guest");
	expect_exit2(fx, mode, "0800");
	expect_exit2(fx, user, "no-such-user-vi2c");
	expect_exit2(fx, trace, "/nonexistent-dir/trace");
	assert_int_equal(access(s, F_OK), -1);
	fx->passed = true;
}

/* ---------------------------------------------------------------- */

/* A vf_dev speaking over fd instead of a connection it made itself. */
static struct vf_dev *dev_over_fd(struct daemon_dir_fx *fx, int fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vf_dev *dev;
	int lfd;

	/* vf_dev_create wants something to connect to: a throw-away listener. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dummy", fx->d->dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	dev = vf_dev_create(sa.sun_path, NULL);
	assert_non_null(dev);
	close(lfd);
	unlink(sa.sun_path);
	close(dev->conn->fd);
	dev->conn->fd = fd;
	assert_int_equal(vf_dev_init(dev), 0);
	assert_int_equal(vf_dev_start(dev), 0);
	return dev;
}

static void test_fd_connected(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char fdarg[16], *argv[] = {"--fd", fdarg, "-v", "-e", "24c02@0x50", NULL};
	uint8_t w[3] = {0x10, 0xab, 0xcd}, r[2] = {0};
	struct vf_dev *dev;
	int sv[2], code = -1;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFD, FD_CLOEXEC); /* the VMM's end stays here */
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	close(sv[1]);

	dev = dev_over_fd(fx, sv[0]);
	assert_int_equal(vf_i2c_write(dev, EE02, w, 3), 0);
	msleep(10); /* write cycle */
	assert_int_equal(vf_i2c_write_read(dev, EE02, w, 1, r, 2), 0);
	assert_int_equal(r[0], 0xab);
	assert_int_equal(r[1], 0xcd);
	assert_true(daemon_alive(fx->d));
	/* The VMM hangs up: the daemon is done, status 0. */
	vf_dev_destroy(dev);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 0);
	snprintf(fdarg, sizeof(fdarg), "fd%d: ", sv[1]);
	assert_true(daemon_log_contains(fx->d, fdarg));
	assert_true(daemon_log_contains(fx->d, "serving a connected socket"));
	assert_true(daemon_log_contains(fx->d, "the VMM of --fd hung up: exiting"));
	fx->passed = true;
}

/* A protocol error on a connected --fd is an error exit with its reason, not a hang-up. */
static void test_fd_connected_protocol_error(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char fdarg[16], *argv[] = {"--fd", fdarg, "-e", "stub@0x20", NULL};
	struct vhost_user_hdr hdr = {.request = 9999, .flags = 1, .size = 0};
	int sv[2], code = -1;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	close(sv[1]);
	assert_int_equal(write(sv[0], &hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	close(sv[0]);
	assert_int_equal(code, 1);
	snprintf(fdarg, sizeof(fdarg), "fd%d: ", sv[1]);
	assert_true(daemon_log_contains(fx->d, fdarg));
	assert_true(daemon_log_contains(fx->d, "closing connection: unknown request 9999"));
	assert_true(daemon_log_contains(
		fx->d, "error: the connection of --fd was closed after an error: exiting"));
	assert_false(daemon_log_contains(fx->d, "hung up"));
	fx->passed = true;
}

/* A stream socket neither listening nor connected would never see a VMM: exit 1 at start. */
static void test_fd_neither_listening_nor_connected(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char fdarg[16], *argv[] = {"--fd", fdarg, "-e", "stub@0x20", NULL};
	char *log;
	int fd, code = -1;

	fd = socket(AF_UNIX, SOCK_STREAM, 0); /* inherited */
	assert_true(fd >= 0);
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	close(fd);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 1);
	log = daemon_log(fx->d);
	assert_non_null(log);
	assert_non_null(strstr(log, "neither listening nor connected"));
	assert_int_equal(count_in(log, "\n"), 1);
	free(log);
	fx->passed = true;
}

static void test_fd_listening(void **state)
{
	struct daemon_dir_fx *fx = *state;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char fdarg[16], *argv[] = {"--fd", fdarg, "-e", "stub@0x20", NULL};
	uint8_t w[2] = {0x05, 0x77}, r = 0;
	struct vf_dev *dev;
	int lfd, code = -1;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mgr.sock", fx->d->dir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0); /* inherited by the daemon */
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	snprintf(fdarg, sizeof(fdarg), "%d", lfd);
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	close(lfd);

	/* Served like a socket path: one VMM after the other. */
	for (int round = 0; round < 2; round++) {
		dev = vf_dev_open(sa.sun_path, NULL);
		assert_non_null(dev);
		w[1] = (uint8_t)(0x77 + round);
		assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
		assert_int_equal(vf_i2c_write_read(dev, STUB, w, 1, &r, 1), 0);
		assert_int_equal(r, 0x77 + round);
		vf_dev_destroy(dev);
		msleep(50);
		assert_true(daemon_alive(fx->d));
	}
	assert_int_equal(daemon_stop(fx->d, TMO, &code), 0);
	assert_int_equal(code, 0);
	/* Not the daemon's file: it leaves it alone. */
	assert_int_equal(access(sa.sun_path, F_OK), 0);
	fx->passed = true;
}

static void test_socket_mode(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *def[] = {"-e", "stub@0x20", NULL};
	char *grp[] = {"--socket-mode=660", "-e", "stub@0x20", NULL};
	char path[200];
	struct stat st;
	int code;

	daemon_sock_path(fx->d, 0, path, sizeof(path));
	assert_int_equal(daemon_start(fx->d, 2, def), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(daemon_stop(fx->d, TMO, &code), 0);
	assert_int_equal(code, 0);
	assert_int_equal(daemon_start(fx->d, 2, grp), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	daemon_sock_path(fx->d, 1, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_true(finish(fx));
	fx->passed = true;
}

/* ---------------------------------------------------------------- */

/* Reads the 24c02 at EE02 byte 0 through dev; -EIO if nothing answers. */
static int ee_byte0(struct vf_dev *dev, uint8_t *out)
{
	uint8_t off = 0;

	return vf_i2c_write_read(dev, EE02, &off, 1, out, 1);
}

static void test_guest_device_sets(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *args[] = {"-e",	      "lm75@0x48", "--guest", "1",  "-e",
			"24c02@0x50", "--guest",   "2-3",     "-e", "24c02@0x50",
			"-e",	      "stub@0x20", NULL};
	char path[4][200];
	struct vf_dev *dev[4];
	uint8_t w[2] = {0x00, 0x11}, b = 0, t[2];

	assert_int_equal(daemon_start(fx->d, 4, args), 0);
	for (unsigned i = 0; i < 4; i++) {
		daemon_sock_path(fx->d, i, path[i], sizeof(path[i]));
		dev[i] = vf_dev_open(path[i], NULL);
		assert_non_null(dev[i]);
	}
	/* socket 0: the common set only */
	assert_int_equal(vf_i2c_read(dev[0], LM75, t, 2), 0);
	assert_int_equal(t[0], 25);
	assert_int_equal(ee_byte0(dev[0], &b), -EIO);
	/* socket 1: its own EEPROM, no LM75 */
	assert_int_equal(vf_i2c_read(dev[1], LM75, t, 2), -EIO);
	assert_int_equal(vf_i2c_write(dev[1], EE02, w, 2), 0);
	msleep(10);
	assert_int_equal(ee_byte0(dev[1], &b), 0);
	assert_int_equal(b, 0x11);
	/* sockets 2 and 3 share another EEPROM at the same address */
	assert_int_equal(ee_byte0(dev[2], &b), 0);
	assert_int_equal(b, 0xff);
	w[1] = 0x22;
	assert_int_equal(vf_i2c_write(dev[2], EE02, w, 2), 0);
	msleep(10);
	assert_int_equal(ee_byte0(dev[3], &b), 0);
	assert_int_equal(b, 0x22);
	assert_int_equal(ee_byte0(dev[1], &b), 0);
	assert_int_equal(b, 0x11);
	assert_int_equal(vf_i2c_write(dev[3], STUB, w, 1), 0);
	assert_int_equal(vf_i2c_write(dev[1], STUB, w, 1), -EIO);
	for (unsigned i = 0; i < 4; i++)
		vf_dev_destroy(dev[i]);
	assert_true(finish(fx));
	fx->passed = true;
}

/* ---------------------------------------------------------------- */

/* A VMM flooding the socket with extra connections: at most 10 lines a second, then a summary. */
static void test_log_rate_limit(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *args[] = {"-e", "stub@0x20", NULL};
	char path[200], *log;
	struct vf_dev *dev;
	unsigned refused;

	assert_int_equal(daemon_start(fx->d, 1, args), 0);
	daemon_sock_path(fx->d, 0, path, sizeof(path));
	dev = vf_dev_open(path, NULL);
	assert_non_null(dev);
	for (int i = 0; i < 40; i++) {
		struct vf_conn *c = vf_conn_connect(path, TMO);

		assert_non_null(c);
		assert_int_equal(vf_conn_wait_closed(c, TMO), 0);
		vf_conn_close(c);
	}
	log = daemon_log(fx->d);
	assert_non_null(log);
	refused = count_in(log, "vi2c.sock0: refused a second VMM connection");
	printf("%u of 40 refusals logged\n", refused);
	assert_true(refused >= 1);
	assert_true(refused <= 10 + 10); /* the loop may straddle one window boundary */
	free(log);
	/* Within a second, without waiting for a next line, at the level of what was dropped. */
	assert_true(daemon_wait_log(fx->d, "warning: vi2c.sock0: ", 1500));
	assert_true(daemon_wait_log(fx->d, " messages suppressed", 1500));
	vf_dev_destroy(dev);
	assert_true(finish(fx));
	fx->passed = true;
}

/* Routine info lines (a VMM coming and going) do not use up the budget of error lines. */
static void test_info_lines_keep_error_budget(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *args[] = {"-v", "-e", "stub@0x20", NULL};
	struct vhost_user_hdr hdr = {.request = 9999, .flags = 1, .size = 0};
	char path[200], *log;
	struct vf_conn *c;

	assert_int_equal(daemon_start(fx->d, 1, args), 0);
	daemon_sock_path(fx->d, 0, path, sizeof(path));
	for (int i = 0; i < 15; i++) {
		c = vf_conn_connect(path, TMO);
		assert_non_null(c);
		vf_conn_close(c);
	}
	c = vf_conn_connect(path, TMO);
	assert_non_null(c);
	assert_int_equal(vf_conn_send_raw(c, &hdr, sizeof(hdr), NULL, 0), 0);
	assert_int_equal(vf_conn_wait_closed(c, TMO), 0);
	vf_conn_close(c);
	assert_true(daemon_wait_log(
		fx->d,
		"error: vi2c.sock0: closing connection: unknown request 9999 is not "
		"supported",
		TMO));
	/* The info lines that were dropped are summed up at info level. */
	assert_true(daemon_wait_log(fx->d, "info: vi2c.sock0: ", 1500));
	log = daemon_log(fx->d);
	assert_non_null(log);
	assert_true(count_in(log, "info: vi2c.sock0: VMM connected") +
			    count_in(log, "info: vi2c.sock0: VMM disconnected") <=
		    20);
	free(log);
	assert_true(daemon_wait_log(fx->d, " messages suppressed", 1500));
	assert_true(daemon_log_contains(fx->d, "info: vi2c.sock0: "));
	assert_false(daemon_log_contains(fx->d, "warning: vi2c.sock0: "));
	assert_true(finish(fx));
	fx->passed = true;
}

/* Runs fn in a child with uid/gid (no supplementary groups); returns its exit status. */
static int run_as(uid_t uid, gid_t gid, int (*fn)(const char *), const char *arg)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
			_exit(99);
		_exit(fn(arg));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* 0 if a guest on path gets its stub register back. */
static int guest_round_trip(const char *path)
{
	uint8_t w[2] = {0x11, 0x42}, r = 0;
	struct vf_dev *dev = vf_dev_open(path, NULL);
	int ret;

	if (!dev)
		return 1;
	ret = vf_i2c_write(dev, STUB, w, 2) || vf_i2c_write_read(dev, STUB, w, 1, &r, 1) ||
	      r != 0x42;
	vf_dev_destroy(dev);
	return ret ? 2 : 0;
}

/* 0 if connecting to path is refused for want of permission. */
static int connect_denied(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return 2;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	return ret < 0 && errno == EACCES ? 0 : 1;
}

/*
 * --user/--group: the socket files belong to them from the start, so
 * --group G --socket-mode 0660 lets G's members connect (and nobody else),
 * and the daemon, no longer root, still removes them at exit. A directory
 * the user could not remove them from is refused before anything starts.
 */
static void test_user_group_sockets(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *args[] = {
		"--user=nobody", "--group=daemon", "--socket-mode=0660", "-e", "stub@0x20", NULL};
	const uid_t outsider = 4242;
	struct passwd *pw;
	struct group *gr;
	char path[200];
	struct stat st;
	int code = -1;

	if (geteuid() != 0)
		fail_msg("--user/--group need the daemon started as root; run this test as root "
			 "(CI does)");
	pw = getpwnam("nobody");
	gr = getgrnam("daemon");
	assert_non_null(pw);
	assert_non_null(gr);
	/* Like systemd's RuntimeDirectory= for User=nobody Group=daemon, mode 0750. */
	assert_int_equal(chown(fx->d->dir, pw->pw_uid, gr->gr_gid), 0);
	assert_int_equal(chmod(fx->d->dir, 0750), 0);
	assert_int_equal(daemon_start(fx->d, 2, args), 0);
	for (unsigned i = 0; i < 2; i++) {
		daemon_sock_path(fx->d, i, path, sizeof(path));
		assert_int_equal(lstat(path, &st), 0);
		assert_int_equal(st.st_uid, pw->pw_uid);
		assert_int_equal(st.st_gid, gr->gr_gid);
		assert_int_equal(st.st_mode & 07777, 0660);
	}
	daemon_sock_path(fx->d, 1, path, sizeof(path));
	assert_int_equal(run_as(outsider, gr->gr_gid, guest_round_trip, path), 0);
	assert_int_equal(run_as(outsider, outsider, connect_denied, path), 0);
	assert_true(finish(fx)); /* exit 0, both socket files removed */

	/* A directory nobody cannot write: its sockets would outlive the daemon. */
	char *argv[] = {"-s",	     fx->d->sock, "--user=nobody", "--group=daemon", "-e",
			"stub@0x20", NULL};

	assert_int_equal(chown(fx->d->dir, 0, 0), 0);
	assert_int_equal(chmod(fx->d->dir, 0755), 0);
	assert_int_equal(daemon_spawn(fx->d, argv), 0);
	assert_int_equal(daemon_wait_exit(fx->d, TMO, &code), 0);
	assert_int_equal(code, 1);
	assert_true(daemon_log_contains(fx->d, "is not writable by uid 65534"));
	daemon_sock_path(fx->d, 0, path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	fx->passed = true;
}

static void test_syslog_keeps_stderr_quiet(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char *args[] = {"-v", "--syslog", "-e", "stub@0x20", NULL};
	char *plain[] = {"-v", "-e", "stub@0x20", NULL};
	int code;

	assert_int_equal(daemon_start(fx->d, 1, plain), 0);
	assert_true(daemon_wait_log(fx->d, "serving 1 socket(s)", TMO));
	assert_int_equal(daemon_stop(fx->d, TMO, &code), 0);
	assert_int_equal(truncate(fx->d->log_path, 0), 0);
	assert_int_equal(daemon_start(fx->d, 1, args), 0);
	msleep(200);
	assert_false(daemon_log_contains(fx->d, "serving 1 socket(s)"));
	assert_int_equal(daemon_stop(fx->d, TMO, &code), 0);
	assert_int_equal(code, 0);
	fx->passed = true;
}

/* ---------------------------------------------------------------- */

/* The path of the ASan runtime this test runs with, if any (the fake needs it first). */
static bool asan_runtime(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (p && strstr(p, "/libasan.so")) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(out, len, "%s", p);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* Runs i2ctransfer -y -f -a 1 <tokens of desc> on the fake i2c-dev; returns the fake's log. */
static char *replay(struct daemon_dir_fx *fx, const char *desc)
{
	const char *fake = getenv("VI2C_FAKE_I2CDEV");
	char cfg[200], logp[200], devdir[200], sysdir[200], preload[600], asan[400], cfgenv[240];
	char *copy = strdup(desc), *argv[80], *tok, *save = NULL, *text;
	unsigned n = 0;
	FILE *f;
	pid_t pid;
	int st;

	assert_non_null(copy);
	if (!fake || access("/usr/sbin/i2ctransfer", X_OK))
		fail_msg("replay needs VI2C_FAKE_I2CDEV (%s) and /usr/sbin/i2ctransfer "
			 "(i2c-tools; scripts/install-deps.sh installs it)",
			 fake ? fake : "unset");
	snprintf(cfg, sizeof(cfg), "%s/fake.conf", fx->d->dir);
	snprintf(logp, sizeof(logp), "%s/fake.log", fx->d->dir);
	snprintf(devdir, sizeof(devdir), "%s/fdev", fx->d->dir);
	snprintf(sysdir, sizeof(sysdir), "%s/fsys", fx->d->dir);
	mkdir(devdir, 0700);
	mkdir(sysdir, 0700);
	unlink(logp);
	f = fopen(cfg, "w");
	assert_non_null(f);
	fprintf(f, "dev %s\nsysfs %s\nlog %s\nadapter 1 funcs=i2c\ndevice 1 0x50\ndevice 1 0x20\n",
		devdir, sysdir, logp);
	fclose(f);
	if (asan_runtime(asan, sizeof(asan)))
		snprintf(preload, sizeof(preload), "LD_PRELOAD=%s %s", asan, fake);
	else
		snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", fake);
	snprintf(cfgenv, sizeof(cfgenv), "VI2C_SHIM_CONFIG=%s", cfg);

	argv[n++] = "i2ctransfer";
	argv[n++] = "-y";
	argv[n++] = "-f";
	argv[n++] = "-a";
	argv[n++] = "1";
	for (tok = strtok_r(copy, " ", &save); tok && n < 78; tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *envp[] = {preload, cfgenv,
				"ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0", NULL};
		int nul = open("/dev/null", O_WRONLY);

		dup2(nul, 1);
		execve("/usr/sbin/i2ctransfer", argv, envp);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	free(copy);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("i2ctransfer %s: status 0x%x", desc, st);
	text = read_file(logp);
	assert_non_null(text);
	return text;
}

static void check_line(const char *line, const char *body_re)
{
	char re[600];
	regex_t rx;
	int ok;

	snprintf(re, sizeof(re),
		 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z "
		 "vi2c\\.sock0 %s [0-9]+us$",
		 body_re);
	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	ok = regexec(&rx, line, 0, NULL, 0);
	regfree(&rx);
	if (ok)
		fail_msg("trace line '%s' does not match '%s'", line, re);
}

/* The i2ctransfer arguments of a trace line: between the socket name and " -> ". */
static char *desc_of(const char *line)
{
	const char *start = strstr(line, "vi2c.sock0 ") + strlen("vi2c.sock0 ");
	const char *end = strstr(line, " -> ");

	assert_non_null(end);
	return strndup(start, (size_t)(end - start));
}

static void test_trace_and_counters(void **state)
{
	struct daemon_dir_fx *fx = *state;
	char tpath[200], targ[220], sock[200];
	char *args[] = {targ, "-e", "24c02@0x50", "-e", "stub@0x20", NULL};
	uint8_t off = 0, r[8], w[3] = {0x08, 0x12, 0x34};
	struct vf_i2c_msg probe = {.addr = STUB, .len = 0};
	char *text, *lines[8], *save = NULL, *desc, *fake_log;
	struct vf_dev *dev;
	unsigned n = 0;
	int code = -1;

	snprintf(tpath, sizeof(tpath), "%s/trace", fx->d->dir);
	snprintf(targ, sizeof(targ), "--trace=%s", tpath);
	assert_int_equal(daemon_start(fx->d, 1, args), 0);
	daemon_sock_path(fx->d, 0, sock, sizeof(sock));
	dev = vf_dev_open(sock, NULL);
	assert_non_null(dev);

	assert_int_equal(vf_i2c_write_read(dev, EE02, &off, 1, r, 8), 0); /* erased: 0xff */
	assert_int_equal(vf_i2c_write(dev, EE02, w, 3), 0);
	msleep(10);
	assert_int_equal(vf_i2c_read(dev, EMPTY, r, 2), -EIO);	      /* nobody there */
	assert_int_equal(vf_i2c_transfer(dev, &probe, 1, 0, TMO), 1); /* SMBus quick */
	assert_int_equal(vf_i2c_write_read(dev, EE02, w, 1, r, 2), 0);

	/* SIGUSR1: the counters, whatever the log level. */
	assert_int_equal(kill(fx->d->pid, SIGUSR1), 0);
	assert_true(daemon_wait_log(
		fx->d, "counters: all sockets: 24c02@0x50: 5 transfers, 15 bytes, 0 errors", TMO));
	assert_true(daemon_log_contains(
		fx->d, "counters: all sockets: stub@0x20: 1 transfers, 0 bytes, 0 errors"));
	vf_dev_destroy(dev);
	assert_int_equal(daemon_stop(fx->d, TMO, &code), 0);
	assert_int_equal(code, 0);

	text = read_file(tpath);
	assert_non_null(text);
	for (char *l = strtok_r(text, "\n", &save); l && n < 8; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	assert_int_equal(n, 5);
	check_line(lines[0], "w1@0x50 0x00 r8 -> OK \\[(0xff ){7}0xff\\]");
	check_line(lines[1], "w3@0x50 0x08 0x12 0x34 -> OK");
	check_line(lines[2], "r2@0x33 -> ERR@0");
	check_line(lines[3], "w0@0x20 -> OK");
	check_line(lines[4], "w1@0x50 0x08 r2 -> OK \\[0x12 0x34\\]");

	/* What i2ctransfer makes of the trace is the transfer the guest made. */
	desc = desc_of(lines[0]);
	fake_log = replay(fx, desc);
	assert_non_null(strstr(fake_log, "I2C_RDWR i2c-1 W0x50/1 R0x50/8 -> ok"));
	free(fake_log);
	free(desc);
	desc = desc_of(lines[1]);
	fake_log = replay(fx, desc);
	assert_non_null(strstr(fake_log, "I2C_RDWR i2c-1 W0x50/3 -> ok"));
	assert_int_equal(count_in(fake_log, "I2C_RDWR"), 1);
	free(fake_log);
	free(desc);
	desc = desc_of(lines[3]);
	fake_log = replay(fx, desc);
	assert_non_null(strstr(fake_log, "I2C_RDWR i2c-1 W0x20/0 -> ok"));
	free(fake_log);
	free(desc);
	free(text);
	fx->passed = true;
}

#define T(f) cmocka_unit_test_setup_teardown(f, daemon_dir_fx_setup, daemon_dir_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_print_capabilities),
		T(test_bad_stack_options),
		T(test_fd_connected),
		T(test_fd_connected_protocol_error),
		T(test_fd_neither_listening_nor_connected),
		T(test_fd_listening),
		T(test_socket_mode),
		T(test_user_group_sockets),
		T(test_guest_device_sets),
		T(test_log_rate_limit),
		T(test_info_lines_keep_error_budget),
		T(test_syslog_keeps_stderr_quiet),
		T(test_trace_and_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
