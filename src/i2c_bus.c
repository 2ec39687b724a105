// SPDX-License-Identifier: MIT
#include "i2c_bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "i2c_host.h"
#include "i2c_readonly.h"
#include "log.h"

#define MAX_ADAPTERS  64
#define MAX_HOST_MSGS 64 /* the group limit of virtio_i2c; i2c_host enforces the kernel's 42 */
#define MAX_SHARERS   8	 /* devices answering one shared address (ee1004: 0x50-0x57) */

/*
 * SLOT_SHARED: an address several emulated devices answer together (the
 * ee1004 page-select addresses): each message there goes to every one of
 * them, as all of them see it on a real bus; they are owned by their own
 * SLOT_EMUL slots.
 */
enum slot_kind { SLOT_NONE, SLOT_EMUL, SLOT_HOST, SLOT_SHARED };

struct bus_slot {
	enum slot_kind kind;
	struct emul_dev *emul;		       /* SLOT_EMUL, owned */
	struct emul_dev *sharers[MAX_SHARERS]; /* SLOT_SHARED, borrowed */
	unsigned n_sharers;
	struct i2c_host_adapter *adapter; /* SLOT_HOST, borrowed from adapters[] */
	uint8_t host_addr;
	enum cfg_access access;	     /* SLOT_HOST; read-only: the register pointer's width */
	pthread_mutex_t lock;	     /* SLOT_EMUL: held from START to STOP (SLOT_SHARED: unused) */
	struct i2c_dev_counters ctr; /* updated atomically, read by i2c_bus_counters */
};

struct i2c_bus {
	struct bus_slot slots[I2C_BUS_ADDRS];
	struct i2c_host_adapter *adapters[MAX_ADAPTERS];
	unsigned n_adapters;
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
	for (unsigned i = 0; i < bus->n_adapters; i++)
		i2c_host_close(bus->adapters[i]);
	free(bus);
}

int i2c_bus_add_emul(struct i2c_bus *bus, struct emul_dev *dev)
{
	unsigned addr = emul_addr(dev);
	const uint8_t *shared;
	unsigned n_shared = emul_shared_addrs(dev, &shared);

	if (addr >= I2C_BUS_ADDRS)
		return -EINVAL;
	if (bus->slots[addr].kind != SLOT_NONE)
		return -EEXIST;
	for (unsigned i = 0; i < n_shared; i++) {
		const struct bus_slot *s = &bus->slots[shared[i]];

		if (shared[i] >= I2C_BUS_ADDRS)
			return -EINVAL;
		if (s->kind != SLOT_NONE && s->kind != SLOT_SHARED)
			return -EEXIST;
		if (s->n_sharers == MAX_SHARERS)
			return -ENOSPC;
	}
	bus->slots[addr].kind = SLOT_EMUL;
	bus->slots[addr].emul = dev;
	for (unsigned i = 0; i < n_shared; i++) {
		struct bus_slot *s = &bus->slots[shared[i]];

		s->kind = SLOT_SHARED;
		s->sharers[s->n_sharers++] = dev;
	}
	return 0;
}

int i2c_bus_own_adapter(struct i2c_bus *bus, struct i2c_host_adapter *ad)
{
	if (bus->n_adapters == MAX_ADAPTERS)
		return -ENOSPC;
	bus->adapters[bus->n_adapters++] = ad;
	return 0;
}

int i2c_bus_add_host(struct i2c_bus *bus, struct i2c_host_adapter *ad, uint8_t host_addr,
		     uint8_t guest_addr, enum cfg_access access)
{
	struct bus_slot *s;

	if (guest_addr >= I2C_BUS_ADDRS || host_addr >= I2C_BUS_ADDRS ||
	    (access != CFG_ACCESS_RW && access != CFG_ACCESS_RO && access != CFG_ACCESS_RO16))
		return -EINVAL;
	s = &bus->slots[guest_addr];
	if (s->kind != SLOT_NONE)
		return -EEXIST;
	s->kind = SLOT_HOST;
	s->adapter = ad;
	s->host_addr = host_addr;
	s->access = access;
	return 0;
}

