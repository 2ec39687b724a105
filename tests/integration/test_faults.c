// SPDX-License-Identifier: MIT
/*
 * Faults: a VMM dying in the middle of a message, SIGKILL of the daemon
 * during EEPROM writes with file= (nothing acknowledged is lost, no page is
 * torn), memory-table changes while requests are pending, and a stop
 * (SET_VRING_ENABLE 0 + GET_VRING_BASE) while a slow host transfer runs.
 * The slow device is a fake /dev/i2c-0 (tests/shim) with a "delay".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "test_assert.h"
#include "vu_frontend.h"

#define TMO   5000
#define STUB  0x20
#define EE256 0x57
#define PAGES 512 /* 24c256: 32 KiB in 64-byte pages */

static char *std_args[] = {DAEMON_STD_DEVICES, NULL};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A transfer on a fresh connection works: the socket still serves. */
static void assert_serves(const char *path)
{
	struct vf_dev *dev = vf_dev_open(path, NULL);
	uint8_t w[2] = {0x77, 0x5c}, r = 0;

	assert_non_null(dev);
	assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
	assert_int_equal(vf_i2c_write_read(dev, STUB, w, 1, &r, 1), 0);
	assert_int_equal(r, 0x5c);
	vf_dev_destroy(dev);
}

/* Sends the first `cut` bytes of a SET_MEM_TABLE message (with an fd), then hangs up. */
static void die_mid_message(const char *path, size_t cut, bool with_fd)
{
	struct {
		struct vhost_user_hdr hdr;
		uint32_t nregions, pad;
		struct vhost_user_mem_region r;
	} __attribute__((packed)) msg = {
		.hdr = {.request = VHOST_USER_SET_MEM_TABLE,
			.flags = VHOST_USER_VERSION,
			.size = 8 + sizeof(struct vhost_user_mem_region)},
		.nregions = 1,
		.r = {.guest_phys_addr = 0, .memory_size = 4096, .userspace_addr = 0x10000},
	};
	struct vf_conn *c = vf_conn_connect(path, TMO);
	int fd = memfd_create("vi2c-test-fault", MFD_CLOEXEC);

	assert_non_null(c);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(vf_conn_send_raw(c, &msg, cut, with_fd ? &fd : NULL, with_fd ? 1 : 0), 0);
	close(fd);
	vf_conn_close(c);
}

static void test_vmm_dies_mid_message(void **state)
{
	struct daemon *d = daemon_launch(1, std_args);
	char path[160];
	int fds_before, fds_after;

	assert_non_null(d);
	daemon_sock_path(d, 0, path, sizeof(path));
	fds_before = daemon_fd_count(d); /* idle: no VMM connected yet */
	assert_serves(path);
	/* Inside the header, after the header, inside the payload; with and without an fd. */
	die_mid_message(path, 6, false);
	die_mid_message(path, 12, true);
	die_mid_message(path, 12 + 8 + 10, true);
	die_mid_message(path, 12 + 8 + 10, false);
	assert_serves(path);
	assert_true(daemon_alive(d));
	/*
	 * The fds that came with the cut messages were closed, nothing else
	 * leaked. The daemon notices the last hang-up asynchronously: give it
	 * a moment before comparing.
	 */
	for (int i = 0; i < 100; i++) {
		fds_after = daemon_fd_count(d);
		if (fds_after == fds_before)
			break;
		usleep(20000);
	}
	assert_int_equal(fds_after, fds_before);
	assert_true(daemon_log_contains(d, "truncated"));
	assert_int_equal(daemon_finish(d, true), 0);
}

/* Page p written with sequence number seq: 4 bytes of seq, then a pattern derived from it. */
static void fill_page(uint8_t *page, uint32_t seq)
{
	memcpy(page, &seq, 4);
	for (unsigned i = 4; i < 64; i++)
		page[i] = (uint8_t)(seq * 31 + i * 7);
}

/* The seq a page holds, 0 if erased, or -1 if torn (neither erased nor one whole write). */
static long page_seq(const uint8_t *page)
{
	uint8_t want[64];
	uint32_t seq;
	unsigned i;

	for (i = 0; i < 64 && page[i] == 0xff; i++)
		;
	if (i == 64)
		return 0;
	memcpy(&seq, page, 4);
	fill_page(want, seq);
	return memcmp(want, page, 64) ? -1 : (long)seq;
}

