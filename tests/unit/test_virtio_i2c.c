// SPDX-License-Identifier: MIT
/*
 * Queue processing in-process: guest memory and the driver side of the ring
 * come from the frontend library, the device side is the daemon's own
 * virtq + virtio_i2c + i2c_bus with an emulated register file (stub) at 0x10.
 */
#include <endian.h>
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
#include <sys/eventfd.h>

#include "i2c_bus.h"
#include "virtio_i2c.h"
#include "virtq.h"
#include "vu_frontend.h"
#include "vu_mem.h"

#define STUB  0x10
#define NONE  0x33 /* nothing configured there */
#define QSIZE 8

struct fixture {
	struct vf_mem *gmem; /* the guest's view */
	struct vf_vring vr;
	struct vu_mem mem; /* the device's view */
	struct virtq vq;
	struct virtio_i2c_queue q;
	struct i2c_bus *bus;
	uint64_t hdr_gpa, data_gpa, status_gpa;
};

static int setup_n(void **state, unsigned qsize, bool event_idx, bool indirect)
{
	struct vf_mem_opts mo = {.size = 1 << 20, .nregions = 1, .shared_fd = true};
	struct cfg_emul stub = {.model = EMUL_STUB, .addr = STUB, .spec = "stub@0x10"};
	struct fixture *f = calloc(1, sizeof(*f));
	struct vhost_user_mem_region wire;
	char err[256];
	int fd;

	assert_non_null(f);
	f->gmem = vf_mem_create(&mo);
	assert_non_null(f->gmem);
	assert_int_equal(vf_vring_init(&f->vr, f->gmem, qsize, 0, 0), 0);
	f->vr.event_idx = event_idx;
	vf_mem_wire_region(f->gmem, 0, &wire);
	fd = dup(f->gmem->regions[0].fd);
	assert_int_equal(vu_mem_set_table(&f->mem, &wire, 1, &fd), 0);

	virtq_init(&f->vq, "test");
	virtq_set_features(&f->vq, event_idx, indirect);
	assert_int_equal(virtq_set_num(&f->vq, &f->mem, qsize), 0);
	assert_int_equal(virtq_set_addr(&f->vq, &f->mem, (uintptr_t)f->vr.desc,
					(uintptr_t)f->vr.avail, (uintptr_t)f->vr.used),
			 0);
	virtq_set_call_fd(&f->vq, dup(f->vr.call_fd));
	virtq_start(&f->vq, dup(f->vr.kick_fd));
	virtq_enable(&f->vq, true);
	virtio_i2c_queue_init(&f->q, "test");

	f->bus = i2c_bus_new();
	assert_int_equal(i2c_bus_add_emul(f->bus, emul_create(&stub, err, sizeof(err))), 0);
	/* 128 request headers, 128 status bytes, 1 KiB of data each. */
	assert_int_equal(vf_mem_alloc(f->gmem, 0, 128 * 8, 8, &f->hdr_gpa, NULL), 0);
	assert_int_equal(vf_mem_alloc(f->gmem, 0, 128, 1, &f->status_gpa, NULL), 0);
	assert_int_equal(vf_mem_alloc(f->gmem, 0, 128 * 1024, 8, &f->data_gpa, NULL), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, QSIZE, false, true);
}

static int setup_big(void **state)
{
	return setup_n(state, 256, false, true);
}

static int setup_event_idx(void **state)
{
	return setup_n(state, QSIZE, true, true);
}

/* QEMU's queue of 4, with and without indirect descriptors. */
static int setup_4(void **state)
{
	return setup_n(state, 4, false, true);
}

static int setup_4_direct(void **state)
{
	return setup_n(state, 4, false, false);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	i2c_bus_free(f->bus);
	virtio_i2c_queue_free(&f->q);
	virtq_release(&f->vq);
	vu_mem_clear(&f->mem);
	vf_vring_cleanup(&f->vr);
	vf_mem_destroy(f->gmem);
	free(f);
	return 0;
}

static uint8_t *hva(struct fixture *f, uint64_t gpa)
{
	return vf_mem_hva(f->gmem, gpa, 1);
}

