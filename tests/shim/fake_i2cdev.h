/* SPDX-License-Identifier: MIT */
/*
 * fake_i2cdev: an LD_PRELOAD library that plays the kernel's i2c-dev driver
 * for tests on machines without I2C (no root, no modules).
 *
 * It intercepts open/openat/close/ioctl/stat/opendir. Opens of /dev/i2c-N,
 * or of <dev>/i2c-N, for a configured adapter N open a regular file
 * <dev>/i2c-N (so fcntl locks work for real) and the fd is then served by
 * the fake: I2C_FUNCS, I2C_SLAVE(_FORCE), I2C_RDWR, I2C_SMBUS, with the
 * kernel's checks (42 messages, 8192 bytes, EOPNOTSUPP for RDWR without
 * I2C_FUNC_I2C or for a zero-length message on a no-zero-len adapter, EBUSY
 * for an address with a bound driver, ENXIO for an address nobody answers,
 * EINVAL for any message flag but I2C_M_RD). opendir of /sys/bus/i2c/... and
 * stat of /dev/i2c-N are redirected into the fake trees.
 *
 * Every answering address is a 256-byte register file with an auto-
 * incrementing pointer (first written byte = pointer), like i2c-stub; register
 * r of the device at address a starts as (a + r) & 0xff. SMBus calls act on
 * it with the bytes they would put on the wire (a block read returns
 * regs[cmd] as count, then that many registers).
 *
 * Configuration: the file named by $VI2C_SHIM_CONFIG, read at the first
 * intercepted call, or fake_i2cdev_load() in-process. One directive a line,
 * '#' starts a comment, numbers are C literals (0x.. allowed):
 *   dev DIR             fake node directory (i2c-N files are created there)
 *   sysfs DIR           fake sysfs root, generated: bus/i2c/devices/i2c-N/name,
 *                       N-00AA/driver -> .../drivers/DRV for busy devices
 *   log FILE            also append each log line to FILE
 *   adapter NR [funcs=HEX|i2c|stub] [name=NAME|name="A NAME"] [no-zero-len]
 *                       [gone-after=K]   (the K+1-th transfer gives ENODEV,
 *                       the node is unlinked, every later ioctl gives ENODEV)
 *   device NR ADDR [busy=DRIVER] [client]   (client: unbound sysfs client)
 *   reg NR ADDR START BYTE...               preset registers (bytes in hex)
 *   delay NR ADDR MS     every transfer to ADDR takes MS milliseconds (slow device)
 *   bind NR ADDR DRIVER after=K   a kernel driver binds to ADDR once K >= 1
 *                       transfers (I2C_RDWR, I2C_SMBUS) have run on adapter NR:
 *                       I2C_SLAVE to ADDR gives EBUSY from then on (its sysfs
 *                       driver link exists from the start)
 *   fail NR ADDR ERRNAME [skip=K] [count=C] fail C (default 1, 0 = forever)
 *                       transfers to ADDR after letting K pass; ERRNAME is
 *                       ENXIO, EREMOTEIO, EIO, ETIMEDOUT, EAGAIN or ENODEV
 *
 * Log (one line per call, in memory and in the log file):
 *   open i2c-N
 *   I2C_FUNCS i2c-N -> ok
 *   I2C_SLAVE i2c-N 0x50 -> ok | EBUSY ...
 *   I2C_SLAVE_FORCE i2c-N 0x50 -> ok
 *   I2C_RDWR i2c-N W0x50/1 R0x50/4 -> ok | ENXIO ...
 *   I2C_SMBUS i2c-N 0x50 W BYTE_DATA cmd=0x10 -> ok
 *   driver at24 binds to i2c-N 0x50     (bind, or fake_i2cdev_set_driver)
 *   driver - unbound from i2c-N 0x50    (fake_i2cdev_set_driver with NULL)
 *
 * In-process control: the test is run with the library preloaded and finds
 * these with dlsym(RTLD_DEFAULT, ...); see fake_i2cdev_bind() below.
 */
#ifndef VI2C_FAKE_I2CDEV_H
#define VI2C_FAKE_I2CDEV_H

#include <dlfcn.h>
#include <stdbool.h>

/* Replaces the whole fake with the configuration text. 0 or -errno. */
typedef int fake_i2cdev_load_fn(const char *text);
/* The log since the last load; malloc'd, the caller frees it. */
typedef char *fake_i2cdev_log_fn(void);
/* Register reg of the device at addr on adapter nr, or -1 if there is none. */
typedef int fake_i2cdev_reg_fn(unsigned nr, unsigned addr, unsigned reg);
/* Binds a kernel driver to addr on adapter nr now (NULL: unbinds). 0 or -ENOENT. */
typedef int fake_i2cdev_set_driver_fn(unsigned nr, unsigned addr, const char *driver);

struct fake_i2cdev {
	fake_i2cdev_load_fn *load;
	fake_i2cdev_log_fn *log;
	fake_i2cdev_reg_fn *reg;
	fake_i2cdev_set_driver_fn *set_driver;
};

/* Fills *f from the preloaded library; false if it is not preloaded. */
static inline bool fake_i2cdev_bind(struct fake_i2cdev *f)
{
	f->load = (fake_i2cdev_load_fn *)dlsym(RTLD_DEFAULT, "fake_i2cdev_load");
	f->log = (fake_i2cdev_log_fn *)dlsym(RTLD_DEFAULT, "fake_i2cdev_log");
	f->reg = (fake_i2cdev_reg_fn *)dlsym(RTLD_DEFAULT, "fake_i2cdev_reg");
	f->set_driver = (fake_i2cdev_set_driver_fn *)dlsym(RTLD_DEFAULT, "fake_i2cdev_set_driver");
	return f->load && f->log && f->reg && f->set_driver;
}

#endif
