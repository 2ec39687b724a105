// SPDX-License-Identifier: MIT
#include "i2c_sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ADAPTER_NAME_MAX 128 /* the kernel's is 48 bytes */

static DIR *open_devices_dir(const char *root)
{
	char path[PATH_MAX];
	int w = snprintf(path, sizeof(path), "%s/bus/i2c/devices", root);

	if (w < 0 || (size_t)w >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return opendir(path);
}

/* "i2c-<decimal>" exactly, without sign, leading junk or overflow. */
static bool parse_adapter_entry(const char *entry, unsigned *nr)
{
	unsigned long v = 0;
	const char *p;

	if (strncmp(entry, "i2c-", 4) != 0 || entry[4] == '\0')
		return false;
	for (p = entry + 4; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > UINT_MAX / 2)
			return false;
	}
	*nr = (unsigned)v;
	return true;
}

/* Reads <entry>/name into buf without its trailing newline. 0 or -errno. */
static int read_adapter_name(int dirfd, const char *entry, char *buf, size_t len)
{
	char path[NAME_MAX + 8];
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "%s/name", entry);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read(fd, buf, len - 1);
	close(fd);
	if (got < 0)
		return -errno;
	buf[got] = '\0';
	if (got > 0 && buf[got - 1] == '\n')
		buf[got - 1] = '\0';
	return 0;
}

int i2c_sysfs_adapter_by_name(const char *root, const char *name, unsigned *nr, char *err,
			      size_t errlen)
{
	unsigned found[2], n_found = 0;
	struct dirent *de;
	DIR *dir;

	dir = open_devices_dir(root);
	if (!dir) {
		int e = errno;

		snprintf(err, errlen, "no I2C adapter named \"%s\": %s/bus/i2c/devices: %s", name,
			 root, strerror(e));
		return -e;
	}
	while ((de = readdir(dir))) {
		char buf[ADAPTER_NAME_MAX];
		unsigned candidate;

		if (!parse_adapter_entry(de->d_name, &candidate))
			continue;
		if (read_adapter_name(dirfd(dir), de->d_name, buf, sizeof(buf)) < 0)
			continue;
		if (strcmp(buf, name) != 0)
			continue;
		/* Keep the two lowest numbers so the message does not depend on readdir order. */
		if (n_found < 2) {
			found[n_found++] = candidate;
		} else if (candidate < found[1]) {
			found[1] = candidate;
		}
		if (n_found == 2 && found[1] < found[0]) {
			unsigned t = found[0];

			found[0] = found[1];
			found[1] = t;
		}
	}
	closedir(dir);

	if (n_found == 0) {
		snprintf(err, errlen, "no I2C adapter named \"%s\" in %s/bus/i2c/devices", name,
			 root);
		return -ENOENT;
	}
	if (n_found > 1) {
		snprintf(err, errlen,
			 "adapter name \"%s\" is ambiguous: shared by i2c-%u and i2c-%u (use the "
			 "number)",
			 name, found[0], found[1]);
		return -ENOTUNIQ;
	}
	*nr = found[0];
	return 0;
}

int i2c_sysfs_client_driver(const char *root, unsigned nr, unsigned addr, char *drv, size_t len)
{
	char link[32], target[PATH_MAX];
	const char *base;
	ssize_t got;
	DIR *dir;
	int ret = 0;

	if (len == 0)
		return -EINVAL;
	drv[0] = '\0';
	dir = open_devices_dir(root);
	if (!dir)
		return -errno;
	snprintf(link, sizeof(link), "%u-%04x/driver", nr, addr);
	got = readlinkat(dirfd(dir), link, target, sizeof(target) - 1);
	if (got < 0) {
		ret = -errno;
		goto out;
	}
	target[got] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (!*base) {
		ret = -ENOENT;
		goto out;
	}
	snprintf(drv, len, "%s", base);
out:
	closedir(dir);
	return ret;
}
