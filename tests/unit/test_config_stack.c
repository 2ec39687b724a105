// SPDX-License-Identifier: MIT
/*
 * The stack options of the parser: --fd, --print-capabilities, --syslog,
 * --trace, --socket-mode, --user/--group/--no-sandbox and the per-guest
 * device sets of --guest. Bad command lines are checked by their exact error line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MAX_ARGS 24

struct args {
	int argc;
	char *argv[MAX_ARGS + 1];
};

static void args_init(struct args *a, const char *const *src)
{
	a->argc = 0;
	a->argv[a->argc++] = strdup("vhost-user-i2c");
	for (; *src; src++) {
		assert_true(a->argc < MAX_ARGS);
		a->argv[a->argc++] = strdup(*src);
	}
	a->argv[a->argc] = NULL;
}

static void args_free(struct args *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
}

/* Parses; the argv strings stay alive in *a until args_free (cfg borrows -e specs). */
static enum cfg_result parse(struct vi2c_config *cfg, struct args *a, const char *const *src,
			     char *err, size_t errlen, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	enum cfg_result r;

	assert_non_null(f);
	args_init(a, src);
	r = config_parse(cfg, a->argc, a->argv, f, err, errlen);
	fclose(f);
	return r;
}

#define PARSE_OK(cfg, a, ...)                                                                      \
	do {                                                                                       \
		static const char *const src_[] = {__VA_ARGS__, NULL};                             \
		char err_[256] = "", *out_ = NULL;                                                 \
		enum cfg_result r_ = parse(cfg, a, src_, err_, sizeof(err_), &out_);               \
		if (r_ != CFG_OK)                                                                  \
			fail_msg("parse failed: %s", err_);                                        \
		free(out_);                                                                        \
	} while (0)

static void expect_error(const char *want, const char *const *src)
{
	struct vi2c_config cfg;
	struct args a;
	char err[256] = "", *out = NULL;
	static const struct vi2c_config zero;

	assert_int_equal(parse(&cfg, &a, src, err, sizeof(err), &out), CFG_ERROR);
	assert_string_equal(err, want);
	assert_memory_equal(&cfg, &zero, sizeof(cfg));
	free(out);
	args_free(&a);
}

#define BAD(want, ...)                                                                             \
	do {                                                                                       \
		static const char *const src_[] = {__VA_ARGS__, NULL};                             \
		expect_error(want, src_);                                                          \
	} while (0)

static void test_defaults(void **state)
{
	struct vi2c_config cfg;
	struct args a;

	(void)state;
	PARSE_OK(&cfg, &a, "-s", "/tmp/s", "-e", "stub@0x20");
	assert_int_equal(cfg.fd, -1);
	assert_false(cfg.syslog);
	assert_false(cfg.trace);
	assert_null(cfg.trace_path);
	assert_false(cfg.no_sandbox);
	assert_null(cfg.user);
	assert_null(cfg.group);
	assert_int_equal(cfg.socket_mode, 0600);
	assert_int_equal(cfg.poll_max_ns, VI2C_DEFAULT_POLL_MAX_NS);
	assert_int_equal(cfg.n_guests, 0);
	config_free(&cfg);
	args_free(&a);
}

static void test_stack_options(void **state)
{
	struct vi2c_config cfg;
	struct args a;

	(void)state;
	PARSE_OK(&cfg, &a, "--fd=7", "-e", "stub@0x20", "--syslog", "--trace", "--socket-mode",
		 "0660", "--user=qemu", "--group", "kvm");
	assert_int_equal(cfg.fd, 7);
	assert_null(cfg.socket_path);
	assert_int_equal(cfg.socket_count, 1);
	assert_true(cfg.syslog);
	assert_true(cfg.trace);
	assert_null(cfg.trace_path);
	assert_int_equal(cfg.socket_mode, 0660);
	assert_string_equal(cfg.user, "qemu");
	assert_string_equal(cfg.group, "kvm");
	config_free(&cfg);
	args_free(&a);

	PARSE_OK(&cfg, &a, "-c", "1", "--fd", "3", "-e", "stub@0x20", "--trace=/x/t",
		 "--no-sandbox", "--socket-mode=7", "--poll-max-ns=0");
	assert_int_equal(cfg.fd, 3);
	assert_int_equal(cfg.poll_max_ns, 0);
	assert_string_equal(cfg.trace_path, "/x/t");
	assert_true(cfg.no_sandbox);
	assert_int_equal(cfg.socket_mode, 07);
	config_free(&cfg);
	args_free(&a);
}

