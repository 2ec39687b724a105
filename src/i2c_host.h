/* SPDX-License-Identifier: MIT */
/*
 * Host I2C adapters (/dev/i2c-N, the i2c-dev driver) passed through to guests.
 *
 * An adapter is opened once and shared by every guest connection. Mode is
 * chosen from I2C_FUNCS at open: I2C mode (I2C_FUNC_I2C) runs a group as one
 * I2C_RDWR; SMBus mode translates it to one I2C_SMBUS call (i2c_smbus.h).
 *
 * Exclusive access to a device:
 *  - against host kernel drivers: every address is probed with I2C_SLAVE
 *    (never I2C_SLAVE_FORCE), which fails with EBUSY if a driver is bound,
 *    at claim time and again before every transfer, in both modes, so a
 *    driver bound later gets no guest traffic (that transfer fails);
 *  - against other daemon instances: an OFD write lock on byte <address> of
 *    the device node, held until the adapter is closed or the process dies.
 *    OFD locks belong to the open file description, so a second open of the
 *    same adapter in the same process conflicts too.
 *
 * Concurrency: one mutex per adapter is held around a whole transfer, i.e.
 * from I2C_SLAVE to the end of I2C_SMBUS in SMBus mode (the slave address is
 * state of the shared file descriptor, so two guests must not interleave
 * there) and from the I2C_SLAVE checks to the end of I2C_RDWR in I2C mode
 * (the kernel serialises transfers on an adapter anyway, so nothing is lost).
 * A transfer never waits for another adapter.
 *
 * Errors: functions return 0 or -errno; i2c_host_open returns NULL with errno
 * set. Where an err buffer is taken, it receives one line naming the adapter
 * and address, fit for the daemon's exit message.
 */
#ifndef VI2C_I2C_HOST_H
#define VI2C_I2C_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "i2c_bus.h"

#define I2C_HOST_MAX_MSGS    42	  /* I2C_RDWR_IOCTL_MAX_MSGS */
#define I2C_HOST_MAX_MSG_LEN 8192 /* longest I2C_RDWR message the kernel accepts */

struct i2c_host_adapter;

/*
 * Resolves every -l entry of cfg to an adapter number (names looked up under
 * sysfs_root, normally "/sys"). numbers_out has cfg->n_adapters entries.
 * The same adapter given twice (by number, by name, or both) is an error.
 * Returns 0, or -ENOENT / -ENOTUNIQ / -EINVAL / -errno with err filled.
 */
int i2c_host_resolve(const struct vi2c_config *cfg, const char *sysfs_root, unsigned *numbers_out,
		     char *err, size_t errlen);

/*
 * Opens <dev_dir>/i2c-<nr> (dev_dir normally "/dev") and reads its
 * functionality. Returns the adapter, owned by the caller (free with
 * i2c_host_close), or NULL with errno set and err filled.
 */
struct i2c_host_adapter *i2c_host_open(unsigned nr, const char *dev_dir, char *err, size_t errlen);

/*
 * Claims 7-bit address addr for this process: the OFD lock, then the
 * I2C_SLAVE probe. Returns 0; -EBUSY if another process holds the address or
 * a kernel driver is bound to it (err names the driver, looked up under
 * sysfs_root); -EEXIST if addr was already claimed on ad; -EINVAL; -errno.
 * A failed claim leaves nothing locked.
 */
int i2c_host_claim(struct i2c_host_adapter *ad, uint8_t addr, const char *sysfs_root, char *err,
		   size_t errlen);

/* Closes the adapter (releasing its locks) and frees it. NULL is allowed. */
void i2c_host_close(struct i2c_host_adapter *ad);

unsigned i2c_host_nr(const struct i2c_host_adapter *ad);
/* i2c_host_i2c_mode, _funcs and _gone: only the unit tests read them (test_i2c_host). */
bool i2c_host_i2c_mode(const struct i2c_host_adapter *ad);
/* The I2C_FUNCS mask read at open. */
unsigned long i2c_host_funcs(const struct i2c_host_adapter *ad);
/* True once the adapter has disappeared (ENODEV and its node is gone). */
bool i2c_host_gone(const struct i2c_host_adapter *ad);

/*
 * Runs msgs[0..n) as one combined transfer; msgs[].addr are host addresses
 * (this layer does no translation and no read-only policy). Takes the adapter
 * lock itself; thread-safe. Returns n on success, 0 on failure: a group is
 * never partially executed as far as the caller can tell, it fails as a
 * whole (too many messages, a message over 8192 bytes, a shape with no SMBus
 * equivalent, NACK, bus error, timeout, lost arbitration, an address a
 * kernel driver has taken since start-up: EBUSY from I2C_SLAVE, no transfer
 * is made). Logs what failed: NACKs and untranslatable shapes at debug
 * level, bus errors and driver-owned addresses rate-limited, the adapter
 * disappearing once; after that every call fails at once.
 */
unsigned i2c_host_transfer(struct i2c_host_adapter *ad, struct i2c_msg_buf *msgs, unsigned n);

#endif
