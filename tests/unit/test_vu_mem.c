// SPDX-License-Identifier: MIT
/* Guest memory table: mapping, translation bounds, adjacent regions, add/remove. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "vu_mem.h"

#define PAGE 4096ull

/* A memfd of `pages` pages whose byte i is (uint8_t)i. */
static int make_fd(unsigned pages)
{
	int fd = memfd_create("test-guest-ram", MFD_CLOEXEC);
	uint8_t buf[PAGE];

	assert_true(fd >= 0);
	for (unsigned p = 0; p < pages; p++) {
		for (unsigned i = 0; i < PAGE; i++)
			buf[i] = (uint8_t)(p * PAGE + i);
		assert_int_equal(write(fd, buf, PAGE), PAGE);
	}
	return fd;
}

static struct vhost_user_mem_region region(uint64_t gpa, uint64_t size, uint64_t uva,
					   uint64_t off)
{
	return (struct vhost_user_mem_region){
		.guest_phys_addr = gpa, .memory_size = size, .userspace_addr = uva, .mmap_offset = off};
}

static void test_translate_bounds(void **state)
{
	struct vu_mem mem = {0};
	struct vhost_user_mem_region r = region(0x10000, 2 * PAGE, 0x7f0000000000ull, PAGE);
	int fds[1] = {make_fd(3)};
	uint8_t *p;

	assert_int_equal(vu_mem_set_table(&mem, &r, 1, fds), 0);
	/* The region starts at file offset PAGE: first byte is (uint8_t)PAGE = 0. */
	p = vu_mem_gpa_to_hva(&mem, 0x10000, 1);
	assert_non_null(p);
	assert_int_equal(p[0], (uint8_t)PAGE);
	p = vu_mem_gpa_to_hva(&mem, 0x10001, 1);
	assert_int_equal(p[0], (uint8_t)(PAGE + 1));
	/* Last byte in, one past out, range straddling the end out, overflow out. */
	assert_non_null(vu_mem_gpa_to_hva(&mem, 0x10000 + 2 * PAGE - 1, 1));
	assert_null(vu_mem_gpa_to_hva(&mem, 0x10000 + 2 * PAGE, 1));
	assert_null(vu_mem_gpa_to_hva(&mem, 0x10000 + PAGE, PAGE + 1));
	assert_null(vu_mem_gpa_to_hva(&mem, 0x10000, UINT64_MAX));
	assert_null(vu_mem_gpa_to_hva(&mem, UINT64_MAX, 2));
	assert_null(vu_mem_gpa_to_hva(&mem, 0xffff, 1));
	/* VMM virtual addresses translate to the same bytes. */
	assert_ptr_equal(vu_mem_uva_to_hva(&mem, 0x7f0000000000ull + 5, 4),
			 vu_mem_gpa_to_hva(&mem, 0x10005, 4));
	assert_null(vu_mem_uva_to_hva(&mem, 0x7f0000000000ull + 2 * PAGE - 2, 3));
	vu_mem_clear(&mem);
	assert_int_equal(mem.n, 0);
}

