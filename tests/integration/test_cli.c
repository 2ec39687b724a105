// SPDX-License-Identifier: MIT
/*
 * The daemon as a program: bad command lines (exit 2, one line naming the
 * token, no socket), SIGTERM/SIGINT (exit 0, sockets removed), stale sockets
 * replaced, regular files and live sockets refused, a missing parent dir,
 * EEPROM backing files of the wrong size, --help/--version.
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
		{{"-s", s, "--frobnicate", "-e", "stub@0x20"}, "frobnicate"},
		{{"-s", s, "-e", "stub@0x20", "-e", "lm75@0x20"}, "0x20"},
		{{"-s", s, "-e", "stub@0x20", "stray-argument"}, "stray-argument"},
		{{"-s", s, "-e", "stub@0x20", "-l", "1:0x200"}, "0x200"},
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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	t0 = now_ms();
	assert_int_equal(kill(fx->d->pid, sig), 0);
	assert_int_equal(daemon_wait_exit(fx->d, 2000, &code), 0);
	printf("signal %d: exit %d after %lld ms\n", sig, code, (long long)(now_ms() - t0));
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
	assert_true(code != 0 && code < 128);
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
		T(test_stale_socket_replaced),
		T(test_regular_file_refused),
		T(test_live_socket_refused),
		T(test_eeprom_file_wrong_size),
		T(test_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
