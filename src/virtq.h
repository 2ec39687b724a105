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
	unsigned descs; /* ring descriptors the chain takes (an indirect table counts 1) */
};

/*
 * One queue's state machine, driven by the vhost-user messages:
 *   configured (num, addr, base: only while stopped) -> started (kick fd) ->
 *   stopped (GET_VRING_BASE: returns the index to resume from).
 * It serves requests only while running: started, enabled, its rings inside
 * guest memory, and not broken. Fields are read by the owner; change them only
 * through the functions below.
 */
struct virtq {
	/* Set by the VMM. */
	unsigned num; /* 0 = not configured */
	uint64_t desc_uva, avail_uva, used_uva;
	bool addr_set;
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;	/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	int kick_fd;	/* owned; -1 = not started */
	int call_fd;	/* owned; -1 = never signal */
	bool started;	/* kick fd received, not stopped since */
	bool enabled;	/* SET_VRING_ENABLE (kept across stop/start) */
	unsigned kick_gen; /* changes whenever kick_fd or the running state may have changed */

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
	uint16_t held;	     /* chains popped and not yet in the used ring */
	unsigned held_descs; /* their descriptors */
	const char *name; /* for log lines, borrowed */
};

/* Resets to "not configured" with no fds. */
void virtq_init(struct virtq *vq, const char *name);

/* Closes the kick and call fds and resets to "not configured". */
void virtq_release(struct virtq *vq);

/* Feature bits that change how the rings are read. */
void virtq_set_features(struct virtq *vq, bool event_idx, bool indirect);

/*
 * SET_VRING_NUM / SET_VRING_BASE: only while stopped (-EBUSY). A size must be
 * a power of 2 up to VIRTQ_MAX_SIZE (-ERANGE, nothing changes) and, once
 * addresses are set, keep the rings aligned and inside guest memory (-EINVAL /
 * -EFAULT; the queue is then unmapped).
 */
int virtq_set_num(struct virtq *vq, const struct vu_mem *mem, unsigned num);
int virtq_set_base(struct virtq *vq, uint16_t base);

/*
 * SET_VRING_ADDR: maps the rings (see virtq_map) and loads used->idx. On
 * failure the addresses are forgotten. 0, -EINVAL (no size yet, misaligned or
 * overlapping) or -EFAULT (outside guest memory).
 */
int virtq_set_addr(struct virtq *vq, const struct vu_mem *mem, uint64_t desc, uint64_t avail,
		   uint64_t used);

/*
 * After the guest memory changed: translates the rings again. 0, or -errno
 * when the rings are no longer inside guest memory (the queue pauses until
 * new addresses or memory fit).
 */
int virtq_remap(struct virtq *vq, const struct vu_mem *mem);

/*
 * SET_VRING_KICK: takes ownership of kick_fd (an eventfd, made non-blocking
 * here), clears breakage and starts the queue.
 */
void virtq_start(struct virtq *vq, int kick_fd);

/*
 * GET_VRING_BASE, RESET_OWNER: stops the queue, closes the kick fd, and
 * returns the avail index to resume from. Chains popped but not answered
 * (held) are given back first, so none is lost. The enabled state stays.
 */
uint16_t virtq_stop(struct virtq *vq);

/* SET_VRING_ENABLE. */
void virtq_enable(struct virtq *vq, bool enabled);

/* True if the queue may be served now. */
bool virtq_running(const struct virtq *vq);

/* The kick fd while running, else -1. */
int virtq_kick_fd(const struct virtq *vq);

/* Consumes pending kicks. 1 if there was one, 0 if none, -errno if the fd is unusable. */
int virtq_consume_kick(struct virtq *vq);

/* Gives back every popped chain not yet answered: they will be popped again. */
void virtq_unpop_held(struct virtq *vq);

/* True if the guest cannot make another request available (every descriptor is held). */
bool virtq_full(const struct virtq *vq);

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

/* Puts {elem's head, len} in the used ring; visible to the guest only after virtq_flush. */
void virtq_push(struct virtq *vq, const struct virtq_elem *elem, uint32_t len);
/* Publishes every pushed element (write barrier, then used->idx). */
void virtq_flush(struct virtq *vq);

/* Signals the call fd if the guest asked for it (EVENT_IDX or NO_INTERRUPT). */
void virtq_notify(struct virtq *vq);

/* Replaces the call fd (closing the old one; fd is owned from here, made non-blocking);
 * delivers a signal that was due meanwhile. */
void virtq_set_call_fd(struct virtq *vq, int fd);

/*
 * Tells the guest we want kicks again (publishes avail_event, or clears
 * NO_NOTIFY) and returns true if more chains became available meanwhile.
 */
bool virtq_enable_notify(struct virtq *vq);
/* Tells the guest kicks are not needed while we drain or poll the ring. */
void virtq_disable_notify(struct virtq *vq);

/* True if the guest has made chains available that we have not taken (a poll: no barrier
 * beyond the acquire of the index). */
bool virtq_has_avail(struct virtq *vq);

#endif
