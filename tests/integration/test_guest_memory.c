// SPDX-License-Identifier: MIT
/*
 * Guest memory the VMM controls (issue 10, items 2, 3 and 13): a VMM that
 * truncates its memory file loses its own connection, not the daemon; what
 * one connection may map is capped; a refused SET_MEM_TABLE leaves no table
 * (and no running queue) behind.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "test_assert.h"
#include "vu_frontend.h"

#define TMO	   3000
#define QUIET_MS   500
#define STUB	   0x20
#define PAGE	   4096ull
#define GIB	   (1ull << 30)
#define FLAGS	   VHOST_USER_VERSION
#define NEED_REPLY (VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK)
#define LOST_LINE  "closing connection: guest memory became inaccessible"

static char *std_args[] = {DAEMON_STD_DEVICES, NULL};

static int setup(void **state)
{
	return daemon_fx_start(state, 2, std_args);
}

static char *capped_args[] = {DAEMON_STD_DEVICES, "--max-guest-memory=64M", NULL};

static int setup_capped(void **state)
{
	return daemon_fx_start(state, 2, capped_args);
}

/* The stub at STUB answers a write + read-back of register reg on an open guest. */
static void assert_dev_serves(struct vf_dev *dev, uint8_t reg, uint8_t val)
{
	uint8_t w[2] = {reg, val}, r = (uint8_t)~val;

	assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
	assert_int_equal(vf_i2c_write_read(dev, STUB, w, 1, &r, 1), 0);
	assert_int_equal(r, val);
}

static void assert_socket_serves(struct daemon_fx *fx, unsigned idx, uint8_t val)
{
	struct vf_dev *dev = vf_dev_open(fx->paths[idx], NULL);

	if (!dev)
		printf("vf_dev_open(%s): %s\n", fx->paths[idx], strerror(errno));
	assert_non_null(dev);
	assert_dev_serves(dev, 0x10 + idx, val);
	vf_dev_destroy(dev);
}

/*
 * Puts a 2-byte stub write {reg, val} in the avail ring, not yet published
 * (vf_vring_publish) nor kicked. The data goes at data_gpa (0 = the head's
 * scratch area).
 */
static uint16_t queue_stub_write(struct vf_dev *dev, uint64_t data_gpa, uint8_t reg, uint8_t val)
{
	struct vf_vring *vr = &dev->vr;
	uint16_t head = vr->free_head;
	uint64_t hdr_gpa = vf_i2c_slot_hdr_gpa(dev, head);
	uint64_t status_gpa = vf_i2c_slot_status_gpa(dev, head);
	struct virtio_i2c_out_hdr *hdr = vf_mem_hva(dev->mem, hdr_gpa, sizeof(*hdr));
	uint8_t *data, *status = vf_mem_hva(dev->mem, status_gpa, 1);
	struct vf_sg sg[3];

	if (!data_gpa)
		data_gpa = vf_i2c_slot_scratch_gpa(dev, head);
	data = vf_mem_hva(dev->mem, data_gpa, 2);
	assert_non_null(hdr);
	assert_non_null(data);
	assert_non_null(status);
	hdr->addr = htole16(STUB << 1);
	hdr->flags = 0;
	hdr->padding = 0;
	data[0] = reg;
	data[1] = val;
	*status = VF_I2C_UNTOUCHED;
	sg[0] = (struct vf_sg){.gpa = hdr_gpa, .len = sizeof(*hdr)};
	sg[1] = (struct vf_sg){.gpa = data_gpa, .len = 2};
	sg[2] = (struct vf_sg){.gpa = status_gpa, .len = 1, .write = true};
	assert_int_equal(vf_vring_add(vr, sg, 3, false, NULL), head);
	return head;
}

/* The connection's teardown (unmap, close) follows the socket's close: poll for it. */
static bool eventually(struct daemon_fx *fx, const char *maps_name, int maps, int fds_below)
{
	for (int waited = 0; waited < TMO; waited += 10) {
		if (daemon_count_maps(fx->d, maps_name) == maps &&
		    daemon_fd_count(fx->d) < fds_below)
			return true;
		usleep(10 * 1000);
	}
	printf("maps of %s: %d (want %d), fds: %d (want < %d)\n", maps_name,
	       daemon_count_maps(fx->d, maps_name), maps, daemon_fd_count(fx->d), fds_below);
	return false;
}

