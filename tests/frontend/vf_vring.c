// SPDX-License-Identifier: MIT
/* Driver side of a split virtqueue (virtio 1.2 §2.7), as a Linux guest runs it. */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vu_frontend.h"

#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)

static uint16_t load_acquire16(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

static uint16_t load16(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static void store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

static void init_free_list(struct vf_vring *vr)
{
	unsigned i;

	for (i = 0; i < vr->num; i++) {
		vr->desc[i].next = htole16((uint16_t)((i + 1) % vr->num));
		vr->heads[i].ndesc = 0;
		vr->heads[i].cookie = NULL;
	}
	vr->free_head = 0;
	vr->num_free = (uint16_t)vr->num;
}

int vf_vring_init(struct vf_vring *vr, struct vf_mem *mem, unsigned num, unsigned region,
		  unsigned table_region)
{
	void *desc, *avail, *used, *ind;
	int err;

	memset(vr, 0, sizeof(*vr));
	vr->kick_fd = -1;
	vr->call_fd = -1;
	if (!num || num > VIRTQ_MAX_SIZE || (num & (num - 1)))
		return -EINVAL;
	vr->mem = mem;
	vr->num = num;
	err = vf_mem_alloc(mem, region, vring_desc_size(num), 64, &vr->desc_gpa, &desc);
	if (!err)
		err = vf_mem_alloc(mem, region, vring_avail_size(num), 64, &vr->avail_gpa, &avail);
	if (!err)
		err = vf_mem_alloc(mem, region, vring_used_size(num), 64, &vr->used_gpa, &used);
	if (!err)
		err = vf_mem_alloc(mem, table_region,
				   (uint64_t)num * VF_INDIRECT_MAX * sizeof(struct vring_desc), 64,
				   &vr->indirect_gpa, &ind);
	if (err)
		return err;
	vr->desc = desc;
	vr->avail = avail;
	vr->used = used;
	vr->indirect = ind;
	vr->heads = calloc(num, sizeof(*vr->heads));
	if (!vr->heads)
		return -ENOMEM;
	vr->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vr->kick_fd < 0)
		goto err_errno;
	vr->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vr->call_fd < 0)
		goto err_errno;
	init_free_list(vr);
	return 0;

err_errno:
	err = -errno;
	vf_vring_cleanup(vr);
	return err;
}

void vf_vring_cleanup(struct vf_vring *vr)
{
	free(vr->heads);
	vr->heads = NULL;
	if (vr->kick_fd >= 0)
		close(vr->kick_fd);
	if (vr->call_fd >= 0)
		close(vr->call_fd);
	vr->kick_fd = -1;
	vr->call_fd = -1;
}

void vf_vring_reset(struct vf_vring *vr)
{
	uint64_t junk;

	memset(vr->desc, 0, vring_desc_size(vr->num));
	memset(vr->avail, 0, vring_avail_size(vr->num));
	memset(vr->used, 0, vring_used_size(vr->num));
	init_free_list(vr);
	vr->avail_idx = 0;
	vr->kicked_idx = 0;
	vr->last_used = 0;
	while (read(vr->call_fd, &junk, sizeof(junk)) == sizeof(junk))
		;
	while (read(vr->kick_fd, &junk, sizeof(junk)) == sizeof(junk))
		;
}

static void set_desc(struct vring_desc *d, uint64_t gpa, uint32_t len, uint16_t flags)
{
	d->addr = htole64(gpa);
	d->len = htole32(len);
	d->flags = htole16(flags);
}

int vf_vring_add(struct vf_vring *vr, const struct vf_sg *sg, unsigned n, bool indirect,
		 void *cookie)
{
	unsigned need = indirect ? 1 : n;
	uint16_t head = vr->free_head, i = head, last = head;
	unsigned k;

	if (!n || (indirect && n > VF_INDIRECT_MAX))
		return -EINVAL;
	if (vr->num_free < need)
		return -ENOSPC;
	if (indirect) {
		struct vring_desc *tbl = &vr->indirect[(size_t)head * VF_INDIRECT_MAX];

		for (k = 0; k < n; k++) {
			set_desc(&tbl[k], sg[k].gpa, sg[k].len,
				 (uint16_t)((k + 1 < n ? VRING_DESC_F_NEXT : 0) |
					    (sg[k].write ? VRING_DESC_F_WRITE : 0)));
			tbl[k].next = htole16((uint16_t)(k + 1));
		}
		set_desc(&vr->desc[head],
			 vr->indirect_gpa + (uint64_t)head * VF_INDIRECT_MAX * sizeof(*tbl),
			 n * (uint32_t)sizeof(*tbl), VRING_DESC_F_INDIRECT);
	} else {
		/* The chain reuses the free list's links as its next fields. */
		for (k = 0; k < n; k++) {
			set_desc(&vr->desc[i], sg[k].gpa, sg[k].len,
				 (uint16_t)((k + 1 < n ? VRING_DESC_F_NEXT : 0) |
					    (sg[k].write ? VRING_DESC_F_WRITE : 0)));
			last = i;
			i = le16toh(vr->desc[i].next);
		}
	}
	vr->free_head = indirect ? le16toh(vr->desc[head].next) : le16toh(vr->desc[last].next);
	vr->num_free = (uint16_t)(vr->num_free - need);
	vr->heads[head].ndesc = (uint16_t)need;
	vr->heads[head].cookie = cookie;
	vf_vring_push_head(vr, head);
	return head;
}

