// SPDX-License-Identifier: MIT
/*
 * vhost-user-i2c-ctl: a small client for the daemon's control socket
 * (--control, docs/control.md). Turns a command line into one request line,
 * prints the reply line, exits 0 if it says "ok": true, 1 if not (or on a
 * connection failure), 2 on a bad command line. `socat - UNIX-CONNECT:PATH`
 * does the same with hand-written JSON.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vhost-user-i2c-ctl [--guest N] PATH COMMAND [ARGS...]\n"
		"Sends one request to the control socket PATH of vhost-user-i2c and prints\n"
		"the reply (JSON). Exit status: 0 ok, 1 error reply or no connection, 2 usage.\n"
		"\n"
		"  list | faults | counters       devices, armed faults, counters\n"
		"  get ADDR [PROP...]             properties of an emulated device\n"
		"  set ADDR PROP=VALUE...         e.g. set 0x48 temp=30.5, set 0x40 reg:0x05=18\n"
		"  add SPEC                       hot-plug, -e syntax: add lm75@0x49,temp=20\n"
		"  remove ADDR                    unplug an emulated device\n"
		"  fault ADDR KIND [count=N] [ms=N] [xor=N]\n"
		"                                 KIND nack, delay (ms=) or corrupt (xor=)\n"
		"  clear [ADDR]                   disarm faults\n"
		"  '{\"cmd\": ...}'                 a raw request line\n"
		"\n"
		"  --guest N                      the bus of guest socket N (default: shared)\n");
}

static __attribute__((format(printf, 1, 2))) int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vhost-user-i2c-ctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return 2;
}

/* A number ("30.5", "18") or, for anything else ("0x12"), the string as given. */
static json_t *value_json(const char *s)
{
	char *end;
	double d;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		return json_string(s);
	errno = 0;
	d = strtod(s, &end);
	if (*s && !*end && !errno)
		return json_real(d);
	return json_string(s);
}

/* Builds the request for argv[0..argc) into req. 0, or 2 (usage) after a message. */
static int build(json_t *req, int argc, char **argv)
{
	const char *cmd = argv[0];
	json_t *obj;

	json_object_set_new(req, "cmd", json_string(cmd));
	if (!strcmp(cmd, "list") || !strcmp(cmd, "faults") || !strcmp(cmd, "counters"))
		return argc == 1 ? 0 : bad("'%s' takes no arguments", cmd);
	if (!strcmp(cmd, "clear")) {
		if (argc > 2)
			return bad("'%s' takes at most an address", cmd);
		if (argc == 2)
			json_object_set_new(req, "addr", json_string(argv[1]));
		return 0;
	}
	if (!strcmp(cmd, "add")) {
		if (argc != 2)
			return bad("'%s' takes one spec, e.g. lm75@0x49,temp=20", cmd);
		json_object_set_new(req, "spec", json_string(argv[1]));
		return 0;
	}
	if (argc < 2)
		return bad("'%s' needs an address", cmd);
	json_object_set_new(req, "addr", json_string(argv[1]));
	if (!strcmp(cmd, "remove"))
		return argc == 2 ? 0 : bad("'%s' takes only an address", cmd);
	if (!strcmp(cmd, "get")) {
		if (argc > 2) {
			obj = json_array();
			for (int i = 2; i < argc; i++)
				json_array_append_new(obj, json_string(argv[i]));
			json_object_set_new(req, "props", obj);
		}
		return 0;
	}
	if (!strcmp(cmd, "set")) {
		if (argc < 3)
			return bad("'%s' needs PROP=VALUE", cmd);
		obj = json_object();
		json_object_set_new(req, "props", obj);
		for (int i = 2; i < argc; i++) {
			char *eq = strchr(argv[i], '=');

			if (!eq || eq == argv[i])
				return bad("expected PROP=VALUE, got '%s'", argv[i]);
			*eq = '\0';
			json_object_set_new(obj, argv[i], value_json(eq + 1));
		}
		return 0;
	}
	if (!strcmp(cmd, "fault")) {
		if (argc < 3)
			return bad("'%s' needs a kind: nack, delay or corrupt", cmd);
		json_object_set_new(req, "kind", json_string(argv[2]));
		for (int i = 3; i < argc; i++) {
			char *eq = strchr(argv[i], '=');
			json_t *v;

			if (!eq || eq == argv[i])
				return bad("expected count=N, ms=N or xor=N, got '%s'", argv[i]);
			*eq = '\0';
			v = value_json(eq + 1);
			/* Integers stay integers: the daemon wants whole numbers here. */
			if (json_is_real(v) &&
			    json_real_value(v) == (json_int_t)json_real_value(v)) {
				json_int_t n = (json_int_t)json_real_value(v);

				json_decref(v);
				v = json_integer(n);
			}
			json_object_set_new(req, argv[i], v);
		}
		return 0;
	}
	return bad("unknown command '%s' (try --help)", cmd);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vhost-user-i2c-ctl: '%s': path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vhost-user-i2c-ctl: cannot connect to '%s': %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Sends line + '\n', prints the reply line; 0 if it is ok, 1 if not. */
static int exchange(int fd, const char *line)
{
	FILE *in;
	char *reply = NULL;
	size_t cap = 0;
	json_t *rep;
	int ret = 1;

	if (!write_all(fd, line, strlen(line)) || !write_all(fd, "\n", 1)) {
		fprintf(stderr, "vhost-user-i2c-ctl: send: %s\n", strerror(errno));
		return 1;
	}
	in = fdopen(fd, "r");
	if (!in || getline(&reply, &cap, in) < 0) {
		fprintf(stderr, "vhost-user-i2c-ctl: no reply\n");
		free(reply);
		if (in)
			fclose(in);
		return 1;
	}
	fputs(reply, stdout);
	rep = json_loads(reply, 0, NULL);
	if (rep && json_is_true(json_object_get(rep, "ok")))
		ret = 0;
	json_decref(rep);
	free(reply);
	fclose(in);
	return ret;
}

int main(int argc, char **argv)
{
	const char *guest = NULL;
	json_t *req;
	char *line;
	int argi = 1, fd, ret;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--guest")) {
		guest = argv[2];
		argi = 3;
	}
	if (argc - argi < 2) {
		usage(stderr);
		return 2;
	}
	if (argv[argi + 1][0] == '{') {
		if (argc - argi != 2 || guest)
			return bad("%s", "a raw request goes alone");
		line = strdup(argv[argi + 1]);
	} else {
		req = json_object();
		ret = build(req, argc - argi - 1, argv + argi + 1);
		if (!ret && guest) {
			char *end;
			long n = strtol(guest, &end, 10);

			if (*end || n < 0 || n > 1023)
				ret = bad("invalid --guest '%s'", guest);
			else
				json_object_set_new(req, "guest", json_integer(n));
		}
		line = ret ? NULL : json_dumps(req, JSON_COMPACT);
		json_decref(req);
		if (ret)
			return ret;
	}
	if (!line)
		return 1;
	fd = connect_to(argv[argi]);
	ret = fd < 0 ? 1 : exchange(fd, line);
	free(line);
	return ret;
}
