// SPDX-License-Identifier: MIT
/*
 * Guest memory table: mapping, translation bounds, adjacent regions, add/remove,
 * the mapping cap; guest_fault: SIGBUS on guest memory contained to a guarded call.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest_fault.h"
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

/* Whether [p, p + len) is mapped in this process (mincore fails with ENOMEM if not). */
static bool is_mapped(void *p, size_t len)
{
	unsigned char vec[4];

	assert_true(len <= 4 * PAGE);
	return mincore(p, len, vec) == 0;
}

/* A refused table replaces the old one with nothing (issue 10 item 13). */
static void test_bad_tables_drop_old(void **state)
{
	struct vu_mem mem = {0};
	struct vhost_user_mem_region good = region(0, PAGE, 0x1000000, 0);
	struct vhost_user_mem_region bad[2] = {region(0, PAGE, 0x1000000, 0),
					       region(0, 0, 0x2000000, 0)};
	struct vhost_user_mem_region wrap = region(UINT64_MAX - 10, PAGE, 0x1000000, 0);
	struct vhost_user_mem_region past_eof = region(0, 2 * PAGE, 0x1000000, 0);
	int fd = make_fd(1);
	int fds2[2] = {dup(fd), dup(fd)}, fds3[1] = {dup(fd)};
	struct {
		const struct vhost_user_mem_region *r;
		unsigned n;
		int *fds;
	} cases[] = {{bad, 2, fds2}, {&wrap, 1, fds3}, {&past_eof, 1, (int[]){dup(fd)}}};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fds1[1] = {dup(fd)};
		void *old;

		assert_int_equal(vu_mem_set_table(&mem, &good, 1, fds1), 0);
		old = vu_mem_gpa_to_hva(&mem, 0, PAGE);
		assert_non_null(old);
		assert_int_equal(vu_mem_set_table(&mem, cases[i].r, cases[i].n, cases[i].fds),
				 -EINVAL);
		assert_int_equal(mem.n, 0);
		assert_null(vu_mem_gpa_to_hva(&mem, 0, 1));
		assert_int_equal(vu_mem_read(&mem, 0, &(uint8_t){0}, 1), -EFAULT);
		assert_false(is_mapped(old, PAGE));
		/* fds passed in were closed in every case. */
		assert_int_equal(fcntl(cases[i].fds[0], F_GETFD), -1);
	}
	vu_mem_clear(&mem);
	close(fd);
}

/* The cap counts what is mapped: mmap_offset + size per region (issue 10 item 3). */
static void test_mapping_cap(void **state)
{
	struct vu_mem mem = {.max_mapped = 4 * PAGE};
	int fd = make_fd(8);
	struct vhost_user_mem_region five = region(0, 5 * PAGE, 0x1000000, 0);
	struct vhost_user_mem_region four[2] = {region(0, 2 * PAGE, 0x1000000, 0),
						region(0x100000, PAGE, 0x2000000, PAGE)};
	struct vhost_user_mem_region one = region(0x200000, PAGE, 0x3000000, 0);
	struct vhost_user_mem_region offset = region(0x200000, PAGE, 0x3000000, 2 * PAGE);
	struct vhost_user_mem_region huge = region(0x300000, 1ull << 50, 0x4000000, 0);

	assert_int_equal(vu_mem_limit(&mem), 4 * PAGE);
	assert_int_equal(vu_mem_set_table(&mem, &five, 1, (int[]){dup(fd)}), -E2BIG);
	assert_int_equal(mem.n, 0);
	/* 2 pages + (1 page at offset 1 page) = 4 pages mapped: exactly the cap. */
	assert_int_equal(vu_mem_set_table(&mem, four, 2, (int[]){dup(fd), dup(fd)}), 0);
	assert_int_equal(mem.n, 2);
	assert_int_equal(vu_mem_add(&mem, &one, dup(fd)), -E2BIG);
	assert_int_equal(vu_mem_add(&mem, &huge, dup(fd)), -E2BIG);
	assert_int_equal(mem.n, 2);
	assert_non_null(vu_mem_gpa_to_hva(&mem, 0x100000, PAGE)); /* kept */
	/* Removing a region makes room; its offset counts (3 pages mapped for 1). */
	assert_int_equal(vu_mem_remove(&mem, &four[0]), 0);
	assert_int_equal(vu_mem_add(&mem, &offset, dup(fd)), -E2BIG);
	assert_int_equal(vu_mem_add(&mem, &one, dup(fd)), 0);
	/* The cap survives a table change and a clear. */
	vu_mem_clear(&mem);
	assert_int_equal(vu_mem_limit(&mem), 4 * PAGE);
	assert_int_equal(vu_mem_set_table(&mem, &five, 1, (int[]){dup(fd)}), -E2BIG);
	close(fd);
}

/* Unset, the cap is 1 TiB: two sparse 512 GiB regions fit, a third page does not. */
static void test_default_cap(void **state)
{
	struct vu_mem mem = {0};
	int fd = memfd_create("test-sparse", MFD_CLOEXEC);
	const uint64_t half = 512ull << 30;
	struct vhost_user_mem_region a = region(0, half, 0x100000000000ull, 0);
	struct vhost_user_mem_region b = region(half, half, 0x200000000000ull, 0);
	struct vhost_user_mem_region c = region(2 * half, PAGE, 0x300000000000ull, 0);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)half), 0);
	assert_int_equal(vu_mem_limit(&mem), VU_MEM_DEFAULT_MAX_MAPPED);
	assert_int_equal(VU_MEM_DEFAULT_MAX_MAPPED, 1ull << 40);
	assert_int_equal(vu_mem_add(&mem, &a, dup(fd)), 0);
	assert_int_equal(vu_mem_add(&mem, &b, dup(fd)), 0);
	assert_int_equal(vu_mem_add(&mem, &c, dup(fd)), -E2BIG);
	vu_mem_clear(&mem);
	close(fd);
}