struct writer {
	const char *path;
	uint32_t next_seq;	  /* in: first seq to use; out: first seq never submitted */
	uint32_t acked[PAGES];	  /* last acknowledged seq per page */
	uint32_t inflight[PAGES]; /* seq submitted but not acknowledged (at most one) */
	unsigned acks;
};

static void *write_until_dead(void *arg)
{
	struct writer *w = arg;
	struct vf_dev_opts o;
	struct vf_dev *dev;

	vf_dev_opts_default(&o);
	o.timeout_ms = 1500; /* the daemon is killed under us: don't wait long */
	dev = vf_dev_open(w->path, &o);
	if (!dev)
		return NULL;
	for (;;) {
		uint32_t seq = w->next_seq++;
		unsigned page = (seq * 193) % PAGES; /* scattered pages */
		uint8_t buf[2 + 64];

		buf[0] = (uint8_t)(page * 64 >> 8);
		buf[1] = (uint8_t)(page * 64);
		fill_page(buf + 2, seq);
		w->inflight[page] = seq;
		if (vf_i2c_write(dev, EE256, buf, sizeof(buf)) != 0)
			break;
		w->acked[page] = seq;
		w->inflight[page] = 0;
		w->acks++;
	}
	vf_dev_destroy(dev);
	return NULL;
}

static void check_file(const char *file, const struct writer *w)
{
	uint8_t data[PAGES * 64];
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, data, sizeof(data), 0), sizeof(data));
	close(fd);
	for (unsigned p = 0; p < PAGES; p++) {
		long seq = page_seq(data + 64 * p);

		if (seq < 0)
			fail_msg("page %u is torn", p);
		/* The last acknowledged write, or the one that was in flight when killed. */
		if ((uint32_t)seq != w->acked[p] &&
		    (!w->inflight[p] || (uint32_t)seq != w->inflight[p]))
			fail_msg("page %u holds seq %ld, acknowledged %u, in flight %u", p, seq,
				 w->acked[p], w->inflight[p]);
	}
}

static void test_sigkill_during_eeprom_writes(void **state)
{
	struct daemon *d = daemon_new();
	char file[192], spec[256], path[160];
	struct writer *w = calloc(1, sizeof(*w));
	unsigned total_acks = 0;

	assert_non_null(d);
	assert_non_null(w);
	snprintf(file, sizeof(file), "%s/eeprom.bin", d->dir);
	snprintf(spec, sizeof(spec), "24c256@0x%02x,file=%s", EE256, file);
	daemon_sock_path(d, 0, path, sizeof(path));
	w->path = path;
	w->next_seq = 1;
	for (unsigned round = 0; round < 4; round++) {
		char *extra[] = {"-e", spec, "-e", "stub@0x20", NULL};
		pthread_t t;
		int code;

		assert_int_equal(daemon_start(d, 1, extra), 0);
		/* Restarted daemon serves what the file holds: check it first. */
		check_file(file, w);
		w->acks = 0;
		assert_int_equal(pthread_create(&t, NULL, write_until_dead, w), 0);
		usleep(150000 + 70000 * round);
		kill(d->pid, SIGKILL);
		assert_int_equal(daemon_wait_exit(d, TMO, &code), 0);
		assert_int_equal(code, 128 + SIGKILL);
		assert_int_equal(pthread_join(t, NULL), 0);
		/* The killed daemon's writes are all in the file (page cache, not lost with it). */
		check_file(file, w);
		assert_true(w->acks > 0);
		total_acks += w->acks;
		for (unsigned p = 0; p < PAGES; p++)
			if (w->inflight[p]) {
				/* Whatever the file holds now is the new truth for that page. */
				int fd = open(file, O_RDONLY | O_CLOEXEC);
				uint8_t page[64];

				assert_int_equal(pread(fd, page, 64, 64 * p), 64);
				close(fd);
				w->acked[p] = (uint32_t)page_seq(page);
				w->inflight[p] = 0;
			}
	}
	printf("acknowledged page writes across 4 SIGKILLs: %u, none lost or torn\n", total_acks);
	free(w);
	daemon_free(d);
}

