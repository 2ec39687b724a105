// SPDX-License-Identifier: MIT
#include "i2c_bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i2c_host.h"
#include "log.h"

#define MAX_ADAPTERS  64
#define MAX_HOST_MSGS 64 /* the group limit of virtio_i2c; i2c_host enforces the kernel's 42 */

enum slot_kind { SLOT_NONE, SLOT_EMUL, SLOT_HOST };

struct bus_slot {
	pthread_mutex_t lock;  /* guards the fields below; held by a transfer from START to STOP */
	enum slot_kind kind;   /* written under lock, atomically (i2c_bus_has reads it without) */
	struct emul_dev *emul; /* SLOT_EMUL, owned */
	struct i2c_host_adapter *adapter; /* SLOT_HOST, borrowed from adapters[] */
	uint8_t host_addr;
	bool read_only;
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

int i2c_bus_add_emul(struct i2c_bus *bus, struct emul_dev *dev)
{
	unsigned addr = emul_addr(dev);
	struct bus_slot *s;
	int ret = 0;

	if (addr >= I2C_BUS_ADDRS)
		return -EINVAL;
	s = &bus->slots[addr];
	pthread_mutex_lock(&s->lock);
	if (s->kind != SLOT_NONE) {
		ret = -EEXIST;
	} else {
		s->emul = dev;
		slot_reset_counters(s);
		slot_set_kind(s, SLOT_EMUL);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int i2c_bus_remove_emul(struct i2c_bus *bus, unsigned addr)
{
	struct emul_dev *dev = NULL;
	struct bus_slot *s;
	int ret = 0;

	if (addr >= I2C_BUS_ADDRS)
		return -ENOENT;
	s = &bus->slots[addr];
	pthread_mutex_lock(&s->lock);
	if (s->kind == SLOT_EMUL) {
		dev = s->emul;
		s->emul = NULL;
		slot_clear_faults(bus, s);
		slot_set_kind(s, SLOT_NONE);
	} else {
		ret = s->kind == SLOT_HOST ? -EPERM : -ENOENT;
	}
	pthread_mutex_unlock(&s->lock);
	/* No transfer can reach it any more: the lock was the last way in. */
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
		ret = s->kind == SLOT_HOST ? -EPERM : -ENOENT;
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
		out->read_only = s->read_only;
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
	if (s->kind == SLOT_NONE) {
		ret = -ENOENT;
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
		     uint8_t guest_addr, bool read_only)
{
	struct bus_slot *s;
	int ret = 0;

	if (guest_addr >= I2C_BUS_ADDRS || host_addr >= I2C_BUS_ADDRS)
		return -EINVAL;
	s = &bus->slots[guest_addr];
	pthread_mutex_lock(&s->lock);
	if (s->kind != SLOT_NONE) {
		ret = -EEXIST;
	} else {
		s->adapter = ad;
		s->host_addr = host_addr;
		s->read_only = read_only;
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

/* Emulated devices: each message goes to its device (slot locks held by the caller). */
static unsigned transfer_emul(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n)
{
	unsigned done;

	for (done = 0; done < n; done++) {
		struct i2c_msg_buf *m = &msgs[done];

		if (emul_xfer(bus->slots[m->addr].emul, m->read, m->buf, m->len) < 0)
			break;
	}
	return done;
}

/* The /ro policy: may message i of a group reach a read-only device? */
static bool read_only_allows(const struct i2c_msg_buf *msgs, unsigned n, unsigned i)
{
	if (msgs[i].read || msgs[i].len == 0)
		return true;
	/* Setting a register pointer for the read that follows it. */
	return msgs[i].len <= 2 && i + 1 < n && msgs[i + 1].read &&
	       msgs[i + 1].addr == msgs[i].addr;
}

/* Host devices: one adapter, addresses translated, the whole group in one transaction. */
static unsigned transfer_host(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n)
{
	struct i2c_host_adapter *ad = bus->slots[msgs[0].addr].adapter;
	struct i2c_msg_buf host[MAX_HOST_MSGS];
	unsigned allowed = n;

	if (n > MAX_HOST_MSGS)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		const struct bus_slot *s = &bus->slots[msgs[i].addr];

		if (s->read_only && !read_only_allows(msgs, n, i)) {
			log_debug("write of %u bytes to read-only device 0x%02x refused",
				  msgs[i].len, msgs[i].addr);
			allowed = i;
			break;
		}
		host[i] = msgs[i];
		host[i].addr = s->host_addr;
	}
	if (!allowed)
		return 0;
	/* The adapter runs all or nothing: a refused write after it still NACKs there. */
	return i2c_host_transfer(ad, host, allowed) == allowed ? allowed : 0;
}

/* The slots a transfer uses, as a 128-bit set; visited in ascending address order. */
struct addr_set {
	uint64_t w[2];
};

static void addr_set_add(struct addr_set *set, unsigned a)
{
	set->w[a / 64] |= 1ull << (a % 64);
}

static bool addr_set_has(const struct addr_set *set, unsigned a)
{
	return set->w[a / 64] >> (a % 64) & 1;
}

/* The lock of every slot in set, in ascending address order (lock) or any order (unlock). */
static void lock_slots(struct i2c_bus *bus, const struct addr_set *set, bool lock)
{
	for (unsigned w = 0; w < 2; w++) {
		for (uint64_t bits = set->w[w]; bits; bits &= bits - 1) {
			pthread_mutex_t *m = &bus->slots[w * 64 + __builtin_ctzll(bits)].lock;

			if (lock)
				pthread_mutex_lock(m);
			else
				pthread_mutex_unlock(m);
		}
	}
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
	struct addr_set seen = {{0, 0}};

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
	struct addr_set addressed = {{0, 0}};
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

		if (s->kind != first->kind || s->adapter != first->adapter) {
			log_debug("transfer spans devices on different adapters: refused");
			goto out;
		}
	}
	if (first->kind == SLOT_EMUL) {
		done = transfer_emul(bus, msgs, reachable);
		/* One STOP for every emulated device the transfer addressed. */
		for (unsigned i = 0; i < reachable; i++) {
			if (!addr_set_has(&addressed, msgs[i].addr))
				emul_stop(bus->slots[msgs[i].addr].emul);
			addr_set_add(&addressed, msgs[i].addr);
		}
	} else {
		done = transfer_host(bus, msgs, reachable);
	}
	if (faults)
		apply_corruption(&tf, msgs, done);
out:
	account(bus, msgs, n, done);
	return done;
}

/* Sleeps ms milliseconds (an injected delay), whatever signals come. */
static void sleep_ms(uint32_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

unsigned i2c_bus_transfer(struct i2c_bus *bus, struct i2c_msg_buf *msgs, unsigned n)
{
	struct addr_set touched = {{0, 0}};
	uint32_t delay_ms = 0;
	unsigned done;

	for (unsigned i = 0; i < n; i++) {
		if (msgs[i].addr >= I2C_BUS_ADDRS) {
			n = i; /* nothing answers there: the transfer ends at msgs[i] */
			break;
		}
		addr_set_add(&touched, msgs[i].addr);
	}
	/* Ascending address order for the locks, visiting only the addresses used. */
	lock_slots(bus, &touched, true);
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
