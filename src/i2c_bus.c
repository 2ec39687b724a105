// SPDX-License-Identifier: MIT
#include "i2c_bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct bus_slot {
	struct emul_dev *emul; /* NULL = nothing at this address */
	pthread_mutex_t lock;
};

struct i2c_bus {
	struct bus_slot slots[I2C_BUS_ADDRS];
};

struct i2c_bus *i2c_bus_new(void)
{
	struct i2c_bus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return NULL;
	for (unsigned a = 0; a < I2C_BUS_ADDRS; a++)
		pthread_mutex_init(&bus->slots[a].lock, NULL);
	return bus;
}

void i2c_bus_free(struct i2c_bus *bus)
{
	if (!bus)
		return;
	for (unsigned a = 0; a < I2C_BUS_ADDRS; a++) {
		emul_destroy(bus->slots[a].emul);
		pthread_mutex_destroy(&bus->slots[a].lock);
	}
	free(bus);
}

int i2c_bus_add_emul(struct i2c_bus *bus, struct emul_dev *dev)
{
	unsigned addr = emul_addr(dev);

	if (addr >= I2C_BUS_ADDRS)
		return -EINVAL;
	if (bus->slots[addr].emul)
		return -EEXIST;
	bus->slots[addr].emul = dev;
	return 0;
}

bool i2c_bus_has(const struct i2c_bus *bus, unsigned addr)
{
	return addr < I2C_BUS_ADDRS && bus->slots[addr].emul;
}

unsigned i2c_bus_transfer(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n)
{
	uint64_t touched[2] = {0, 0};
	unsigned reachable = n, done;

	/* The transfer can only get as far as the first address nobody answers. */
	for (unsigned i = 0; i < n; i++) {
		if (!i2c_bus_has(bus, msgs[i].addr)) {
			reachable = i;
			break;
		}
		touched[msgs[i].addr / 64] |= 1ull << (msgs[i].addr % 64);
	}
	for (unsigned a = 0; a < I2C_BUS_ADDRS; a++)
		if (touched[a / 64] & (1ull << (a % 64)))
			pthread_mutex_lock(&bus->slots[a].lock);

	for (done = 0; done < reachable; done++) {
		struct i2c_msg_buf *m = &msgs[done];

		if (emul_xfer(bus->slots[m->addr].emul, m->read, m->buf, m->len) < 0)
			break;
	}
	/* One STOP ends the transfer for every device that took part. */
	for (unsigned a = I2C_BUS_ADDRS; a-- > 0;) {
		if (touched[a / 64] & (1ull << (a % 64))) {
			emul_stop(bus->slots[a].emul);
			pthread_mutex_unlock(&bus->slots[a].lock);
		}
	}
	return done;
}
