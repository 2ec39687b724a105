// SPDX-License-Identifier: MIT
/*
 * The guest side of the benchmark: i2cget-shaped groups ([write reg][read 1],
 * FAIL_NEXT on the write) queued the way Linux's i2c-virtio driver queues
 * them, on the frontend library's ring. The hot loops here do what a guest
 * does and nothing else: fill descriptors, publish, kick if the device asks,
 * sleep in poll() on the call eventfd, collect used entries.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define PATTERN	    0x5a
#define READ_POISON 0xa5
#define COOKIE_WR   1
#define COOKIE_RD   2

/* What a backend that re-creates its socket after each client answers for a moment. */
static bool open_retryable(int err)
{
	return err == ECONNREFUSED || err == ECONNRESET || err == EPIPE || err == ENOENT;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Connect, handshake and prime once: 0 or -errno (the device is closed on failure). */
static int open_once(struct guest *g, const struct guest_opts *o, const struct vf_dev_opts *vo)
{
	uint8_t prime[2] = {o->reg, PATTERN}, back = 0;
	int ret;

	g->dev = vf_dev_open(o->path, vo);
	if (!g->dev)
		return -errno;
	g->indirect = g->dev->acked_features & (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	/* Only a device that echoes what was written gets its reads checked. */
	g->check_data = false;
	ret = vf_i2c_write(g->dev, o->addr, prime, sizeof(prime));
	if (!ret)
		ret = vf_i2c_write_read(g->dev, o->addr, &o->reg, 1, &back, 1);
	if (!ret && back == PATTERN)
		g->check_data = true;
	/* A request error is for the measurement to report; a dropped connection is not. */
	if (ret == -ECONNRESET || ret == -EPIPE) {
		vf_dev_destroy(g->dev);
		g->dev = NULL;
		return ret;
	}
	return 0;
}

struct guest *guest_open(const struct guest_opts *o)
{
	uint64_t t0 = bench_now_ns();
	struct vf_dev_opts vo;
	struct guest *g;
	int err;

	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	vf_dev_opts_default(&vo);
	vo.queue_size = o->queue_size;
	vo.event_idx = o->event_idx;
	/* Rings, indirect tables and slots of a 1024 queue fit in well under 1 MiB. */
	vo.mem_size = 1u << 20;
	vo.bounce_size = 4096;
	vo.timeout_ms = BENCH_TIMEOUT_MS;
	g->addr = o->addr;
	g->reg = o->reg;
	g->expect = PATTERN;
	/*
	 * Some backends (rust-vmm's vhost-device-i2c) serve one client per
	 * listening socket and re-create it when the client leaves: until then
	 * a connection is refused, or accepted by the old socket's backlog and
	 * reset during the handshake. vf_conn_connect already waits out
	 * ENOENT/ECONNREFUSED; the whole open is retried for the rest.
	 */
	while ((err = open_once(g, o, &vo))) {
		if (!open_retryable(-err) ||
		    bench_now_ns() - t0 > (uint64_t)BENCH_OPEN_RETRY_MS * 1000000) {
			free(g);
			errno = -err;
			return NULL;
		}
		g->open_retries++;
		sleep_ms(5);
	}
	return g;
}

void guest_close(struct guest *g)
{
	if (!g)
		return;
	if (g->dev && g->dev->started)
		vf_dev_stop(g->dev, NULL);
	vf_dev_destroy(g->dev);
	free(g);
}

/* Queues one group (two requests). -ENOSPC when the ring is full. */
static int add_group(struct guest *g)
{
	struct vf_dev *dev = g->dev;
	struct vf_vring *vr = &dev->vr;
	unsigned k;
	int ret;

	if (vr->num_free < (g->indirect ? 2 : 6))
		return -ENOSPC;
	for (k = 0; k < 2; k++) {
		uint16_t head = vr->free_head;
		struct vf_i2c_slot *s = &dev->slots[head];
		bool rd = k == 1;
		struct vf_sg sg[3] = {
			{.gpa = vf_i2c_slot_hdr_gpa(dev, head), .len = sizeof(s->hdr)},
			{.gpa = vf_i2c_slot_scratch_gpa(dev, head), .len = 1, .write = rd},
			{.gpa = vf_i2c_slot_status_gpa(dev, head), .len = 1, .write = true},
		};

		s->hdr.addr = htole16((uint16_t)(g->addr << 1));
		s->hdr.padding = 0;
		s->hdr.flags = htole32(rd ? VIRTIO_I2C_FLAGS_M_RD : VIRTIO_I2C_FLAGS_FAIL_NEXT);
		s->status = VF_I2C_UNTOUCHED;
		s->scratch[0] = rd ? READ_POISON : g->reg;
		ret = vf_vring_add(vr, sg, 3, g->indirect,
				   (void *)(uintptr_t)(rd ? COOKIE_RD : COOKIE_WR));
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * Publishes and kicks if the device wants it (vf_vring_kick's logic, kept
 * here so kicks can be counted).
 */
static int kick(struct guest *g)
{
	struct vf_vring *vr = &g->dev->vr;
	uint64_t one = 1;
	bool need;

	vf_vring_publish(vr);
	need = vf_vring_need_kick(vr);
	vr->kicked_idx = vr->avail_idx;
	if (!need)
		return 0;
	if (write(vr->kick_fd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	g->kicks++;
	return 0;
}

/* Like Linux's virtqueue_enable_cb: interrupt me at the next used entry. */
static void arm_used_event(struct guest *g)
{
	struct vf_vring *vr = &g->dev->vr;

	if (!vr->event_idx)
		return;
	__atomic_store_n(vf_vring_used_event(vr), htole16(vr->last_used), __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Sleeps until the call eventfd fires and consumes it. */
static int wait_call(struct guest *g)
{
	struct pollfd pfd = {.fd = g->dev->vr.call_fd, .events = POLLIN};
	uint64_t v;

	for (;;) {
		int n = poll(&pfd, 1, BENCH_TIMEOUT_MS);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return g->call_poll_err = -errno;
		if (n == 0)
			return g->call_poll_err = -ETIMEDOUT;
		if (read(pfd.fd, &v, sizeof(v)) == sizeof(v)) {
			g->calls++;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR)
			return g->call_poll_err = -errno;
	}
}

/* Drops a call left over from the previous group (outside any timed window). */
static void drain_call(struct guest *g)
{
	uint64_t v;

	if (read(g->dev->vr.call_fd, &v, sizeof(v)) == sizeof(v))
		g->calls++;
}

/* Collects every used entry; *groups += completed groups. */
static int collect(struct guest *g, uint64_t *groups)
{
	struct vf_dev *dev = g->dev;
	uint32_t id, len;
	void *cookie;
	int err;

	while (!(err = vf_vring_get_used(&dev->vr, &id, &len, &cookie))) {
		uintptr_t k = (uintptr_t)cookie;
		const struct vf_i2c_slot *s = &dev->slots[id];
		bool rd = k == COOKIE_RD, ok = s->status == VIRTIO_I2C_MSG_OK;

		if (k != COOKIE_WR && k != COOKIE_RD) {
			g->errors++;
			g->bad_id++;
			continue;
		}
		/* used.len = bytes written: the status, plus the data byte of a read. */
		if (len != (rd ? 2u : 1u)) {
			g->len_mismatch++;
			if (rd && !g->read_len_bad++)
				g->read_len_seen = len;
			if (!rd && !g->write_len_bad++)
				g->write_len_seen = len;
		}
		if (s->status == VF_I2C_UNTOUCHED)
			g->status_untouched++;
		else if (!ok)
			g->status_err++;
		if (ok && rd && g->check_data && s->scratch[0] != g->expect) {
			ok = false;
			g->data_wrong++;
		}
		if (ok)
			g->requests_ok++;
		else
			g->errors++;
		if (rd) {
			g->groups++;
			(*groups)++;
		}
	}
	if (err == -EBADMSG) {
		g->errors++;
		g->bad_id++;
	}
	return err == -EAGAIN ? 0 : err;
}

int guest_run_latency(struct guest *g, uint32_t *samples, size_t count)
{
	struct vf_vring *vr = &g->dev->vr;
	size_t i;
	int ret;

	for (i = 0; i < count; i++) {
		uint64_t done = 0, t0, d;
		bool got_call = false;

		drain_call(g);
		ret = add_group(g);
		if (ret)
			return ret;
		arm_used_event(g);
		t0 = bench_now_ns();
		ret = kick(g);
		while (!ret) {
			/* The end is the guest's wake-up with the whole group used. */
			if (!got_call || !vf_vring_used_pending(vr)) {
				ret = wait_call(g);
				got_call = true;
			}
			if (!ret)
				ret = collect(g, &done);
			if (ret || done)
				break;
			arm_used_event(g);
		}
		if (ret)
			return ret;
		d = bench_now_ns() - t0;
		samples[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
	return 0;
}

int guest_run_full(struct guest *g, uint64_t count, uint64_t *elapsed_ns)
{
	struct vf_vring *vr = &g->dev->vr;
	uint64_t issued = 0, done = 0, t0;
	int ret = 0;

	drain_call(g);
	t0 = bench_now_ns();
	while (done < count) {
		while (issued < count && !add_group(g))
			issued++;
		ret = kick(g);
		if (ret)
			break;
		arm_used_event(g);
		if (!vf_vring_used_pending(vr)) {
			ret = wait_call(g);
			if (ret)
				break;
		}
		ret = collect(g, &done);
		if (ret)
			break;
	}
	*elapsed_ns = bench_now_ns() - t0;
	return ret;
}