/* Writes request i's header and adds a standard 2- or 3-piece chain; returns the head. */
static int add_req(struct fixture *f, unsigned i, uint16_t addr16, uint32_t flags, uint32_t len,
		   bool indirect)
{
	struct virtio_i2c_out_hdr hdr = {.addr = htole16(addr16), .flags = htole32(flags)};
	struct vf_sg sg[3];
	unsigned n = 0;

	memcpy(hva(f, f->hdr_gpa + 8 * i), &hdr, sizeof(hdr));
	*hva(f, f->status_gpa + i) = 0xAA; /* neither OK nor ERR: proves the device wrote it */
	sg[n++] = (struct vf_sg){.gpa = f->hdr_gpa + 8 * i, .len = 8};
	if (len)
		sg[n++] = (struct vf_sg){.gpa = f->data_gpa + 1024 * i,
					 .len = len,
					 .write = flags & VIRTIO_I2C_FLAGS_M_RD};
	sg[n++] = (struct vf_sg){.gpa = f->status_gpa + i, .len = 1, .write = true};
	return vf_vring_add(&f->vr, sg, n, indirect, NULL);
}

static int add_msg(struct fixture *f, unsigned i, uint8_t addr, bool read, uint32_t len,
		   bool fail_next)
{
	return add_req(f, i, addr << 1,
		       (read ? VIRTIO_I2C_FLAGS_M_RD : 0) | (fail_next ? VIRTIO_I2C_FLAGS_FAIL_NEXT : 0),
		       len, true);
}

static void set_data(struct fixture *f, unsigned i, const void *bytes, size_t len)
{
	memcpy(hva(f, f->data_gpa + 1024 * i), bytes, len);
}

static uint8_t status(struct fixture *f, unsigned i)
{
	return *hva(f, f->status_gpa + i);
}

static int process(struct fixture *f)
{
	vf_vring_publish(&f->vr);
	return virtio_i2c_process(&f->q, &f->vq, &f->mem, f->bus, false);
}

/* As the serving loop does when the kick fd is readable. */
static int process_kicked(struct fixture *f)
{
	int kicked;

	vf_vring_publish(&f->vr);
	kicked = virtq_consume_kick(&f->vq);
	assert_true(kicked >= 0);
	return virtio_i2c_process(&f->q, &f->vq, &f->mem, f->bus, kicked > 0);
}

static void guest_kick(struct fixture *f)
{
	assert_int_equal(eventfd_write(f->vr.kick_fd, 1), 0);
}

/* Collects n used entries, checking heads in order and used lengths. */
static void expect_used(struct fixture *f, const int *heads, const uint32_t *lens, unsigned n)
{
	assert_int_equal(vf_vring_used_pending(&f->vr), n);
	for (unsigned i = 0; i < n; i++) {
		uint32_t id, len;

		assert_int_equal(vf_vring_get_used(&f->vr, &id, &len, NULL), 0);
		assert_int_equal(id, (uint32_t)heads[i]);
		assert_int_equal(len, lens[i]);
	}
}

static void test_write_then_read_combined(void **state)
{
	struct fixture *f = *state;
	const uint8_t w[] = {0x20, 0xde, 0xad, 0xbe, 0xef};
	const uint8_t reg = 0x20;
	int h[4];

	set_data(f, 0, w, sizeof(w));
	h[0] = add_msg(f, 0, STUB, false, sizeof(w), false);
	set_data(f, 1, &reg, 1);
	h[1] = add_msg(f, 1, STUB, false, 1, true);
	h[2] = add_msg(f, 2, STUB, true, 4, false);
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){1, 1, 5}, 3);
	assert_int_equal(status(f, 0), VIRTIO_I2C_MSG_OK);
	assert_int_equal(status(f, 1), VIRTIO_I2C_MSG_OK);
	assert_int_equal(status(f, 2), VIRTIO_I2C_MSG_OK);
	assert_memory_equal(hva(f, f->data_gpa + 2048), w + 1, 4);
}

