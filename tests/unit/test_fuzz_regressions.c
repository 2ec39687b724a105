// SPDX-License-Identifier: MIT
/*
 * Regression tests for bugs found by the fuzzers (fuzz/RESULTS.md), in the
 * normal build: one vu_dev fed messages through vu_dev_dispatch, as a
 * hostile VMM would send them. The fuzz inputs that found them are replayed
 * by the fuzz smoke (fuzz/regressions/); these tests pin the behaviour
 * without depending on how the fix is made.
 *
 * F1 (NULL + 0 in virtio_i2c.c on a fresh queue) is only visible to clang's
 * UBSan, so it lives in fuzz/regressions/virtq/ alone.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "i2c_bus.h"
#include "proto.h"
#include "vhost_user.h"

#define FILE_SIZE (64u * 1024)
#define UVA	  0x7f0000000000ull
#define FEATURES  0x170000001ull /* VERSION_1 | bit 30 | EVENT_IDX | INDIRECT | ZERO_LENGTH */

struct fixture {
	struct vu_dev dev;
	struct i2c_bus *bus;
	int vmm; /* our end of the socket */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->bus = i2c_bus_new();
	assert_non_null(f->bus);
	vu_dev_init(&f->dev, "regress", sv[0], f->bus);
	f->vmm = sv[1];
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vu_dev_cleanup(&f->dev);
	close(f->vmm);
	i2c_bus_free(f->bus);
	free(f);
	return 0;
}

static int send_msg(struct fixture *f, uint32_t request, uint32_t flags, const void *payload,
		    uint32_t size, int fd)
{
	struct vhost_user_hdr hdr = {.request = request, .flags = flags, .size = size};
	int fds[1] = {fd};

	return vu_dev_dispatch(&f->dev, &hdr, payload, fds, fd >= 0 ? 1 : 0);
}

/* Reads the REPLY_ACK of the last message: 0 = accepted. */
static uint64_t read_ack(struct fixture *f, uint32_t request)
{
	struct {
		struct vhost_user_hdr hdr;
		uint64_t ack;
	} __attribute__((packed)) reply;

	assert_int_equal(recv(f->vmm, &reply, sizeof(reply), MSG_DONTWAIT), sizeof(reply));
	assert_int_equal(reply.hdr.request, request);
	assert_int_equal(reply.hdr.flags, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK);
	assert_int_equal(reply.hdr.size, sizeof(uint64_t));
	return reply.ack;
}

static int guest_ram(void)
{
	int fd = memfd_create("regress-guest", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, FILE_SIZE), 0);
	return fd;
}

/*
 * SET_MEM_TABLE with one region; returns its REPLY_ACK (0 accepted), or 2 if
 * the daemon closed the connection over it (also a correct refusal).
 */
static uint64_t mem_table(struct fixture *f, uint64_t size, uint64_t mmap_offset)
{
	struct vhost_user_mem_table t = {
		.nregions = 1,
		.regions = {{.guest_phys_addr = 0,
			     .memory_size = size,
			     .userspace_addr = UVA,
			     .mmap_offset = mmap_offset}},
	};
	uint64_t features = FEATURES;

	assert_int_equal(send_msg(f, VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, &features,
				  sizeof(features), -1),
			 0);
	if (send_msg(f, VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK,
		     &t, offsetof(struct vhost_user_mem_table, regions) + sizeof(t.regions[0]),
		     guest_ram()) < 0)
		return 2;
	return read_ack(f, VHOST_USER_SET_MEM_TABLE);
}

/* SET_VRING_NUM 8 then SET_VRING_ADDR; returns what dispatch returned for the address. */
static int set_rings(struct fixture *f, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct vhost_user_vring_state num = {.index = 0, .num = 8};
	struct vhost_user_vring_addr addr = {.index = 0,
					     .desc_user_addr = desc,
					     .avail_user_addr = avail,
					     .used_user_addr = used};

	assert_int_equal(
		send_msg(f, VHOST_USER_SET_VRING_NUM, VHOST_USER_VERSION, &num, sizeof(num), -1),
		0);
	return send_msg(f, VHOST_USER_SET_VRING_ADDR, VHOST_USER_VERSION, &addr, sizeof(addr), -1);
}

/*
 * F2: a region declared larger than the file behind it. The daemon must not
 * accept memory it cannot back: before the fix, rings placed past the end of
 * the 64 KiB file (inside the 1 MiB region) killed the process with SIGBUS.
 */
static void test_f2_region_larger_than_file(void **state)
{
	struct fixture *f = *state;
	uint64_t ack = mem_table(f, 16 * FILE_SIZE, 0);

	assert_int_not_equal(ack, 0);
	if (ack == 2)
		return;
	/* The table was refused: no guest memory, so rings there are refused too. */
	assert_true(set_rings(f, UVA + 8 * FILE_SIZE, UVA + 8 * FILE_SIZE + 0x100,
			      UVA + 8 * FILE_SIZE + 0x200) < 0);
}

/* The same with the mapping offset pushing a right-sized region past the end. */
static void test_f2_offset_past_end_of_file(void **state)
{
	struct fixture *f = *state;

	assert_int_not_equal(mem_table(f, FILE_SIZE, 4096), 0);
}

/* A region that fits its file is still fine (the fix must not refuse QEMU's tables). */
static void test_f2_region_that_fits(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mem_table(f, FILE_SIZE - 4096, 4096), 0);
	assert_int_equal(set_rings(f, UVA, UVA + 0x100, UVA + 0x200), 0);
}

/*
 * F3: virtio requires the descriptor table, avail and used rings aligned to
 * 16, 2 and 4 bytes; the daemon accessed a misaligned used ring through a
 * struct pointer (undefined behaviour). Such rings must be refused.
 */
static void test_f3_misaligned_rings(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mem_table(f, FILE_SIZE, 0), 0);
	assert_true(set_rings(f, UVA, UVA + 0x100, UVA + 0x201) < 0);
}

static void test_f3_misaligned_desc(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mem_table(f, FILE_SIZE, 0), 0);
	assert_true(set_rings(f, UVA + 8, UVA + 0x100, UVA + 0x200) < 0);
}

static void test_f3_misaligned_avail(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mem_table(f, FILE_SIZE, 0), 0);
	assert_true(set_rings(f, UVA, UVA + 0x101, UVA + 0x200) < 0);
}

/* Aligned addresses, but the region is mapped at an odd offset of its file. */
static void test_f3_odd_mmap_offset(void **state)
{
	struct fixture *f = *state;
	uint64_t ack = mem_table(f, FILE_SIZE - 4096, 1);

	if (ack)
		return; /* refusing such a region is one correct fix */
	assert_true(set_rings(f, UVA, UVA + 0x100, UVA + 0x200) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_f2_region_larger_than_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_f2_offset_past_end_of_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_f2_region_that_fits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_f3_misaligned_rings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_f3_misaligned_desc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_f3_misaligned_avail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_f3_odd_mmap_offset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
