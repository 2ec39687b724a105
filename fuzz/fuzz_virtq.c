// SPDX-License-Identifier: MIT
/*
 * Fuzz target: split virtqueue + virtio-i2c request processing over guest
 * memory and ring contents written by the fuzzer (virtq.h, virtio_i2c.h),
 * executed on a bus of emulated devices: stub@0x10, lm75@0x48, 24c02@0x50,
 * 24c32@0x54 (fresh each run, so runs are reproducible).
 *
 * Input: u8 config, u16 ring base (SET_VRING_BASE), then the image of guest
 * memory from guest-physical address 0 (the rest is zero).
 *   config bit 0: EVENT_IDX      bit 1: INDIRECT_DESC   bit 2: call fd set
 *   bit 3: memory in two regions (the second from 32 KiB on)
 *   bit 4: with bit 3, the second region at gpa 1 MiB instead (a hole)
 *   bits 5-7: queue size 2 << n (2..256)
 * The rings lie back to back at gpa 0: descriptor table, avail ring (with
 * used_event), used ring (4-aligned, with avail_event); guest buffers are
 * anywhere the descriptors say.
 *
 * Checked beyond memory safety: virtio_i2c_process returns 0 or -EINVAL,
 * -EINVAL exactly when the queue is broken; when it returns 0 the ring is
 * empty (last_avail == avail->idx), every chain taken went back to the used
 * ring and used->idx is published, the guest was signalled if it asked, and
 * a second call finds nothing to do.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emul.h"
#include "fuzz_util.h"
#include "i2c_bus.h"
#include "virtio_i2c.h"
#include "virtq.h"
#include "vu_mem.h"

#define GMEM_SIZE   (64u * 1024)
#define HALF	    (GMEM_SIZE / 2)
#define FAR_GPA	    0x100000ull
#define UVA_BASE    0x7f1200000000ull /* where the "VMM" has guest memory mapped */
#define CFG_EVENT   0x01
#define CFG_INDIR   0x02
#define CFG_CALL    0x04
#define CFG_SPLIT   0x08
#define CFG_FAR	    0x10
#define QSIZE_SHIFT 5

static uint8_t *gmem; /* the guest's view of the memfd */
static struct vu_mem mem_one, mem_split, mem_far;
static int call_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void set_table(struct vu_mem *mem, int memfd, bool split, uint64_t second_gpa)
{
	struct vhost_user_mem_region r[2] = {
		{.guest_phys_addr = 0,
		 .memory_size = split ? HALF : GMEM_SIZE,
		 .userspace_addr = UVA_BASE,
		 .mmap_offset = 0},
		{.guest_phys_addr = second_gpa,
		 .memory_size = HALF,
		 .userspace_addr = UVA_BASE + HALF,
		 .mmap_offset = HALF},
	};
	int fds[2] = {dup(memfd), dup(memfd)};

	/* vu_mem takes and closes the fds it was given; the second is unused when not split. */
	if (!split)
		close(fds[1]);
	if (fds[0] < 0 || vu_mem_set_table(mem, r, split ? 2 : 1, fds))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int memfd = memfd_create("fuzz-guest", MFD_CLOEXEC);

	fuzz_set_log_level();
	if (memfd < 0 || ftruncate(memfd, GMEM_SIZE))
		abort();
	gmem = mmap(NULL, GMEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (gmem == MAP_FAILED)
		abort();
	set_table(&mem_one, memfd, false, 0);
	set_table(&mem_split, memfd, true, HALF);
	set_table(&mem_far, memfd, true, FAR_GPA);
	close(memfd);
	call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (call_fd < 0)
		abort();
	return 0;
}

static struct i2c_bus *make_bus(void)
{
	static const struct cfg_emul specs[] = {
		{.model = EMUL_STUB, .addr = 0x10, .spec = "stub@0x10"},
		{.model = EMUL_LM75, .addr = 0x48, .spec = "lm75@0x48"}, /* 25 C */
		{.model = EMUL_24C02, .addr = 0x50, .spec = "24c02@0x50"},
		{.model = EMUL_24C32, .addr = 0x54, .spec = "24c32@0x54"},
	};
	struct i2c_bus *bus = i2c_bus_new();
	char err[256];

	FUZZ_CHECK(bus);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct emul_dev *dev = emul_create(&specs[i], err, sizeof(err));

		FUZZ_CHECK(dev && i2c_bus_add_emul(bus, dev) == 0);
	}
	return bus;
}

