/* SPDX-License-Identifier: MIT */
/*
 * The guest's I2C bus: which device answers at which 7-bit address, and the
 * execution of one combined transfer (repeated STARTs, one STOP) on it.
 *
 * Devices are emulated (emul.h) or real ones on host adapters (i2c_host.h),
 * possibly shown at another address than their host one, possibly read-only.
 * One bus is shared by every guest connection.
 *
 * Locking: a transfer to emulated devices holds the lock of every device it
 * addresses (taken in address order, so two transfers never deadlock) from
 * its first START to its STOP; a transfer to a host adapter holds that
 * adapter's lock (inside i2c_host). Either way a transfer is atomic with
 * respect to other guests, and guests using other devices never wait.
 */
#ifndef VI2C_I2C_BUS_H
#define VI2C_I2C_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "emul.h"

#define I2C_BUS_ADDRS 128

struct i2c_host_adapter;

/* One message of a combined transfer. buf is owned by the caller. */
struct i2c_msg_buf {
	uint8_t addr; /* 7-bit */
	bool read;
	uint16_t len;
	uint8_t *buf;
};

struct i2c_bus;

/* Returns an empty bus, or NULL with errno set. Free with i2c_bus_free. */
struct i2c_bus *i2c_bus_new(void);

/* Frees the bus, every device and every adapter given to it. NULL is allowed. */
void i2c_bus_free(struct i2c_bus *bus);

/*
 * Puts an emulated device at its address, and among the devices answering
 * each of its shared addresses (emul_shared_addrs); the bus takes ownership.
 * 0, -EEXIST (an address is taken by another device), -ENOSPC (too many
 * devices share an address) or -EINVAL.
 */
int i2c_bus_add_emul(struct i2c_bus *bus, struct emul_dev *dev);

/*
 * Gives the bus an opened host adapter (owned from now on, closed by
 * i2c_bus_free). Returns 0 or -ENOSPC.
 */
int i2c_bus_own_adapter(struct i2c_bus *bus, struct i2c_host_adapter *ad);

/*
 * Shows host device ad/host_addr to the guest at guest_addr; access
 * CFG_ACCESS_RO or CFG_ACCESS_RO16 applies the read-only policy of
 * i2c_readonly.h (see i2c_bus_transfer). ad must have been given to
 * i2c_bus_own_adapter. Returns 0, -EEXIST or -EINVAL.
 */
int i2c_bus_add_host(struct i2c_bus *bus, struct i2c_host_adapter *ad, uint8_t host_addr,
		     uint8_t guest_addr, enum cfg_access access);

/* True if a device answers at addr. */
bool i2c_bus_has(const struct i2c_bus *bus, unsigned addr);

/*
 * Runs msgs[0..n) as one combined transfer: every message begins with a
 * (repeated) START, one STOP ends it (emulated EEPROMs commit writes there).
 * A message to an address where no device is configured is NACKed and
 * touches nothing: the transfer stops there, like on a real bus. A transfer whose devices are not all emulated or
 * not all on the same host adapter fails as a whole. On a read-only device,
 * only reads and a register-pointer write directly followed by a read of the
 * same device pass (i2c_readonly.h); the transfer stops at any other write,
 * which never reaches the bus.
 * Returns how many leading messages completed (n means all); the first
 * failed message is msgs[ret].
 */
unsigned i2c_bus_transfer(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n);

/* A device's activity since start-up, counted per message of a transfer. */
struct i2c_dev_counters {
	uint64_t transfers; /* messages that completed */
	uint64_t bytes;	    /* bytes those messages carried */
	uint64_t errors;    /* messages that failed (NACK, I/O error, refused write) */
};

/* Copies the counters of the device at addr into *out; false if no device is there. */
bool i2c_bus_counters(const struct i2c_bus *bus, unsigned addr, struct i2c_dev_counters *out);

#endif
