// SPDX-License-Identifier: MIT
/*
 * sysfs lookups against a fake /sys tree built in a temporary directory:
 * adapter names (exact match, one trailing newline, duplicates, client
 * entries and junk ignored) and the driver bound to a client.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i2c_sysfs.h"

struct tree {
	char root[64];
};

static void mkdirf(struct tree *t, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void writef(struct tree *t, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	f = fopen(path, "w");
	if (!f)
		fail_msg("fopen %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static void linkf(struct tree *t, const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	if (symlink(target, path) < 0)
		fail_msg("symlink %s: %s", path, strerror(errno));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/*
 * i2c-0 "SMBus I801 adapter at f040", i2c-1 and i2c-12 both "dup",
 * i2c-3 "trail\n\n" (two newlines), i2c-4 "nonl" without newline, i2c-5
 * without a name file, client 0-0050 "client-only" with driver at24,
 * client 0-0051 unbound, an "i2c-x" junk entry named "junk".
 */
static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	snprintf(t->root, sizeof(t->root), "/tmp/vi2c-sysfs-XXXXXX");
	if (!mkdtemp(t->root))
		return -1;
	mkdirf(t, "bus");
	mkdirf(t, "bus/i2c");
	mkdirf(t, "bus/i2c/devices");
	mkdirf(t, "bus/i2c/drivers");
	mkdirf(t, "bus/i2c/drivers/at24");
	mkdirf(t, "bus/i2c/devices/i2c-0");
	writef(t, "bus/i2c/devices/i2c-0/name", "SMBus I801 adapter at f040\n");
	mkdirf(t, "bus/i2c/devices/i2c-1");
	writef(t, "bus/i2c/devices/i2c-1/name", "dup\n");
	mkdirf(t, "bus/i2c/devices/i2c-12");
	writef(t, "bus/i2c/devices/i2c-12/name", "dup\n");
	mkdirf(t, "bus/i2c/devices/i2c-3");
	writef(t, "bus/i2c/devices/i2c-3/name", "trail\n\n");
	mkdirf(t, "bus/i2c/devices/i2c-4");
	writef(t, "bus/i2c/devices/i2c-4/name", "nonl");
	mkdirf(t, "bus/i2c/devices/i2c-5");
	mkdirf(t, "bus/i2c/devices/0-0050");
	writef(t, "bus/i2c/devices/0-0050/name", "client-only\n");
	linkf(t, "../../../../bus/i2c/drivers/at24", "bus/i2c/devices/0-0050/driver");
	mkdirf(t, "bus/i2c/devices/0-0051");
	writef(t, "bus/i2c/devices/0-0051/name", "24c02\n");
	mkdirf(t, "bus/i2c/devices/i2c-x");
	writef(t, "bus/i2c/devices/i2c-x/name", "junk\n");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;

	nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

static void expect_found(struct tree *t, const char *name, unsigned want)
{
	char err[256] = "";
	unsigned nr = 9999;

	assert_int_equal(i2c_sysfs_adapter_by_name(t->root, name, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, want);
}

static void expect_missing(struct tree *t, const char *name)
{
	char err[256] = "";
	unsigned nr = 9999;

	assert_int_equal(i2c_sysfs_adapter_by_name(t->root, name, &nr, err, sizeof(err)), -ENOENT);
	assert_int_equal(nr, 9999);
	assert_non_null(strstr(err, "no I2C adapter named"));
	assert_non_null(strstr(err, name));
}

static void test_name_exact(void **state)
{
	struct tree *t = *state;

	expect_found(t, "SMBus I801 adapter at f040", 0);
	expect_found(t, "nonl", 4);
	expect_missing(t, "SMBus I801 adapter");
	expect_missing(t, "SMBus I801 adapter at f040 ");
	expect_missing(t, "smbus i801 adapter at f040");
	expect_missing(t, "");
}

static void test_name_one_newline_trimmed(void **state)
{
	struct tree *t = *state;

	expect_missing(t, "trail");
	expect_found(t, "trail\n", 3);
}

static void test_name_ambiguous(void **state)
{
	struct tree *t = *state;
	char err[256] = "";
	unsigned nr = 9999;

	assert_int_equal(i2c_sysfs_adapter_by_name(t->root, "dup", &nr, err, sizeof(err)),
			 -ENOTUNIQ);
	assert_int_equal(nr, 9999);
	assert_non_null(strstr(err, "\"dup\""));
	assert_non_null(strstr(err, "i2c-1 and i2c-12"));
}

static void test_clients_and_junk_ignored(void **state)
{
	struct tree *t = *state;

	expect_missing(t, "client-only");
	expect_missing(t, "24c02");
	expect_missing(t, "junk");
}

static void test_no_i2c_at_all(void **state)
{
	char err[256] = "";
	unsigned nr = 9999;

	assert_int_equal(i2c_sysfs_adapter_by_name("/nonexistent-vi2c", "x", &nr, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent-vi2c/bus/i2c/devices"));
}

static void test_driver(void **state)
{
	struct tree *t = *state;
	char drv[64];

	assert_int_equal(i2c_sysfs_client_driver(t->root, 0, 0x50, drv, sizeof(drv)), 0);
	assert_string_equal(drv, "at24");
	assert_int_equal(i2c_sysfs_client_driver(t->root, 0, 0x51, drv, sizeof(drv)), -ENOENT);
	assert_string_equal(drv, "");
	assert_int_equal(i2c_sysfs_client_driver(t->root, 0, 0x52, drv, sizeof(drv)), -ENOENT);
	assert_int_equal(i2c_sysfs_client_driver(t->root, 1, 0x50, drv, sizeof(drv)), -ENOENT);
	/* Truncated, still terminated. */
	assert_int_equal(i2c_sysfs_client_driver(t->root, 0, 0x50, drv, 3), 0);
	assert_string_equal(drv, "at");
	assert_int_equal(i2c_sysfs_client_driver("/nonexistent-vi2c", 0, 0x50, drv, sizeof(drv)),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_name_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_one_newline_trimmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_ambiguous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clients_and_junk_ignored, setup, teardown),
		cmocka_unit_test(test_no_i2c_at_all),
		cmocka_unit_test_setup_teardown(test_driver, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
