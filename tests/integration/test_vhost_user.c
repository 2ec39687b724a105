// SPDX-License-Identifier: MIT
/*
 * The vhost-user conversation with a real daemon: QEMU 7.2's exact message
 * sequence and replies, start/stop cycles, NEED_REPLY, memory tables and
 * regions, feature refusal, EVENT_IDX and notification suppression,
 * indirect/direct descriptors and queue sizes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "vu_frontend.h"

#define TMO	    5000
#define BIT(n)	    (1ull << (n))
#define FEATURES    0x170000001ull
#define PROTO_FEATS 0x8009ull
#define EE02	    0x50
#define STUB	    0x20
#define QUIET_MS    300

static struct vf_dev *open_dev(struct daemon_fx *fx, const struct vf_dev_opts *o)
{
	struct vf_dev *dev = vf_dev_open(fx->path, o);

	if (!dev)
		printf("vf_dev_open: %s\n", strerror(errno));
	assert_non_null(dev);
	return dev;
}

/* One write + read-back on the stub register file proves the queue works. */
static void assert_queue_works(struct vf_dev *dev, uint8_t reg, uint8_t val)
{
	uint8_t w[2] = {reg, val}, r = (uint8_t)~val;

	assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
	assert_int_equal(vf_i2c_write_read(dev, STUB, &reg, 1, &r, 1), 0);
	assert_int_equal(r, val);
}

static void drain_calls(struct vf_vring *vr)
{
	while (!vf_vring_wait_call(vr, 0))
		;
}

/* ---- tests ---- */