/* ---- guest_fault: SIGBUS on guest memory ends the guarded call, nothing else ---- */

struct read_args {
	const struct vu_mem *mem;
	uint64_t gpa;
	int nested; /* run the read inside a second guard */
	int inner_ret;
};

static int read_byte(void *arg)
{
	struct read_args *a = arg;
	uint8_t b;

	if (a->nested) {
		struct read_args inner = *a;
		uint64_t gpa = 0;
		int ret;

		inner.nested = 0;
		a->inner_ret = guest_fault_run(a->mem, read_byte, &inner, &ret, &gpa);
		/* The inner guard caught it; this one goes on. */
		return a->inner_ret == -EFAULT && gpa == a->gpa ? 7 : -1;
	}
	return vu_mem_read(a->mem, a->gpa, &b, 1) == 0 ? b : -1;
}

/* A table of one 4-page region at gpa 0x10000, file offset 1 page, from a 5-page memfd. */
static int map_table(struct vu_mem *mem)
{
	int fd = make_fd(5);
	struct vhost_user_mem_region r = region(0x10000, 4 * PAGE, 0x7f0000000000ull, PAGE);

	assert_int_equal(vu_mem_set_table(mem, &r, 1, (int[]){dup(fd)}), 0);
	return fd;
}

static void test_fault_is_contained(void **state)
{
	struct vu_mem mem = {0};
	int fd = map_table(&mem), ret = -1;
	struct read_args a = {.mem = &mem, .gpa = 0x10000 + 3 * PAGE + 5};
	uint64_t gpa = 0;

	assert_int_equal(guest_fault_install(), 0);
	/* Before the truncation: fn runs and its result comes back. */
	assert_int_equal(guest_fault_run(&mem, read_byte, &a, &ret, &gpa), 0);
	assert_int_equal(ret, (uint8_t)(4 * PAGE + 5));
	/* Cut the file in the middle of the region's last page. */
	assert_int_equal(ftruncate(fd, 4 * PAGE), 0);
	for (int round = 0; round < 3; round++) {
		/* Again and again: SIGBUS must be unblocked after each jump. */
		gpa = 0;
		assert_int_equal(guest_fault_run(&mem, read_byte, &a, &ret, &gpa), -EFAULT);
		assert_int_equal(gpa, a.gpa);
	}
	/* Pages still in the file read fine; nested guards: the inner one catches. */
	a.gpa = 0x10000 + 2 * PAGE;
	assert_int_equal(guest_fault_run(&mem, read_byte, &a, &ret, NULL), 0);
	assert_int_equal(ret, (uint8_t)(3 * PAGE));
	a.gpa = 0x10000 + 3 * PAGE;
	a.nested = 1;
	assert_int_equal(guest_fault_run(&mem, read_byte, &a, &ret, NULL), 0);
	assert_int_equal(ret, 7);
	assert_int_equal(a.inner_ret, -EFAULT);
	vu_mem_clear(&mem);
	close(fd);
}

static int touch(void *p)
{
	return *(volatile uint8_t *)p;
}

/*
 * Runs how(mem, other) in a child with SIGBUS at its default action before
 * guest_fault_install; returns the child's wait status. `other` is a page
 * mapped from a truncated file that is not guest memory.
 */
static int child_status(void (*how)(struct vu_mem *mem, void *other))
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		struct vu_mem mem = {0};
		int fd = map_table(&mem), ofd = make_fd(1);
		void *other = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ofd, 0);

		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGBUS, SIG_DFL); /* not a sanitizer's report: a plain death */
		if (other == MAP_FAILED || guest_fault_install() || ftruncate(fd, 0) ||
		    ftruncate(ofd, 0))
			_exit(3);
		how(&mem, other);
		_exit(0); /* survived: the test fails */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* A fault on guest memory outside any guarded call. */
static void unguarded(struct vu_mem *mem, void *other)
{
	uint8_t b;

	vu_mem_read(mem, 0x10000, &b, 1);
}

/* A fault inside a guarded call, on memory that is not that table's. */
static void guarded_elsewhere(struct vu_mem *mem, void *other)
{
	int ret;

	guest_fault_run(mem, touch, other, &ret, NULL);
}

/* Guarded, on the table's memory, but sent by kill rather than raised by an access. */
static int send_bus(void *arg)
{
	return raise(SIGBUS);
}

static void guarded_kill(struct vu_mem *mem, void *other)
{
	int ret;

	guest_fault_run(mem, send_bus, NULL, &ret, NULL);
}

static void contained(struct vu_mem *mem, void *other)
{
	int ret;
	struct read_args a = {.mem = mem, .gpa = 0x10000};

	if (guest_fault_run(mem, read_byte, &a, &ret, NULL) != -EFAULT)
		_exit(4);
}

static void test_other_faults_still_kill(void **state)
{
	int st;

	st = child_status(contained);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = child_status(unguarded);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
	st = child_status(guarded_elsewhere);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
	st = child_status(guarded_kill);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate_bounds),
		cmocka_unit_test(test_adjacent_regions_copy),
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_bad_tables_drop_old),
		cmocka_unit_test(test_mapping_cap),
		cmocka_unit_test(test_default_cap),
		cmocka_unit_test(test_fault_is_contained),
		cmocka_unit_test(test_other_faults_still_kill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
