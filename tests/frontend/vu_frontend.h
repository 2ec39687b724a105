/* SPDX-License-Identifier: MIT */
/*
 * A minimal vhost-user frontend ("VMM") for driving a vhost-user-i2c backend
 * from tests, benchmarks, fuzzers and a guest-side helper binary.
 *
 * Layers, each usable on its own:
 *   vf_mem   - guest RAM on memfds, 1..8 regions, gpa/hva translation and a
 *              bump allocator;
 *   vf_conn  - the vhost-user socket: raw and typed messages, fds, strict
 *              reply checking;
 *   vf_vring - the driver side of a split virtqueue (free list, direct and
 *              indirect chains, publish/kick, EVENT_IDX, used collection) plus
 *              raw access for crafting hostile rings;
 *   vf_dev   - the QEMU 7.2 init/start/stop sequences tying the above together;
 *   vf_i2c   - virtio-i2c transfers the way Linux's i2c-virtio driver sends
 *              them.
 *
 * Conventions: no global state, plain libc. Functions return 0 (or a
 * documented non-negative value) on success and -errno on failure;
 * constructors return NULL and set errno. Everything that waits takes a
 * timeout in milliseconds (negative = wait forever) and fails with -ETIMEDOUT.
 * A dead peer gives -ECONNRESET (or -EPIPE when sending). Nothing in the
 * request path (vf_vring_*, vf_i2c_transfer) allocates heap memory.
 * Structures are public so tests can inspect and corrupt them; fields are
 * read-only for callers unless a comment says otherwise.
 * Not thread-safe: one thread per vf_dev (several devs may run in parallel).
 */
#ifndef VU_FRONTEND_H
#define VU_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../src/proto.h"

/* ------------------------------------------------------------------ */
/* Guest memory                                                        */
/* ------------------------------------------------------------------ */

#define VF_MAX_REGIONS VHOST_USER_MAX_RAM_SLOTS
#define VF_REGION_ANY  (~0u)
/* Region i starts at guest-physical i * VF_REGION_STRIDE: never contiguous. */
#define VF_REGION_STRIDE (1ull << 32)

struct vf_region {
	uint64_t gpa;	      /* guest-physical start */
	uint64_t size;	      /* bytes, page multiple */
	uint8_t *hva;	      /* our mapping; also the "userspace_addr" sent to the backend */
	int fd;		      /* memfd backing it (borrowed from vf_mem, may be shared) */
	uint64_t mmap_offset; /* offset of the region inside fd */
	uint64_t alloc_off;   /* bump allocator position; writable to rewind */
};

struct vf_mem_opts {
	uint64_t size;	   /* total bytes, split evenly (page-rounded) */
	unsigned nregions; /* 1..VF_MAX_REGIONS */
	bool shared_fd;	   /* all regions in one memfd at increasing offsets (QEMU RAM split) */
};

struct vf_mem {
	unsigned nregions;
	struct vf_region regions[VF_MAX_REGIONS];
	/* distinct memfds and mappings, owned */
	unsigned nmaps;
	int map_fd[VF_MAX_REGIONS];
	uint8_t *map_base[VF_MAX_REGIONS];
	uint64_t map_len[VF_MAX_REGIONS];
};

/* Creates zeroed guest memory. Free with vf_mem_destroy. NULL + errno on failure. */
struct vf_mem *vf_mem_create(const struct vf_mem_opts *opts);
void vf_mem_destroy(struct vf_mem *mem); /* NULL allowed */

/* Host pointer for [gpa, gpa+len) if it lies inside one region, else NULL. */
void *vf_mem_hva(const struct vf_mem *mem, uint64_t gpa, uint64_t len);
/* Guest-physical address of a host pointer into our mapping: 0 or -EFAULT. */
int vf_mem_gpa(const struct vf_mem *mem, const void *hva, uint64_t *gpa);
/* Index of the region holding gpa, or -EFAULT. */
int vf_mem_region_of(const struct vf_mem *mem, uint64_t gpa);

/*
 * Bump-allocates `size` zeroed bytes aligned to `align` (power of 2) in region
 * `region` (or the first one with room if VF_REGION_ANY). Fills *gpa and, if
 * hva != NULL, *hva. Returns 0 or -ENOMEM / -EINVAL. There is no free: rewind
 * with regions[i].alloc_off.
 */
