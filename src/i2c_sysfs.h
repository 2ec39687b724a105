/* SPDX-License-Identifier: MIT */
/*
 * Lookups in the I2C part of sysfs, under a caller-given root ("/sys"
 * normally, a fake tree in tests): adapter name → number, and the kernel
 * driver bound to a client. Only <root>/bus/i2c/devices is read; it is
 * opened once per call and everything below it is reached relative to it.
 */
#ifndef VI2C_I2C_SYSFS_H
#define VI2C_I2C_SYSFS_H

#include <stddef.h>

/*
 * Finds the adapter whose <root>/bus/i2c/devices/i2c-N/name equals name
 * exactly (after removing one trailing newline). Only adapter entries (i2c-N)
 * count, not clients (N-00AA); unreadable entries are skipped. Returns 0 with
 * *nr set, -ENOENT if no adapter has that name, -ENOTUNIQ if two or more do
 * (err names two of them), or another -errno; on error err (errlen bytes)
 * holds one line.
 */
int i2c_sysfs_adapter_by_name(const char *root, const char *name, unsigned *nr, char *err,
			      size_t errlen);

/*
 * Writes the name of the driver bound to client <nr>-<addr as %04x> (the
 * basename of its "driver" symlink, e.g. "at24") to drv (len bytes, always
 * NUL-terminated when len > 0). Returns 0, -ENOENT if there is no such client
 * or no driver is bound, or another -errno.
 */
int i2c_sysfs_client_driver(const char *root, unsigned nr, unsigned addr, char *drv, size_t len);

#endif