static void test_failure_fails_rest_of_group_unexecuted(void **state)
{
	struct fixture *f = *state;
	const uint8_t w1[] = {0x40, 0x11}, w3[] = {0x41, 0x22}, zero[] = {0x40};
	int h[6];

	/* Group: [W stub][W none][W stub] -> OK, ERR, ERR; the third never runs. */
	set_data(f, 0, w1, 2);
	h[0] = add_msg(f, 0, STUB, false, 2, true);
	set_data(f, 1, w1, 2);
	h[1] = add_msg(f, 1, NONE, false, 2, true);
	set_data(f, 2, w3, 2);
	h[2] = add_msg(f, 2, STUB, false, 2, false);
	/* Next group reads back registers 0x40, 0x41. */
	set_data(f, 3, zero, 1);
	h[3] = add_msg(f, 3, STUB, false, 1, true);
	h[4] = add_msg(f, 4, STUB, true, 2, false);
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){1, 1, 1, 1, 3}, 5);
	assert_int_equal(status(f, 0), VIRTIO_I2C_MSG_OK);
	assert_int_equal(status(f, 1), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(status(f, 2), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(status(f, 3), VIRTIO_I2C_MSG_OK);
	assert_int_equal(status(f, 4), VIRTIO_I2C_MSG_OK);
	assert_int_equal(hva(f, f->data_gpa + 4096)[0], 0x11);
	assert_int_equal(hva(f, f->data_gpa + 4096)[1], 0x00); /* 0x22 was never written */
}

static void test_group_ends_at_end_of_available(void **state)
{
	struct fixture *f = *state;
	const uint8_t w[] = {0x50, 0x77};
	int h[2];

	set_data(f, 0, w, 2);
	h[0] = add_msg(f, 0, STUB, false, 2, false);
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){1}, 1);
	/*
	 * Linux publishes a transfer one request at a time and kicks once: a
	 * prefix ending in FAIL_NEXT is held, not run with a STOP of its own.
	 */
	set_data(f, 1, w, 1);
	h[0] = add_msg(f, 1, STUB, false, 1, true);
	assert_int_equal(process(f), 0);
	assert_int_equal(vf_vring_used_pending(&f->vr), 0);
	assert_int_equal(status(f, 1), 0xAA);
	/* Kicks are wanted again (the guest must tell us when it adds the rest). */
	assert_int_equal(le16toh(f->vr.used->flags) & VRING_USED_F_NO_NOTIFY, 0);
	/* The rest arrives: one group, one transfer. */
	h[1] = add_msg(f, 2, STUB, true, 1, false);
	assert_int_equal(process_kicked(f), 0);
	expect_used(f, h, (const uint32_t[]){1, 2}, 2);
	assert_int_equal(status(f, 1), VIRTIO_I2C_MSG_OK);
	assert_int_equal(status(f, 2), VIRTIO_I2C_MSG_OK);
	assert_int_equal(hva(f, f->data_gpa + 2048)[0], 0x77);
}

/* A driver that ends its transfer with FAIL_NEXT (ring not full) and kicks: the kick ends it. */
static void test_fail_next_prefix_completed_by_later_kick(void **state)
{
	struct fixture *f = *state;
	const uint8_t w[] = {0x51, 0x66};
	int h[1];

	/* A kick left over from before the group was seen does not count. */
	guest_kick(f);
	set_data(f, 0, w, 2);
	h[0] = add_msg(f, 0, STUB, false, 2, true);
	assert_int_equal(process(f), 0);
	assert_int_equal(vf_vring_used_pending(&f->vr), 0);
	assert_int_equal(process_kicked(f), 0);
	assert_int_equal(vf_vring_used_pending(&f->vr), 0);
	/* The driver's kick, after notifications were re-enabled: the group is complete. */
	guest_kick(f);
	assert_int_equal(process_kicked(f), 0);
	expect_used(f, h, (const uint32_t[]){1}, 1);
	assert_int_equal(status(f, 0), VIRTIO_I2C_MSG_OK);
}

/* QEMU's queue of 4: Linux truncates a longer transfer to what fits, FAIL_NEXT on the last. */
static void test_fail_next_ring_full_completes(void **state)
{
	struct fixture *f = *state;
	const uint8_t w[] = {0x52, 0x01};
	int h[4];

	for (unsigned i = 0; i < 4; i++) {
		set_data(f, i, w, 2);
		h[i] = add_msg(f, i, STUB, false, 2, true);
	}
	/* A ring's worth (the budget) was taken: the caller comes back once. */
	assert_int_equal(process(f), 1);
	expect_used(f, h, (const uint32_t[]){1, 1, 1, 1}, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(status(f, i), VIRTIO_I2C_MSG_OK);
}

/* Without indirect descriptors a request takes 2-3 of the 4: one request fills the ring. */
static void test_fail_next_ring_full_direct(void **state)
{
	struct fixture *f = *state;
	const uint8_t w[] = {0x53, 0x02};
	int h[1];

	set_data(f, 0, w, 2);
	h[0] = add_req(f, 0, STUB << 1, VIRTIO_I2C_FLAGS_FAIL_NEXT, 2, false);
	assert_true(h[0] >= 0);
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){1}, 1);
	assert_int_equal(status(f, 0), VIRTIO_I2C_MSG_OK);
}