static void test_adjacent_regions_copy(void **state)
{
	struct vu_mem mem = {0};
	int fd = make_fd(4);
	/* Two regions sharing one fd, adjacent in guest-physical space. */
	struct vhost_user_mem_region r[2] = {region(0, PAGE, 0x1000000, 0),
					     region(PAGE, PAGE, 0x2000000, 2 * PAGE)};
	int fds[2] = {fd, dup(fd)};
	uint8_t buf[8], out[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	assert_int_equal(vu_mem_set_table(&mem, r, 2, fds), 0);
	assert_int_equal(vu_mem_check(&mem, PAGE - 4, 8), 0);
	assert_null(vu_mem_gpa_to_hva(&mem, PAGE - 4, 8)); /* not one region */
	assert_int_equal(vu_mem_read(&mem, PAGE - 4, buf, 8), 0);
	/* Bytes PAGE-4..PAGE-1 of file page 0, then bytes 0..3 of file page 2. */
	assert_int_equal(buf[0], (uint8_t)(PAGE - 4));
	assert_int_equal(buf[3], (uint8_t)(PAGE - 1));
	assert_int_equal(buf[4], (uint8_t)(2 * PAGE));
	assert_int_equal(buf[7], (uint8_t)(2 * PAGE + 3));
	assert_int_equal(vu_mem_write(&mem, PAGE - 4, out, 8), 0);
	assert_int_equal(vu_mem_read(&mem, PAGE - 4, buf, 8), 0);
	assert_memory_equal(buf, out, 8);
	/* Past the end of the second region: nothing is written. */
	assert_int_equal(vu_mem_write(&mem, 2 * PAGE - 4, out, 8), -EFAULT);
	assert_int_equal(vu_mem_read(&mem, 2 * PAGE - 4, buf, 4), 0);
	assert_memory_not_equal(buf, out, 4);
	assert_int_equal(vu_mem_check(&mem, 2 * PAGE, 1), -EFAULT);
	vu_mem_clear(&mem);
}

static void test_add_remove(void **state)
{
	struct vu_mem mem = {0};
	struct vhost_user_mem_region a = region(0, PAGE, 0x1000000, 0);
	struct vhost_user_mem_region b = region(0x100000000ull, PAGE, 0x2000000, PAGE);
	struct vhost_user_mem_region overlap = region(PAGE / 2, PAGE, 0x3000000, 0);
	int fd = make_fd(2);

	assert_int_equal(vu_mem_add(&mem, &a, dup(fd)), 0);
	assert_int_equal(vu_mem_add(&mem, &b, dup(fd)), 0);
	assert_int_equal(vu_mem_add(&mem, &overlap, dup(fd)), -EINVAL);
	assert_int_equal(mem.n, 2);
	assert_non_null(vu_mem_gpa_to_hva(&mem, 0x100000000ull, 1));
	/* Removal matches gpa, size and uva exactly. */
	b.userspace_addr++;
	assert_int_equal(vu_mem_remove(&mem, &b), -ENOENT);
	b.userspace_addr--;
	assert_int_equal(vu_mem_remove(&mem, &b), 0);
	assert_null(vu_mem_gpa_to_hva(&mem, 0x100000000ull, 1));
	assert_non_null(vu_mem_gpa_to_hva(&mem, 0, 1));
	vu_mem_clear(&mem);
	close(fd);
}

static void test_bad_tables_keep_old(void **state)
{
	struct vu_mem mem = {0};
	struct vhost_user_mem_region good = region(0, PAGE, 0x1000000, 0);
	struct vhost_user_mem_region bad[2] = {region(0, PAGE, 0x1000000, 0),
					       region(0, 0, 0x2000000, 0)};
	struct vhost_user_mem_region wrap = region(UINT64_MAX - 10, PAGE, 0x1000000, 0);
	int fd = make_fd(1);
	int fds1[1] = {dup(fd)}, fds2[2] = {dup(fd), dup(fd)}, fds3[1] = {dup(fd)};

	assert_int_equal(vu_mem_set_table(&mem, &good, 1, fds1), 0);
	assert_int_equal(vu_mem_set_table(&mem, bad, 2, fds2), -EINVAL);
	assert_int_equal(vu_mem_set_table(&mem, &wrap, 1, fds3), -EINVAL);
	assert_int_equal(mem.n, 1);
	assert_non_null(vu_mem_gpa_to_hva(&mem, 0, PAGE));
	/* fds passed in were closed in every case. */
	assert_int_equal(fcntl(fds2[0], F_GETFD), -1);
	assert_int_equal(fcntl(fds3[0], F_GETFD), -1);
	vu_mem_clear(&mem);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate_bounds),
		cmocka_unit_test(test_adjacent_regions_copy),
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_bad_tables_keep_old),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
