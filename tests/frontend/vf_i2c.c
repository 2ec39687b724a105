// SPDX-License-Identifier: MIT
/* virtio-i2c requests built the way Linux's i2c-virtio driver builds them. */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "vu_frontend.h"

#define BOUNCE_ALIGN 8u
#define READ_POISON  0xa5

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t vf_i2c_slot_hdr_gpa(const struct vf_dev *dev, unsigned h)
{
	return dev->slots_gpa + (uint64_t)h * sizeof(struct vf_i2c_slot);
}

uint64_t vf_i2c_slot_status_gpa(const struct vf_dev *dev, unsigned h)
{
	return vf_i2c_slot_hdr_gpa(dev, h) + offsetof(struct vf_i2c_slot, status);
}

uint64_t vf_i2c_slot_scratch_gpa(const struct vf_dev *dev, unsigned h)
{
	return vf_i2c_slot_hdr_gpa(dev, h) + offsetof(struct vf_i2c_slot, scratch);
}

/* Queues msgs[first..n) while they fit; returns how many were queued or -errno. */
static int queue_batch(struct vf_dev *dev, struct vf_i2c_msg *msgs, unsigned first, unsigned n)
{
	struct vf_vring *vr = &dev->vr;
	bool indirect = dev->acked_features & (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	uint32_t off = 0;
	unsigned i;

	for (i = first; i < n; i++) {
		struct vf_i2c_msg *m = &msgs[i];
		bool rd = m->flags & VF_I2C_M_RD;
		unsigned nsg = m->len ? 3 : 2;
		struct vf_sg sg[3];
		struct vf_i2c_slot *slot;
		uint16_t head = vr->free_head;
		uint32_t hflags;
		int ret;

		if (vr->num_free < (indirect ? 1 : nsg))
			break;
		if (m->len > dev->opts.bounce_size - off) {
			if (i == first)
				return -EMSGSIZE;
			break;
		}
		slot = &dev->slots[head];
		slot->hdr.addr =
			htole16(m->flags & VF_I2C_M_RAW_ADDR ? m->addr : (uint16_t)(m->addr << 1));
		slot->hdr.padding = 0;
		hflags = (i + 1 < n && !(m->flags & VF_I2C_M_END_GROUP))
				 ? VIRTIO_I2C_FLAGS_FAIL_NEXT
				 : 0;
		if (rd)
			hflags |= VIRTIO_I2C_FLAGS_M_RD;
		slot->hdr.flags = htole32(hflags ^ m->hdr_flags_xor);
		slot->status = VF_I2C_UNTOUCHED;
		sg[0] = (struct vf_sg){.gpa = vf_i2c_slot_hdr_gpa(dev, head), .len = 8};
		if (m->len) {
			if (rd)
				memset(dev->bounce + off, READ_POISON, m->len);
			else
				memcpy(dev->bounce + off, m->buf, m->len);
			sg[1] = (struct vf_sg){
				.gpa = dev->bounce_gpa + off, .len = m->len, .write = rd};
			dev->head_off[head] = off;
			off += (m->len + BOUNCE_ALIGN - 1) & ~(BOUNCE_ALIGN - 1);
			if (off > dev->opts.bounce_size)
				off = dev->opts.bounce_size;
		}
		sg[nsg - 1] = (struct vf_sg){
			.gpa = vf_i2c_slot_status_gpa(dev, head), .len = 1, .write = true};
		ret = vf_vring_add(vr, sg, nsg, indirect && nsg > 1, (void *)(uintptr_t)(i + 1));
		if (ret < 0)
			return i == first ? ret : (int)(i - first);
	}
	return (int)(i - first);
}

int vf_i2c_transfer(struct vf_dev *dev, struct vf_i2c_msg *msgs, unsigned n, unsigned flags,
		    int timeout_ms)
{
	struct vf_vring *vr = &dev->vr;
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	unsigned done = 0, i, collected;
	int queued, err, left;

	for (i = 0; i < n; i++) {
		msgs[i].status = VF_I2C_NOT_SENT;
		msgs[i].used_len = 0;
	}
	while (done < n) {
		queued = queue_batch(dev, msgs, done, n);
		if (queued < 0)
			return queued;
		if (!queued)
			return -ENOSPC;
		err = vf_vring_kick(vr, flags & VF_XFER_FORCE_KICK);
		if (err)
			return err;
		for (collected = 0; collected < (unsigned)queued;) {
			uint32_t id, len;
			void *cookie;
			struct vf_i2c_msg *m;

			left = deadline < 0 ? -1 : (int)(deadline - now_ms());
			if (deadline >= 0 && left < 0)
				left = 0;
			err = vf_vring_wait_used(vr, left);
			if (err)
				return err;
			while (!(err = vf_vring_get_used(vr, &id, &len, &cookie))) {
				uintptr_t idx = (uintptr_t)cookie;

				if (!idx || idx - 1 < done || idx - 1 >= done + (unsigned)queued)
					return -EBADMSG;
				m = &msgs[idx - 1];
				m->used_len = len;
				m->status = dev->slots[id].status;
				if (m->status == VIRTIO_I2C_MSG_OK && (m->flags & VF_I2C_M_RD) &&
				    m->len)
					memcpy(m->buf, dev->bounce + dev->head_off[id], m->len);
				collected++;
			}
			if (err != -EAGAIN)
				return err;
		}
		done += (unsigned)queued;
		if (flags & VF_XFER_ONE_BATCH)
			break;
	}
	return (int)done;
}

static int all_ok(const struct vf_i2c_msg *msgs, unsigned n, int ret)
{
	unsigned i;

	if (ret < 0)
		return ret;
	if ((unsigned)ret != n)
		return -EIO;
	for (i = 0; i < n; i++) {
		if (msgs[i].status != VIRTIO_I2C_MSG_OK)
			return -EIO;
	}
	return 0;
}

int vf_i2c_write(struct vf_dev *dev, uint16_t addr, const void *buf, uint32_t len)
{
	struct vf_i2c_msg m = {.addr = addr, .len = len, .buf = (uint8_t *)buf};

	return all_ok(&m, 1, vf_i2c_transfer(dev, &m, 1, 0, dev->opts.timeout_ms));
}

int vf_i2c_read(struct vf_dev *dev, uint16_t addr, void *buf, uint32_t len)
{
	struct vf_i2c_msg m = {.addr = addr, .flags = VF_I2C_M_RD, .len = len, .buf = buf};

	return all_ok(&m, 1, vf_i2c_transfer(dev, &m, 1, 0, dev->opts.timeout_ms));
}

int vf_i2c_write_read(struct vf_dev *dev, uint16_t addr, const void *wbuf, uint32_t wlen,
		      void *rbuf, uint32_t rlen)
{
	struct vf_i2c_msg m[2] = {
		{.addr = addr, .len = wlen, .buf = (uint8_t *)wbuf},
		{.addr = addr, .flags = VF_I2C_M_RD, .len = rlen, .buf = rbuf},
	};

	return all_ok(m, 2, vf_i2c_transfer(dev, m, 2, 0, dev->opts.timeout_ms));
}