int vf_mem_alloc(struct vf_mem *mem, unsigned region, uint64_t size, uint64_t align, uint64_t *gpa,
		 void **hva);

/* Region i in vhost-user wire form (userspace_addr = our hva). */
void vf_mem_wire_region(const struct vf_mem *mem, unsigned i, struct vhost_user_mem_region *out);

/* ------------------------------------------------------------------ */
/* vhost-user connection                                               */
/* ------------------------------------------------------------------ */

struct vf_conn {
	int fd;		/* connected AF_UNIX stream socket, owned */
	int timeout_ms; /* used by the typed helpers below; writable */
};

/*
 * Connects to the listening Unix socket at path, retrying (ENOENT,
 * ECONNREFUSED) until timeout_ms. The returned connection uses timeout_ms for
 * its typed helpers. NULL + errno (ETIMEDOUT after retries) on failure.
 */
struct vf_conn *vf_conn_connect(const char *path, int timeout_ms);
void vf_conn_close(struct vf_conn *conn); /* NULL allowed */

/*
 * Sends one message: header {request, flags, size} + `size` payload bytes
 * (or only the header if payload is NULL, whatever size claims), with nfds
 * fds (SCM_RIGHTS, at most 16) attached to the first byte. Returns 0 or
 * -errno (-EPIPE if the peer closed).
 */
int vf_conn_send(struct vf_conn *conn, uint32_t request, uint32_t flags, const void *payload,
		 uint32_t size, const int *fds, unsigned nfds);
/* Sends arbitrary bytes (possibly no valid header at all) with optional fds. */
int vf_conn_send_raw(struct vf_conn *conn, const void *buf, size_t len, const int *fds,
		     unsigned nfds);

/*
 * Receives one message of any kind. payload receives min(hdr.size, cap) bytes;
 * the rest is discarded. Received fds are closed. Returns hdr.size (>= 0) or
 * -ETIMEDOUT / -ECONNRESET (peer closed) / -errno.
 */
int vf_conn_recv(struct vf_conn *conn, struct vhost_user_hdr *hdr, void *payload, size_t cap,
		 int timeout_ms);

/*
 * Receives a reply and checks it the way QEMU does: flags exactly 0x5, the
 * same request, size exactly `size`. Returns 0, -EPROTO on any mismatch, or
 * a receive error.
 */
int vf_conn_recv_reply(struct vf_conn *conn, uint32_t request, void *payload, uint32_t size,
		       int timeout_ms);

/*
 * Waits until the peer closes the connection (EOF or reset). Returns 0,
 * -ETIMEDOUT if it stays open, or -EPROTO if a message arrives instead.
 */
int vf_conn_wait_closed(struct vf_conn *conn, int timeout_ms);

/*
 * Typed helpers (conn->timeout_ms). With need_reply the NEED_REPLY flag is
 * set and the u64 ack is awaited: 0 on ack 0, -EREMOTEIO on a non-zero ack.
 */
int vf_msg_get_u64(struct vf_conn *conn, uint32_t request, uint64_t *val);
int vf_msg_set_u64(struct vf_conn *conn, uint32_t request, uint64_t val, bool need_reply);
int vf_msg_set_none(struct vf_conn *conn, uint32_t request, bool need_reply); /* no payload */
int vf_msg_set_state(struct vf_conn *conn, uint32_t request, uint32_t index, uint32_t num,
		     bool need_reply);
/* GET_VRING_BASE: the reply must be {index, x}; *num = x. */
int vf_msg_get_vring_base(struct vf_conn *conn, uint32_t index, uint32_t *num);
/* SET_VRING_KICK/CALL/ERR: fd < 0 sends the NOFD bit and no fd. */
int vf_msg_set_vring_fd(struct vf_conn *conn, uint32_t request, uint32_t index, int fd,
			bool need_reply);
int vf_msg_set_vring_addr(struct vf_conn *conn, const struct vhost_user_vring_addr *addr,
			  bool need_reply);
/* SET_MEM_TABLE with every region of mem and one fd per region (fds may repeat). */
int vf_msg_set_mem_table(struct vf_conn *conn, const struct vf_mem *mem, bool need_reply);
/* ADD_MEM_REG / REM_MEM_REG for region i (ADD carries the region's fd, REM none). */
int vf_msg_add_mem_reg(struct vf_conn *conn, const struct vf_mem *mem, unsigned i, bool need_reply);
int vf_msg_rem_mem_reg(struct vf_conn *conn, const struct vf_mem *mem, unsigned i, bool need_reply);

