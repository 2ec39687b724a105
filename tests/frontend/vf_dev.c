// SPDX-License-Identifier: MIT
/*
 * QEMU 7.2's vhost-user-i2c message sequences (init, start, stop), and a
 * reconnect that restores the device without renegotiating (see
 * vf_dev_reconnect in vu_frontend.h: not what any shipped QEMU sends).
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vu_frontend.h"

#define BIT(n) (1ull << (n))

/* QEMU keeps protocol bits 0..16 it knows, minus CONFIG (9). */
#define QEMU_PROTOCOL_MASK (((1ull << 17) - 1) & ~BIT(9))

void vf_dev_opts_default(struct vf_dev_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->queue_size = 4;
	opts->indirect = true;
	opts->event_idx = true;
	opts->reply_ack = true;
	opts->mem_msg = VF_MEM_AUTO;
	opts->mem_size = 32ull << 20;
	opts->nregions = 1;
	opts->shared_fd = true;
	opts->ring_region = VF_REGION_ANY;
	opts->hdr_region = VF_REGION_ANY;
	opts->data_region = VF_REGION_ANY;
	opts->bounce_size = 256 << 10;
	opts->timeout_ms = 5000;
}

struct vf_dev *vf_dev_create(const char *path, const struct vf_dev_opts *opts)
{
	struct vf_mem_opts mo;
	struct vf_dev *dev;
	unsigned n, table_region;
	void *p;
	int err;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->err_fd = -1;
	dev->vr.kick_fd = -1;
	dev->vr.call_fd = -1;
	if (opts)
		dev->opts = *opts;
	else
		vf_dev_opts_default(&dev->opts);
	dev->path = path;
	n = dev->opts.nregions;
	if (dev->opts.ring_region == VF_REGION_ANY)
		dev->opts.ring_region = 0;
	if (dev->opts.hdr_region == VF_REGION_ANY)
		dev->opts.hdr_region = n > 1 ? 1 : 0;
	if (dev->opts.data_region == VF_REGION_ANY)
		dev->opts.data_region = n - 1;

	mo.size = dev->opts.mem_size;
	mo.nregions = n;
	mo.shared_fd = dev->opts.shared_fd;
	dev->mem = vf_mem_create(&mo);
	if (!dev->mem) {
		err = -errno;
		goto err_free;
	}
	table_region = dev->opts.hdr_region;
	err = vf_vring_init(&dev->vr, dev->mem, dev->opts.queue_size, dev->opts.ring_region,
			    table_region);
	if (err)
		goto err_free;
	err = vf_mem_alloc(dev->mem, dev->opts.hdr_region,
			   (uint64_t)dev->opts.queue_size * sizeof(struct vf_i2c_slot), 64,
			   &dev->slots_gpa, &p);
	if (err)
		goto err_free;
	dev->slots = p;
	err = vf_mem_alloc(dev->mem, dev->opts.data_region, dev->opts.bounce_size, 64,
			   &dev->bounce_gpa, &p);
	if (err)
		goto err_free;
	dev->bounce = p;
	dev->head_off = calloc(dev->opts.queue_size, sizeof(*dev->head_off));
	if (!dev->head_off) {
		err = -ENOMEM;
		goto err_free;
	}
	dev->err_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dev->err_fd < 0) {
		err = -errno;
		goto err_free;
	}
	dev->conn = vf_conn_connect(path, dev->opts.timeout_ms);
	if (!dev->conn) {
		err = -errno;
		goto err_free;
	}
	dev->conn->timeout_ms = dev->opts.timeout_ms;
	return dev;

err_free:
	vf_dev_destroy(dev);
	errno = -err;
	return NULL;
}

void vf_dev_destroy(struct vf_dev *dev)
{
	if (!dev)
		return;
	vf_conn_close(dev->conn);
	vf_vring_cleanup(&dev->vr);
	if (dev->err_fd >= 0)
		close(dev->err_fd);
	free(dev->head_off);
	vf_mem_destroy(dev->mem);
	free(dev);
}

int vf_dev_init(struct vf_dev *dev)
{
	struct vf_conn *c = dev->conn;
	uint64_t again;
	int err;

	err = vf_msg_get_u64(c, VHOST_USER_GET_FEATURES, &dev->features);
	if (err)
		return err;
	dev->acked_protocol = 0;
	if (dev->features & BIT(VHOST_USER_F_PROTOCOL_FEATURES)) {
		err = vf_msg_get_u64(c, VHOST_USER_GET_PROTOCOL_FEATURES, &dev->protocol_features);
		if (err)
			return err;
		dev->acked_protocol = dev->protocol_features & QEMU_PROTOCOL_MASK;
		if (!dev->opts.reply_ack)
			dev->acked_protocol &= ~BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
		err = vf_msg_set_u64(c, VHOST_USER_SET_PROTOCOL_FEATURES, dev->acked_protocol,
				     false);
		if (err)
			return err;
		if (dev->acked_protocol & BIT(VHOST_USER_PROTOCOL_F_MQ)) {
			err = vf_msg_get_u64(c, VHOST_USER_GET_QUEUE_NUM, &dev->queue_num);
			if (err)
				return err;
		}
		if (dev->acked_protocol & BIT(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS)) {
			err = vf_msg_get_u64(c, VHOST_USER_GET_MAX_MEM_SLOTS, &dev->max_mem_slots);
			if (err)
				return err;
		}
	}
	err = vf_msg_set_none(c, VHOST_USER_SET_OWNER, false);
	if (err)
		return err;
	err = vf_msg_get_u64(c, VHOST_USER_GET_FEATURES, &again);
	if (err)
		return err;
	if (again != dev->features)
		return -EPROTO;
	err = vf_msg_set_vring_fd(c, VHOST_USER_SET_VRING_CALL, 0, dev->vr.call_fd, false);
	if (err)
		return err;
	return vf_msg_set_vring_fd(c, VHOST_USER_SET_VRING_ERR, 0, dev->err_fd, false);
}