void vf_vring_push_head(struct vf_vring *vr, uint16_t head)
{
	store16(&vr->avail->ring[vr->avail_idx & (vr->num - 1)], head);
	vr->avail_idx++;
}

void vf_vring_publish(struct vf_vring *vr)
{
	wmb(); /* descriptors and ring entries before the index */
	__atomic_store_n(&vr->avail->idx, htole16(vr->avail_idx), __ATOMIC_RELEASE);
}

void vf_vring_set_avail_idx(struct vf_vring *vr, uint16_t idx)
{
	vr->avail_idx = idx;
	vf_vring_publish(vr);
}

bool vf_vring_need_kick(const struct vf_vring *vr)
{
	uint16_t new_idx = vr->avail_idx, old = vr->kicked_idx, event;

	mb(); /* our avail idx store before reading the device's suppression state */
	if (vr->event_idx) {
		event = load16(vf_vring_avail_event(vr));
		return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
	}
	return !(load16(&vr->used->flags) & VRING_USED_F_NO_NOTIFY);
}

int vf_vring_kick(struct vf_vring *vr, bool force)
{
	uint64_t one = 1;
	bool need;

	vf_vring_publish(vr);
	need = vf_vring_need_kick(vr);
	vr->kicked_idx = vr->avail_idx;
	if (!need && !force)
		return 0;
	if (write(vr->kick_fd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

unsigned vf_vring_used_pending(const struct vf_vring *vr)
{
	return (uint16_t)(load_acquire16(&vr->used->idx) - vr->last_used);
}

int vf_vring_get_used(struct vf_vring *vr, uint32_t *id, uint32_t *len, void **cookie)
{
	struct vring_used_elem *e;
	uint16_t h, last;
	unsigned k;

	if (!vf_vring_used_pending(vr)) /* acquire: the element is read after the index */
		return -EAGAIN;
	e = &vr->used->ring[vr->last_used & (vr->num - 1)];
	*id = le32toh(__atomic_load_n(&e->id, __ATOMIC_RELAXED));
	*len = le32toh(__atomic_load_n(&e->len, __ATOMIC_RELAXED));
	vr->last_used++;
	if (cookie)
		*cookie = NULL;
	if (*id >= vr->num)
		return -EBADMSG;
	h = (uint16_t)*id;
	if (cookie)
		*cookie = vr->heads[h].cookie;
	if (vr->heads[h].ndesc) {
		last = h;
		for (k = 1; k < vr->heads[h].ndesc; k++)
			last = le16toh(vr->desc[last].next);
		vr->desc[last].next = htole16(vr->free_head);
		vr->free_head = h;
		vr->num_free = (uint16_t)(vr->num_free + vr->heads[h].ndesc);
		vr->heads[h].ndesc = 0;
		vr->heads[h].cookie = NULL;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vf_vring_wait_call(struct vf_vring *vr, int timeout_ms)
{
	struct pollfd pfd = {.fd = vr->call_fd, .events = POLLIN};
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	uint64_t cnt;
	int n, left;

	for (;;) {
		left = deadline < 0 ? -1 : (int)(deadline - now_ms());
		if (deadline >= 0 && left < 0)
			left = 0;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		if (read(vr->call_fd, &cnt, sizeof(cnt)) == sizeof(cnt))
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

int vf_vring_wait_used(struct vf_vring *vr, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int left, err;

	for (;;) {
		if (vf_vring_used_pending(vr))
			return 0;
		if (vr->event_idx) {
			/* Ask for a signal on the next entry, then re-check (lost wakeup). */
			store16(vf_vring_used_event(vr), vr->last_used);
			mb();
			if (vf_vring_used_pending(vr))
				return 0;
		}
		left = deadline < 0 ? -1 : (int)(deadline - now_ms());
		if (deadline >= 0 && left <= 0)
			return -ETIMEDOUT;
		/* No polling fallback: an entry the device never signals is a timeout, as a guest
		 * sleeping on its interrupt would see it. */
		err = vf_vring_wait_call(vr, left);
		if (err)
			return err;
	}
}