/* ------------------------------------------------------------------ */
/* Split virtqueue, driver side                                        */
/* ------------------------------------------------------------------ */

#define VF_INDIRECT_MAX 4 /* entries of the preallocated per-head indirect tables */

struct vf_sg {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

struct vf_head {
	uint16_t ndesc; /* ring descriptors the chain holds; 0 = not added by vf_vring_add */
	void *cookie;
};

struct vf_vring {
	struct vf_mem *mem; /* borrowed */
	unsigned num;
	bool event_idx; /* negotiated VIRTIO_RING_F_EVENT_IDX */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *indirect; /* num * VF_INDIRECT_MAX entries, table of head h at h*MAX */
	uint64_t indirect_gpa;
	struct vf_head *heads; /* num entries, owned */
	uint16_t free_head;
	uint16_t num_free;
	uint16_t avail_idx;   /* shadow: next avail index to fill (writable for raw tests) */
	uint16_t kicked_idx;  /* avail idx at the last kick (EVENT_IDX decision) */
	uint16_t last_used;   /* next used index to collect */
	int kick_fd, call_fd; /* eventfds, owned */
};

/*
 * Lays out a ring of num entries (power of 2, <= 32768) in `region` of mem
 * (desc 16-, avail 2-, used 4-aligned; indirect tables in `table_region`) and
 * creates the kick and call eventfds (non-blocking). Returns 0 or -errno.
 */
int vf_vring_init(struct vf_vring *vr, struct vf_mem *mem, unsigned num, unsigned region,
		  unsigned table_region);
void vf_vring_cleanup(struct vf_vring *vr);
/* Zeroes the ring memory and the driver state (fresh free list, indices 0). */
void vf_vring_reset(struct vf_vring *vr);

/*
 * Adds a chain made of sg[0..n) (readable entries must precede writable
 * ones, as virtio requires of drivers, but this is not enforced). With
 * indirect, one ring descriptor points to the head's table (n <=
 * VF_INDIRECT_MAX). The head goes into the avail ring but is not visible to
 * the device until vf_vring_publish/kick. Returns the head index (>= 0),
 * -ENOSPC if the ring has too few free descriptors, -EINVAL.
 */
int vf_vring_add(struct vf_vring *vr, const struct vf_sg *sg, unsigned n, bool indirect,
		 void *cookie);
/* Makes everything added so far visible: release barrier, avail->idx = avail_idx. */
void vf_vring_publish(struct vf_vring *vr);
/* Whether the device asked to be kicked (EVENT_IDX: avail_event; else NO_NOTIFY). */
bool vf_vring_need_kick(const struct vf_vring *vr);
/* Publishes, then writes the kick eventfd if vf_vring_need_kick (or always if force). */
int vf_vring_kick(struct vf_vring *vr, bool force);

/* Number of used entries not collected yet (acquire). */
unsigned vf_vring_used_pending(const struct vf_vring *vr);
/*
 * Collects one used entry: *id, *len and the head's cookie (NULL for heads
 * pushed raw); chains added by vf_vring_add return to the free list.
 * Returns 0 or -EAGAIN if none. An id >= num gives -EBADMSG (entry consumed).
 */
int vf_vring_get_used(struct vf_vring *vr, uint32_t *id, uint32_t *len, void **cookie);
/*
 * Waits until at least one used entry is pending, sleeping on the call
 * eventfd in poll(). With EVENT_IDX used_event is set to last_used first,
 * so the device signals the next entry. Returns 0 or -ETIMEDOUT, also when
 * entries were completed but never signalled while we slept (a guest
 * waiting for its interrupt would hang there).
 */
int vf_vring_wait_used(struct vf_vring *vr, int timeout_ms);
/* Waits for (and consumes) a signal on the call eventfd: 0 or -ETIMEDOUT. */
int vf_vring_wait_call(struct vf_vring *vr, int timeout_ms);

/* Raw access for hostile tests. */
static inline uint16_t *vf_vring_used_event(const struct vf_vring *vr)
{
	return &vr->avail->ring[vr->num];
}
static inline uint16_t *vf_vring_avail_event(const struct vf_vring *vr)
{
	return (uint16_t *)&vr->used->ring[vr->num];
}
/* Puts head into the avail ring at avail_idx and advances the shadow (no publish). */
void vf_vring_push_head(struct vf_vring *vr, uint16_t head);
/* Sets avail->idx (and the shadow) to any value, with a release barrier. */
void vf_vring_set_avail_idx(struct vf_vring *vr, uint16_t idx);

/* ------------------------------------------------------------------ */
/* Device: the QEMU 7.2 message sequences                              */
/* ------------------------------------------------------------------ */

enum vf_mem_msg {
	VF_MEM_AUTO,	  /* like QEMU: ADD_MEM_REG if CONFIGURE_MEM_SLOTS, else SET_MEM_TABLE */
	VF_MEM_SET_TABLE, /* always SET_MEM_TABLE */
	VF_MEM_ADD_REG,	  /* always ADD_MEM_REG per region */
};

struct vf_dev_opts {
	unsigned queue_size; /* default 4 (QEMU) */
	bool indirect;	     /* negotiate and use INDIRECT_DESC (default on) */
	bool event_idx;	     /* negotiate EVENT_IDX (default on) */
	bool reply_ack;	     /* negotiate REPLY_ACK and use NEED_REPLY like QEMU (default on) */
	enum vf_mem_msg mem_msg;
	uint64_t mem_size;			       /* default 32 MiB */
	unsigned nregions;			       /* default 1 */
	bool shared_fd;				       /* default on */
	unsigned ring_region, hdr_region, data_region; /* VF_REGION_ANY = automatic */
	uint32_t bounce_size; /* guest buffer pool for i2c data, default 256 KiB */
	int timeout_ms;	      /* default 5000 */
};

/* Per-head request headers in guest memory (hdr region). */
#define VF_I2C_SCRATCH 64
struct vf_i2c_slot {
	struct virtio_i2c_out_hdr hdr;
	uint8_t status;
	uint8_t pad[7];
	uint8_t scratch[VF_I2C_SCRATCH]; /* free for crafted requests */
};

struct vf_dev {
	struct vf_dev_opts opts;
	struct vf_conn *conn; /* owned */
	struct vf_mem *mem;   /* owned */
	struct vf_vring vr;
	int err_fd;		    /* SET_VRING_ERR eventfd, owned */
	uint64_t features;	    /* GET_FEATURES reply */
	uint64_t protocol_features; /* GET_PROTOCOL_FEATURES reply */
	uint64_t acked_features;    /* sent with SET_FEATURES (bit 30 included) */
	uint64_t acked_protocol;    /* sent with SET_PROTOCOL_FEATURES */
	uint64_t queue_num, max_mem_slots;
	bool started;
	bool regions_added[VF_MAX_REGIONS]; /* via ADD_MEM_REG on this connection */
	uint16_t base;			    /* SET_VRING_BASE value for the next start */
	/* i2c layer, all in guest memory */
	struct vf_i2c_slot *slots; /* num entries (hva), hdr region */
	uint64_t slots_gpa;
	uint8_t *bounce; /* hva, data region */
	uint64_t bounce_gpa;
	uint32_t *head_off; /* host: bounce offset of each head's data, num entries, owned */
	const char *path;   /* borrowed from vf_dev_create's caller */
};

void vf_dev_opts_default(struct vf_dev_opts *opts);

/*
 * Connects to path (retrying until opts->timeout_ms), creates guest memory
 * and lays out the ring and the i2c buffers. Sends nothing. opts NULL =
 * defaults. path must stay valid while the dev lives. NULL + errno.
 */
struct vf_dev *vf_dev_create(const char *path, const struct vf_dev_opts *opts);
void vf_dev_destroy(struct vf_dev *dev); /* closes the connection; NULL allowed */

/*
 * QEMU's vhost_dev_init: GET_FEATURES, [GET_PROTOCOL_FEATURES,
 * SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, GET_MAX_MEM_SLOTS], SET_OWNER,
 * GET_FEATURES, SET_VRING_CALL, SET_VRING_ERR. Checks every reply strictly.
 */
int vf_dev_init(struct vf_dev *dev);
/*
 * QEMU's start: SET_FEATURES, memory (see mem_msg), SET_VRING_NUM,
 * SET_VRING_BASE(dev->base), SET_VRING_ADDR, SET_VRING_KICK,
 * SET_VRING_ENABLE 1 (if bit 30), SET_VRING_CALL.
 */
int vf_dev_start(struct vf_dev *dev);
/* SET_VRING_ENABLE 0 (if bit 30) and GET_VRING_BASE; stores the index in dev->base (and *base). */
int vf_dev_stop(struct vf_dev *dev, uint16_t *base);
/* create + init + start. */
struct vf_dev *vf_dev_open(const char *path, const struct vf_dev_opts *opts);
/* Stop (ignoring a dead ring), zero the ring, start again at base 0. */
int vf_dev_restart_fresh(struct vf_dev *dev);
/*
 * Drops the connection, connects again and runs init (if full_init) and
 * start. Without full_init this models a frontend that restores the device
 * on a restarted backend without renegotiating: SET_FEATURES, the memory
 * table and the rings, as vhost-user's reconnect design expects. No shipped
 * QEMU does exactly this for vhost-user-i2c (7.2 omits the memory table,
 * 10.0 aborts; docs/interop.md). The ring is left untouched and the new base
 * is used->idx, so in-flight requests are replayed.
 */
int vf_dev_reconnect(struct vf_dev *dev, bool full_init);

/* ------------------------------------------------------------------ */
/* virtio-i2c                                                          */
/* ------------------------------------------------------------------ */

#define VF_I2C_M_RD	   0x1	 /* vf_i2c_msg.flags: read (like I2C_M_RD) */
#define VF_I2C_M_END_GROUP 0x100 /* no FAIL_NEXT although not the last message */
#define VF_I2C_M_RAW_ADDR  0x200 /* addr is the raw le16 out_hdr.addr, not a 7-bit address */
#define VF_I2C_NOT_SENT	   0xff	 /* vf_i2c_msg.status of a message never queued */
#define VF_I2C_UNTOUCHED   0xfe	 /* status byte poison: the device never wrote it */
#define VF_XFER_ONE_BATCH  0x1	 /* stop after the first batch, as Linux does */
#define VF_XFER_FORCE_KICK 0x2	 /* kick even if the device suppressed notifications */

struct vf_i2c_msg {
	uint16_t addr;		/* 7-bit */
	uint16_t flags;		/* VF_I2C_M_* */
	uint32_t len;		/* 0 = zero-length request (no buffer descriptor) */
	uint8_t *buf;		/* caller memory; copied to/from guest memory */
	uint32_t hdr_flags_xor; /* XORed into out_hdr.flags last (crafting bad headers) */
	/* results */
	uint8_t status; /* VIRTIO_I2C_MSG_OK / _ERR as written by the device, or VF_I2C_NOT_SENT */
	uint32_t used_len; /* used element len */
};

/*
 * Sends msgs like Linux's virtio_i2c_xfer: one request per message, out_hdr
 * {addr << 1, FAIL_NEXT on all but the last message, M_RD on reads}, the
 * buffer if len > 0, then the status byte; indirect when negotiated. Queues
 * as many as fit (ring descriptors and bounce space), kicks once, waits for
 * all of them, and repeats for the rest unless VF_XFER_ONE_BATCH. Read data
 * is copied back for OK requests only. Returns the number of messages
 * completed (>= 0) or -errno (-ETIMEDOUT if the device stops answering,
 * -EMSGSIZE if one message exceeds the bounce pool).
 */
int vf_i2c_transfer(struct vf_dev *dev, struct vf_i2c_msg *msgs, unsigned n, unsigned flags,
		    int timeout_ms);

/* Convenience wrappers (dev->opts.timeout_ms): 0 if every message is OK, -EIO if not. */
int vf_i2c_write(struct vf_dev *dev, uint16_t addr, const void *buf, uint32_t len);
int vf_i2c_read(struct vf_dev *dev, uint16_t addr, void *buf, uint32_t len);
int vf_i2c_write_read(struct vf_dev *dev, uint16_t addr, const void *wbuf, uint32_t wlen,
		      void *rbuf, uint32_t rlen);

/*
 * Building blocks for crafted requests: the guest addresses of head h's
 * out_hdr (8 bytes), status byte and a scratch area of VF_I2C_SCRATCH bytes
 * (for data), all preallocated. Tests write through vf_mem_hva.
 */
uint64_t vf_i2c_slot_hdr_gpa(const struct vf_dev *dev, unsigned h);
uint64_t vf_i2c_slot_status_gpa(const struct vf_dev *dev, unsigned h);
uint64_t vf_i2c_slot_scratch_gpa(const struct vf_dev *dev, unsigned h);

#endif
