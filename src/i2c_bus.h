/* SPDX-License-Identifier: MIT */
/*
 * The guest's I2C bus: which device answers at which 7-bit address, and the
 * execution of one combined transfer (repeated STARTs, one STOP) on it.
 *
 * Devices are emulated (emul.h) or real ones on host adapters (i2c_host.h),
 * possibly shown at another address than their host one, possibly read-only.
 * One bus is shared by every guest connection.
 *
 * Locking: each address has a slot with a mutex that guards what is there
 * (device, faults). A transfer holds the lock of every address it uses
 * (taken in address order, so two transfers never deadlock) from its first
 * START to its STOP; a transfer to a host adapter also holds that adapter's
 * lock (inside i2c_host). So a transfer is atomic with respect to other
 * guests, guests using other devices never wait, and the control socket can
 * add and remove devices, change properties and arm faults at run time: it
 * takes the one slot's lock, so a change lands between two transfers.
 * Addresses several devices answer together (the ee1004 page select) have a
 * slot whose lock guards the list of those devices; a transfer there also
 * takes the slots of every one of them, and a device joins or leaves with
 * its own and the shared slots' locks held. Locks are taken in ascending
 * address order only (i2c_bus.c tells how). Nothing sleeps holding a slot
 * lock (an injected delay is slept after every lock is released).
 */
#ifndef VI2C_I2C_BUS_H
#define VI2C_I2C_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "emul.h"
#include "fault.h"

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
 * Puts an emulated device at its address; the bus takes ownership (on
 * success only). Safe while guests run (hot-plug): the next transfer sees
 * it. Counters of the address start from 0. A device that also answers
 * shared addresses (emul_shared_addrs: the ee1004 page select) joins the
 * devices answering each of them, creating the address if it is the first,
 * and takes over their state there (emul_shared_sync). 0, -EEXIST (an
 * address is taken, a shared one by a device that does not share it),
 * -ENOSPC (too many devices share an address) or -EINVAL.
 */
int i2c_bus_add_emul(struct i2c_bus *bus, struct emul_dev *dev);

/*
 * Why i2c_bus_add_emul(dev) failed with err, one line for after the spec:
 * "address already in use (it answers at 0x50 and at 0x36, 0x37)". Start-up
 * and the control socket's add say the same.
 */
void i2c_bus_add_strerror(const struct emul_dev *dev, int err, char *buf, size_t len);

/*
 * Removes the emulated device at addr and destroys it (an EEPROM's file is
 * synced and closed) once no transfer uses it; the address is absent from
 * the next transfer on. Its faults are cleared. A device that answers
 * shared addresses leaves them too; the last one to leave takes the address
 * with it. 0, -ENOENT (nothing there), -EPERM (a host device: those stay) or
 * -EBUSY (a shared address: it goes with the last device answering it).
 */
int i2c_bus_remove_emul(struct i2c_bus *bus, unsigned addr);

/*
 * Runs fn(ctx, dev) on the emulated device at addr with its lock held
 * (serialised with transfers, as emul_get_prop/emul_set_prop require).
 * Returns fn's result, -ENOENT (nothing there), -EPERM (a host device) or
 * -EBUSY (a shared address: its devices have their own).
 */
int i2c_bus_with_emul(struct i2c_bus *bus, unsigned addr,
		      int (*fn)(void *ctx, struct emul_dev *dev), void *ctx);

/* What is at an address (i2c_bus_info). */
struct i2c_bus_dev_info {
	bool host;	       /* passed through (else emulated) */
	enum emul_model model; /* emulated only */
	unsigned adapter_nr;   /* host only: /dev/i2c-N */
	uint8_t host_addr;     /* host only */
	enum cfg_access access; /* host only: /ro, /ro16 */
};

/* Fills *out for the device at addr; false if nothing is there. */
bool i2c_bus_info(struct i2c_bus *bus, unsigned addr, struct i2c_bus_dev_info *out);

/*
 * Fault injection (fault.h) at the device at addr, emulated or host: arms
 * one fault, replacing an armed one of the same kind. 0, -ENOENT (nothing
 * there), -EBUSY (a shared address: faults go on its devices) or -EINVAL
 * (bad parameters). Transfers check faults only while at
 * least one is armed on the bus.
 */
int i2c_bus_fault_arm(struct i2c_bus *bus, unsigned addr, enum fault_kind kind,
		      const struct fault *f);

/* Disarms the faults at addr (every address if addr >= I2C_BUS_ADDRS); returns how many. */
unsigned i2c_bus_fault_clear(struct i2c_bus *bus, unsigned addr);

/* Copies the faults armed at addr into *out; returns how many are armed. */
unsigned i2c_bus_faults(struct i2c_bus *bus, unsigned addr, struct fault_set *out);

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
 * Armed faults apply (fault.h); an injected delay is slept after every lock
 * is released, before returning.
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