static void test_qemu_init_sequence(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_conn *c;
	uint64_t v;

	fx->dev = vf_dev_create(fx->path, NULL);
	assert_non_null(fx->dev);
	c = fx->dev->conn;
	/* vhost_dev_init, message by message, every reply checked strictly */
	assert_int_equal(vf_msg_get_u64(c, VHOST_USER_GET_FEATURES, &v), 0);
	assert_int_equal(v, FEATURES);
	assert_int_equal(vf_msg_get_u64(c, VHOST_USER_GET_PROTOCOL_FEATURES, &v), 0);
	assert_int_equal(v, PROTO_FEATS);
	assert_int_equal(vf_msg_set_u64(c, VHOST_USER_SET_PROTOCOL_FEATURES, PROTO_FEATS, false),
			 0);
	assert_int_equal(vf_msg_get_u64(c, VHOST_USER_GET_QUEUE_NUM, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vf_msg_get_u64(c, VHOST_USER_GET_MAX_MEM_SLOTS, &v), 0);
	assert_int_equal(v, 32);
	assert_int_equal(vf_msg_set_none(c, VHOST_USER_SET_OWNER, false), 0);
	assert_int_equal(vf_msg_get_u64(c, VHOST_USER_GET_FEATURES, &v), 0);
	assert_int_equal(v, FEATURES);
	assert_int_equal(
		vf_msg_set_vring_fd(c, VHOST_USER_SET_VRING_CALL, 0, fx->dev->vr.call_fd, false),
		0);
	assert_int_equal(
		vf_msg_set_vring_fd(c, VHOST_USER_SET_VRING_ERR, 0, fx->dev->err_fd, false), 0);
	fx->dev->features = FEATURES;
	fx->dev->protocol_features = PROTO_FEATS;
	fx->dev->acked_protocol = PROTO_FEATS;
	/* start: SET_FEATURES 0x170000001, ADD_MEM_REG (NEED_REPLY, acked), rings */
	assert_int_equal(vf_dev_start(fx->dev), 0);
	assert_int_equal(fx->dev->acked_features, FEATURES);
	assert_true(fx->dev->regions_added[0]);
	assert_queue_works(fx->dev, 1, 0x5a);
	/* the library's own init does the same and agrees */
	assert_int_equal(vf_dev_reconnect(fx->dev, true), 0);
	assert_int_equal(fx->dev->features, FEATURES);
	assert_int_equal(fx->dev->protocol_features, PROTO_FEATS);
	assert_int_equal(fx->dev->queue_num, 1);
	assert_int_equal(fx->dev->max_mem_slots, 32);
	assert_queue_works(fx->dev, 2, 0xa5);
	fx->passed = true;
}

static void test_start_stop_cycles(void **state)
{
	struct daemon_fx *fx = *state;
	uint16_t base;
	int cycle, i;

	fx->dev = open_dev(fx, NULL);
	for (cycle = 0; cycle < 4; cycle++) {
		for (i = 0; i < 3; i++)
			assert_queue_works(fx->dev, (uint8_t)(cycle * 3 + i), (uint8_t)(0x10 + i));
		assert_int_equal(vf_dev_stop(fx->dev, &base), 0);
		/* GET_VRING_BASE = next avail index = every request sent so far */
		assert_int_equal(base, fx->dev->vr.avail_idx);
		assert_int_equal(base, (cycle + 1) * 3 * 3); /* 3 requests per check */
		assert_int_equal(vf_vring_used_pending(&fx->dev->vr), 0);
		assert_int_equal(vf_dev_start(fx->dev), 0);
	}
	fx->passed = true;
}

/* SET_VRING_BASE is honoured: a ring whose indices start at 65530 (and wrap). */
static void test_vring_base_restores_index(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_vring *vr;
	uint16_t base;
	int i;

	fx->dev = vf_dev_create(fx->path, NULL);
	assert_non_null(fx->dev);
	assert_int_equal(vf_dev_init(fx->dev), 0);
	vr = &fx->dev->vr;
	vr->avail_idx = vr->kicked_idx = vr->last_used = 65530;
	vr->avail->idx = 65530;
	vr->used->idx = 65530;
	fx->dev->base = 65530;
	assert_int_equal(vf_dev_start(fx->dev), 0);
	for (i = 0; i < 5; i++)
		assert_queue_works(fx->dev, (uint8_t)i, (uint8_t)(0x30 + i));
	assert_int_equal(vf_dev_stop(fx->dev, &base), 0);
	assert_int_equal(base, (uint16_t)(65530 + 15));
	assert_int_equal(vf_dev_start(fx->dev), 0);
	assert_queue_works(fx->dev, 9, 0x99);
	fx->passed = true;
}

static void test_protocol_features_before_set_features(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_conn *c;
	uint64_t v;

	fx->dev = vf_dev_create(fx->path, NULL);
	assert_non_null(fx->dev);
	c = fx->dev->conn;
	/* the very first messages on the connection */
	assert_int_equal(vf_msg_get_u64(c, VHOST_USER_GET_PROTOCOL_FEATURES, &v), 0);
	assert_int_equal(v, PROTO_FEATS);
	assert_int_equal(vf_msg_set_u64(c, VHOST_USER_SET_PROTOCOL_FEATURES, v, false), 0);
	assert_int_equal(vf_msg_get_u64(c, VHOST_USER_GET_QUEUE_NUM, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vf_dev_init(fx->dev), 0);
	assert_int_equal(vf_dev_start(fx->dev), 0);
	assert_queue_works(fx->dev, 3, 0x33);
	fx->passed = true;
}

/* NEED_REPLY on messages that have no reply gets a u64 0 ack, negotiated or not. */
static void check_need_reply(struct daemon_fx *fx, bool negotiate_reply_ack)
{
	struct vf_dev_opts o;
	struct vf_conn *c;

	vf_dev_opts_default(&o);
	o.reply_ack = negotiate_reply_ack;
	o.mem_msg = VF_MEM_SET_TABLE;
	fx->dev = vf_dev_create(fx->path, &o);
	assert_non_null(fx->dev);
	assert_int_equal(vf_dev_init(fx->dev), 0);
	assert_int_equal(!!(fx->dev->acked_protocol & BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK)),
			 negotiate_reply_ack);
	c = fx->dev->conn;
	assert_int_equal(vf_msg_set_none(c, VHOST_USER_SET_OWNER, true), 0);
	assert_int_equal(vf_msg_set_u64(c, VHOST_USER_SET_FEATURES, FEATURES, true), 0);
	assert_int_equal(vf_msg_set_mem_table(c, fx->dev->mem, true), 0);
	assert_int_equal(vf_msg_set_state(c, VHOST_USER_SET_VRING_NUM, 0, 4, true), 0);
	assert_int_equal(vf_msg_set_state(c, VHOST_USER_SET_VRING_BASE, 0, 0, true), 0);
	assert_int_equal(vf_msg_set_vring_fd(c, VHOST_USER_SET_VRING_CALL, 0, -1, true), 0);
	assert_int_equal(
		vf_msg_set_vring_fd(c, VHOST_USER_SET_VRING_CALL, 0, fx->dev->vr.call_fd, true), 0);
	assert_int_equal(vf_dev_start(fx->dev), 0);
	assert_int_equal(vf_msg_set_state(c, VHOST_USER_SET_VRING_ENABLE, 0, 1, true), 0);
	assert_queue_works(fx->dev, 4, 0x44);
	fx->passed = true;
}

static void test_need_reply_with_reply_ack(void **state)
{
	check_need_reply(*state, true);
}

static void test_need_reply_without_reply_ack(void **state)
{
	check_need_reply(*state, false);
}

/* Several regions at non-contiguous guest addresses, shared or separate memfds. */
static void check_regions(struct daemon_fx *fx, unsigned n, bool shared, enum vf_mem_msg how,
			  unsigned ring_region)
{
	struct vf_dev_opts o;
	uint8_t buf[40], back[40];
	uint8_t reg = 0x40;
	int i;

	vf_dev_opts_default(&o);
	o.nregions = n;
	o.shared_fd = shared;
	o.mem_msg = how;
	o.mem_size = n * (1ull << 20);
	o.bounce_size = 64 << 10;
	o.ring_region = ring_region;
	fx->dev = open_dev(fx, &o);
	assert_int_equal(vf_mem_region_of(fx->dev->mem, fx->dev->vr.desc_gpa), (int)ring_region);
	assert_int_equal(vf_mem_region_of(fx->dev->mem, fx->dev->bounce_gpa), (int)n - 1);
	for (i = 0; i < 40; i++)
		buf[i] = (uint8_t)(i * 7 + n);
	buf[0] = reg;
	assert_int_equal(vf_i2c_write(fx->dev, STUB, buf, sizeof(buf)), 0);
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &reg, 1, back, 39), 0);
	assert_memory_equal(back, buf + 1, 39);
	vf_dev_destroy(fx->dev);
	fx->dev = NULL;
}