/* Adds a write request [reg, val] to addr, published but not kicked. */
static uint16_t pending_write(struct vf_dev *dev, uint8_t addr, uint8_t reg, uint8_t val)
{
	uint16_t h = dev->vr.free_head;
	uint8_t *data = vf_mem_hva(dev->mem, vf_i2c_slot_scratch_gpa(dev, h), 2);
	struct vf_sg sg[3] = {
		{.gpa = vf_i2c_slot_hdr_gpa(dev, h), .len = 8},
		{.gpa = vf_i2c_slot_scratch_gpa(dev, h), .len = 2},
		{.gpa = vf_i2c_slot_status_gpa(dev, h), .len = 1, .write = true},
	};

	data[0] = reg;
	data[1] = val;
	dev->slots[h].hdr.addr = (uint16_t)(addr << 1);
	dev->slots[h].hdr.flags = 0;
	dev->slots[h].status = 0xaa;
	assert_int_equal(vf_vring_add(&dev->vr, sg, 3, true, NULL), h);
	vf_vring_publish(&dev->vr);
	return h;
}

static void collect(struct vf_dev *dev, uint16_t head, uint8_t status)
{
	uint32_t id, len;

	assert_int_equal(vf_vring_wait_used(&dev->vr, TMO), 0);
	assert_int_equal(vf_vring_get_used(&dev->vr, &id, &len, NULL), 0);
	assert_int_equal(id, head);
	assert_int_equal(len, 1);
	assert_int_equal(dev->slots[head].status, status);
}

/* A guest with its rings in region 0 and its requests' headers, tables and data in region 1. */
static struct vf_dev *open_split_guest(struct daemon *d)
{
	struct vf_dev_opts o;
	struct vf_dev *dev;
	char path[160];

	daemon_sock_path(d, 0, path, sizeof(path));
	vf_dev_opts_default(&o);
	o.nregions = 2;
	o.ring_region = 0;
	o.hdr_region = 1;
	o.data_region = 1;
	o.mem_msg = VF_MEM_SET_TABLE;
	dev = vf_dev_open(path, &o);
	assert_non_null(dev);
	return dev;
}

static void test_mem_table_change_with_requests_pending(void **state)
{
	struct daemon *d = daemon_launch(1, std_args);
	struct vf_dev *dev;
	uint8_t reg = 0x60, r[2];
	uint16_t h;

	assert_non_null(d);
	dev = open_split_guest(d);

	/* A new table (same regions) arrives while a request waits: it is served afterwards. */
	h = pending_write(dev, STUB, 0x60, 0x11);
	assert_int_equal(vf_msg_set_mem_table(dev->conn, dev->mem, true), 0);
	assert_int_equal(vf_vring_kick(&dev->vr, true), 0);
	collect(dev, h, VIRTIO_I2C_MSG_OK);

	/*
	 * Same with REM/ADD_MEM_REG of the region holding the rings: the queue pauses in
	 * between and the request is served once the rings are back. The daemon may look
	 * at the ring at any time (it polls after every message), so the region removed
	 * is never one the pending request's own buffers are in: a VMM that unmaps those
	 * gets the queue stopped, which test_hostile covers.
	 */
	h = pending_write(dev, STUB, 0x61, 0x22);
	assert_int_equal(vf_msg_rem_mem_reg(dev->conn, dev->mem, 0, true), 0);
	assert_int_equal(vf_msg_add_mem_reg(dev->conn, dev->mem, 0, true), 0);
	assert_int_equal(vf_vring_kick(&dev->vr, true), 0);
	collect(dev, h, VIRTIO_I2C_MSG_OK);
	assert_int_equal(vf_i2c_write_read(dev, STUB, &reg, 1, r, 2), 0);
	assert_int_equal(r[0], 0x11);
	assert_int_equal(r[1], 0x22);
	vf_dev_destroy(dev);
	assert_int_equal(daemon_finish(d, true), 0);
}

