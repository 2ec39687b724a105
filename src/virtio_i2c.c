// SPDX-License-Identifier: MIT
#include "virtio_i2c.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "trace.h"

/* A parsed request: where its answer goes and what the bus must do. */
struct vi2c_req {
	uint16_t head;
	bool fail_next;
	bool invalid; /* malformed: ERR without touching the bus */
	bool read;
	uint8_t addr;
	uint16_t len;
	size_t data_off;     /* into q->data */
	uint64_t status_gpa; /* the last writable byte */
	const char *why;     /* reason for `invalid`, for debug logs */
};

void virtio_i2c_queue_init(struct virtio_i2c_queue *q, const char *name)
{
	memset(q, 0, sizeof(*q));
	q->name = name;
}

void virtio_i2c_queue_free(struct virtio_i2c_queue *q)
{
	free(q->reqs);
	free(q->elems);
	free(q->msgs);
	free(q->data);
	virtio_i2c_queue_init(q, q->name);
}

static int grow_group(struct virtio_i2c_queue *q, unsigned need)
{
	unsigned cap = q->cap ? q->cap : 4;
	void *p;

	if (need <= q->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = reallocarray(q->reqs, cap, sizeof(*q->reqs));
	if (!p)
		return -ENOMEM;
	q->reqs = p;
	p = reallocarray(q->elems, cap, sizeof(*q->elems));
	if (!p)
		return -ENOMEM;
	q->elems = p;
	p = reallocarray(q->msgs, cap, sizeof(*q->msgs));
	if (!p)
		return -ENOMEM;
	q->msgs = p;
	q->cap = cap;
	return 0;
}

static int grow_data(struct virtio_i2c_queue *q, size_t need)
{
	size_t cap = q->data_cap ? q->data_cap : 256;
	void *p;

	if (need <= q->data_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(q->data, cap);
	if (!p)
		return -ENOMEM;
	q->data = p;
	q->data_cap = cap;
	return 0;
}

static void mark_invalid(struct vi2c_req *r, const char *why)
{
	if (!r->invalid)
		r->why = why;
	r->invalid = true;
}

/*
 * Parses one chain. Returns 0 (r filled, possibly invalid), -EINVAL if the
 * status byte cannot be located (the ring is then broken), or -ENOMEM.
 */
static int parse_request(struct virtio_i2c_queue *q, struct virtq *vq, const struct vu_mem *mem,
			 const struct virtq_elem *e, struct vi2c_req *r, size_t *data_used)
{
	struct virtio_i2c_out_hdr hdr;
	uint64_t wlen, rlen;
	uint32_t flags;
	uint16_t addr;

	memset(r, 0, sizeof(*r));
	r->head = e->head;
	if (e->in_len == 0)
		return virtq_break(vq, "request without a writable status byte", e->head);
	r->status_gpa = e->last_in.gpa + e->last_in.len - 1;
	if (vu_mem_check(mem, r->status_gpa, 1))
		return virtq_break(vq, "status byte outside guest memory", e->head);

	if (e->out_len < sizeof(hdr) || virtq_elem_read(e, mem, 0, &hdr, sizeof(hdr))) {
		/* Without a header FAIL_NEXT is unknown: the request ends its group. */
		mark_invalid(r, "header missing or unreadable");
		return 0;
	}
	flags = le32toh(hdr.flags);
	addr = le16toh(hdr.addr);
	r->fail_next = flags & VIRTIO_I2C_FLAGS_FAIL_NEXT;
	r->read = flags & VIRTIO_I2C_FLAGS_M_RD;
	r->addr = (addr >> 1) & 0x7f;
	if (e->bad)
		mark_invalid(r, "buffer outside guest memory, misordered or in too many pieces");
	if (flags & ~(uint32_t)(VIRTIO_I2C_FLAGS_FAIL_NEXT | VIRTIO_I2C_FLAGS_M_RD))
		mark_invalid(r, "reserved flag bits set");
	/* Only 7-bit addresses (addr << 1); 10-bit format is not offered. */
	if (addr & ~(uint16_t)0xfe)
		mark_invalid(r, "10-bit or malformed address");

	wlen = e->out_len - sizeof(hdr);
	rlen = e->in_len - 1;
	if (r->read ? wlen != 0 : rlen != 0)
		mark_invalid(r, "buffer direction does not match M_RD");
	r->len = 0;
	if (!r->invalid) {
		uint64_t len = r->read ? rlen : wlen;

		if (len > VIRTIO_I2C_MAX_BUF) {
			mark_invalid(r, "buffer longer than 8192 bytes");
		} else {
			r->len = (uint16_t)len;
			if (grow_data(q, *data_used + r->len))
				return -ENOMEM;
			r->data_off = *data_used;
			*data_used += r->len;
			/* Copy the guest's bytes once: it may change them under us. */
			if (!r->read && r->len &&
			    virtq_elem_read(e, mem, sizeof(hdr), q->data + r->data_off, r->len))
				mark_invalid(r, "write buffer unreadable");
		}
	}
	if (r->invalid)
		log_debug("%s: request %u failed: %s", q->name, r->head, r->why);
	return 0;
}

/*
 * Runs the held group's transfer (none of it when fail_all) and returns every
 * request to the used ring.
 */
static void complete_group(struct virtio_i2c_queue *q, struct virtq *vq, const struct vu_mem *mem,
			   struct i2c_bus *bus, bool fail_all)
{
	unsigned n = q->held, valid = 0, done;
	struct trace_stamp ts;

	/*
	 * A malformed request makes the whole transfer impossible: none of it
	 * starts (no side effects from a prefix). An address nobody answers is
	 * different: that is a NACK in the middle, handled by the bus.
	 */
	if (!fail_all)
		while (valid < n && !q->reqs[valid].invalid)
			valid++;
	if (valid < n)
		valid = 0;
	/* All n for the trace; the bus only gets the valid ones. */
	for (unsigned i = 0; i < n; i++) {
		bool has_data = i < valid && q->reqs[i].len;

		/* q->data may still be NULL when no request so far carried data. */
		q->msgs[i] = (struct i2c_msg_buf){.addr = q->reqs[i].addr,
						  .read = q->reqs[i].read,
						  .len = has_data ? q->reqs[i].len : 0,
						  .buf = has_data ? q->data + q->reqs[i].data_off
								  : NULL};
	}
	trace_start(&ts);
	done = valid ? i2c_bus_transfer(bus, q->msgs, valid) : 0;
	trace_group(q->name, q->msgs, n, done, &ts);
	log_debug("%s: group of %u request(s) from head %u: %u OK", q->name, n, q->reqs[0].head,
		  done);

	for (unsigned i = 0; i < n; i++) {
		struct vi2c_req *r = &q->reqs[i];
		const struct virtq_elem *e = &q->elems[i];
		uint8_t status = i < done ? VIRTIO_I2C_MSG_OK : VIRTIO_I2C_MSG_ERR;

		if (status == VIRTIO_I2C_MSG_OK && r->read && r->len &&
		    virtq_elem_write(e, mem, 0, q->data + r->data_off, r->len))
			status = VIRTIO_I2C_MSG_ERR;
		/* Checked at parse time, so this write lands. */
		vu_mem_write(mem, r->status_gpa, &status, 1);
		/*
		 * The status byte ends the writable bytes, so the used length covers
		 * them all, success or not (virtio 1.2 §2.7.8.1: a read's buffer and
		 * its status; 1 for a write).
		 */
		virtq_push(vq, e, e->in_len > UINT32_MAX ? UINT32_MAX : (uint32_t)e->in_len);
	}
	virtq_flush(vq);
	q->held = 0;
	q->data_used = 0;
	q->waiting_kick = false;
}

/*
 * Pops requests into groups and completes each group once its last request
 * (one without FAIL_NEXT) is in. Every popped request counts against *budget.
 * Returns 0 when nothing more is available or the budget is spent (a group
 * may then be held, incomplete), -EINVAL if the ring broke, -ENOMEM.
 */
static int drain(struct virtio_i2c_queue *q, struct virtq *vq, const struct vu_mem *mem,
		 struct i2c_bus *bus, unsigned *budget)
{
	while (*budget) {
		unsigned slot = q->held;
		struct vi2c_req *r;
		int ret;

		if (grow_group(q, slot + 1))
			return -ENOMEM;
		ret = virtq_pop(vq, mem, &q->elems[slot]);
		if (ret <= 0)
			return ret;
		(*budget)--;
		q->held++;
		r = &q->reqs[slot];
		ret = parse_request(q, vq, mem, &q->elems[slot], r, &q->data_used);
		if (ret < 0) {
			/* This one cannot be answered; the others of its group fail unexecuted. */
			q->held--;
			if (q->held)
				complete_group(q, vq, mem, bus, true);
			return ret;
		}
		q->waiting_kick = false; /* the group changed */
		if (q->failing_rest) {
			/* The rest of a too-long group, up to its last request: ERR, unexecuted. */
			q->failing_rest = r->fail_next;
			complete_group(q, vq, mem, bus, true);
		} else if (!r->fail_next) {
			complete_group(q, vq, mem, bus, false);
		} else if (q->held == VIRTIO_I2C_MAX_GROUP) {
			log_debug("%s: group longer than %u requests fails", q->name,
				  VIRTIO_I2C_MAX_GROUP);
			complete_group(q, vq, mem, bus, true);
			q->failing_rest = true;
		}
	}
	return 0;
}

int virtio_i2c_process(struct virtio_i2c_queue *q, struct virtq *vq, const struct vu_mem *mem,
		       struct i2c_bus *bus, bool kicked)
{
	/* One ring's worth per call, so a guest that keeps the ring full cannot starve the VMM. */
	unsigned budget = vq->num;

	if (vq->broken)
		return -EINVAL;
	if (!virtq_running(vq))
		return 0;
	for (;;) {
		uint16_t used_before = vq->used_idx;
		int ret;

		virtq_disable_notify(vq);
		ret = drain(q, vq, mem, bus, &budget);
		/*
		 * A group that ends in FAIL_NEXT with nothing after it is complete
		 * only if the guest cannot add to it (ring full: Linux truncates a
		 * transfer to what fits), or if a kick came after we last asked for
		 * one and the group did not change. Otherwise the driver may still be
		 * publishing it, one request at a time, and kicks when done.
		 */
		if (!ret && q->held && !q->failing_rest &&
		    (virtq_full(vq) || (kicked && q->waiting_kick)))
			complete_group(q, vq, mem, bus, false);
		kicked = false;
		/*
		 * Only when something was answered: a notify on an empty pass would
		 * spend the first-signal-after-start on nothing, and the request
		 * that follows could then go unsignalled (stale used_event).
		 */
		if (vq->used_idx != used_before)
			virtq_notify(vq);
		if (ret < 0)
			return ret;
		if (!budget)
			return 1;
		if (q->held && !q->failing_rest && !q->waiting_kick) {
			/* Only a kick from after this point completes the group as it is. */
			if (virtq_consume_kick(vq) < 0)
				return -EIO;
			q->waiting_kick = true;
		}
		if (!virtq_enable_notify(vq))
			return 0;
	}
}

void virtio_i2c_queue_forget(struct virtio_i2c_queue *q, struct virtq *vq)
{
	virtq_unpop_held(vq);
	q->held = 0;
	q->data_used = 0;
	q->waiting_kick = false;
	q->failing_rest = false;
}