static uint16_t guest_le16(uint64_t off)
{
	uint16_t v;

	memcpy(&v, gmem + off, sizeof(v));
	return le16toh(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t cfg = fuzz_u8(&in);
	uint16_t base = fuzz_u16(&in), used0;
	unsigned num = 2u << (cfg >> QSIZE_SHIFT);
	uint64_t avail_off = vring_desc_size(num);
	uint64_t used_off = (avail_off + vring_avail_size(num) + 3) & ~3ull;
	const struct vu_mem *mem = &mem_one;
	struct virtio_i2c_queue q;
	struct i2c_bus *bus;
	struct virtq vq;
	eventfd_t signals = 0;
	int ret;

	if (cfg & CFG_SPLIT)
		mem = cfg & CFG_FAR ? &mem_far : &mem_split;
	memset(gmem, 0, GMEM_SIZE);
	fuzz_take(&in, gmem, fuzz_left(&in) < GMEM_SIZE ? fuzz_left(&in) : GMEM_SIZE);
	eventfd_read(call_fd, &signals); /* start from zero */

	/* What SET_VRING_NUM/ADDR/BASE/CALL/KICK do to the queue. */
	virtq_init(&vq, "fuzz");
	virtq_set_features(&vq, cfg & CFG_EVENT, cfg & CFG_INDIR);
	FUZZ_CHECK(virtq_set_num(&vq, mem, num) == 0);
	FUZZ_CHECK(virtq_set_base(&vq, base) == 0);
	FUZZ_CHECK(virtq_set_addr(&vq, mem, UVA_BASE, UVA_BASE + avail_off,
				  UVA_BASE + used_off) == 0);
	virtq_set_call_fd(&vq, cfg & CFG_CALL ? dup(call_fd) : -1);
	virtq_start(&vq, -1);
	virtq_enable(&vq, true);
	used0 = vq.used_idx;

	bus = make_bus();
	virtio_i2c_queue_init(&q, "fuzz");
	/* One ring's worth per call (1 = budget used up, call again): a static ring drains. */
	ret = virtio_i2c_process(&q, &vq, mem, bus, false);
	for (int round = 0; ret == 1 && round < 2; round++)
		ret = virtio_i2c_process(&q, &vq, mem, bus, false);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	FUZZ_CHECK((ret == -EINVAL) == vq.broken);
	if (ret == 0) {
		uint16_t answered = (uint16_t)(vq.used_idx - used0);
		bool want_signal;

		/* Drained; everything answered and published but a group still being gathered. */
		FUZZ_CHECK(vq.last_avail == guest_le16(avail_off + 2));
		FUZZ_CHECK(vq.held == q.held);
		FUZZ_CHECK((uint16_t)(answered + vq.held) == (uint16_t)(vq.last_avail - base));
		FUZZ_CHECK(guest_le16(used_off + 2) == vq.used_idx);
		/* Progress is signalled unless the guest suppressed it (EVENT_IDX: first time
		 * always). */
		want_signal = answered && (vq.event_idx ||
					   !(guest_le16(avail_off) & VRING_AVAIL_F_NO_INTERRUPT));
		if (want_signal) {
			if (cfg & CFG_CALL)
				FUZZ_CHECK(eventfd_read(call_fd, &signals) == 0 && signals > 0);
			else
				FUZZ_CHECK(vq.call_pending);
		}
		/* Nothing new: a second pass takes nothing. */
		FUZZ_CHECK(virtio_i2c_process(&q, &vq, mem, bus, false) == 0);
		FUZZ_CHECK(vq.used_idx == (uint16_t)(used0 + answered));
		/* Stopping gives a held group back. */
		virtio_i2c_queue_forget(&q, &vq);
		FUZZ_CHECK(virtq_stop(&vq) == (uint16_t)(base + answered));
	}
	virtio_i2c_queue_free(&q);
	virtq_release(&vq);
	i2c_bus_free(bus);
	return 0;
}