/* Stopping the queue gives a held group back: the resume index is its first request. */
static void test_stop_gives_back_held_group(void **state)
{
	struct fixture *f = *state;
	int h[1];

	h[0] = add_msg(f, 0, STUB, false, 0, false);
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){1}, 1);
	add_msg(f, 1, STUB, false, 0, true);
	add_msg(f, 2, STUB, false, 0, true);
	assert_int_equal(process(f), 0);
	assert_int_equal(vf_vring_used_pending(&f->vr), 0);
	virtio_i2c_queue_forget(&f->q, &f->vq);
	assert_int_equal(virtq_stop(&f->vq), 1);
	assert_false(virtq_running(&f->vq));
	/* Enabled stays as the VMM set it. */
	assert_true(f->vq.enabled);
}

/* A failed read's used length covers its buffer and the status byte after it. */
static void test_failed_read_used_len(void **state)
{
	struct fixture *f = *state;
	int h[2];

	h[0] = add_msg(f, 0, NONE, true, 4, false);
	h[1] = add_msg(f, 1, STUB, true, 4, false);
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){5, 5}, 2);
	assert_int_equal(status(f, 0), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(status(f, 1), VIRTIO_I2C_MSG_OK);
}

/*
 * A group longer than the limit: every popped request counts against the
 * per-call budget, and "failing the rest" survives into the next call.
 */
static void test_too_long_group_budget_and_state(void **state)
{
	struct fixture *f = *state;
	const uint8_t w[] = {0x71, 0x99}, reg = 0x71;
	uint32_t id, len;
	uint8_t r;
	int h[2];

	for (unsigned i = 0; i < 256; i++) {
		set_data(f, i % 100, w, 2);
		assert_true(add_msg(f, i % 100, STUB, false, 2, true) >= 0);
	}
	/* One ring's worth taken, then back to the caller. */
	assert_int_equal(process(f), 1);
	for (unsigned i = 0; i < 256; i++) {
		assert_int_equal(vf_vring_get_used(&f->vr, &id, &len, NULL), 0);
		assert_int_equal(*hva(f, f->status_gpa + i % 100), VIRTIO_I2C_MSG_ERR);
	}
	assert_int_equal(process(f), 0);
	/* The same group goes on: 3 more, the last without FAIL_NEXT. All ERR, unexecuted. */
	for (unsigned i = 0; i < 3; i++) {
		set_data(f, i, w, 2);
		assert_true(add_msg(f, i, STUB, false, 2, i < 2) >= 0);
	}
	assert_int_equal(process(f), 0);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(vf_vring_get_used(&f->vr, &id, &len, NULL), 0);
		assert_int_equal(status(f, i), VIRTIO_I2C_MSG_ERR);
	}
	/* Then a new group runs, and register 0x71 was never written. */
	set_data(f, 3, &reg, 1);
	h[0] = add_msg(f, 3, STUB, false, 1, true);
	h[1] = add_msg(f, 4, STUB, true, 1, false);
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){1, 2}, 2);
	r = hva(f, f->data_gpa + 4 * 1024)[0];
	assert_int_equal(r, 0x00);
}

static void test_zero_length(void **state)
{
	struct fixture *f = *state;
	int h[3];

	h[0] = add_msg(f, 0, STUB, false, 0, false);
	h[1] = add_msg(f, 1, STUB, true, 0, false);
	h[2] = add_msg(f, 2, NONE, false, 0, false);
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){1, 1, 1}, 3);
	assert_int_equal(status(f, 0), VIRTIO_I2C_MSG_OK);
	assert_int_equal(status(f, 1), VIRTIO_I2C_MSG_OK);
	assert_int_equal(status(f, 2), VIRTIO_I2C_MSG_ERR);
}