bool i2c_bus_has(const struct i2c_bus *bus, unsigned addr)
{
	return addr < I2C_BUS_ADDRS && bus->slots[addr].kind != SLOT_NONE;
}

/* The emulated devices a message at addr reaches: its device, or every sharer. */
static unsigned emul_targets(struct i2c_bus *bus, unsigned addr, struct emul_dev **out)
{
	struct bus_slot *s = &bus->slots[addr];

	if (s->kind == SLOT_EMUL) {
		out[0] = s->emul;
		return 1;
	}
	for (unsigned i = 0; i < s->n_sharers; i++)
		out[i] = s->sharers[i];
	return s->n_sharers;
}

/*
 * A message at a shared address: every sharer sees it; the address is ACKed
 * if any of them ACKs, and read data is the wired AND of the ACKing ones.
 */
static int xfer_shared(struct emul_dev **devs, unsigned n, struct i2c_msg_buf *m)
{
	uint8_t *mine = NULL;
	bool acked = false;
	int ret = -ENXIO;

	for (unsigned i = 0; i < n; i++) {
		uint8_t *buf = m->buf;

		if (m->read && acked && m->len) {
			if (!mine && !(mine = malloc(m->len)))
				return -ENOMEM;
			buf = mine;
		}
		ret = emul_xfer_shared(devs[i], m->addr, m->read, buf, m->len);
		if (ret == -ENXIO)
			continue;
		if (ret < 0)
			break;
		if (buf == mine)
			for (unsigned k = 0; k < m->len; k++)
				m->buf[k] &= mine[k];
		acked = true;
	}
	free(mine);
	return acked && (ret == 0 || ret == -ENXIO) ? 0 : ret;
}

/*
 * Emulated devices: each message goes to its device(s); every device of the
 * transfer sees each repeated START (emul_restart when the next message goes
 * elsewhere, including to an address nobody answers, `nack_after`); one STOP
 * for all at the end. A write committed at STOP that fails fails the last
 * message (only it can have left a write latched).
 */
static unsigned transfer_emul(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n,
			      bool nack_after)
{
	struct emul_dev *devs[MAX_SHARERS], *prev[MAX_SHARERS];
	uint64_t touched[2] = {0, 0};
	unsigned done, n_devs = 0, n_prev = 0;
	bool stop_failed = false;

	for (unsigned i = 0; i < n; i++) {
		n_devs = emul_targets(bus, msgs[i].addr, devs);
		for (unsigned k = 0; k < n_devs; k++) {
			unsigned a = emul_addr(devs[k]);

			touched[a / 64] |= 1ull << (a % 64);
		}
	}
	/* Ascending address order for the locks, visiting only the addresses used. */
	for (unsigned w = 0; w < 2; w++)
		for (uint64_t bits = touched[w]; bits; bits &= bits - 1)
			pthread_mutex_lock(&bus->slots[w * 64 + __builtin_ctzll(bits)].lock);
	for (done = 0; done < n; done++) {
		struct i2c_msg_buf *m = &msgs[done];
		int ret;

		if (done && m->addr != msgs[done - 1].addr)
			for (unsigned k = 0; k < n_prev; k++)
				emul_restart(prev[k]);
		n_devs = emul_targets(bus, m->addr, devs);
		if (bus->slots[m->addr].kind == SLOT_SHARED)
			ret = xfer_shared(devs, n_devs, m);
		else
			ret = emul_xfer(devs[0], m->read, m->buf, m->len);
		memcpy(prev, devs, n_devs * sizeof(*devs));
		n_prev = n_devs;
		if (ret < 0)
			break;
	}
	if (nack_after && done == n)
		for (unsigned k = 0; k < n_prev; k++)
			emul_restart(prev[k]);
	for (unsigned w = 0; w < 2; w++) {
		for (uint64_t bits = touched[w]; bits; bits &= bits - 1) {
			struct bus_slot *s = &bus->slots[w * 64 + __builtin_ctzll(bits)];

			if (emul_stop(s->emul) < 0)
				stop_failed = true;
			pthread_mutex_unlock(&s->lock);
		}
	}
	if (stop_failed && done == n)
		done = n - 1;
	return done;
}

