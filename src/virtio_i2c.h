/* SPDX-License-Identifier: MIT */
/*
 * virtio-i2c request processing (virtio 1.2 §5.19) on top of a split queue.
 *
 * Requests are taken in order and gathered into groups: requests chained by
 * VIRTIO_I2C_FLAGS_FAIL_NEXT, ended by one without it or by the end of what
 * the driver has made available (Linux, with a queue of 4, may leave
 * FAIL_NEXT set on the last request it could queue; waiting for the rest
 * would deadlock). A group is one combined I2C transfer. After the first
 * failure the rest of the group is failed without being executed, and every
 * request goes back to the used ring.
 *
 * Framing is not assumed: the readable bytes are out_hdr + write buffer, the
 * writable bytes are read buffer + status, however the driver split them.
 */
#ifndef VI2C_VIRTIO_I2C_H
#define VI2C_VIRTIO_I2C_H

#include <stddef.h>
#include <stdint.h>

#include "i2c_bus.h"
#include "virtq.h"

#define VIRTIO_I2C_MAX_GROUP 64 /* requests in one group; a longer group fails as a whole */

struct vi2c_req;

/*
 * Per-queue request scheduling: the group being gathered (it may span
 * wake-ups) and scratch space that grows on demand up to the limits above.
 */
struct virtio_i2c_queue {
	struct vi2c_req *reqs;
	struct virtq_elem *elems;
	struct i2c_msg_buf *msgs;
	unsigned cap;
	uint8_t *data;
	size_t data_cap;
	unsigned held;	   /* requests of the group being gathered (popped, unanswered) */
	size_t data_used;  /* bytes of data those requests use */
	bool waiting_kick; /* the held group ends in FAIL_NEXT; kicks were drained and re-enabled */
	bool failing_rest; /* a group passed VIRTIO_I2C_MAX_GROUP: fail it up to its last request */
	const char *name;  /* for log lines (borrowed) */
};

void virtio_i2c_queue_init(struct virtio_i2c_queue *q, const char *name);
void virtio_i2c_queue_free(struct virtio_i2c_queue *q);

/*
 * Serves the requests available on a running vq, signals the guest as it
 * asked, and returns when the ring is empty with notifications re-enabled
 * (0: sleep until the next kick), or after one ring's worth of requests
 * (1: more may be waiting; the caller comes back after its other work).
 * kicked: the caller consumed a kick just before this call. -EINVAL if the
 * ring is broken, -EIO if the kick fd fails, -ENOMEM.
 *
 * A group whose available requests end with FAIL_NEXT is held (popped, not
 * answered) until the rest arrives, the ring is full, or a kick comes after
 * the daemon re-enabled notifications with the group unchanged.
 */
int virtio_i2c_process(struct virtio_i2c_queue *q, struct virtq *vq, const struct vu_mem *mem,
		       struct i2c_bus *bus, bool kicked);

/*
 * Gives a held group back to the ring (unanswered, it will be popped again)
 * and forgets the scheduling state: before the queue stops or guest memory
 * changes.
 */
void virtio_i2c_queue_forget(struct virtio_i2c_queue *q, struct virtq *vq);

/* Feature bits the device offers (without the vhost-user ones). */
#define VIRTIO_I2C_DEVICE_FEATURES                                                                 \
	((1ull << VIRTIO_I2C_F_ZERO_LENGTH_REQUEST) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |      \
	 (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_F_VERSION_1))

#endif
