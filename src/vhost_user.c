// SPDX-License-Identifier: MIT
#include "vhost_user.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"
#include "guest_fault.h"
#include "log.h"

#define BIT(n) (1ull << (n))

/* What a handler tells dispatch: reply payload (u64 or vring state) or plain ack. */
struct vu_reply {
	bool has_reply;
	uint32_t size;
	union {
		uint64_t u64;
		struct vhost_user_vring_state state;
	} payload;
};

static const char *request_name(uint32_t req)
{
	static const char *const names[] = {
		[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
		[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
		[VHOST_USER_SET_OWNER] = "SET_OWNER",
		[VHOST_USER_RESET_OWNER] = "RESET_OWNER",
		[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
		[VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
		[VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
		[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
		[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
		[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
		[VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
		[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
		[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
		[VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
		[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
		[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
		[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
		[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
		[VHOST_USER_SET_SLAVE_REQ_FD] = "SET_BACKEND_REQ_FD",
		[VHOST_USER_GET_CONFIG] = "GET_CONFIG",
		[VHOST_USER_SET_CONFIG] = "SET_CONFIG",
		[VHOST_USER_RESET_DEVICE] = "RESET_DEVICE",
		[VHOST_USER_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
		[VHOST_USER_ADD_MEM_REG] = "ADD_MEM_REG",
		[VHOST_USER_REM_MEM_REG] = "REM_MEM_REG",
		[VHOST_USER_SET_STATUS] = "SET_STATUS",
		[VHOST_USER_GET_STATUS] = "GET_STATUS",
	};

	static _Thread_local char unknown[32];

	if (req < sizeof(names) / sizeof(names[0]) && names[req])
		return names[req];
	snprintf(unknown, sizeof(unknown), "unknown request %u", req);
	return unknown;
}

/*
 * True if fd is an eventfd: an anonymous inode (no file type bits) that takes
 * an 8-byte write of 0, which adds nothing and wakes no one. Other anonymous
 * inodes (timerfd, signalfd, epoll, ...) refuse writes; regular files, pipes,
 * sockets and devices have a type. A kick fd that is not an eventfd could be
 * readable for ever without yielding a kick.
 */
static bool is_eventfd(int fd)
{
	const uint64_t zero = 0;
	struct stat st;

	if (fstat(fd, &st) < 0 || (st.st_mode & S_IFMT) != 0)
		return false;
	return write(fd, &zero, sizeof(zero)) == (ssize_t)sizeof(zero);
}

void vu_dev_init(struct vu_dev *dev, const char *name, int sock, struct i2c_bus *bus)
{
	memset(dev, 0, sizeof(*dev));
	dev->name = name;
	dev->sock = sock;
	dev->bus = bus;
	dev->err_fd = -1;
	virtq_init(&dev->vq, name);
	virtio_i2c_queue_init(&dev->queue, name);
}

void vu_dev_cleanup(struct vu_dev *dev)
{
	fd_close(&dev->sock);
	fd_close(&dev->err_fd);
	virtq_release(&dev->vq);
	vu_mem_clear(&dev->mem);
	virtio_i2c_queue_free(&dev->queue);
}

int vu_dev_kick_fd(const struct vu_dev *dev)
{
	return virtq_kick_fd(&dev->vq);
}

bool vu_dev_has_more_work(const struct vu_dev *dev)
{
	return dev->more_work && virtq_running(&dev->vq);
}

static int serve_unguarded(struct vu_dev *dev, bool kicked)
{
	int ret;

	if (dev->kick_watch)
		dev->kick_watch(dev, dev->kick_watch_ctx);
	dev->more_work = false;
	if (!virtq_running(&dev->vq))
		return 0;
	ret = virtio_i2c_process(&dev->queue, &dev->vq, &dev->mem, dev->bus, kicked);
	/* Budget used up: the caller looks at its other work, then comes back. */
	dev->more_work = ret == 1;
	if (ret == -ENOMEM) {
		log_err("%s: closing connection: out of memory serving the queue", dev->name);
		return ret;
	}
	if (ret == -EIO) {
		log_err("%s: closing connection: the kick fd cannot be read", dev->name);
		return ret;
	}
	/* A broken ring is logged by virtq and waits for a reset; the connection lives on. */
	return 0;
}

/* A VMM that shrinks a memory file after handing it over: end its connection, not the daemon. */
static int guest_memory_lost(struct vu_dev *dev, uint64_t gpa)
{
	if (gpa == UINT64_MAX)
		log_err("%s: closing connection: guest memory became inaccessible "
			"(VMM truncated its memory file?)",
			dev->name);
	else
		log_err("%s: closing connection: guest memory became inaccessible at 0x%" PRIx64
			" (VMM truncated its memory file?)",
			dev->name, gpa);
	return -EFAULT;
}

struct serve_args {
	struct vu_dev *dev;
	bool kicked;
};

static int serve_cb(void *arg)
{
	struct serve_args *a = arg;

	return serve_unguarded(a->dev, a->kicked);
}

int vu_dev_serve(struct vu_dev *dev, bool kicked)
{
	struct serve_args a = {dev, kicked};

	return vu_dev_guarded(dev, serve_cb, &a);
}

int vu_dev_guarded(struct vu_dev *dev, int (*fn)(void *arg), void *arg)
{
	uint64_t gpa;
	int ret;

	if (guest_fault_run(&dev->mem, fn, arg, &ret, &gpa))
		return guest_memory_lost(dev, gpa);
	return ret;
}

int vu_dev_kick(struct vu_dev *dev)
{
	int ret = virtq_consume_kick(&dev->vq);

	if (ret < 0) {
		log_err("%s: closing connection: the kick fd cannot be read: %s", dev->name,
			strerror(-ret));
		return ret;
	}
	return vu_dev_serve(dev, ret > 0);
}

unsigned vu_dev_kick_gen(const struct vu_dev *dev)
{
	return dev->vq.kick_gen;
}

static int poll_begin_cb(void *dev)
{
	virtq_disable_notify(&((struct vu_dev *)dev)->vq);
	return 0;
}

int vu_dev_poll_begin(struct vu_dev *dev)
{
	int ret;

	if (!virtq_running(&dev->vq) || dev->more_work || dev->queue.held)
		return 0;
	ret = vu_dev_guarded(dev, poll_begin_cb, dev);
	return ret < 0 ? ret : 1;
}

bool vu_dev_poll_ready(struct vu_dev *dev)
{
	return virtq_running(&dev->vq) && virtq_has_avail(&dev->vq);
}

static int poll_end_cb(void *arg)
{
	struct vu_dev *dev = arg;

	if (!virtq_running(&dev->vq) || !virtq_enable_notify(&dev->vq))
		return 0;
	return serve_unguarded(dev, false);
}

int vu_dev_poll_end(struct vu_dev *dev)
{
	return vu_dev_guarded(dev, poll_end_cb, dev);
}

/* Stops the ring (GET_VRING_BASE, RESET_OWNER): keeps addresses, forgets the kick fd and
 * breakage, gives back a group still being gathered. Returns the index to resume from. */
static uint16_t stop_queue(struct vu_dev *dev)
{
	dev->more_work = false;
	virtio_i2c_queue_forget(&dev->queue, &dev->vq);
	return virtq_stop(&dev->vq);
}

static int bad(struct vu_dev *dev, const struct vhost_user_hdr *hdr, const char *why)
{
	log_err("%s: closing connection: %s %s", dev->name, request_name(hdr->request), why);
	return -EPROTO;
}

static int handle_set_features(struct vu_dev *dev, const struct vhost_user_hdr *hdr, uint64_t f)
{
	uint64_t virtio = f & ~BIT(VHOST_USER_F_PROTOCOL_FEATURES);

	if (f & ~VU_FEATURES)
		return bad(dev, hdr, "acks features the device never offered");
	if (!(virtio & BIT(VIRTIO_F_VERSION_1)))
		return bad(dev, hdr,
			   "without VIRTIO_F_VERSION_1 (legacy drivers are not supported)");
	/* virtio 1.2 §5.19.4: the device must reject drivers without zero-length requests. */
	if (!(virtio & BIT(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST)))
		return bad(dev, hdr,
			   "without VIRTIO_I2C_F_ZERO_LENGTH_REQUEST, which virtio-i2c requires");
	dev->features = f;
	virtq_set_features(&dev->vq, f & BIT(VIRTIO_RING_F_EVENT_IDX),
			   f & BIT(VIRTIO_RING_F_INDIRECT_DESC));
	/* Without bit 30 there is no SET_VRING_ENABLE: a started ring is enabled. */
	if (!(f & BIT(VHOST_USER_F_PROTOCOL_FEATURES)) && dev->vq.started)
		virtq_enable(&dev->vq, true);
	return 0;
}

/* Re-translates the ring after a memory change; a ring that no longer fits pauses. */
static void remap_queue(struct vu_dev *dev)
{
	/* A held group's buffers were checked against the old memory: take it again. */
	virtio_i2c_queue_forget(&dev->queue, &dev->vq);
	if (virtq_remap(&dev->vq, &dev->mem) && dev->vq.started)
		log_warn("%s: queue rings are no longer inside guest memory; queue paused",
			 dev->name);
}

/*
 * A refused table change is acked as a failure (REPLY_ACK) and the connection
 * stays: the VMM may retry with a table that fits.
 */
static void log_mem_failure(struct vu_dev *dev, const struct vhost_user_hdr *hdr, int err)
{
	static const char *const units[] = {"", "K", "M", "G", "T"};
	uint64_t limit = vu_mem_limit(&dev->mem);
	unsigned u = 0;

	if (err != -E2BIG) {
		log_err("%s: %s failed: %s", dev->name, request_name(hdr->request), strerror(-err));
		return;
	}
	/* In the largest unit that divides it, as --max-guest-memory takes it. */
	while (u < 4 && limit && limit % 1024 == 0) {
		limit /= 1024;
		u++;
	}
	log_err("%s: %s refused: guest memory would exceed the per-connection limit of %" PRIu64
		"%s (--max-guest-memory)",
		dev->name, request_name(hdr->request), limit, units[u]);
}

static int handle_mem_table(struct vu_dev *dev, const struct vhost_user_hdr *hdr,
			    const uint8_t *payload, int *fds, unsigned nfds)
{
	struct vhost_user_mem_table t;
	int ret;

	if (hdr->size < offsetof(struct vhost_user_mem_table, regions))
		return bad(dev, hdr, "payload too short");
	memcpy(&t, payload, offsetof(struct vhost_user_mem_table, regions));
	if (t.nregions == 0 || t.nregions > VHOST_USER_MAX_RAM_SLOTS)
		return bad(dev, hdr, "with a region count outside 1..8");
	if (hdr->size != offsetof(struct vhost_user_mem_table, regions) +
				 t.nregions * sizeof(struct vhost_user_mem_region))
		return bad(dev, hdr, "payload size does not match its region count");
	if (nfds != t.nregions)
		return bad(dev, hdr, "fd count does not match its region count");
	memcpy(t.regions, payload + offsetof(struct vhost_user_mem_table, regions),
	       t.nregions * sizeof(struct vhost_user_mem_region));
	ret = vu_mem_set_table(&dev->mem, t.regions, t.nregions, fds);
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = -1; /* consumed */
	if (ret) {
		log_mem_failure(dev, hdr, ret);
		/* The old table is gone too: drop the ring pointers into it; the queue waits. */
		virtio_i2c_queue_forget(&dev->queue, &dev->vq);
		virtq_remap(&dev->vq, &dev->mem);
		return 1;
	}
	remap_queue(dev);
	return 0;
}

static int handle_vring_fd(struct vu_dev *dev, const struct vhost_user_hdr *hdr, uint64_t u,
			   int *fds, unsigned nfds)
{
	bool nofd = u & VHOST_USER_VRING_NOFD_MASK;
	int fd = -1;

	if ((u & VHOST_USER_VRING_IDX_MASK) != 0 ||
	    (u & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD_MASK)))
		return bad(dev, hdr, "for a queue other than 0 or with unknown bits");
	if (nfds != (nofd ? 0u : 1u))
		return bad(dev, hdr, "with a wrong number of fds");
	if (!nofd) {
		/* Kick, call and err fds are eventfds; anything else could spin or block us. */
		if (!is_eventfd(fds[0]))
			return bad(dev, hdr, "with an fd that is not an eventfd");
		fd = fds[0];
		fds[0] = -1;
	}
	switch (hdr->request) {
	case VHOST_USER_SET_VRING_KICK:
		if (nofd)
			return bad(dev, hdr, "without an fd (polling mode) is not supported");
		virtq_start(&dev->vq, fd);
		if (!(dev->features & BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
			virtq_enable(&dev->vq, true);
		/* Kicks may have come before the fd: look at the ring now. */
		return vu_dev_serve(dev, false);
	case VHOST_USER_SET_VRING_CALL:
		virtq_set_call_fd(&dev->vq, fd);
		return 0;
	default: /* SET_VRING_ERR: kept only to be closed; we never report ring errors by it */
		fd_close(&dev->err_fd);
		dev->err_fd = fd;
		return 0;
	}
}

static int handle_vring_state(struct vu_dev *dev, const struct vhost_user_hdr *hdr,
			      const struct vhost_user_vring_state *s, struct vu_reply *reply)
{
	if (s->index != 0)
		return bad(dev, hdr, "for a queue other than 0");
	switch (hdr->request) {
	case VHOST_USER_SET_VRING_NUM:
		switch (virtq_set_num(&dev->vq, &dev->mem, s->num)) {
		case 0:
			return 0;
		case -EBUSY:
			return bad(dev, hdr, "while the queue is running");
		case -ERANGE:
			return bad(dev, hdr, "with a size that is not a power of 2 up to 32768");
		default:
			return bad(dev, hdr,
				   "makes the rings exceed guest memory or misaligns them");
		}
	case VHOST_USER_SET_VRING_BASE:
		if (s->num > UINT16_MAX)
			return bad(dev, hdr, "with an index above 65535");
		if (virtq_set_base(&dev->vq, (uint16_t)s->num))
			return bad(dev, hdr, "while the queue is running");
		return 0;
	case VHOST_USER_GET_VRING_BASE:
		/* Groups are served synchronously; one still being gathered is given back. */
		reply->has_reply = true;
		reply->size = sizeof(reply->payload.state);
		reply->payload.state.index = 0;
		reply->payload.state.num = stop_queue(dev);
		return 0;
	default: /* SET_VRING_ENABLE */
		if (s->num > 1)
			return bad(dev, hdr, "with a state other than 0 or 1");
		virtq_enable(&dev->vq, s->num);
		/* Kicks that came while disabled were consumed without effect: rescan. */
		return s->num ? vu_dev_serve(dev, false) : 0;
	}
}

static int handle_vring_addr(struct vu_dev *dev, const struct vhost_user_hdr *hdr,
			     const struct vhost_user_vring_addr *a)
{
	int ret;

	if (a->index != 0)
		return bad(dev, hdr, "for a queue other than 0");
	if (a->flags & VHOST_USER_VRING_F_LOG)
		return bad(dev, hdr, "asks for dirty logging, which was not offered");
	if (!dev->vq.num)
		return bad(dev, hdr, "before SET_VRING_NUM");
	if (dev->vq.started)
		return bad(dev, hdr, "while the queue is running");
	ret = virtq_set_addr(&dev->vq, &dev->mem, a->desc_user_addr, a->avail_user_addr,
			     a->used_user_addr);
	if (ret)
		return bad(dev, hdr,
			   ret == -EINVAL
				   ? "puts a ring at a misaligned address or over another ring"
				   : "puts a ring outside guest memory");
	return 0;
}

static int handle_mem_reg(struct vu_dev *dev, const struct vhost_user_hdr *hdr,
			  const struct vhost_user_single_region *r, int *fds, unsigned nfds)
{
	int ret;

	if (hdr->request == VHOST_USER_ADD_MEM_REG) {
		if (nfds != 1)
			return bad(dev, hdr, "without exactly one fd");
		ret = vu_mem_add(&dev->mem, &r->region, fds[0]);
		fds[0] = -1;
	} else {
		/* REM_MEM_REG may carry an fd that is of no use to us: it is closed by dispatch. */
		ret = vu_mem_remove(&dev->mem, &r->region);
	}
	if (ret) {
		log_mem_failure(dev, hdr, ret);
		return 1;
	}
	remap_queue(dev);
	return 0;
}

/* Payload size each request must have; -1 = variable (checked by its handler). */
static long expected_size(uint32_t req)
{
	switch (req) {
	case VHOST_USER_GET_FEATURES:
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_QUEUE_NUM:
	case VHOST_USER_GET_MAX_MEM_SLOTS:
	case VHOST_USER_SET_OWNER:
	case VHOST_USER_RESET_OWNER:
	case VHOST_USER_RESET_DEVICE:
		return 0;
	case VHOST_USER_SET_FEATURES:
	case VHOST_USER_SET_PROTOCOL_FEATURES:
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		return sizeof(uint64_t);
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE:
		return sizeof(struct vhost_user_vring_state);
	case VHOST_USER_SET_VRING_ADDR:
		return sizeof(struct vhost_user_vring_addr);
	case VHOST_USER_ADD_MEM_REG:
	case VHOST_USER_REM_MEM_REG:
		return sizeof(struct vhost_user_single_region);
	default:
		return -1;
	}
}

/* Requests that may carry fds: the rest must carry none. */
static bool takes_fds(uint32_t req)
{
	switch (req) {
	case VHOST_USER_SET_MEM_TABLE:
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
	case VHOST_USER_ADD_MEM_REG:
	case VHOST_USER_REM_MEM_REG:
		return true;
	default:
		return false;
	}
}

static int send_reply(struct vu_dev *dev, uint32_t request, const void *payload, uint32_t size)
{
	struct {
		struct vhost_user_hdr hdr;
		uint8_t payload[sizeof(struct vhost_user_vring_state)];
	} __attribute__((packed)) msg;
	size_t len = sizeof(msg.hdr) + size;
	ssize_t n;

	msg.hdr.request = request;
	msg.hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	msg.hdr.size = size;
	memcpy(msg.payload, payload, size);
	do {
		n = send(dev->sock, &msg, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		log_err("%s: cannot send %s reply: %s", dev->name, request_name(request),
			n < 0 ? strerror(errno) : "short write");
		return -EIO;
	}
	return 0;
}

static int dispatch(struct vu_dev *dev, const struct vhost_user_hdr *hdr, const uint8_t *payload,
		    int *fds, unsigned nfds, struct vu_reply *reply)
{
	long want = expected_size(hdr->request);
	uint64_t u64 = 0;

	if ((hdr->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
		return bad(dev, hdr, "with a protocol version other than 1");
	if (hdr->flags & ~(uint32_t)(VHOST_USER_VERSION_MASK | VHOST_USER_NEED_REPLY_MASK))
		return bad(dev, hdr, "with unknown or reply flags");
	if (want >= 0 && hdr->size != (uint32_t)want)
		return bad(dev, hdr, "with a wrong payload size");
	if (nfds && !takes_fds(hdr->request))
		return bad(dev, hdr, "with fds it does not take");
	if (want == sizeof(u64))
		memcpy(&u64, payload, sizeof(u64));

	switch (hdr->request) {
	case VHOST_USER_GET_FEATURES:
		reply->payload.u64 = VU_FEATURES;
		goto reply_u64;
	case VHOST_USER_SET_FEATURES:
		return handle_set_features(dev, hdr, u64);
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		reply->payload.u64 = VU_PROTOCOL_FEATURES;
		goto reply_u64;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		if (u64 & ~VU_PROTOCOL_FEATURES)
			return bad(dev, hdr, "acks protocol features that were not offered");
		return 0;
	case VHOST_USER_GET_QUEUE_NUM:
		reply->payload.u64 = 1;
		goto reply_u64;
	case VHOST_USER_GET_MAX_MEM_SLOTS:
		reply->payload.u64 = VU_MEM_MAX_REGIONS;
		goto reply_u64;
	case VHOST_USER_SET_OWNER:
		return 0;
	case VHOST_USER_RESET_OWNER:
	case VHOST_USER_RESET_DEVICE:
		stop_queue(dev);
		virtq_enable(&dev->vq, false);
		dev->features = 0;
		return 0;
	case VHOST_USER_SET_MEM_TABLE:
		return handle_mem_table(dev, hdr, payload, fds, nfds);
	case VHOST_USER_ADD_MEM_REG:
	case VHOST_USER_REM_MEM_REG: {
		struct vhost_user_single_region r;

		memcpy(&r, payload, sizeof(r));
		return handle_mem_reg(dev, hdr, &r, fds, nfds);
	}
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE: {
		struct vhost_user_vring_state s;

		memcpy(&s, payload, sizeof(s));
		return handle_vring_state(dev, hdr, &s, reply);
	}
	case VHOST_USER_SET_VRING_ADDR: {
		struct vhost_user_vring_addr a;

		memcpy(&a, payload, sizeof(a));
		return handle_vring_addr(dev, hdr, &a);
	}
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		return handle_vring_fd(dev, hdr, u64, fds, nfds);
	default: /* including SET/GET_STATUS: VHOST_USER_PROTOCOL_F_STATUS is not offered */
		return bad(dev, hdr, "is not supported");
	}
reply_u64:
	reply->has_reply = true;
	reply->size = sizeof(uint64_t);
	return 0;
}

struct dispatch_args {
	struct vu_dev *dev;
	const struct vhost_user_hdr *hdr;
	const uint8_t *payload;
	int *fds;
	unsigned nfds;
	struct vu_reply *reply;
};

static int dispatch_cb(void *arg)
{
	struct dispatch_args *a = arg;

	return dispatch(a->dev, a->hdr, a->payload, a->fds, a->nfds, a->reply);
}

int vu_dev_dispatch(struct vu_dev *dev, const struct vhost_user_hdr *hdr, const void *payload,
		    int *fds, unsigned nfds)
{
	struct vu_reply reply = {0};
	struct dispatch_args a = {dev, hdr, payload, fds, nfds, &reply};
	int ret;

	log_debug("%s: %s size %u flags 0x%x fds %u", dev->name, request_name(hdr->request),
		  hdr->size, hdr->flags, nfds);
	/* Handlers touch the rings (sync, serve on start): a SIGBUS there ends only this VMM. */
	ret = vu_dev_guarded(dev, dispatch_cb, &a);
	/* Any fd a handler did not take is closed here, whatever happened. */
	for (unsigned i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (ret < 0)
		return ret;
	if (reply.has_reply)
		return send_reply(dev, hdr->request, &reply.payload, reply.size);
	/* REPLY_ACK, honoured even if not negotiated (the VMM may remember an older connection). */
	if (hdr->flags & VHOST_USER_NEED_REPLY_MASK) {
		uint64_t ack = ret ? 1 : 0;

		return send_reply(dev, hdr->request, &ack, sizeof(ack));
	}
	return 0;
}

/* Reads exactly len bytes (after a first partial recvmsg). */
static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vu_dev_handle_message(struct vu_dev *dev)
{
	union {
		char buf[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	static _Thread_local uint8_t payload[VHOST_USER_MAX_PAYLOAD];
	struct vhost_user_hdr hdr;
	struct iovec iov = {.iov_base = &hdr, .iov_len = sizeof(hdr)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	int fds[VHOST_USER_MAX_FDS];
	unsigned nfds = 0;
	bool truncated;
	ssize_t n;
	int ret;

	do {
		n = recvmsg(dev->sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0) {
		ret = -errno;
		log_err("%s: receive failed: %s", dev->name, strerror(errno));
		return ret;
	}
	truncated = msg.msg_flags & MSG_CTRUNC;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t count;
		int *data;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		data = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < count; i++) {
			if (nfds < VHOST_USER_MAX_FDS)
				fds[nfds++] = data[i];
			else
				close(data[i]);
		}
	}
	ret = 0;
	if (truncated) {
		/* The kernel passes fds until one fails to install: fewer than fit = out of fds. */
		if (nfds < VHOST_USER_MAX_FDS)
			log_err("%s: closing connection: the fds of a message could not be "
				"received: "
				"open-file limit (RLIMIT_NOFILE) reached",
				dev->name);
		else
			log_err("%s: closing connection: more than %d fds in one message",
				dev->name, VHOST_USER_MAX_FDS);
		ret = -EPROTO;
	}
	if (!ret && (size_t)n < sizeof(hdr))
		ret = read_full(dev->sock, (uint8_t *)&hdr + n, sizeof(hdr) - (size_t)n);
	if (!ret && hdr.size > VHOST_USER_MAX_PAYLOAD) {
		log_err("%s: closing connection: %s payload of %u bytes exceeds %d", dev->name,
			request_name(hdr.request), hdr.size, VHOST_USER_MAX_PAYLOAD);
		ret = -EPROTO;
	}
	if (!ret && hdr.size)
		ret = read_full(dev->sock, payload, hdr.size);
	if (ret) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		if (ret == -ECONNRESET)
			log_err("%s: closing connection: message truncated by hang-up", dev->name);
		return ret == -ECONNRESET ? -EPROTO : ret;
	}
	return vu_dev_dispatch(dev, &hdr, payload, fds, nfds);
}