/* A VMM that unmaps the memory of a request it then kicks: that queue stops, nothing else. */
static void test_request_in_removed_region(void **state)
{
	static const char stopped[] = "virtqueue stopped: indirect table outside guest memory";
	struct daemon *d = daemon_launch(1, std_args);
	struct vf_dev *dev;
	uint8_t reg = 0x62, r;
	uint16_t base;

	assert_non_null(d);
	dev = open_split_guest(d);
	assert_int_equal(vf_msg_rem_mem_reg(dev->conn, dev->mem, 1, true), 0);
	pending_write(dev, STUB, 0x62, 0x33);
	assert_int_equal(vf_vring_kick(&dev->vr, true), 0);
	assert_true(daemon_wait_log(d, stopped, TMO));
	assert_int_equal(vf_vring_used_pending(&dev->vr), 0);
	/* The connection stays; the request was never carried out. */
	assert_int_equal(vf_dev_stop(dev, &base), 0);
	assert_int_equal(vf_msg_add_mem_reg(dev->conn, dev->mem, 1, true), 0);
	assert_int_equal(vf_dev_restart_fresh(dev), 0);
	assert_int_equal(vf_i2c_write_read(dev, STUB, &reg, 1, &r, 1), 0);
	assert_int_equal(r, 0);
	assert_int_equal(count_in_log(d, stopped), 1);
	vf_dev_destroy(dev);
	assert_int_equal(daemon_finish(d, true), 0);
}

static void test_stop_waits_for_slow_transfer(void **state)
{
	struct daemon *d = daemon_new();
	char conf[192], path[160], dir[192];
	char *extra[] = {"-l", "0:0x50", "-e", "stub@0x20", NULL};
	struct vf_dev *dev;
	uint8_t w[2] = {0x05, 0x42};
	uint32_t id, len, base;
	uint16_t h;
	int64_t t0, waited;
	FILE *f;

	assert_non_null(d);
	snprintf(conf, sizeof(conf), "%s/shim.conf", d->dir);
	snprintf(dir, sizeof(dir), "%s/dev", d->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f,
		"dev %s\nsysfs %s/sys\nadapter 0 funcs=i2c name=slow\ndevice 0 0x50\n"
		"delay 0 0x50 700\n",
		dir, d->dir);
	fclose(f);
	setenv("VI2C_SHIM_CONFIG", conf, 1);
	assert_int_equal(daemon_start(d, 1, extra), 0);
	daemon_sock_path(d, 0, path, sizeof(path));
	dev = vf_dev_open(path, NULL);
	assert_non_null(dev);

	/* Queue one slow write and kick, then stop the ring at once, as QEMU does on reset. */
	h = pending_write(dev, 0x50, 0x05, 0x42);
	assert_int_equal(vf_vring_kick(&dev->vr, true), 0);
	usleep(100000); /* the daemon is inside the 700 ms transfer now */
	t0 = now_ms();
	assert_int_equal(vf_msg_set_state(dev->conn, VHOST_USER_SET_VRING_ENABLE, 0, 0, false), 0);
	assert_int_equal(vf_msg_get_vring_base(dev->conn, 0, &base), 0);
	waited = now_ms() - t0;
	/* The reply came only after the transfer: it is complete, counted once, not lost. */
	assert_true(waited >= 300);
	assert_int_equal(base, 1);
	assert_int_equal(vf_vring_used_pending(&dev->vr), 1);
	assert_int_equal(vf_vring_get_used(&dev->vr, &id, &len, NULL), 0);
	assert_int_equal(id, h);
	assert_int_equal(len, 1);
	assert_int_equal(dev->slots[id].status, VIRTIO_I2C_MSG_OK);
	/* Restarted at that base, nothing is replayed and the bus works. */
	dev->base = (uint16_t)base;
	assert_int_equal(vf_dev_start(dev), 0);
	assert_int_equal(vf_vring_used_pending(&dev->vr), 0);
	assert_int_equal(vf_i2c_write(dev, 0x50, w, 1), 0);
	vf_dev_destroy(dev);
	unsetenv("VI2C_SHIM_CONFIG");
	assert_int_equal(daemon_finish(d, true), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmm_dies_mid_message),
		cmocka_unit_test(test_sigkill_during_eeprom_writes),
		cmocka_unit_test(test_mem_table_change_with_requests_pending),
		cmocka_unit_test(test_request_in_removed_region),
		cmocka_unit_test(test_stop_waits_for_slow_transfer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
