/* SPDX-License-Identifier: MIT */
/*
 * The guest's I2C bus: which device answers at which 7-bit address, and the
 * execution of one combined transfer (repeated STARTs, one STOP) on it.
 *
 * One bus is shared by every guest connection. A transfer holds the lock of
 * every device it addresses (taken in address order, so two transfers never
 * deadlock) from its first START to its STOP: a transfer is atomic with
 * respect to other guests, while a guest using other devices never waits.
 */
#ifndef VI2C_I2C_BUS_H
#define VI2C_I2C_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "emul.h"

#define I2C_BUS_ADDRS 128

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

/* Frees the bus and every device on it. NULL is allowed. */
void i2c_bus_free(struct i2c_bus *bus);

/* Puts an emulated device at its address; the bus takes ownership. 0, -EEXIST or -EINVAL. */
int i2c_bus_add_emul(struct i2c_bus *bus, struct emul_dev *dev);

/* True if a device answers at addr. */
bool i2c_bus_has(const struct i2c_bus *bus, unsigned addr);

/*
 * Runs msgs[0..n) as one combined transfer. A message to an address where no
 * device is configured is NACKed and touches nothing: the transfer stops
 * there, like on a real bus. Returns how many leading messages completed
 * (n means all); the first failed message is msgs[ret].
 */
unsigned i2c_bus_transfer(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n);

#endif
