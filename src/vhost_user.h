/* SPDX-License-Identifier: MIT */
/*
 * vhost-user backend side of one connection (docs/interop/vhost-user.rst):
 * message framing, feature negotiation, memory table, the one request queue.
 *
 * The VMM is trusted less than the code: every message is size-checked
 * against its request, every fd is accounted for (kept or closed), and any
 * malformed message makes the caller close the connection. Replies carry
 * exactly the flags (VERSION | REPLY) and sizes QEMU requires.
 *
 * Not thread-safe: one thread owns a struct vu_dev and its socket.
 */
#ifndef VI2C_VHOST_USER_H
#define VI2C_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "i2c_bus.h"
#include "proto.h"
#include "virtio_i2c.h"
#include "virtq.h"
#include "vu_mem.h"

#define VU_PROTOCOL_FEATURES                                                                       \
	((1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |          \
	 (1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS))
#define VU_FEATURES (VIRTIO_I2C_DEVICE_FEATURES | (1ull << VHOST_USER_F_PROTOCOL_FEATURES))

struct vu_dev {
	const char *name;    /* socket name for log lines (borrowed) */
	int sock;	     /* the connection; owned */
	struct i2c_bus *bus; /* borrowed */

	uint64_t features; /* from SET_FEATURES */
	struct vu_mem mem;
	struct virtq vq; /* owns the kick and call fds */
	int err_fd;	 /* owned, -1 if none */
	bool more_work;	 /* the queue's budget ran out with requests left: serve again soon */
	/*
	 * Set by the serving loop: keeps its watch on the kick fd current. Called
	 * before requests are served, so by the time a guest sees an answer the
	 * daemon's fds are those of the running queue. NULL = none.
	 */
	void (*kick_watch)(struct vu_dev *dev, void *ctx);
	void *kick_watch_ctx;
	struct virtio_i2c_queue queue;
};

/* Prepares dev for a new connection; takes ownership of sock. */
void vu_dev_init(struct vu_dev *dev, const char *name, int sock, struct i2c_bus *bus);

/* Closes the socket and every fd, unmaps guest memory, frees scratch space. */
void vu_dev_cleanup(struct vu_dev *dev);

/*
 * Receives and handles one message from the socket. Returns 0, or -errno
 * when the connection must be closed (-ECONNRESET: the VMM hung up; other
 * values: a malformed message or I/O error, already logged).
 */
int vu_dev_handle_message(struct vu_dev *dev);

/*
 * Handles one message already received (for tests and fuzzing): takes
 * ownership of fds[0..nfds). Replies are written to dev->sock.
 */
int vu_dev_dispatch(struct vu_dev *dev, const struct vhost_user_hdr *hdr, const void *payload,
		    int *fds, unsigned nfds);

/* The fd to watch for guest kicks, or -1 while the queue is not running. */
int vu_dev_kick_fd(const struct vu_dev *dev);

/*
 * Consumes a kick and serves the queue. Returns 0 or -errno (connection
 * unusable; -EFAULT: guest memory vanished under us, see guest_fault.h, logged).
 * Message handlers that touch the rings are guarded the same way.
 */
int vu_dev_kick(struct vu_dev *dev);

/*
 * Serves the queue without consuming a kick (kicked: the caller just did).
 * Returns 0 or -errno (connection unusable, logged).
 */
int vu_dev_serve(struct vu_dev *dev, bool kicked);

/* True if the last serve stopped at its budget with requests left: call vu_dev_serve soon. */
bool vu_dev_has_more_work(const struct vu_dev *dev);

/* Changes whenever vu_dev_kick_fd() may return another fd (re-register it). */
unsigned vu_dev_kick_gen(const struct vu_dev *dev);

/*
 * Busy-polling (--poll-max-ns). vu_dev_poll_begin returns 0 when the queue
 * cannot be polled now (not running, or a group is held waiting for a kick);
 * else it suppresses kicks and returns 1 (-errno: connection unusable), and
 * vu_dev_poll_ready (to be called under vu_dev_guarded) tells whether the
 * guest has made requests available. vu_dev_poll_end asks for kicks again and
 * serves what arrived meanwhile (0 or -errno, as vu_dev_serve).
 */
int vu_dev_poll_begin(struct vu_dev *dev);
bool vu_dev_poll_ready(struct vu_dev *dev);
int vu_dev_poll_end(struct vu_dev *dev);

/*
 * Runs fn(arg), which touches dev's guest memory, so that a fault there (the
 * VMM truncated a memory file) ends only this connection: returns fn's
 * value, or -EFAULT after logging why the connection must close.
 */
int vu_dev_guarded(struct vu_dev *dev, int (*fn)(void *arg), void *arg);

#endif