/* ================= item 2: truncated memory file ================= */

enum trunc_at { TRUNC_RING, TRUNC_DATA, TRUNC_RESTART };

/*
 * Guest 0 truncates its memory file and makes the daemon touch the lost
 * pages: the ring on a kick, a request's data on a kick, or used->idx on a
 * restart (SET_VRING_KICK, a message handler). Only that connection ends.
 */
static void truncate_and_poke(struct daemon_fx *fx, struct vf_dev *other, enum trunc_at at,
			      const char *what)
{
	struct vf_dev *dev = vf_dev_open(fx->paths[0], NULL);
	unsigned lines = count_in_log(fx->d, LOST_LINE);
	size_t log_before;
	int fds_before, fd;
	uint64_t cut = 0;

	assert_non_null(dev);
	assert_dev_serves(dev, 0x30, 0x5a);
	/* One memfd (shared_fd), region 0 at gpa 0 and file offset 0: file offset = gpa. */
	assert_int_equal(dev->mem->nmaps, 1);
	fd = dev->mem->map_fd[0];
	if (at == TRUNC_DATA) {
		/* Ring and headers stay; the page the request's data is on goes. */
		uint64_t data_gpa = ((dev->bounce_gpa + PAGE - 1) & ~(PAGE - 1)) + PAGE;

		assert_true(data_gpa + 2 <= dev->bounce_gpa + dev->opts.bounce_size);
		assert_true(data_gpa > dev->slots_gpa + 4 * sizeof(struct vf_i2c_slot));
		assert_true(data_gpa > dev->vr.used_gpa + PAGE);
		queue_stub_write(dev, data_gpa, 0x31, 0x01);
		cut = data_gpa;
	} else if (at == TRUNC_RING) {
		/* Whenever the daemon looks at the ring after the cut (kick or polling), it faults. */
		queue_stub_write(dev, 0, 0x31, 0x01);
		vf_vring_publish(&dev->vr);
	} else {
		assert_int_equal(vf_dev_stop(dev, NULL), 0);
	}
	fds_before = daemon_fd_count(fx->d);
	log_before = log_len(fx->d);
	/* From here on our own mapping faults too beyond `cut`: only fds and messages. */
	assert_int_equal(ftruncate(fd, (off_t)cut), 0);
	/*
	 * Published only now: a daemon polling the ring would otherwise serve the
	 * request before the cut. The ring itself is below the cut.
	 */
	if (at == TRUNC_DATA)
		vf_vring_publish(&dev->vr);
	if (at == TRUNC_RESTART) {
		assert_int_equal(vf_msg_set_vring_fd(dev->conn, VHOST_USER_SET_VRING_KICK, 0,
						     dev->vr.kick_fd, false),
				 0);
	} else {
		assert_int_equal(eventfd_write(dev->vr.kick_fd, 1), 0);
	}
	expect_dev_closed(fx->d, dev, TMO, what);
	assert_int_equal(count_in_log(fx->d, LOST_LINE), lines + 1);
	/* That line and nothing else. */
	{
		char *log = daemon_log(fx->d), *nl;

		assert_non_null(log);
		nl = strchr(log + log_before, '\n');
		if (!nl || nl[1])
			printf("%s: log since the truncation:\n%s", what, log + log_before);
		assert_non_null(nl);
		assert_int_equal(nl[1], '\0');
		assert_non_null(strstr(log + log_before, LOST_LINE));
		free(log);
	}
	/* Its memory is unmapped (only `other`'s is left) and its fds closed. */
	assert_true(eventually(fx, "vf-guest-ram", 1, fds_before));
	/* The other guest never noticed; the socket takes the next VMM. */
	assert_dev_serves(other, 0x40 + at, (uint8_t)(0x70 + at));
	assert_socket_serves(fx, 0, (uint8_t)(0x80 + at));
}

