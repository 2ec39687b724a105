// SPDX-License-Identifier: MIT
#include "virtq.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fd.h"
#include "log.h"

#define mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

static inline uint16_t load_le16(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline void store_le16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

void virtq_init(struct virtq *vq, const char *name)
{
	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = -1;
	vq->call_fd = -1;
	vq->name = name;
}

void virtq_release(struct virtq *vq)
{
	fd_close(&vq->kick_fd);
	fd_close(&vq->call_fd);
	virtq_init(vq, vq->name);
}

void virtq_set_features(struct virtq *vq, bool event_idx, bool indirect)
{
	vq->event_idx = event_idx;
	vq->indirect = indirect;
}

static bool overlap(const void *a, uint64_t alen, const void *b, uint64_t blen)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	return x < y + blen && y < x + alen;
}

/*
 * Translates the ring addresses through mem and checks sizes and alignment.
 * Returns 0, -EFAULT (not inside guest memory) or -EINVAL (misaligned or
 * overlapping rings).
 */
static int virtq_map(struct virtq *vq, const struct vu_mem *mem)
{
	int ret = 0;

	if (!vq->addr_set || !vq->num)
		return -EFAULT;
	vq->desc = vu_mem_uva_to_hva(mem, vq->desc_uva, vring_desc_size(vq->num));
	vq->avail = vu_mem_uva_to_hva(mem, vq->avail_uva, vring_avail_size(vq->num));
	vq->used = vu_mem_uva_to_hva(mem, vq->used_uva, vring_used_size(vq->num));
	if (!vq->desc || !vq->avail || !vq->used)
		ret = -EFAULT;
	/* virtio 1.2 §2.7: 16-, 2- and 4-byte alignment; we access the fields in place. */
	else if ((uintptr_t)vq->desc % 16 || (uintptr_t)vq->avail % 2 || (uintptr_t)vq->used % 4)
		ret = -EINVAL;
	/* Overlapping rings would let the device's own writes look like guest requests. */
	else if (overlap(vq->desc, vring_desc_size(vq->num), vq->avail,
			 vring_avail_size(vq->num)) ||
		 overlap(vq->desc, vring_desc_size(vq->num), vq->used, vring_used_size(vq->num)) ||
		 overlap(vq->avail, vring_avail_size(vq->num), vq->used, vring_used_size(vq->num)))
		ret = -EINVAL;
	if (ret) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
	}
	return ret;
}

/* Loads used_idx from the ring (on start, as the VMM may have restored it). */
static void virtq_sync_used(struct virtq *vq)
{
	vq->used_idx = load_le16(&vq->used->idx);
	vq->signalled_used_valid = false;
}

int virtq_set_num(struct virtq *vq, const struct vu_mem *mem, unsigned num)
{
	if (num == 0 || num > VIRTQ_MAX_SIZE || (num & (num - 1)))
		return -ERANGE;
	if (vq->started)
		return -EBUSY;
	vq->kick_gen++;
	vq->num = num;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	return vq->addr_set ? virtq_map(vq, mem) : 0;
}

int virtq_set_base(struct virtq *vq, uint16_t base)
{
	if (vq->started)
		return -EBUSY;
	vq->last_avail = base;
	vq->avail_idx = base;
	return 0;
}

int virtq_set_addr(struct virtq *vq, const struct vu_mem *mem, uint64_t desc, uint64_t avail,
		   uint64_t used)
{
	int ret;

	vq->kick_gen++;
	if (!vq->num)
		return -EINVAL;
	vq->desc_uva = desc;
	vq->avail_uva = avail;
	vq->used_uva = used;
	vq->addr_set = true;
	ret = virtq_map(vq, mem);
	if (ret) {
		vq->addr_set = false;
		return ret;
	}
	virtq_sync_used(vq);
	return 0;
}

int virtq_remap(struct virtq *vq, const struct vu_mem *mem)
{
	vq->kick_gen++;
	if (!vq->addr_set)
		return 0;
	return virtq_map(vq, mem);
}

void virtq_start(struct virtq *vq, int kick_fd)
{
	vq->kick_gen++;
	fd_close(&vq->kick_fd);
	vq->kick_fd = kick_fd;
	if (kick_fd >= 0)
		fd_set_nonblocking(kick_fd);
	vq->started = true;
	vq->broken = false;
	vq->held = 0;
	vq->held_descs = 0;
	if (vq->desc)
		virtq_sync_used(vq);
}

uint16_t virtq_stop(struct virtq *vq)
{
	vq->kick_gen++;
	virtq_unpop_held(vq);
	vq->started = false;
	vq->broken = false;
	fd_close(&vq->kick_fd);
	return vq->last_avail;
}