static void test_malformed_requests_get_err(void **state)
{
	struct fixture *f = *state;
	struct vf_sg sg[3];
	int h[7];

	/* Reserved flag bit. */
	h[0] = add_req(f, 0, STUB << 1, 0x4, 1, true);
	/* 10-bit / odd address encoding. */
	h[1] = add_req(f, 1, (STUB << 1) | 1, 0, 1, true);
	/* Read flag but device-readable buffer. */
	sg[0] = (struct vf_sg){.gpa = f->hdr_gpa + 16, .len = 8};
	sg[1] = (struct vf_sg){.gpa = f->data_gpa, .len = 4};
	sg[2] = (struct vf_sg){.gpa = f->status_gpa + 2, .len = 1, .write = true};
	memcpy(hva(f, f->hdr_gpa + 16),
	       &(struct virtio_i2c_out_hdr){.addr = STUB << 1, .flags = VIRTIO_I2C_FLAGS_M_RD}, 8);
	h[2] = vf_vring_add(&f->vr, sg, 3, true, NULL);
	/* Header of 4 bytes only. */
	sg[0].len = 4;
	sg[0].gpa = f->hdr_gpa + 24;
	sg[1] = (struct vf_sg){.gpa = f->status_gpa + 3, .len = 1, .write = true};
	h[3] = vf_vring_add(&f->vr, sg, 2, true, NULL);
	/* Buffer longer than 8192 bytes. */
	memcpy(hva(f, f->hdr_gpa + 32), &(struct virtio_i2c_out_hdr){.addr = STUB << 1}, 8);
	sg[0] = (struct vf_sg){.gpa = f->hdr_gpa + 32, .len = 8};
	sg[1] = (struct vf_sg){.gpa = f->data_gpa, .len = 8193};
	sg[2] = (struct vf_sg){.gpa = f->status_gpa + 4, .len = 1, .write = true};
	h[4] = vf_vring_add(&f->vr, sg, 3, true, NULL);
	/* Buffer outside guest memory. */
	memcpy(hva(f, f->hdr_gpa + 40), &(struct virtio_i2c_out_hdr){.addr = STUB << 1}, 8);
	sg[0] = (struct vf_sg){.gpa = f->hdr_gpa + 40, .len = 8};
	sg[1] = (struct vf_sg){.gpa = 1ull << 40, .len = 4};
	sg[2] = (struct vf_sg){.gpa = f->status_gpa + 5, .len = 1, .write = true};
	h[5] = vf_vring_add(&f->vr, sg, 3, true, NULL);
	for (unsigned i = 0; i < 6; i++)
		*hva(f, f->status_gpa + i) = 0xAA;
	/* A good one after all that still works. */
	h[6] = add_msg(f, 6, STUB, true, 1, false);
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){1, 1, 1, 1, 1, 1, 2}, 7);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(status(f, i), VIRTIO_I2C_MSG_ERR);
	assert_int_equal(status(f, 6), VIRTIO_I2C_MSG_OK);
}

static void test_header_split_across_descriptors(void **state)
{
	struct fixture *f = *state;
	const uint8_t w[] = {0x60, 0x5a};
	struct vf_sg sg[4];
	int h[3];

	/* Framing is the driver's business: 3 + 5 header bytes, then data, then status. */
	memcpy(hva(f, f->hdr_gpa), &(struct virtio_i2c_out_hdr){.addr = STUB << 1}, 8);
	set_data(f, 0, w, 2);
	sg[0] = (struct vf_sg){.gpa = f->hdr_gpa, .len = 3};
	sg[1] = (struct vf_sg){.gpa = f->hdr_gpa + 3, .len = 5};
	sg[2] = (struct vf_sg){.gpa = f->data_gpa, .len = 2};
	sg[3] = (struct vf_sg){.gpa = f->status_gpa, .len = 1, .write = true};
	h[0] = vf_vring_add(&f->vr, sg, 4, false, NULL);
	/* [W 0x60][R 1] where the read's data and status share one writable descriptor. */
	set_data(f, 1, w, 1);
	h[1] = add_msg(f, 1, STUB, false, 1, true);
	memcpy(hva(f, f->hdr_gpa + 16),
	       &(struct virtio_i2c_out_hdr){.addr = STUB << 1, .flags = VIRTIO_I2C_FLAGS_M_RD}, 8);
	sg[0] = (struct vf_sg){.gpa = f->hdr_gpa + 16, .len = 8};
	sg[1] = (struct vf_sg){.gpa = f->data_gpa + 2048, .len = 2, .write = true};
	h[2] = vf_vring_add(&f->vr, sg, 2, true, NULL);
	*hva(f, f->data_gpa + 2049) = 0xAA;
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){1, 1, 2}, 3);
	assert_int_equal(status(f, 0), VIRTIO_I2C_MSG_OK);
	assert_int_equal(status(f, 1), VIRTIO_I2C_MSG_OK);
	assert_int_equal(hva(f, f->data_gpa + 2048)[0], 0x5a);
	assert_int_equal(hva(f, f->data_gpa + 2048)[1], VIRTIO_I2C_MSG_OK);
}