static void test_truncated_memory_ends_only_its_connection(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_dev *other = vf_dev_open(fx->paths[1], NULL);

	assert_non_null(other);
	assert_dev_serves(other, 0x40, 0x11);
	truncate_and_poke(fx, other, TRUNC_RING, "ring truncated, kick");
	truncate_and_poke(fx, other, TRUNC_DATA, "data truncated, kick");
	truncate_and_poke(fx, other, TRUNC_RESTART, "ring truncated, SET_VRING_KICK");
	/* The log names the guest-physical address of the data page. */
	assert_true(daemon_log_contains(fx->d, "inaccessible at 0x"));
	assert_dev_serves(other, 0x40, 0x22);
	vf_dev_destroy(other);
	fx->passed = true;
}

/* ================= item 3: address-space cap ================= */

static int add_region(struct vf_conn *conn, uint64_t gpa, uint64_t size, uint64_t uva, int fd)
{
	struct vhost_user_single_region r = {.region = {.guest_phys_addr = gpa,
							.memory_size = size,
							.userspace_addr = uva,
							.mmap_offset = 0}};
	uint64_t ack = 0;
	int ret = vf_conn_send(conn, VHOST_USER_ADD_MEM_REG, NEED_REPLY, &r, sizeof(r), &fd, 1);

	if (ret)
		return ret;
	ret = vf_conn_recv_reply(conn, VHOST_USER_ADD_MEM_REG, &ack, sizeof(ack), TMO);
	return ret ? ret : (int)ack;
}

static void test_cap_per_connection(void **state)
{
	struct daemon_fx *fx = *state;
	const uint64_t region = 64 * GIB, uva0 = 0x100000000000ull;
	struct vf_dev_opts o;
	struct vf_dev *hog, *vm;
	unsigned accepted = 0;
	int fd = memfd_create("vi2c-test-sparse", MFD_CLOEXEC);

	/* A sparse 64 GiB file: 32 regions of it would map 2 TiB. */
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)region), 0);
	hog = vf_dev_create(fx->paths[0], NULL);
	assert_non_null(hog);
	assert_int_equal(vf_dev_init(hog), 0);
	for (unsigned i = 0; i < 32; i++) {
		int ack = add_region(hog->conn, i * region, region, uva0 + i * region, fd);

		assert_true(ack >= 0);
		/* Default cap 1 TiB: the first 16 fit exactly, every further one is refused. */
		assert_int_equal(ack != 0, i >= 16);
		accepted += ack == 0;
	}
	assert_int_equal(accepted, 16);
	assert_true(daemon_log_contains(
		fx->d, "ADD_MEM_REG refused: guest memory would exceed the per-connection limit "
		       "of 1T (--max-guest-memory)"));
	assert_int_equal(daemon_count_maps(fx->d, "vi2c-test-sparse"), 16);

	/* Meanwhile a 1 GiB guest on the other socket starts (SET_MEM_TABLE) and works. */
	vf_dev_opts_default(&o);
	o.mem_size = GIB;
	o.mem_msg = VF_MEM_SET_TABLE;
	vm = vf_dev_open(fx->paths[1], &o);
	if (!vm)
		printf("1 GiB guest: %s\n", strerror(errno));
	assert_non_null(vm);
	assert_dev_serves(vm, 0x50, 0x99);

	/* The refusing connection stays; room freed by REM_MEM_REG can be used again. */
	{
		struct vhost_user_single_region r = {.region = {.guest_phys_addr = 0,
								.memory_size = region,
								.userspace_addr = uva0}};
		uint64_t ack = 1;

		assert_int_equal(vf_conn_send(hog->conn, VHOST_USER_REM_MEM_REG, NEED_REPLY, &r,
					      sizeof(r), NULL, 0),
				 0);
		assert_int_equal(vf_conn_recv_reply(hog->conn, VHOST_USER_REM_MEM_REG, &ack,
						    sizeof(ack), TMO),
				 0);
		assert_int_equal(ack, 0);
	}
	assert_int_equal(add_region(hog->conn, 0, region, uva0, fd), 0);
	assert_int_not_equal(add_region(hog->conn, 40 * region, region, uva0 + 40 * region, fd), 0);
	vf_dev_destroy(hog);
	close(fd);
	assert_dev_serves(vm, 0x50, 0x98);
	vf_dev_destroy(vm);
	fx->passed = true;
}

