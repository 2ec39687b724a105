/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue, device side (virtio 1.2 §2.7).
 *
 * Everything the guest wrote is hostile: each index, descriptor, length and
 * address is checked, and each descriptor is copied once before use. Errors
 * in the ring's structure (index out of range, loops, bad indirect tables)
 * make the queue "broken": it is left alone until the VMM stops and restarts
 * it. Errors in a request's buffers (address outside guest memory, writable
 * before readable, too many pieces) are reported per element so the request
 * can be failed with a status byte.
 *
 * Not thread-safe: one thread owns a queue.
 */
#ifndef VI2C_VIRTQ_H
#define VI2C_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "vu_mem.h"

#define VIRTQ_INDIRECT_MAX  1024 /* entries in one indirect table */
#define VIRTQ_ELEM_MAX_SEGS 8	 /* buffer pieces kept per direction */

struct virtq_seg {
	uint64_t gpa;
	uint32_t len;
};

/* One popped descriptor chain, as a list of device-readable ("out") and device-writable ("in")
 * pieces. */
struct virtq_elem {
	uint16_t head;
	unsigned n_out, n_in;
	struct virtq_seg out[VIRTQ_ELEM_MAX_SEGS];
	struct virtq_seg in[VIRTQ_ELEM_MAX_SEGS];
	uint64_t out_len, in_len; /* total bytes each way */
	struct virtq_seg last_in; /* last non-empty writable piece (where the status byte goes) */
	bool bad; /* a piece outside guest memory, out of order, or too many pieces */
};

struct virtq {
	/* Set by the VMM. */
	unsigned num; /* 0 = not configured */
	uint64_t desc_uva, avail_uva, used_uva;
	bool addr_set;
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;	/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	int call_fd;	/* -1 = never signal */

	/* Ring pointers into guest memory (borrowed; refreshed by virtq_map). */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;

	uint16_t last_avail; /* next avail index to take */
	uint16_t avail_idx;  /* last avail->idx read */
	uint16_t used_idx;   /* our copy of used->idx */
	uint16_t signalled_used;
	bool signalled_used_valid;
	bool broken;
	bool call_pending; /* a signal was due while there was no call fd */
	const char *name; /* for log lines, borrowed */
};

/* Resets to "not configured". Does not close fds. */
void virtq_init(struct virtq *vq, const char *name);

/*
 * Translates the ring addresses through mem and checks sizes and alignment.
 * Returns 0, -EFAULT (not inside guest memory) or -EINVAL (misaligned or
 * overlapping rings).
 */
int virtq_map(struct virtq *vq, const struct vu_mem *mem);

/* Loads used_idx from the ring (on start, as the VMM may have restored it). */
void virtq_sync_used(struct virtq *vq);

/*
 * Takes the next available chain. Returns 1 with *elem filled, 0 if none is
 * available, -EINVAL if the ring is broken (logged once; later calls return
 * -EINVAL until virtq_init/restart).
 */
int virtq_pop(struct virtq *vq, const struct vu_mem *mem, struct virtq_elem *elem);

/* Marks the queue broken (logs once). Returns -EINVAL. */
int virtq_break(struct virtq *vq, const char *why, unsigned value);

/* Copies from the element's readable bytes [offset, offset+len). 0 or -EFAULT. */
int virtq_elem_read(const struct virtq_elem *elem, const struct vu_mem *mem, uint64_t offset,
		    void *dst, uint64_t len);
/* Copies into the element's writable bytes [offset, offset+len). 0 or -EFAULT. */
int virtq_elem_write(const struct virtq_elem *elem, const struct vu_mem *mem, uint64_t offset,
		     const void *src, uint64_t len);

/* Puts {head, len} in the used ring; visible to the guest only after virtq_flush. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* Publishes every pushed element (write barrier, then used->idx). */
void virtq_flush(struct virtq *vq);

/* Signals the call fd if the guest asked for it (EVENT_IDX or NO_INTERRUPT). */
void virtq_notify(struct virtq *vq);

/* Replaces the call fd (caller closed the old one); delivers a signal that was due meanwhile. */
void virtq_set_call_fd(struct virtq *vq, int fd);

/*
 * Tells the guest we want kicks again (publishes avail_event, or clears
 * NO_NOTIFY) and returns true if more chains became available meanwhile.
 */
bool virtq_enable_notify(struct virtq *vq);
/* Tells the guest kicks are not needed while we drain the ring. */
void virtq_disable_notify(struct virtq *vq);

#endif