static void test_group_too_long_fails_whole(void **state)
{
	struct fixture *f = *state;
	const uint8_t w[] = {0x70, 0x99};
	uint32_t id, len;
	int h[2];

	/* 70 chained writes, all available at once: more than VIRTIO_I2C_MAX_GROUP. */
	for (unsigned i = 0; i < 70; i++) {
		set_data(f, i, w, 2);
		assert_true(add_req(f, i, STUB << 1, i == 69 ? 0 : VIRTIO_I2C_FLAGS_FAIL_NEXT, 2,
				    true) >= 0);
	}
	assert_int_equal(process(f), 0);
	for (unsigned i = 0; i < 70; i++) {
		assert_int_equal(vf_vring_get_used(&f->vr, &id, &len, NULL), 0);
		assert_int_equal(len, 1);
		assert_int_equal(status(f, i), VIRTIO_I2C_MSG_ERR);
	}
	/* Nothing ran: register 0x70 is still 0. */
	set_data(f, 70, w, 1);
	h[0] = add_msg(f, 70, STUB, false, 1, true);
	h[1] = add_msg(f, 71, STUB, true, 1, false);
	assert_int_equal(process(f), 0);
	expect_used(f, h, (const uint32_t[]){1, 2}, 2);
	assert_int_equal(hva(f, f->data_gpa + 71 * 1024)[0], 0x00);
}

static void expect_broken(struct fixture *f)
{
	assert_int_equal(process(f), -EINVAL);
	assert_true(f->vq.broken);
	assert_int_equal(vf_vring_used_pending(&f->vr), 0);
	/* Stays stopped. */
	assert_int_equal(virtio_i2c_process(&f->q, &f->vq, &f->mem, f->bus, false), -EINVAL);
}

static void test_broken_head_out_of_range(void **state)
{
	struct fixture *f = *state;

	vf_vring_push_head(&f->vr, QSIZE);
	expect_broken(f);
}

static void test_broken_avail_jump(void **state)
{
	struct fixture *f = *state;

	vf_vring_set_avail_idx(&f->vr, QSIZE + 1);
	assert_int_equal(virtio_i2c_process(&f->q, &f->vq, &f->mem, f->bus, false), -EINVAL);
	assert_true(f->vq.broken);
}

static void test_broken_loop(void **state)
{
	struct fixture *f = *state;

	f->vr.desc[0] = (struct vring_desc){.addr = f->hdr_gpa, .len = 8, .flags = 1, .next = 1};
	f->vr.desc[1] = (struct vring_desc){.addr = f->hdr_gpa, .len = 8, .flags = 1, .next = 0};
	vf_vring_push_head(&f->vr, 0);
	expect_broken(f);
}

static void test_broken_indirect_tables(void **state)
{
	struct fixture *f = *state;
	struct vring_desc *table = (struct vring_desc *)hva(f, f->data_gpa);

	/* Nested indirect. */
	table[0] = (struct vring_desc){.addr = f->data_gpa, .len = 16, .flags = VRING_DESC_F_INDIRECT};
	f->vr.desc[0] = (struct vring_desc){.addr = f->data_gpa, .len = 16, .flags = 4};
	vf_vring_push_head(&f->vr, 0);
	expect_broken(f);
}

static void test_broken_indirect_len(void **state)
{
	struct fixture *f = *state;

	f->vr.desc[0] = (struct vring_desc){.addr = f->data_gpa, .len = 24, .flags = 4};
	vf_vring_push_head(&f->vr, 0);
	expect_broken(f);
}