void virtq_enable(struct virtq *vq, bool enabled)
{
	vq->kick_gen++;
	vq->enabled = enabled;
}

bool virtq_running(const struct virtq *vq)
{
	return vq->started && vq->enabled && vq->desc && !vq->broken;
}

int virtq_kick_fd(const struct virtq *vq)
{
	return virtq_running(vq) ? vq->kick_fd : -1;
}

int virtq_consume_kick(struct virtq *vq)
{
	uint64_t v;
	ssize_t n;

	if (vq->kick_fd < 0)
		return 0;
	do {
		n = read(vq->kick_fd, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(v))
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	/* Checked to be an eventfd on arrival, so this is not expected: never spin on it. */
	return n < 0 ? -errno : -EIO;
}

void virtq_unpop_held(struct virtq *vq)
{
	vq->last_avail = (uint16_t)(vq->last_avail - vq->held);
	vq->held = 0;
	vq->held_descs = 0;
}

bool virtq_full(const struct virtq *vq)
{
	/* The smallest request takes one descriptor with an indirect table, else two. */
	unsigned smallest = vq->indirect ? 1 : 2;

	return vq->num - vq->held_descs < smallest;
}

int virtq_break(struct virtq *vq, const char *why, unsigned value)
{
	vq->kick_gen++;
	if (!vq->broken)
		log_err("%s: virtqueue stopped: %s (%u); waiting for the guest to reset it",
			vq->name, why, value);
	vq->broken = true;
	return -EINVAL;
}

static void elem_add(struct virtq_elem *elem, const struct vu_mem *mem, uint64_t gpa, uint32_t len,
		     bool writable)
{
	struct virtq_seg seg = {.gpa = gpa, .len = len};

	if (len == 0)
		return;
	if (vu_mem_check(mem, gpa, len))
		elem->bad = true;
	if (writable) {
		if (elem->n_in < VIRTQ_ELEM_MAX_SEGS)
			elem->in[elem->n_in++] = seg;
		else
			elem->bad = true;
		elem->in_len += len;
		elem->last_in = seg;
	} else {
		/* The spec puts every readable piece before the writable ones. */
		if (elem->in_len)
			elem->bad = true;
		if (elem->n_out < VIRTQ_ELEM_MAX_SEGS)
			elem->out[elem->n_out++] = seg;
		else
			elem->bad = true;
		elem->out_len += len;
	}
}

int virtq_pop(struct virtq *vq, const struct vu_mem *mem, struct virtq_elem *elem)
{
	uint64_t table_gpa = 0;
	unsigned max, count = 0, i;
	bool in_table = false;
	uint16_t head;

	if (vq->broken)
		return -EINVAL;
	if (vq->last_avail == vq->avail_idx) {
		vq->avail_idx = load_le16(&vq->avail->idx);
		if ((uint16_t)(vq->avail_idx - vq->last_avail) > vq->num)
			return virtq_break(
				vq, "guest made more requests available than the queue holds",
				(uint16_t)(vq->avail_idx - vq->last_avail));
		if (vq->last_avail == vq->avail_idx)
			return 0;
	}
	/* Read the ring entry only after seeing the index that covers it. */
	rmb();
	head = load_le16(&vq->avail->ring[vq->last_avail % vq->num]);
	if (head >= vq->num)
		return virtq_break(vq, "descriptor head out of range", head);
	vq->last_avail++;

	memset(elem, 0, sizeof(*elem));
	elem->head = head;
	max = vq->num;
	i = head;
	for (;;) {
		struct vring_desc d;
		uint16_t flags;

		if (i >= max)
			return virtq_break(vq, "descriptor index out of range", i);
		if (++count > max)
			return virtq_break(vq, "descriptor chain loops or is longer than its table",
					   count);
		if (in_table) {
			if (vu_mem_read(mem, table_gpa + 16ull * i, &d, sizeof(d)))
				return virtq_break(vq, "indirect table outside guest memory", i);
		} else {
			memcpy(&d, &vq->desc[i], sizeof(d));
			elem->descs++;
		}
		flags = le16toh(d.flags);
		d.addr = le64toh(d.addr);
		d.len = le32toh(d.len);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return virtq_break(vq, "indirect descriptor not negotiated", i);
			if (in_table)
				return virtq_break(vq, "nested indirect descriptor", i);
			if (flags & VRING_DESC_F_NEXT)
				return virtq_break(vq, "indirect descriptor with NEXT", i);
			if (d.len == 0 || d.len % 16 || d.len / 16 > VIRTQ_INDIRECT_MAX)
				return virtq_break(vq, "bad indirect table length", d.len);
			if (vu_mem_check(mem, d.addr, d.len))
				return virtq_break(vq, "indirect table outside guest memory", i);
			in_table = true;
			table_gpa = d.addr;
			max = d.len / 16;
			count = 0;
			i = 0;
			continue;
		}
		elem_add(elem, mem, d.addr, d.len, flags & VRING_DESC_F_WRITE);
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = le16toh(d.next);
	}
	vq->held++;
	vq->held_descs += elem->descs;
	return 1;
}

