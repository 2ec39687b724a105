// SPDX-License-Identifier: MIT
#include "i2c_host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include "i2c_smbus.h"
#include "i2c_sysfs.h"
#include "log.h"
#include "addr_set.h"
#include "clock.h"

#define WARN_INTERVAL_NS 1000000000LL /* at most one bus-error warning per adapter per second */

#define SMBUS_ANY_FUNC                                                                             \
	(I2C_FUNC_SMBUS_QUICK | I2C_FUNC_SMBUS_BYTE | I2C_FUNC_SMBUS_BYTE_DATA |                   \
	 I2C_FUNC_SMBUS_WORD_DATA | I2C_FUNC_SMBUS_PROC_CALL | I2C_FUNC_SMBUS_BLOCK_DATA |         \
	 I2C_FUNC_SMBUS_I2C_BLOCK)

struct i2c_host_adapter {
	unsigned nr;
	int fd; /* -1 once the adapter is gone */
	char path[PATH_MAX];
	struct stat node; /* identity of the node at open, to tell "gone" from "no such chip" */
	unsigned long funcs;
	bool i2c_mode;
	pthread_mutex_t lock; /* held around a whole transfer; protects everything below */
	bool gone;
	bool zero_len_rejected; /* I2C_RDWR refused a zero-length message: use SMBus quick */
	struct addr_set claimed; /* 7-bit addresses with a device set up on this adapter */
	long long last_warn_ns;
	unsigned suppressed;
};

static const char *describe_entry(const struct cfg_adapter *a, char *buf, size_t len)
{
	if (a->by_name)
		snprintf(buf, len, "\"%s\"", a->name);
	else
		snprintf(buf, len, "%u", a->number);
	return buf;
}

int i2c_host_resolve(const struct vi2c_config *cfg, const char *sysfs_root, unsigned *numbers_out,
		     char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->n_adapters; i++) {
		const struct cfg_adapter *a = &cfg->adapters[i];
		unsigned nr = a->number;

		if (a->by_name) {
			int ret = i2c_sysfs_adapter_by_name(sysfs_root, a->name, &nr, err, errlen);

			if (ret < 0)
				return ret;
		}
		for (size_t j = 0; j < i; j++) {
			char d1[80], d2[80];

			if (numbers_out[j] != nr)
				continue;
			snprintf(err, errlen,
				 "adapter i2c-%u is given twice in the device list (as %s "
				 "and as %s)",
				 nr, describe_entry(&cfg->adapters[j], d1, sizeof(d1)),
				 describe_entry(a, d2, sizeof(d2)));
			return -EINVAL;
		}
		numbers_out[i] = nr;
	}
	return 0;
}

struct i2c_host_adapter *i2c_host_open(unsigned nr, const char *dev_dir, char *err, size_t errlen)
{
	struct i2c_host_adapter *ad;
	int w, e;

	ad = calloc(1, sizeof(*ad));
	if (!ad) {
		snprintf(err, errlen, "i2c-%u: out of memory", nr);
		return NULL;
	}
	ad->nr = nr;
	w = snprintf(ad->path, sizeof(ad->path), "%s/i2c-%u", dev_dir, nr);
	if (w < 0 || (size_t)w >= sizeof(ad->path)) {
		e = ENAMETOOLONG;
		snprintf(err, errlen, "i2c-%u: device path too long", nr);
		goto err_free;
	}
	ad->fd = open(ad->path, O_RDWR | O_CLOEXEC);
	if (ad->fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open %s: %s%s", ad->path, strerror(e),
			 e == ENOENT ? " (no such adapter, or the i2c-dev module is not loaded)"
				     : "");
		goto err_free;
	}
	if (fstat(ad->fd, &ad->node) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: fstat: %s", ad->path, strerror(e));
		goto err_close;
	}
	if (ioctl(ad->fd, I2C_FUNCS, &ad->funcs) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: I2C_FUNCS: %s (not an i2c-dev node?)", ad->path,
			 strerror(e));
		goto err_close;
	}
	if (ad->funcs & I2C_FUNC_I2C) {
		ad->i2c_mode = true;
	} else if (!(ad->funcs & SMBUS_ANY_FUNC)) {
		e = EOPNOTSUPP;
		snprintf(err, errlen,
			 "%s: adapter supports neither I2C nor SMBus transfers "
			 "(functionality 0x%08lx)",
			 ad->path, ad->funcs);
		goto err_close;
	}
	e = pthread_mutex_init(&ad->lock, NULL);
	if (e) {
		snprintf(err, errlen, "i2c-%u: mutex: %s", nr, strerror(e));
		goto err_close;
	}
	log_info("i2c-%u: %s mode (functionality 0x%08lx)", nr, ad->i2c_mode ? "I2C" : "SMBus",
		 ad->funcs);
	return ad;