static void test_mem_table_regions(void **state)
{
	struct daemon_fx *fx = *state;

	check_regions(fx, 1, true, VF_MEM_SET_TABLE, 0);
	check_regions(fx, 2, true, VF_MEM_SET_TABLE, 0);
	check_regions(fx, 2, true, VF_MEM_SET_TABLE, 1);
	check_regions(fx, 4, false, VF_MEM_SET_TABLE, 2);
	check_regions(fx, 8, true, VF_MEM_SET_TABLE, 7);
	check_regions(fx, 8, false, VF_MEM_SET_TABLE, 3);
	fx->passed = true;
}

static void test_add_mem_reg_regions(void **state)
{
	struct daemon_fx *fx = *state;

	check_regions(fx, 1, true, VF_MEM_ADD_REG, 0);
	check_regions(fx, 3, true, VF_MEM_ADD_REG, 2);
	check_regions(fx, 8, false, VF_MEM_ADD_REG, 5);
	fx->passed = true;
}

/* REM_MEM_REG really removes the region: buffers there fail, re-adding repairs it. */
static void test_rem_mem_reg(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_dev_opts o;
	struct vf_i2c_msg m;
	uint8_t w[2] = {0x50, 0x77}, r;

	vf_dev_opts_default(&o);
	o.nregions = 2;
	o.mem_size = 4 << 20;
	o.mem_msg = VF_MEM_ADD_REG;
	o.hdr_region = 0;
	o.data_region = 1;
	fx->dev = open_dev(fx, &o);
	assert_queue_works(fx->dev, 0x50, 0x66);
	assert_int_equal(vf_msg_rem_mem_reg(fx->dev->conn, fx->dev->mem, 1, true), 0);
	fx->dev->regions_added[1] = false;
	/* header and status in region 0, data in the removed region 1 */
	m = (struct vf_i2c_msg){.addr = STUB, .len = 2, .buf = w};
	assert_int_equal(vf_i2c_transfer(fx->dev, &m, 1, 0, TMO), 1);
	assert_int_equal(m.status, VIRTIO_I2C_MSG_ERR);
	assert_int_equal(m.used_len, 1);
	assert_int_equal(vf_msg_add_mem_reg(fx->dev->conn, fx->dev->mem, 1, true), 0);
	fx->dev->regions_added[1] = true;
	/* the failed write did not happen */
	r = 0;
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &w[0], 1, &r, 1), 0);
	assert_int_equal(r, 0x66);
	assert_queue_works(fx->dev, 0x51, 0x55);
	fx->passed = true;
}