/* Copies between a host buffer and a list of guest pieces at a byte offset. */
static int segs_copy(const struct virtq_seg *segs, unsigned n, const struct vu_mem *mem,
		     uint64_t offset, uint8_t *host, uint64_t len, bool to_guest)
{
	for (unsigned k = 0; k < n && len; k++) {
		uint64_t chunk;

		if (offset >= segs[k].len) {
			offset -= segs[k].len;
			continue;
		}
		chunk = segs[k].len - offset;
		if (chunk > len)
			chunk = len;
		if (to_guest ? vu_mem_write(mem, segs[k].gpa + offset, host, chunk)
			     : vu_mem_read(mem, segs[k].gpa + offset, host, chunk))
			return -EFAULT;
		host += chunk;
		len -= chunk;
		offset = 0;
	}
	return len ? -EFAULT : 0;
}

int virtq_elem_read(const struct virtq_elem *elem, const struct vu_mem *mem, uint64_t offset,
		    void *dst, uint64_t len)
{
	return segs_copy(elem->out, elem->n_out, mem, offset, dst, len, false);
}

int virtq_elem_write(const struct virtq_elem *elem, const struct vu_mem *mem, uint64_t offset,
		     const void *src, uint64_t len)
{
	return segs_copy(elem->in, elem->n_in, mem, offset, (uint8_t *)src, len, true);
}

void virtq_push(struct virtq *vq, const struct virtq_elem *elem, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx % vq->num];

	if (vq->held) {
		vq->held--;
		vq->held_descs -= elem->descs < vq->held_descs ? elem->descs : vq->held_descs;
	}
	/* Indices are free-running; only our shadow advances until flush. */
	e->id = htole32(elem->head);
	e->len = htole32(len);
	vq->used_idx++;
}

void virtq_flush(struct virtq *vq)
{
	/* Elements (and the data/status written before them) first, then the index. */
	wmb();
	store_le16(&vq->used->idx, vq->used_idx);
}

void virtq_notify(struct virtq *vq)
{
	bool need;

	/* The guest's flags/used_event must be read after our used->idx store is visible. */
	mb();
	if (vq->event_idx) {
		uint16_t old = vq->signalled_used, new = vq->used_idx;
		uint16_t used_event = load_le16(&vq->avail->ring[vq->num]);
		bool valid = vq->signalled_used_valid;

		vq->signalled_used = new;
		vq->signalled_used_valid = true;
		need = !valid || (uint16_t)(new - used_event - 1) < (uint16_t)(new - old);
	} else {
		need = !(load_le16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (!need)
		return;
	if (vq->call_fd >= 0)
		eventfd_write(vq->call_fd, 1);
	else
		vq->call_pending = true; /* QEMU sends SET_VRING_CALL after starting the ring */
}

void virtq_set_call_fd(struct virtq *vq, int fd)
{
	fd_close(&vq->call_fd);
	vq->call_fd = fd;
	/* A full counter must not block this thread: the write is then just dropped. */
	if (fd >= 0)
		fd_set_nonblocking(fd);
	if (fd >= 0 && vq->call_pending) {
		vq->call_pending = false;
		eventfd_write(fd, 1);
	}
}

bool virtq_enable_notify(struct virtq *vq)
{
	if (vq->event_idx)
		store_le16((uint16_t *)&vq->used->ring[vq->num], vq->last_avail); /* avail_event */
	else
		store_le16(&vq->used->flags, 0);
	/* Publish before re-reading avail->idx, or a kick sent in between is lost. */
	mb();
	return load_le16(&vq->avail->idx) != vq->last_avail;
}

void virtq_disable_notify(struct virtq *vq)
{
	/*
	 * With EVENT_IDX the guest kicks when its avail index passes avail_event:
	 * half the index space ahead, it never does until we move it back.
	 */
	if (vq->event_idx)
		store_le16((uint16_t *)&vq->used->ring[vq->num], (uint16_t)(vq->last_avail + 0x8000));
	else
		store_le16(&vq->used->flags, VRING_USED_F_NO_NOTIFY);
}

bool virtq_has_avail(struct virtq *vq)
{
	return le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE)) != vq->last_avail;
}