err_close:
	close(ad->fd);
err_free:
	free(ad);
	errno = e;
	return NULL;
}

static int set_addr_lock(struct i2c_host_adapter *ad, unsigned addr, short type)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = (off_t)addr,
		.l_len = 1,
	};

	return fcntl(ad->fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

static int claim_locked(struct i2c_host_adapter *ad, uint8_t addr, const char *sysfs_root,
			char *err, size_t errlen)
{
	int ret, e;

	if (addr > VI2C_MAX_ADDR) {
		snprintf(err, errlen, "i2c-%u: address 0x%02x is not a 7-bit address", ad->nr,
			 addr);
		return -EINVAL;
	}
	if (addr_set_has(&ad->claimed, addr)) {
		snprintf(err, errlen, "i2c-%u address 0x%02x is given twice", ad->nr, addr);
		return -EEXIST;
	}
	if (ad->fd < 0) {
		snprintf(err, errlen, "i2c-%u has disappeared", ad->nr);
		return -ENODEV;
	}

	ret = set_addr_lock(ad, addr, F_WRLCK);
	if (ret == -EAGAIN || ret == -EACCES) {
		snprintf(err, errlen,
			 "i2c-%u address 0x%02x is already passed through by another "
			 "process",
			 ad->nr, addr);
		return -EBUSY;
	}
	if (ret < 0) {
		snprintf(err, errlen, "i2c-%u address 0x%02x: cannot lock %s: %s", ad->nr, addr,
			 ad->path, strerror(-ret));
		return ret;
	}

	if (ioctl(ad->fd, I2C_SLAVE, (unsigned long)addr) < 0) {
		char drv[64];

		e = errno;
		set_addr_lock(ad, addr, F_UNLCK);
		if (e != EBUSY) {
			snprintf(err, errlen, "i2c-%u address 0x%02x: I2C_SLAVE: %s", ad->nr, addr,
				 strerror(e));
			return -e;
		}
		if (i2c_sysfs_client_driver(sysfs_root, ad->nr, addr, drv, sizeof(drv)) == 0)
			snprintf(err, errlen,
				 "i2c-%u address 0x%02x is in use by host kernel driver "
				 "%s (unbind it first)",
				 ad->nr, addr, drv);
		else
			snprintf(err, errlen,
				 "i2c-%u address 0x%02x is in use by a host kernel "
				 "driver (unbind it first)",
				 ad->nr, addr);
		return -EBUSY;
	}
	addr_set_add(&ad->claimed, addr);
	return 0;
}

int i2c_host_claim(struct i2c_host_adapter *ad, uint8_t addr, const char *sysfs_root, char *err,
		   size_t errlen)
{
	int ret;

	pthread_mutex_lock(&ad->lock);
	ret = claim_locked(ad, addr, sysfs_root, err, errlen);
	pthread_mutex_unlock(&ad->lock);
	return ret;
}

void i2c_host_close(struct i2c_host_adapter *ad)
{
	if (!ad)
		return;
	if (ad->fd >= 0)
		close(ad->fd);
	pthread_mutex_destroy(&ad->lock);
	free(ad);
}

unsigned i2c_host_nr(const struct i2c_host_adapter *ad)
{
	return ad->nr;
}

bool i2c_host_i2c_mode(const struct i2c_host_adapter *ad)
{
	return ad->i2c_mode;
}

unsigned long i2c_host_funcs(const struct i2c_host_adapter *ad)
{
	return ad->funcs;
}

bool i2c_host_gone(const struct i2c_host_adapter *ad)
{
	return __atomic_load_n(&ad->gone, __ATOMIC_ACQUIRE);
}

/*
 * ENODEV also means "no chip at this address" on some adapters (i2c-stub), so
 * the adapter counts as gone only when its node disappeared or was replaced.
 * Its file is then closed at once: the kernel waits for the last user of a
 * removed adapter before it can finish removing it.
 */
static bool check_gone(struct i2c_host_adapter *ad)
{
	struct stat now;

	if (stat(ad->path, &now) == 0 && now.st_dev == ad->node.st_dev &&
	    now.st_ino == ad->node.st_ino && now.st_rdev == ad->node.st_rdev)
		return false;
	__atomic_store_n(&ad->gone, true, __ATOMIC_RELEASE);
	close(ad->fd);
	ad->fd = -1;
	log_err("i2c-%u: adapter disappeared; requests to it fail from now on", ad->nr);
	return true;
}

/* Logs a failed transfer; called with the adapter lock held. */
static void report_error(struct i2c_host_adapter *ad, int e, unsigned addr, const char *what)
{
	char more[48] = "";
	long long now;

	if (e != ENXIO && e != EREMOTEIO && e != EAGAIN && e != ETIMEDOUT && e != EOPNOTSUPP &&
	    e != EINVAL && e != EBUSY && check_gone(ad))
		return;
	/* A NACK is the device's answer, not a fault (i2c-stub says ENODEV for it). */
	if (e == ENXIO || e == EREMOTEIO || e == ENODEV) {
		log_debug("i2c-%u: 0x%02x did not acknowledge (%s: %s)", ad->nr, addr, what,
			  strerror(e));
		return;
	}
	now = (long long)mono_ns();
	if (ad->last_warn_ns && now - ad->last_warn_ns < WARN_INTERVAL_NS) {
		ad->suppressed++;
		return;
	}
	if (ad->suppressed)
		snprintf(more, sizeof(more), " (%u similar errors suppressed)", ad->suppressed);
	if (e == EBUSY && !strcmp(what, "I2C_SLAVE"))
		/* The driver's name is in sysfs, which the sandbox no longer lets us read. */
		log_warn("i2c-%u: 0x%02x is now in use by a host kernel driver (see "
			 "/sys/bus/i2c/devices/%u-%04x/driver): requests to it fail%s",
			 ad->nr, addr, ad->nr, addr, more);
	else
		log_warn("i2c-%u: %s to 0x%02x failed: %s%s", ad->nr, what, addr, strerror(e),
			 more);
	ad->last_warn_ns = now;
	ad->suppressed = 0;
}

/* I2C_SLAVE (never _FORCE) then I2C_SMBUS. 0 or -errno, logged. */
static int smbus_run(struct i2c_host_adapter *ad, struct i2c_smbus_op *op)
{
	struct i2c_smbus_ioctl_data args = {
		.read_write = op->read_write,
		.command = op->command,
		.size = op->size,
		.data = i2c_smbus_op_data(op),
	};
	int e;

	if (ioctl(ad->fd, I2C_SLAVE, (unsigned long)op->addr) < 0) {
		e = errno;
		report_error(ad, e, op->addr, "I2C_SLAVE");
		return -e;
	}
	if (ioctl(ad->fd, I2C_SMBUS, &args) < 0) {
		e = errno;
		report_error(ad, e, op->addr, "I2C_SMBUS");
		return -e;
	}
	return 0;
}

static unsigned xfer_smbus(struct i2c_host_adapter *ad, struct i2c_msg_buf *msgs, unsigned n)
{
	struct i2c_smbus_op op;
	const char *why = NULL;
	char shape[96];
	int ret;

	ret = i2c_smbus_prepare(msgs, n, ad->funcs, &op, &why);
	if (ret < 0) {
		log_debug("i2c-%u: group %s to 0x%02x refused on an SMBus adapter: %s", ad->nr,
			  i2c_smbus_shape(msgs, n, shape, sizeof(shape)), msgs[0].addr, why);
		return 0;
	}
	if (smbus_run(ad, &op) < 0)
		return 0;
	ret = i2c_smbus_complete(&op, msgs, n);
	if (ret < 0) {
		report_error(ad, -ret, op.addr, "I2C_SMBUS result");
		return 0;
	}
	return n;
}

static unsigned xfer_quick(struct i2c_host_adapter *ad, struct i2c_msg_buf *msg)
{
	struct i2c_smbus_op op = {
		.addr = msg->addr,
		.read_write = msg->read ? I2C_SMBUS_READ : I2C_SMBUS_WRITE,
		.size = I2C_SMBUS_QUICK,
	};

	return smbus_run(ad, &op) < 0 ? 0 : 1;
}

/*
 * I2C_RDWR does not look at drivers: claims each address of the group again
 * with I2C_SLAVE (never _FORCE), so a driver bound since start-up gets no
 * guest traffic. 0 or -errno (EBUSY: a driver has the address), logged.
 */
static int claim_group(struct i2c_host_adapter *ad, const struct i2c_msg_buf *msgs, unsigned n)
{
	struct addr_set done = {0};

	for (unsigned i = 0; i < n; i++) {
		unsigned a = msgs[i].addr;
		int e;

		if (a > VI2C_MAX_ADDR)
			return -EINVAL;
		if (addr_set_has(&done, a))
			continue;
		addr_set_add(&done, a);
		if (ioctl(ad->fd, I2C_SLAVE, (unsigned long)a) < 0) {
			e = errno;
			report_error(ad, e, a, "I2C_SLAVE");
			return -e;
		}
	}
	return 0;
}

static unsigned xfer_i2c(struct i2c_host_adapter *ad, struct i2c_msg_buf *msgs, unsigned n)
{
	struct i2c_msg kmsgs[I2C_HOST_MAX_MSGS];
	struct i2c_rdwr_ioctl_data args = {.msgs = kmsgs, .nmsgs = n};
	bool has_zero_len = false;
	int ret, e;

	if (n > I2C_HOST_MAX_MSGS) {
		log_debug("i2c-%u: group of %u messages exceeds the %u of I2C_RDWR", ad->nr, n,
			  I2C_HOST_MAX_MSGS);
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		if (msgs[i].len > I2C_HOST_MAX_MSG_LEN) {
			log_debug("i2c-%u: message of %u bytes exceeds the %u of I2C_RDWR", ad->nr,
				  (unsigned)msgs[i].len, I2C_HOST_MAX_MSG_LEN);
			return 0;
		}
		has_zero_len |= msgs[i].len == 0;
		kmsgs[i] = (struct i2c_msg){
			.addr = msgs[i].addr,
			.flags = msgs[i].read ? I2C_M_RD : 0,
			.len = msgs[i].len,
			.buf = msgs[i].buf,
		};
	}
	if (n == 1 && has_zero_len && ad->zero_len_rejected)
		return xfer_quick(ad, &msgs[0]);
	if (claim_group(ad, msgs, n) < 0)
		return 0;

	ret = ioctl(ad->fd, I2C_RDWR, &args);
	if (ret == (int)n)
		return n;
	if (ret >= 0) {
		/* Some adapters (virtio-i2c among them) report a NACK as a short count. */
		log_debug("i2c-%u: I2C_RDWR transferred %d of %u messages", ad->nr, ret, n);
		return 0;
	}
	e = errno;
	if ((e == EOPNOTSUPP || e == EINVAL) && has_zero_len) {
		if (n == 1 && (ad->funcs & I2C_FUNC_SMBUS_QUICK)) {
			log_info("i2c-%u: adapter refuses zero-length messages, using SMBus quick",
				 ad->nr);
			ad->zero_len_rejected = true;
			return xfer_quick(ad, &msgs[0]);
		}
		log_debug("i2c-%u: adapter refuses a group with a zero-length message", ad->nr);
		return 0;
	}
	report_error(ad, e, msgs[0].addr, "I2C_RDWR");
	return 0;
}

unsigned i2c_host_transfer(struct i2c_host_adapter *ad, struct i2c_msg_buf *msgs, unsigned n)
{
	unsigned done = 0;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&ad->lock);
	if (!ad->gone)
		done = ad->i2c_mode ? xfer_i2c(ad, msgs, n) : xfer_smbus(ad, msgs, n);
	pthread_mutex_unlock(&ad->lock);
	return done;
}