static bool need_reply(const struct vf_dev *dev)
{
	return dev->acked_protocol & BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
}

static int send_memory(struct vf_dev *dev)
{
	bool add = dev->opts.mem_msg == VF_MEM_ADD_REG ||
		   (dev->opts.mem_msg == VF_MEM_AUTO &&
		    (dev->acked_protocol & BIT(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS)));
	unsigned i;
	int err;

	if (!add)
		return vf_msg_set_mem_table(dev->conn, dev->mem, need_reply(dev));
	/* Like QEMU's add/remove diff: only regions the backend does not have yet. */
	for (i = 0; i < dev->mem->nregions; i++) {
		if (dev->regions_added[i])
			continue;
		err = vf_msg_add_mem_reg(dev->conn, dev->mem, i, need_reply(dev));
		if (err)
			return err;
		dev->regions_added[i] = true;
	}
	return 0;
}

int vf_dev_start(struct vf_dev *dev)
{
	struct vf_conn *c = dev->conn;
	struct vhost_user_vring_addr addr = {0};
	uint64_t want;
	int err;

	want = BIT(VIRTIO_F_VERSION_1) | (dev->features & BIT(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST));
	if (dev->opts.indirect)
		want |= BIT(VIRTIO_RING_F_INDIRECT_DESC);
	if (dev->opts.event_idx)
		want |= BIT(VIRTIO_RING_F_EVENT_IDX);
	want |= dev->features & BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	dev->acked_features = want;
	dev->vr.event_idx = dev->opts.event_idx;

	err = vf_msg_set_u64(c, VHOST_USER_SET_FEATURES, want, false);
	if (!err)
		err = send_memory(dev);
	if (!err)
		err = vf_msg_set_state(c, VHOST_USER_SET_VRING_NUM, 0, dev->vr.num, false);
	if (!err)
		err = vf_msg_set_state(c, VHOST_USER_SET_VRING_BASE, 0, dev->base, false);
	if (err)
		return err;
	/* Ring addresses are the frontend's own virtual addresses, as QEMU sends. */
	addr.desc_user_addr = (uint64_t)(uintptr_t)dev->vr.desc;
	addr.used_user_addr = (uint64_t)(uintptr_t)dev->vr.used;
	addr.avail_user_addr = (uint64_t)(uintptr_t)dev->vr.avail;
	addr.log_guest_addr = dev->vr.used_gpa;
	err = vf_msg_set_vring_addr(c, &addr, false);
	if (!err)
		err = vf_msg_set_vring_fd(c, VHOST_USER_SET_VRING_KICK, 0, dev->vr.kick_fd, false);
	if (!err && (want & BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
		err = vf_msg_set_state(c, VHOST_USER_SET_VRING_ENABLE, 0, 1, false);
	if (!err)
		err = vf_msg_set_vring_fd(c, VHOST_USER_SET_VRING_CALL, 0, dev->vr.call_fd, false);
	if (err)
		return err;
	dev->started = true;
	return 0;
}

int vf_dev_stop(struct vf_dev *dev, uint16_t *base)
{
	uint32_t num;
	int err;

	if (dev->acked_features & BIT(VHOST_USER_F_PROTOCOL_FEATURES)) {
		err = vf_msg_set_state(dev->conn, VHOST_USER_SET_VRING_ENABLE, 0, 0, false);
		if (err)
			return err;
	}
	err = vf_msg_get_vring_base(dev->conn, 0, &num);
	if (err)
		return err;
	if (num > 0xffff)
		return -EPROTO;
	dev->base = (uint16_t)num;
	dev->started = false;
	if (base)
		*base = dev->base;
	return 0;
}

struct vf_dev *vf_dev_open(const char *path, const struct vf_dev_opts *opts)
{
	struct vf_dev *dev;
	int err;

	dev = vf_dev_create(path, opts);
	if (!dev)
		return NULL;
	err = vf_dev_init(dev);
	if (!err)
		err = vf_dev_start(dev);
	if (err) {
		vf_dev_destroy(dev);
		errno = -err;
		return NULL;
	}
	return dev;
}

int vf_dev_restart_fresh(struct vf_dev *dev)
{
	int err;

	if (dev->started) {
		err = vf_dev_stop(dev, NULL);
		if (err)
			return err;
	}
	vf_vring_reset(&dev->vr);
	dev->base = 0;
	return vf_dev_start(dev);
}

int vf_dev_reconnect(struct vf_dev *dev, bool full_init)
{
	int err;

	vf_conn_close(dev->conn);
	dev->conn = NULL;
	dev->started = false;
	memset(dev->regions_added, 0, sizeof(dev->regions_added));
	/*
	 * Like QEMU: the guest's ring stays as it is (the old backend may still
	 * be looking at it) and the new backend resumes at the used index, so
	 * requests that were in flight are replayed.
	 */
	dev->base = le16toh(__atomic_load_n(&dev->vr.used->idx, __ATOMIC_ACQUIRE));
	dev->conn = vf_conn_connect(dev->path, dev->opts.timeout_ms);
	if (!dev->conn)
		return -errno;
	dev->conn->timeout_ms = dev->opts.timeout_ms;
	if (full_init) {
		err = vf_dev_init(dev);
		if (err)
			return err;
	}
	return vf_dev_start(dev);
}