/* --max-guest-memory=64M: a 128 MiB table is refused, a 32 MiB one is served. */
static void test_cap_option(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_dev_opts o;
	struct vf_dev *dev;

	vf_dev_opts_default(&o);
	o.mem_msg = VF_MEM_SET_TABLE;
	o.mem_size = 128ull << 20;
	dev = vf_dev_create(fx->paths[0], &o);
	assert_non_null(dev);
	assert_int_equal(vf_dev_init(dev), 0);
	assert_int_equal(vf_msg_set_mem_table(dev->conn, dev->mem, true), -EREMOTEIO);
	assert_true(daemon_log_contains(fx->d, "SET_MEM_TABLE refused: guest memory would exceed "
					       "the per-connection limit of 64M"));
	/* Two regions of 64 MiB in one table: the sum counts. */
	vf_dev_destroy(dev);
	o.nregions = 2;
	o.shared_fd = false;
	dev = vf_dev_create(fx->paths[0], &o);
	assert_non_null(dev);
	assert_int_equal(vf_dev_init(dev), 0);
	assert_int_equal(vf_msg_set_mem_table(dev->conn, dev->mem, true), -EREMOTEIO);
	vf_dev_destroy(dev);

	o.nregions = 1;
	o.mem_size = 32ull << 20;
	dev = vf_dev_open(fx->paths[0], &o);
	assert_non_null(dev);
	assert_dev_serves(dev, 0x51, 0x42);
	vf_dev_destroy(dev);
	fx->passed = true;
}

/* ================= item 13: a refused SET_MEM_TABLE ================= */

static void test_failed_mem_table_stops_queue(void **state)
{
	struct daemon_fx *fx = *state;
	struct vhost_user_mem_table t = {.nregions = 1};
	struct vf_dev_opts o;
	struct vf_dev *dev;
	uint32_t id = 0, len = 0;
	uint64_t ack = 0;
	uint16_t head;
	int fd;

	vf_dev_opts_default(&o);
	o.mem_msg = VF_MEM_SET_TABLE;
	dev = vf_dev_open(fx->paths[0], &o);
	assert_non_null(dev);
	assert_dev_serves(dev, 0x60, 0x01);

	/* A table whose region is twice as large as its file: refused (acked non-zero). */
	vf_mem_wire_region(dev->mem, 0, &t.regions[0]);
	t.regions[0].memory_size *= 2;
	fd = dev->mem->regions[0].fd;
	assert_int_equal(vf_conn_send(dev->conn, VHOST_USER_SET_MEM_TABLE, NEED_REPLY, &t,
				      8 + sizeof(t.regions[0]), &fd, 1),
			 0);
	assert_int_equal(
		vf_conn_recv_reply(dev->conn, VHOST_USER_SET_MEM_TABLE, &ack, sizeof(ack), TMO), 0);
	assert_int_not_equal(ack, 0);

	/* The old table is gone: a request kicked now is not served. */
	head = queue_stub_write(dev, 0, 0x61, 0x02);
	assert_int_equal(vf_vring_kick(&dev->vr, true), 0);
	assert_int_equal(vf_vring_wait_used(&dev->vr, QUIET_MS), -ETIMEDOUT);
	assert_int_equal(*(uint8_t *)vf_mem_hva(dev->mem, vf_i2c_slot_status_gpa(dev, head), 1),
			 VF_I2C_UNTOUCHED);
	assert_true(daemon_alive(fx->d));

	/* A valid table (the ring addresses are inside it) lets the queue run again. */
	assert_int_equal(vf_msg_set_mem_table(dev->conn, dev->mem, true), 0);
	assert_int_equal(vf_vring_wait_used(&dev->vr, TMO), 0);
	assert_int_equal(vf_vring_get_used(&dev->vr, &id, &len, NULL), 0);
	assert_int_equal(id, head);
	assert_int_equal(*(uint8_t *)vf_mem_hva(dev->mem, vf_i2c_slot_status_gpa(dev, id), 1),
			 VIRTIO_I2C_MSG_OK);
	assert_dev_serves(dev, 0x62, 0x03);
	vf_dev_destroy(dev);
	fx->passed = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_truncated_memory_ends_only_its_connection,
						setup, daemon_fx_teardown),
		cmocka_unit_test_setup_teardown(test_cap_per_connection, setup, daemon_fx_teardown),
		cmocka_unit_test_setup_teardown(test_cap_option, setup_capped, daemon_fx_teardown),
		cmocka_unit_test_setup_teardown(test_failed_mem_table_stops_queue, setup,
						daemon_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