static void test_guest_sets(void **state)
{
	struct vi2c_config cfg;
	const struct vi2c_config *set;
	struct args a;
	int g;

	(void)state;
	PARSE_OK(&cfg, &a, "-s", "/tmp/s", "-c", "6", "-e", "lm75@0x48", "--guest", "1,3-4", "-e",
		 "24c02@0x50", "-l", "1:0x51", "--guest=5", "-e", "24c02@0x50", "-e", "stub@0x48");
	assert_int_equal(cfg.n_emuls, 1);
	assert_int_equal(cfg.n_guests, 2);
	assert_string_equal(cfg.guests[0].spec, "1,3-4");
	assert_int_equal(cfg.guests[0].devs.n_emuls, 1);
	assert_int_equal(cfg.guests[0].devs.n_adapters, 1);
	assert_int_equal(cfg.guests[1].devs.n_emuls, 2);
	for (unsigned s = 0; s < 6; s++) {
		static const int want[6] = {-1, 0, -1, 0, 0, 1};

		set = config_devices_for(&cfg, s, &g);
		assert_int_equal(g, want[s]);
		assert_ptr_equal(set, g < 0 ? &cfg : &cfg.guests[g].devs);
	}
	assert_false(config_guest_has(&cfg.guests[0], 2));
	assert_true(config_guest_has(&cfg.guests[0], 4));
	config_free(&cfg);
	args_free(&a);

	/* Every socket in a --guest: no common devices needed. */
	PARSE_OK(&cfg, &a, "-s", "/tmp/s", "-c", "2", "--guest", "0-1", "-e", "stub@0x20");
	assert_int_equal(cfg.n_guests, 1);
	config_free(&cfg);
	args_free(&a);
}

static void test_print_capabilities(void **state)
{
	static const char *const src[] = {"--bogus", "-c", "0", "--print-capabilities", NULL};
	static const char *const abbrev[] = {"--print-cap", NULL};
	static const struct vi2c_config zero;
	struct vi2c_config cfg;
	struct args a;
	char err[256] = "", *out = NULL;

	(void)state;
	assert_int_equal(parse(&cfg, &a, src, err, sizeof(err), &out), CFG_EXIT_OK);
	assert_string_equal(out, "{\"type\": \"i2c\", \"features\": []}\n");
	assert_memory_equal(&cfg, &zero, sizeof(cfg));
	free(out);
	args_free(&a);
	assert_int_equal(parse(&cfg, &a, abbrev, err, sizeof(err), &out), CFG_EXIT_OK);
	assert_string_equal(out, VI2C_CAPABILITIES "\n");
	free(out);
	args_free(&a);
}

