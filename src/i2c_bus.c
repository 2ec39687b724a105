// SPDX-License-Identifier: MIT
#include "i2c_bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i2c_host.h"
#include "i2c_readonly.h"
#include "log.h"
#include "addr_set.h"
#include "clock.h"

#define MAX_ADAPTERS  64
#define MAX_HOST_MSGS 64 /* the group limit of virtio_i2c; i2c_host enforces the kernel's 42 */
#define MAX_SHARERS   8	 /* devices answering one shared address (ee1004: 0x50-0x57) */

/*
 * SLOT_SHARED: an address several emulated devices answer together (the
 * ee1004 page-select addresses): each message there goes to every one of
 * them, as all of them see it on a real bus; they are owned by their own
 * SLOT_EMUL slots, whose locks a transfer takes too. The address exists
 * while at least one such device is on the bus (hot-plug included).
 *
 * Lock order: slot locks are taken in ascending address order only. A
 * thread that finds it needs a lock below one it holds (the sharers of a
 * shared slot are known only with that slot's lock held; the shared slots
 * of a device being removed only with the device's) releases every lock and
 * takes the bigger set again from the lowest (lock_reachable,
 * lock_with_shared). The lock of a shared slot guards its sharer list
 * (sharers[], n_sharers, kind): a device joins or leaves it with the locks
 * of its own slot and of every shared slot it answers held, so a transfer
 * holding a shared slot's lock and its sharers' sees the whole list and
 * every sharer alive. A sharer's state behind the shared addresses (the
 * ee1004 bank) changes only in a message there, so only with those locks
 * held: holding a shared slot's lock is enough to read it (emul_shared_sync).
 */
enum slot_kind { SLOT_NONE, SLOT_EMUL, SLOT_HOST, SLOT_SHARED };

struct bus_slot {
	pthread_mutex_t lock;  /* guards the fields below; held by a transfer from START to STOP */
	enum slot_kind kind;   /* written under lock, atomically (i2c_bus_has reads it without) */
	struct emul_dev *emul; /* SLOT_EMUL, owned */
	struct emul_dev *sharers[MAX_SHARERS]; /* SLOT_SHARED, borrowed */
	unsigned n_sharers;
	struct i2c_host_adapter *adapter; /* SLOT_HOST, borrowed from adapters[] */
	uint8_t host_addr;
	enum cfg_access access; /* SLOT_HOST; read-only: the register pointer's width */
	struct fault_set faults;
	struct i2c_dev_counters ctr; /* updated atomically, read by i2c_bus_counters */
};