/* The /ro policy: how many leading messages of a group may reach their devices. */
static unsigned read_only_cut(const struct i2c_bus *bus, const struct i2c_msg_buf *msgs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct bus_slot *s = &bus->slots[msgs[i].addr];

		if (s->access == CFG_ACCESS_RW ||
		    i2c_readonly_allows(msgs, n, i, (unsigned)s->access))
			continue;
		log_debug("write of %u bytes to read-only device 0x%02x refused (message %u of %u)",
			  msgs[i].len, msgs[i].addr, i + 1, n);
		return i;
	}
	return n;
}

/* Host devices: one adapter, addresses translated, the whole group in one transaction. */
static unsigned transfer_host(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n)
{
	struct i2c_host_adapter *ad = bus->slots[msgs[0].addr].adapter;
	struct i2c_msg_buf host[MAX_HOST_MSGS];
	unsigned allowed;

	if (n > MAX_HOST_MSGS)
		return 0;
	allowed = read_only_cut(bus, msgs, n);
	if (!allowed)
		return 0;
	for (unsigned i = 0; i < allowed; i++) {
		host[i] = msgs[i];
		host[i].addr = bus->slots[msgs[i].addr].host_addr;
	}
	/* The adapter runs all or nothing: a refused write after it still NACKs there. */
	return i2c_host_transfer(ad, host, allowed) == allowed ? allowed : 0;
}

static unsigned run_transfer(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n)
{
	unsigned reachable = n;
	const struct bus_slot *first;

	/* The transfer can only get as far as the first address nobody answers. */
	for (unsigned i = 0; i < n; i++) {
		if (!i2c_bus_has(bus, msgs[i].addr)) {
			reachable = i;
			break;
		}
	}
	if (!reachable)
		return 0;
	first = &bus->slots[msgs[0].addr];
	for (unsigned i = 1; i < reachable; i++) {
		const struct bus_slot *s = &bus->slots[msgs[i].addr];

		if ((s->kind == SLOT_HOST) != (first->kind == SLOT_HOST) ||
		    s->adapter != first->adapter) {
			log_debug("transfer spans devices on different adapters: refused");
			return 0;
		}
	}
	if (first->kind != SLOT_HOST)
		return transfer_emul(bus, msgs, reachable, reachable < n);
	return transfer_host(bus, msgs, reachable);
}

/* Per device: each completed message counts with its bytes, the failed one as an error. */
static void account(struct i2c_bus *bus, const struct i2c_msg_buf *msgs, unsigned n, unsigned done)
{
	for (unsigned i = 0; i < n && i <= done; i++) {
		struct i2c_dev_counters *c;

		if (!i2c_bus_has(bus, msgs[i].addr))
			continue;
		c = &bus->slots[msgs[i].addr].ctr;
		if (i == done) {
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_fetch_add(&c->transfers, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&c->bytes, msgs[i].len, __ATOMIC_RELAXED);
		}
	}
}

unsigned i2c_bus_transfer(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n)
{
	unsigned done = run_transfer(bus, msgs, n);

	account(bus, msgs, n, done);
	return done;
}

bool i2c_bus_counters(const struct i2c_bus *bus, unsigned addr, struct i2c_dev_counters *out)
{
	const struct i2c_dev_counters *c;

	if (!i2c_bus_has(bus, addr))
		return false;
	c = &bus->slots[addr].ctr;
	out->transfers = __atomic_load_n(&c->transfers, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&c->errors, __ATOMIC_RELAXED);
	return true;
}