static void test_bad(void **state)
{
	(void)state;
	BAD("options '--socket-path' and '--fd' are exclusive", "-s", "/tmp/s", "--fd", "5", "-e",
	    "stub@0x20");
	BAD("options '--socket-path' and '--fd' are exclusive", "--fd", "5", "-s", "/tmp/s");
	BAD("invalid --fd '2': must be a descriptor number 3..2147483647", "--fd", "2");
	BAD("invalid --fd 'x': must be a descriptor number 3..2147483647", "--fd=x");
	BAD("option '--fd' given more than once", "--fd", "4", "--fd", "4");
	BAD("option '--socket-count' must be 1 with '--fd'", "--fd", "4", "-c", "2", "-e",
	    "stub@0x20");
	BAD("option '--socket-path' is required", "-e", "stub@0x20", "--syslog");
	BAD("option '--syslog' doesn't allow an argument", "--syslog=yes");
	BAD("option '--fd' needs an argument", "-e", "stub@0x20", "--fd");
	BAD("invalid --trace '': give a file name or no '='", "--trace=");
	BAD("option '--trace' given more than once", "--trace", "--trace=/t");
	BAD("invalid --socket-mode '0800': must be octal 000..777", "--socket-mode=0800");
	BAD("invalid --socket-mode '1777': must be octal 000..777", "--socket-mode=1777");
	BAD("invalid --socket-mode '': must be octal 000..777", "--socket-mode=");
	BAD("invalid --poll-max-ns '1000000001': must be 0..1000000000 nanoseconds",
	    "--poll-max-ns=1000000001");
	BAD("invalid --poll-max-ns '-1': must be 0..1000000000 nanoseconds", "--poll-max-ns=-1");
	BAD("invalid --poll-max-ns '5us': must be 0..1000000000 nanoseconds", "--poll-max-ns=5us");
	BAD("invalid --user 'a:b': expected a name", "--user=a:b");
	BAD("option '--group' given more than once", "--group=a", "--group=b");
	BAD("option '--user' has no effect with '--no-sandbox'", "-s", "/tmp/s", "-e", "stub@0x20",
	    "--no-sandbox", "--user", "qemu");
	BAD("invalid --guest '': expected socket indices like 0,2-3", "--guest=");
	BAD("invalid --guest '1,': trailing ','", "--guest", "1,");
	BAD("invalid --guest '3-1': '3-1' is not a socket index 0..1023 or a range N-M", "--guest",
	    "3-1");
	BAD("invalid --guest '1024': '1024' is not a socket index 0..1023 or a range N-M",
	    "--guest", "1024");
	BAD("invalid --guest 'a': 'a' is not a socket index 0..1023 or a range N-M", "--guest",
	    "a");
	BAD("invalid --guest '1,1': socket 1 twice", "--guest", "1,1");
	BAD("invalid --guest '0-2': socket 1 is in an earlier --guest", "--guest", "1", "-e",
	    "stub@0x20", "--guest", "0-2");
	BAD("invalid --guest '0,2': socket 2 does not exist (2 sockets)", "-s", "/tmp/s", "-c", "2",
	    "--guest", "0,2", "-e", "stub@0x20");
	BAD("--guest '1' has no --device-list or --emulate", "-s", "/tmp/s", "-c", "2", "-e",
	    "stub@0x20", "--guest", "1");
	BAD("socket 0 has no devices: give --device-list/--emulate before the first --guest, or a "
	    "--guest for it",
	    "-s", "/tmp/s", "-c", "2", "--guest", "1", "-e", "stub@0x20");
	BAD("the --device-list/--emulate options before the first --guest serve no socket: every "
	    "socket has a --guest",
	    "-s", "/tmp/s", "-e", "lm75@0x48", "--guest", "0", "-e", "stub@0x20");
	BAD("duplicate address 0x20 (--emulate 'stub@0x20' and --emulate 'lm75@0x20')", "-s",
	    "/tmp/s", "--guest", "0", "-e", "stub@0x20", "-e", "lm75@0x20");
	BAD("host device 0x50 of adapter 1 is in two device sets (--device-list '1:0x50' and "
	    "'1:0x52:80')",
	    "-s", "/tmp/s", "-c", "2", "-l", "1:0x50", "--guest", "1", "-l", "1:0x52:80");
	BAD("host device 0x10 of adapter 'i2c-tiny' is in two device sets (--device-list "
	    "'i2c-tiny:16@0x20' and 'i2c-tiny:0x10')",
	    "-s", "/tmp/s", "-c", "2", "--guest", "0", "-l", "i2c-tiny:16@0x20", "--guest", "1",
	    "-l", "i2c-tiny:0x10");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),   cmocka_unit_test(test_stack_options),
		cmocka_unit_test(test_guest_sets), cmocka_unit_test(test_print_capabilities),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