struct i2c_bus {
	struct bus_slot slots[I2C_BUS_ADDRS];
	struct i2c_host_adapter *adapters[MAX_ADAPTERS];
	unsigned n_adapters;
	unsigned faults_armed; /* atomic: armed faults on the bus; 0 = transfers skip them */
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

static void slot_set_kind(struct bus_slot *s, enum slot_kind kind)
{
	__atomic_store_n(&s->kind, kind, __ATOMIC_RELEASE);
}

static void slot_reset_counters(struct bus_slot *s)
{
	__atomic_store_n(&s->ctr.transfers, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ctr.bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ctr.errors, 0, __ATOMIC_RELAXED);
}

/* Disarms a slot's faults (lock held) and keeps the bus's count right. */
static unsigned slot_clear_faults(struct i2c_bus *bus, struct bus_slot *s)
{
	unsigned n = fault_clear(&s->faults);

	if (n)
		__atomic_fetch_sub(&bus->faults_armed, n, __ATOMIC_RELAXED);
	return n;
}

/*
 * The lock of every slot in set (the slots a transfer uses), in ascending
 * address order (lock) or any order (unlock).
 */
static void lock_slots(struct i2c_bus *bus, const struct addr_set *set, bool lock)
{
	for (unsigned w = 0; w < ADDR_SET_WORDS; w++) {
		for (uint64_t bits = set->w[w]; bits; bits &= bits - 1) {
			pthread_mutex_t *m = &bus->slots[w * 64 + __builtin_ctzll(bits)].lock;

			if (lock)
				pthread_mutex_lock(m);
			else
				pthread_mutex_unlock(m);
		}
	}
}

/*
 * Locks the slots of *set and those of every device reachable through them
 * (the sharers of a shared slot), in ascending address order. A shared
 * slot's sharers are known only with its lock held: when one is not in *set,
 * every lock is released and the bigger set taken again. On return *set is
 * what is locked (it may hold a sharer that left meanwhile: harmless).
 */
static void lock_reachable(struct i2c_bus *bus, struct addr_set *set)
{
	for (;;) {
		struct addr_set want = *set;

		lock_slots(bus, set, true);
		for (unsigned w = 0; w < ADDR_SET_WORDS; w++) {
			for (uint64_t bits = set->w[w]; bits; bits &= bits - 1) {
				const struct bus_slot *s =
					&bus->slots[w * 64 + __builtin_ctzll(bits)];

				if (s->kind != SLOT_SHARED)
					continue;
				for (unsigned k = 0; k < s->n_sharers; k++)
					addr_set_add(&want, emul_addr(s->sharers[k]));
			}
		}
		if (addr_set_covers(set, &want))
			return;
		lock_slots(bus, set, false);
		*set = want;
	}
}

/*
 * Locks the slot at addr and, when the emulated device there also answers
 * shared addresses, their slots (ascending order, retried as lock_reachable
 * does: the device is known only with addr's lock held). *set (empty on
 * entry) receives what is locked.
 */
static void lock_with_shared(struct i2c_bus *bus, unsigned addr, struct addr_set *set)
{
	addr_set_add(set, addr);
	for (;;) {
		const struct bus_slot *s = &bus->slots[addr];
		struct addr_set want = *set;

		lock_slots(bus, set, true);
		if (s->kind == SLOT_EMUL) {
			const uint8_t *shared;
			unsigned n_shared = emul_shared_addrs(s->emul, &shared);

			for (unsigned i = 0; i < n_shared; i++)
				addr_set_add(&want, shared[i]);
		}
		if (addr_set_covers(set, &want))
			return;
		lock_slots(bus, set, false);
		*set = want;
	}
}

/* Whether dev can go at addr and its shared addresses (their locks held): 0, -EEXIST, -ENOSPC. */
static int check_room(const struct i2c_bus *bus, unsigned addr, const uint8_t *shared,
		      unsigned n_shared)
{
	if (bus->slots[addr].kind != SLOT_NONE)
		return -EEXIST;
	for (unsigned i = 0; i < n_shared; i++) {
		const struct bus_slot *s = &bus->slots[shared[i]];

		if (s->kind != SLOT_NONE && s->kind != SLOT_SHARED)
			return -EEXIST;
		if (s->n_sharers == MAX_SHARERS)
			return -ENOSPC;
	}
	return 0;
}

/*
 * Puts dev at addr and among the sharers of its shared addresses (their
 * locks held, check_room passed). It takes over the shared-address state of
 * the sharers already there (emul_shared_sync: the ee1004 bank), so all of
 * them keep agreeing, as SPDs that powered up together do.
 */
static void place(struct i2c_bus *bus, struct emul_dev *dev, unsigned addr, const uint8_t *shared,
		  unsigned n_shared)
{
	struct bus_slot *s = &bus->slots[addr];

	for (unsigned i = 0; i < n_shared; i++) {
		const struct bus_slot *sh = &bus->slots[shared[i]];

		if (sh->n_sharers) {
			emul_shared_sync(dev, sh->sharers[0]);
			break;
		}
	}
	s->emul = dev;
	slot_reset_counters(s);
	slot_set_kind(s, SLOT_EMUL);
	for (unsigned i = 0; i < n_shared; i++) {
		struct bus_slot *sh = &bus->slots[shared[i]];

		if (!sh->n_sharers)
			slot_reset_counters(sh);
		sh->sharers[sh->n_sharers++] = dev;
		slot_set_kind(sh, SLOT_SHARED);
	}
}

/* Takes dev out of a shared slot's sharers (lock held); the last one out takes the address. */
static void leave_shared(struct bus_slot *sh, const struct emul_dev *dev)
{
	for (unsigned k = 0; k < sh->n_sharers; k++) {
		if (sh->sharers[k] != dev)
			continue;
		memmove(&sh->sharers[k], &sh->sharers[k + 1],
			(sh->n_sharers - k - 1) * sizeof(sh->sharers[0]));
		sh->n_sharers--;
		break;
	}
	if (!sh->n_sharers)
		slot_set_kind(sh, SLOT_NONE);
}

int i2c_bus_add_emul(struct i2c_bus *bus, struct emul_dev *dev)
{
	unsigned addr = emul_addr(dev);
	const uint8_t *shared;
	unsigned n_shared = emul_shared_addrs(dev, &shared);
	struct addr_set set = {0};
	int ret;

	if (addr >= I2C_BUS_ADDRS)
		return -EINVAL;
	addr_set_add(&set, addr);
	for (unsigned i = 0; i < n_shared; i++) {
		if (shared[i] >= I2C_BUS_ADDRS || shared[i] == addr)
			return -EINVAL;
		addr_set_add(&set, shared[i]);
	}
	/* dev is not on the bus yet: what to lock is known before taking anything. */
	lock_slots(bus, &set, true);
	ret = check_room(bus, addr, shared, n_shared);
	if (!ret)
		place(bus, dev, addr, shared, n_shared);
	lock_slots(bus, &set, false);
	return ret;
}

void i2c_bus_add_strerror(const struct emul_dev *dev, int err, char *buf, size_t len)
{
	const uint8_t *shared;
	unsigned n_shared = emul_shared_addrs(dev, &shared);
	size_t n;

	if (err == -ENOSPC) {
		snprintf(buf, len, "too many devices share an address");
		return;
	}
	if (err != -EEXIST) {
		snprintf(buf, len, "invalid address");
		return;
	}
	n = (size_t)snprintf(buf, len, "address already in use");
	/* A taken shared address is not in the spec: name every address it answers. */
	if (n_shared && n < len)
		n += (size_t)snprintf(buf + n, len - n, " (it answers at 0x%02x and at",
				      emul_addr(dev));
	for (unsigned k = 0; k < n_shared && n < len; k++)
		n += (size_t)snprintf(buf + n, len - n, "%s 0x%02x", k ? "," : "", shared[k]);
	if (n_shared && n < len)
		snprintf(buf + n, len - n, ")");
}

int i2c_bus_remove_emul(struct i2c_bus *bus, unsigned addr)
{
	struct emul_dev *dev = NULL;
	struct addr_set set = {0};
	struct bus_slot *s;
	int ret = 0;

	if (addr >= I2C_BUS_ADDRS)
		return -ENOENT;
	s = &bus->slots[addr];
	lock_with_shared(bus, addr, &set);
	if (s->kind == SLOT_EMUL) {
		const uint8_t *shared;
		unsigned n_shared = emul_shared_addrs(s->emul, &shared);

		dev = s->emul;
		for (unsigned i = 0; i < n_shared; i++)
			leave_shared(&bus->slots[shared[i]], dev);
		s->emul = NULL;
		slot_clear_faults(bus, s);
		slot_set_kind(s, SLOT_NONE);
	} else if (s->kind == SLOT_SHARED) {
		ret = -EBUSY; /* answered by its sharers: they go, it goes */
	} else {
		ret = s->kind == SLOT_HOST ? -EPERM : -ENOENT;
	}
	lock_slots(bus, &set, false);
	/* No transfer can reach it any more: the locks were the last ways in. */
	emul_destroy(dev);
	return ret;
}

int i2c_bus_with_emul(struct i2c_bus *bus, unsigned addr,
		      int (*fn)(void *ctx, struct emul_dev *dev), void *ctx)
{
	struct bus_slot *s;
	int ret;

	if (addr >= I2C_BUS_ADDRS)
		return -ENOENT;
	s = &bus->slots[addr];
	pthread_mutex_lock(&s->lock);
	if (s->kind == SLOT_EMUL)
		ret = fn(ctx, s->emul);
	else
		ret = s->kind == SLOT_HOST ? -EPERM : s->kind == SLOT_SHARED ? -EBUSY : -ENOENT;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

bool i2c_bus_info(struct i2c_bus *bus, unsigned addr, struct i2c_bus_dev_info *out)
{
	struct bus_slot *s;
	bool found = true;

	if (addr >= I2C_BUS_ADDRS)
		return false;
	s = &bus->slots[addr];
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	if (s->kind == SLOT_EMUL) {
		out->model = emul_model(s->emul);
	} else if (s->kind == SLOT_HOST) {
		out->host = true;
		out->adapter_nr = i2c_host_nr(s->adapter);
		out->host_addr = s->host_addr;
		out->access = s->access;
	} else {
		found = false;
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

int i2c_bus_fault_arm(struct i2c_bus *bus, unsigned addr, enum fault_kind kind,
		      const struct fault *f)
{
	struct bus_slot *s;
	bool was_armed;
	int ret;

	if (addr >= I2C_BUS_ADDRS || (unsigned)kind >= FAULT_KINDS)
		return addr >= I2C_BUS_ADDRS ? -ENOENT : -EINVAL;
	s = &bus->slots[addr];
	pthread_mutex_lock(&s->lock);
	if (s->kind == SLOT_NONE || s->kind == SLOT_SHARED) {
		ret = s->kind == SLOT_SHARED ? -EBUSY : -ENOENT;
	} else {
		was_armed = s->faults.f[kind].armed;
		ret = fault_arm(&s->faults, kind, f);
		if (!ret && !was_armed)
			__atomic_fetch_add(&bus->faults_armed, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

unsigned i2c_bus_fault_clear(struct i2c_bus *bus, unsigned addr)
{
	unsigned n = 0;

	for (unsigned a = 0; a < I2C_BUS_ADDRS; a++) {
		struct bus_slot *s = &bus->slots[a];

		if (addr < I2C_BUS_ADDRS && a != addr)
			continue;
		pthread_mutex_lock(&s->lock);
		n += slot_clear_faults(bus, s);
		pthread_mutex_unlock(&s->lock);
	}
	return n;
}

unsigned i2c_bus_faults(struct i2c_bus *bus, unsigned addr, struct fault_set *out)
{
	struct bus_slot *s;
	unsigned n;

	memset(out, 0, sizeof(*out));
	if (addr >= I2C_BUS_ADDRS)
		return 0;
	s = &bus->slots[addr];
	pthread_mutex_lock(&s->lock);
	*out = s->faults;
	n = fault_count(out);
	pthread_mutex_unlock(&s->lock);
	return n;
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
	int ret = 0;

	if (guest_addr >= I2C_BUS_ADDRS || host_addr >= I2C_BUS_ADDRS ||
	    (access != CFG_ACCESS_RW && access != CFG_ACCESS_RO && access != CFG_ACCESS_RO16))
		return -EINVAL;
	s = &bus->slots[guest_addr];
	pthread_mutex_lock(&s->lock);
	if (s->kind != SLOT_NONE) {
		ret = -EEXIST;
	} else {
		s->adapter = ad;
		s->host_addr = host_addr;
		s->access = access;
		slot_reset_counters(s);
		slot_set_kind(s, SLOT_HOST);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

bool i2c_bus_has(const struct i2c_bus *bus, unsigned addr)
{
	return addr < I2C_BUS_ADDRS &&
	       __atomic_load_n(&bus->slots[addr].kind, __ATOMIC_ACQUIRE) != SLOT_NONE;
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
 * message (only it can have left a write latched). The caller holds the slot
 * locks of every device reached.
 */
static unsigned transfer_emul(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n,
			      bool nack_after)
{
	struct emul_dev *devs[MAX_SHARERS], *prev[MAX_SHARERS];
	struct addr_set stopped = {0};
	unsigned done, n_devs = 0, n_prev = 0;
	bool stop_failed = false;

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
	/* One STOP for every emulated device the transfer addressed. */
	for (unsigned i = 0; i < n; i++) {
		n_devs = emul_targets(bus, msgs[i].addr, devs);
		for (unsigned k = 0; k < n_devs; k++) {
			unsigned a = emul_addr(devs[k]);

			if (addr_set_has(&stopped, a))
				continue;
			addr_set_add(&stopped, a);
			if (emul_stop(devs[k]) < 0)
				stop_failed = true;
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

/* What the armed faults do to this transfer (slot locks held). */
struct transfer_faults {
	uint32_t delay_ms;
	uint8_t xor_mask[I2C_BUS_ADDRS]; /* valid where corrupt[] has the address */
	struct addr_set corrupt;
};

/*
 * Counts the transfer against the faults of each device it reaches, in
 * message order; an armed nack ends the transfer before the first message to
 * its device. Returns the new reachable count.
 */
static unsigned apply_faults(struct i2c_bus *bus, const struct i2c_msg_buf *msgs,
			     unsigned reachable, struct transfer_faults *tf)
{
	struct addr_set seen = {0};

	for (unsigned i = 0; i < reachable; i++) {
		unsigned a = msgs[i].addr;
		struct bus_slot *s = &bus->slots[a];
		struct fault_effect eff;
		unsigned disarmed;

		if (addr_set_has(&seen, a))
			continue;
		addr_set_add(&seen, a);
		if (!fault_count(&s->faults))
			continue;
		disarmed = fault_take(&s->faults, &eff);
		if (disarmed)
			__atomic_fetch_sub(&bus->faults_armed, disarmed, __ATOMIC_RELAXED);
		if (eff.delay_ms > tf->delay_ms)
			tf->delay_ms = eff.delay_ms;
		if (eff.xor_mask) {
			tf->xor_mask[a] = eff.xor_mask;
			addr_set_add(&tf->corrupt, a);
		}
		if (eff.nack) {
			log_debug("injected NACK at 0x%02x", a);
			return i;
		}
	}
	return reachable;
}

/* Read bytes from a corrupting device are XORed with its mask. */
static void apply_corruption(const struct transfer_faults *tf, struct i2c_msg_buf *msgs,
			     unsigned done)
{
	for (unsigned i = 0; i < done; i++) {
		unsigned a = msgs[i].addr;

		if (!msgs[i].read || !addr_set_has(&tf->corrupt, a))
			continue;
		for (unsigned j = 0; j < msgs[i].len; j++)
			msgs[i].buf[j] ^= tf->xor_mask[a];
	}
}

/* Per device: each completed message counts with its bytes, the failed one as an error. */
static void account(struct i2c_bus *bus, const struct i2c_msg_buf *msgs, unsigned n, unsigned done)
{
	for (unsigned i = 0; i < n && i <= done; i++) {
		struct i2c_dev_counters *c;

		if (bus->slots[msgs[i].addr].kind == SLOT_NONE)
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

/* With every slot of the transfer locked: runs it, applies faults, counts. */
static unsigned run_locked(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n,
			   uint32_t *delay_ms)
{
	struct transfer_faults tf = {.delay_ms = 0};
	unsigned reachable = n, done = 0;
	const struct bus_slot *first;
	bool faults = __atomic_load_n(&bus->faults_armed, __ATOMIC_RELAXED) != 0;

	/* The transfer can only get as far as the first address nobody answers. */
	for (unsigned i = 0; i < n; i++) {
		if (bus->slots[msgs[i].addr].kind == SLOT_NONE) {
			reachable = i;
			break;
		}
	}
	if (faults) {
		reachable = apply_faults(bus, msgs, reachable, &tf);
		*delay_ms = tf.delay_ms;
	}
	if (!reachable)
		goto out;
	first = &bus->slots[msgs[0].addr];
	for (unsigned i = 1; i < reachable; i++) {
		const struct bus_slot *s = &bus->slots[msgs[i].addr];

		if ((s->kind == SLOT_HOST) != (first->kind == SLOT_HOST) ||
		    s->adapter != first->adapter) {
			log_debug("transfer spans devices on different adapters: refused");
			goto out;
		}
	}
	if (first->kind != SLOT_HOST)
		done = transfer_emul(bus, msgs, reachable, reachable < n);
	else
		done = transfer_host(bus, msgs, reachable);
	if (faults)
		apply_corruption(&tf, msgs, done);
out:
	account(bus, msgs, n, done);
	return done;
}

unsigned i2c_bus_transfer(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n)
{
	struct addr_set touched = {0};
	uint32_t delay_ms = 0;
	unsigned done;

	for (unsigned i = 0; i < n; i++) {
		if (msgs[i].addr >= I2C_BUS_ADDRS) {
			n = i; /* nothing answers there: the transfer ends at msgs[i] */
			break;
		}
		addr_set_add(&touched, msgs[i].addr);
	}
	/* Ascending address order, the addresses used and the sharers they reach. */
	lock_reachable(bus, &touched);
	done = run_locked(bus, msgs, n, &delay_ms);
	lock_slots(bus, &touched, false);
	/* A slow device: this guest waits, nobody else does (no lock is held). */
	if (delay_ms)
		sleep_ms(delay_ms);
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