/* SET_FEATURES the device cannot accept closes the connection; the socket keeps serving. */
static void check_bad_features(struct daemon_fx *fx, uint64_t features)
{
	struct vf_dev *dev;
	char *before, *after;

	before = daemon_log(fx->d);
	assert_non_null(before);
	dev = vf_dev_create(fx->path, NULL);
	assert_non_null(dev);
	assert_int_equal(vf_dev_init(dev), 0);
	assert_int_equal(vf_msg_set_u64(dev->conn, VHOST_USER_SET_FEATURES, features, false), 0);
	assert_int_equal(vf_conn_wait_closed(dev->conn, TMO), 0);
	vf_dev_destroy(dev);
	after = daemon_log(fx->d);
	assert_non_null(after);
	assert_true(strlen(after) > strlen(before)); /* it said why */
	free(before);
	free(after);
	dev = vf_dev_open(fx->path, NULL);
	assert_non_null(dev);
	assert_queue_works(dev, 0x60, 0x61);
	vf_dev_destroy(dev);
}

static void test_set_features_refused(void **state)
{
	struct daemon_fx *fx = *state;

	check_bad_features(fx, FEATURES & ~BIT(VIRTIO_F_VERSION_1));
	check_bad_features(fx, FEATURES | BIT(VIRTIO_F_RING_PACKED));
	check_bad_features(fx, FEATURES & ~BIT(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST));
	fx->passed = true;
}

/* Adds (without publishing) a zero-length probe of the stub. Returns the head. */
static int add_stub_probe(struct vf_dev *dev)
{
	struct vf_i2c_slot *s;
	struct vf_sg sg[2];
	int head = dev->vr.free_head;

	s = &dev->slots[head];
	s->hdr.addr = STUB << 1;
	s->hdr.padding = 0;
	s->hdr.flags = 0; /* zero-length write: a probe */
	s->status = VF_I2C_UNTOUCHED;
	sg[0] = (struct vf_sg){.gpa = vf_i2c_slot_hdr_gpa(dev, (unsigned)head), .len = 8};
	sg[1] = (struct vf_sg){
		.gpa = vf_i2c_slot_status_gpa(dev, (unsigned)head), .len = 1, .write = true};
	return vf_vring_add(&dev->vr, sg, 2, dev->opts.indirect, NULL);
}

static int wait_used_polling(struct vf_vring *vr, unsigned n, int timeout_ms)
{
	int waited;

	for (waited = 0; waited < timeout_ms; waited += 5) {
		if (vf_vring_used_pending(vr) >= n)
			return 0;
		usleep(5000);
	}
	return -ETIMEDOUT;
}

/* The daemon publishes avail_event = everything consumed (right after completing). */
static int wait_avail_event(struct vf_vring *vr, int timeout_ms)
{
	int waited;

	for (waited = 0; waited < timeout_ms; waited += 5) {
		if (__atomic_load_n(vf_vring_avail_event(vr), __ATOMIC_ACQUIRE) == vr->avail_idx)
			return 0;
		usleep(5000);
	}
	printf("avail_event %u, avail idx %u\n", *vf_vring_avail_event(vr), vr->avail_idx);
	return -ETIMEDOUT;
}

static void collect_all(struct vf_vring *vr, unsigned n)
{
	uint32_t id, len;
	unsigned i;

	for (i = 0; i < n; i++) {
		assert_int_equal(vf_vring_get_used(vr, &id, &len, NULL), 0);
		assert_int_equal(len, 1);
	}
	assert_int_equal(vf_vring_get_used(vr, &id, &len, NULL), -EAGAIN);
}