static void test_broken_no_status(void **state)
{
	struct fixture *f = *state;

	f->vr.desc[0] = (struct vring_desc){.addr = f->hdr_gpa, .len = 8};
	vf_vring_push_head(&f->vr, 0);
	expect_broken(f);
}

static void test_event_idx_publishes_and_suppresses(void **state)
{
	struct fixture *f = *state;
	uint16_t *used_event = vf_vring_used_event(&f->vr);
	int h[1];

	/* Guest wants a signal only once used idx passes 5: no signal for the first. */
	*used_event = htole16(5);
	h[0] = add_msg(f, 0, STUB, false, 0, false);
	assert_int_equal(process(f), 0);
	/* First signal is always sent (no previous one to compare with). */
	assert_int_equal(vf_vring_wait_call(&f->vr, 0), 0);
	expect_used(f, h, (const uint32_t[]){1}, 1);
	assert_int_equal(le16toh(*vf_vring_avail_event(&f->vr)), 1);
	h[0] = add_msg(f, 1, STUB, false, 0, false);
	assert_int_equal(process(f), 0);
	assert_int_equal(vf_vring_wait_call(&f->vr, 0), -ETIMEDOUT);
	expect_used(f, h, (const uint32_t[]){1}, 1);
	assert_int_equal(le16toh(*vf_vring_avail_event(&f->vr)), 2);
	/* used_event = 2: the third completion (used idx 2 -> 3) is signalled. */
	*used_event = htole16(2);
	h[0] = add_msg(f, 2, STUB, false, 0, false);
	assert_int_equal(process(f), 0);
	assert_int_equal(vf_vring_wait_call(&f->vr, 0), 0);
	expect_used(f, h, (const uint32_t[]){1}, 1);
}

static void test_no_interrupt_flag(void **state)
{
	struct fixture *f = *state;
	int h[1];

	f->vr.avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	h[0] = add_msg(f, 0, STUB, false, 0, false);
	assert_int_equal(process(f), 0);
	assert_int_equal(vf_vring_wait_call(&f->vr, 0), -ETIMEDOUT);
	expect_used(f, h, (const uint32_t[]){1}, 1);
	f->vr.avail->flags = 0;
	h[0] = add_msg(f, 1, STUB, false, 0, false);
	assert_int_equal(process(f), 0);
	assert_int_equal(vf_vring_wait_call(&f->vr, 0), 0);
	expect_used(f, h, (const uint32_t[]){1}, 1);
	/* Kicks are wanted again once the ring is drained. */
	assert_int_equal(le16toh(f->vr.used->flags) & VRING_USED_F_NO_NOTIFY, 0);
}

static void test_full_big_queue(void **state)
{
	struct fixture *f = *state;
	uint32_t id, len;
	unsigned n = 0;

	/* 120 independent zero-length requests in one go (indirect: one slot each). */
	for (unsigned i = 0; i < 60; i++) {
		assert_true(add_msg(f, i, STUB, false, 0, false) >= 0);
		assert_true(add_msg(f, i, STUB, true, 0, false) >= 0);
	}
	assert_int_equal(process(f), 0);
	while (vf_vring_get_used(&f->vr, &id, &len, NULL) == 0) {
		assert_int_equal(len, 1);
		n++;
	}
	assert_int_equal(n, 120);
	assert_int_equal(f->vq.last_avail, 120);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_then_read_combined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_fails_rest_of_group_unexecuted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_group_ends_at_end_of_available, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zero_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_requests_get_err, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_split_across_descriptors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_group_too_long_fails_whole, setup_big,
						teardown),
		cmocka_unit_test_setup_teardown(test_broken_head_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_avail_jump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_indirect_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_indirect_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_no_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx_publishes_and_suppresses,
						setup_event_idx, teardown),
		cmocka_unit_test_setup_teardown(test_no_interrupt_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_big_queue, setup_big, teardown),
		cmocka_unit_test_setup_teardown(test_fail_next_prefix_completed_by_later_kick,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_next_ring_full_completes, setup_4,
						teardown),
		cmocka_unit_test_setup_teardown(test_fail_next_ring_full_direct, setup_4_direct,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_gives_back_held_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_read_used_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long_group_budget_and_state, setup_big,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