static void test_event_idx(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_dev_opts o;
	struct vf_vring *vr;
	int i;

	vf_dev_opts_default(&o);
	o.queue_size = 16;
	fx->dev = open_dev(fx, &o);
	vr = &fx->dev->vr;
	assert_true(vr->event_idx);
	/* Many transfers: each kick decision relies on the avail_event the daemon publishes. */
	for (i = 0; i < 20; i++)
		assert_queue_works(fx->dev, (uint8_t)i, (uint8_t)(i + 1));
	assert_int_equal(wait_avail_event(vr, TMO), 0);

	/* used_event = last_used + 1: the first completion must not signal, the second must */
	drain_calls(vr);
	*vf_vring_used_event(vr) = (uint16_t)(vr->last_used + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	assert_true(add_stub_probe(fx->dev) >= 0);
	assert_int_equal(vf_vring_kick(vr, false), 0);
	assert_int_equal(wait_used_polling(vr, 1, TMO), 0);
	assert_int_equal(vf_vring_wait_call(vr, QUIET_MS), -ETIMEDOUT);
	assert_true(add_stub_probe(fx->dev) >= 0);
	assert_int_equal(vf_vring_kick(vr, false), 0);
	assert_int_equal(vf_vring_wait_call(vr, TMO), 0);
	assert_int_equal(vf_vring_used_pending(vr), 2);
	collect_all(vr, 2);
	assert_int_equal(wait_avail_event(vr, TMO), 0);
	assert_queue_works(fx->dev, 0x70, 0x71);
	fx->passed = true;
}

static void test_no_event_idx(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_dev_opts o;
	struct vf_vring *vr;
	int i;

	vf_dev_opts_default(&o);
	o.event_idx = false;
	o.queue_size = 16;
	fx->dev = open_dev(fx, &o);
	vr = &fx->dev->vr;
	assert_false(fx->dev->acked_features & BIT(VIRTIO_RING_F_EVENT_IDX));
	for (i = 0; i < 20; i++)
		assert_queue_works(fx->dev, (uint8_t)i, (uint8_t)(i + 2));

	/* VRING_AVAIL_F_NO_INTERRUPT: completions without a signal */
	drain_calls(vr);
	vr->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	assert_true(add_stub_probe(fx->dev) >= 0);
	assert_int_equal(vf_vring_kick(vr, true), 0);
	assert_int_equal(wait_used_polling(vr, 1, TMO), 0);
	assert_int_equal(vf_vring_wait_call(vr, QUIET_MS), -ETIMEDOUT);
	vr->avail->flags = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	assert_true(add_stub_probe(fx->dev) >= 0);
	assert_int_equal(vf_vring_kick(vr, true), 0);
	assert_int_equal(vf_vring_wait_call(vr, TMO), 0);
	assert_int_equal(wait_used_polling(vr, 2, TMO), 0);
	collect_all(vr, 2);
	assert_queue_works(fx->dev, 0x72, 0x73);
	fx->passed = true;
}

/* Direct descriptors: a [write, read] group needs 6 of them, a queue of 4 holds one request. */
static void test_direct_descriptors(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_dev_opts o;
	struct vf_i2c_msg m[3];
	uint8_t w[3] = {0x10, 0xab, 0xcd}, ptr = 0x10, r[2] = {0}, r2[2] = {0};

	vf_dev_opts_default(&o);
	o.indirect = false;
	fx->dev = open_dev(fx, &o);
	assert_false(fx->dev->acked_features & BIT(VIRTIO_RING_F_INDIRECT_DESC));
	assert_int_equal(vf_i2c_write(fx->dev, STUB, w, 3), 0);
	/* one request per batch: still correct, the pointer survives between groups */
	assert_int_equal(vf_i2c_write_read(fx->dev, STUB, &ptr, 1, r, 2), 0);
	assert_int_equal(r[0], 0xab);
	assert_int_equal(r[1], 0xcd);
	/* zero-length request = 2 descriptors */
	m[0] = (struct vf_i2c_msg){.addr = STUB};
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 1, 0, TMO), 1);
	assert_int_equal(m[0].status, VIRTIO_I2C_MSG_OK);
	assert_int_equal(m[0].used_len, 1);
	vf_dev_destroy(fx->dev);
	fx->dev = NULL;

	/* queue of 8: the whole [write, read] group in one batch of direct chains */
	o.queue_size = 8;
	fx->dev = open_dev(fx, &o);
	m[0] = (struct vf_i2c_msg){.addr = STUB, .len = 1, .buf = &ptr};
	m[1] = (struct vf_i2c_msg){.addr = STUB, .flags = VF_I2C_M_RD, .len = 2, .buf = r2};
	assert_int_equal(vf_i2c_transfer(fx->dev, m, 2, VF_XFER_ONE_BATCH, TMO), 2);
	assert_int_equal(m[0].status, VIRTIO_I2C_MSG_OK);
	assert_int_equal(m[1].status, VIRTIO_I2C_MSG_OK);
	assert_int_equal(m[1].used_len, 3);
	assert_int_equal(r2[0], 0xab);
	assert_int_equal(r2[1], 0xcd);
	fx->passed = true;
}

/* Zero-length probes to the stub: n requests through a queue of size qsz, indices wrap. */
static void run_many(struct daemon_fx *fx, unsigned qsz, unsigned n, bool indirect)
{
	struct vf_dev_opts o;
	struct vf_i2c_msg *m;
	uint16_t base;
	unsigned i;

	vf_dev_opts_default(&o);
	o.queue_size = qsz;
	o.indirect = indirect;
	o.mem_size = 64ull << 20;
	fx->dev = open_dev(fx, &o);
	assert_int_equal(fx->dev->vr.num, qsz);
	m = calloc(n, sizeof(*m));
	assert_non_null(m);
	/* groups of 8 (7 with FAIL_NEXT, then one without), also across batches */
	for (i = 0; i < n; i++)
		m[i] = (struct vf_i2c_msg){.addr = STUB,
					   .flags = i % 8 == 7 ? VF_I2C_M_END_GROUP : 0};
	assert_int_equal(vf_i2c_transfer(fx->dev, m, n, 0, 60000), (int)n);
	for (i = 0; i < n; i++) {
		if (m[i].status != VIRTIO_I2C_MSG_OK || m[i].used_len != 1)
			printf("request %u: status %u len %u\n", i, m[i].status, m[i].used_len);
		assert_int_equal(m[i].status, VIRTIO_I2C_MSG_OK);
		assert_int_equal(m[i].used_len, 1);
	}
	free(m);
	assert_queue_works(fx->dev, 0x7e, 0x7f);
	assert_int_equal(vf_dev_stop(fx->dev, &base), 0);
	assert_int_equal(base, (uint16_t)(n + 3));
	vf_dev_destroy(fx->dev);
	fx->dev = NULL;
}

static void test_queue_size_4(void **state)
{
	run_many(*state, 4, 1000, true);
	((struct daemon_fx *)*state)->passed = true;
}

static void test_queue_size_256(void **state)
{
	/* more than 65536 requests: the u16 indices wrap */
	run_many(*state, 256, 70000, true);
	run_many(*state, 256, 600, false);
	((struct daemon_fx *)*state)->passed = true;
}

static void test_queue_size_32768(void **state)
{
	run_many(*state, 32768, 40000, true);
	((struct daemon_fx *)*state)->passed = true;
}

#define T(f) cmocka_unit_test_setup_teardown(f, daemon_fx_setup, daemon_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_qemu_init_sequence),
		T(test_start_stop_cycles),
		T(test_vring_base_restores_index),
		T(test_protocol_features_before_set_features),
		T(test_need_reply_with_reply_ack),
		T(test_need_reply_without_reply_ack),
		T(test_mem_table_regions),
		T(test_add_mem_reg_regions),
		T(test_rem_mem_reg),
		T(test_set_features_refused),
		T(test_event_idx),
		T(test_no_event_idx),
		T(test_direct_descriptors),
		T(test_queue_size_4),
		T(test_queue_size_256),
		T(test_queue_size_32768),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
