// SPDX-License-Identifier: MIT
/*
 * A hostile frontend and a hostile guest. Malformed vhost-user messages close
 * that connection (with a log line) while the socket keeps serving; bad
 * requests whose status byte can be found get ERR and change nothing; a
 * corrupt ring stops its queue until GET_VRING_BASE + start; the daemon never
 * dies and its other sockets keep working.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "test_assert.h"
#include "vu_frontend.h"

#define TMO	  3000
#define QUIET_MS  300
#define BIT(n)	  (1ull << (n))
#define FEATURES  0x170000001ull
#define EE	  0x50 /* 24c02 */
#define EE256	  0x57
#define STUB	  0x20
#define F_NEXT	  VRING_DESC_F_NEXT
#define F_WRITE	  VRING_DESC_F_WRITE
#define F_INDIR	  VRING_DESC_F_INDIRECT
#define HDR_FLAGS ((uint32_t)0)

/* a stub at 0x79 is what a 10-bit address header would hit if decoded as 7-bit */
#define STUB79 0x79
static char *std_args[] = {DAEMON_STD_DEVICES, "-e", "stub@0x79", NULL};

static int setup(void **state)
{
	return daemon_fx_start(state, 2, std_args);
}

/* A fresh guest on socket idx does a stub write + read-back. */
static void assert_socket_serves(struct daemon_fx *fx, unsigned idx, uint8_t val)
{
	struct vf_dev *dev = vf_dev_open(fx->paths[idx], NULL);
	uint8_t w[2] = {0x77, val}, r = (uint8_t)~val;

	if (!dev)
		printf("vf_dev_open(%s): %s\n", fx->paths[idx], strerror(errno));
	assert_non_null(dev);
	assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
	assert_int_equal(vf_i2c_write_read(dev, STUB, w, 1, &r, 1), 0);
	assert_int_equal(r, val);
	vf_dev_destroy(dev);
}

/* ================= malformed vhost-user messages ================= */

enum stage { FRESH, INITED, STARTED };

static struct vf_dev *conn_at(struct daemon_fx *fx, enum stage st)
{
	struct vf_dev *dev = vf_dev_create(fx->paths[0], NULL);

	assert_non_null(dev);
	if (st >= INITED)
		assert_int_equal(vf_dev_init(dev), 0);
	if (st >= STARTED)
		assert_int_equal(vf_dev_start(dev), 0);
	return dev;
}

/*
 * The message has been sent on dev: the daemon must close the connection and
 * say so in its log (unless quiet_ok), stay alive, and serve a new guest.
 */
static void expect_closed(struct daemon_fx *fx, struct vf_dev *dev, size_t log_before,
			  bool log_needed, const char *what)
{
	char *log;

	expect_dev_closed(fx->d, dev, TMO, what);
	if (log_needed) {
		log = daemon_log(fx->d);
		assert_non_null(log);
		if (strlen(log) <= log_before)
			printf("%s: nothing logged\n", what);
		assert_true(strlen(log) > log_before);
		free(log);
	}
	assert_socket_serves(fx, 0, (uint8_t)log_before);
}

static void send_bad(struct daemon_fx *fx, enum stage st, uint32_t req, uint32_t flags,
		     const void *payload, uint32_t size, const int *fds, unsigned nfds,
		     const char *what)
{
	struct vf_dev *dev = conn_at(fx, st);
	size_t before = log_len(fx->d);

	assert_int_equal(vf_conn_send(dev->conn, req, flags, payload, size, fds, nfds), 0);
	expect_closed(fx, dev, before, true, what);
}

static void test_wrong_payload_sizes(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t z[64] = {0};
	struct vhost_user_mem_table t = {.nregions = 2};

	send_bad(fx, INITED, VHOST_USER_SET_FEATURES, 1, z, 4, NULL, 0, "SET_FEATURES size 4");
	send_bad(fx, INITED, VHOST_USER_SET_FEATURES, 1, z, 16, NULL, 0, "SET_FEATURES size 16");
	send_bad(fx, INITED, VHOST_USER_GET_VRING_BASE, 1, z, 4, NULL, 0, "GET_VRING_BASE size 4");
	send_bad(fx, INITED, VHOST_USER_SET_VRING_NUM, 1, z, 12, NULL, 0, "SET_VRING_NUM size 12");
	send_bad(fx, INITED, VHOST_USER_SET_VRING_ADDR, 1, z, 32, NULL, 0, "SET_VRING_ADDR 32");
	send_bad(fx, INITED, VHOST_USER_SET_VRING_KICK, 1, z, 4, NULL, 0, "SET_VRING_KICK size 4");
	send_bad(fx, FRESH, VHOST_USER_SET_PROTOCOL_FEATURES, 1, z, 0, NULL, 0,
		 "SET_PROTOCOL_FEATURES size 0");
	{
		/* nregions says 2, the payload holds one region */
		struct vf_dev *dev = conn_at(fx, INITED);
		size_t before = log_len(fx->d);
		int fds[2] = {dev->mem->regions[0].fd, dev->mem->regions[0].fd};

		vf_mem_wire_region(dev->mem, 0, &t.regions[0]);
		assert_int_equal(
			vf_conn_send(dev->conn, VHOST_USER_SET_MEM_TABLE, 1, &t, 8 + 32, fds, 2),
			0);
		expect_closed(fx, dev, before, true, "SET_MEM_TABLE short");
	}
	{
		/* nine regions: more than a table may hold */
		struct vhost_user_mem_table big[2];
		struct vf_dev *dev = conn_at(fx, INITED);
		size_t before = log_len(fx->d);
		int fds[8];
		unsigned i;

		memset(big, 0, sizeof(big));
		big[0].nregions = 9;
		for (i = 0; i < 8; i++)
			fds[i] = dev->mem->regions[0].fd;
		assert_int_equal(vf_conn_send(dev->conn, VHOST_USER_SET_MEM_TABLE, 1, big,
					      8 + 9 * 32, fds, 8),
				 0);
		expect_closed(fx, dev, before, true, "SET_MEM_TABLE 9 regions");
	}
	fx->passed = true;
}

static void test_bad_flags(void **state)
{
	struct daemon_fx *fx = *state;

	send_bad(fx, FRESH, VHOST_USER_GET_FEATURES, 0x0, NULL, 0, NULL, 0, "version 0");
	send_bad(fx, FRESH, VHOST_USER_GET_FEATURES, 0x2, NULL, 0, NULL, 0, "version 2");
	send_bad(fx, INITED, VHOST_USER_SET_OWNER, 0x3, NULL, 0, NULL, 0, "version 3");
	fx->passed = true;
}

static void test_unknown_requests(void **state)
{
	struct daemon_fx *fx = *state;
	uint64_t z = 0;

	send_bad(fx, FRESH, 999, 1, NULL, 0, NULL, 0, "request 999");
	send_bad(fx, INITED, VHOST_USER_NONE, 1, NULL, 0, NULL, 0, "request 0");
	send_bad(fx, INITED, 35, 1, &z, 8, NULL, 0, "request 35");
	send_bad(fx, INITED, 0xffffffff, 1, &z, 8, NULL, 0, "request 0xffffffff");
	fx->passed = true;
}

static void test_bad_vring_index_and_num(void **state)
{
	struct daemon_fx *fx = *state;
	struct vhost_user_vring_state st;
	uint64_t u;
	int efd;

	st = (struct vhost_user_vring_state){.index = 1, .num = 4};
	send_bad(fx, INITED, VHOST_USER_SET_VRING_NUM, 1, &st, 8, NULL, 0, "NUM index 1");
	send_bad(fx, INITED, VHOST_USER_SET_VRING_BASE, 1, &st, 8, NULL, 0, "BASE index 1");
	send_bad(fx, STARTED, VHOST_USER_GET_VRING_BASE, 1, &st, 8, NULL, 0, "GET_BASE index 1");
	st = (struct vhost_user_vring_state){.index = 0, .num = 3};
	send_bad(fx, INITED, VHOST_USER_SET_VRING_NUM, 1, &st, 8, NULL, 0, "NUM 3");
	st.num = 0;
	send_bad(fx, INITED, VHOST_USER_SET_VRING_NUM, 1, &st, 8, NULL, 0, "NUM 0");
	st.num = 65536;
	send_bad(fx, INITED, VHOST_USER_SET_VRING_NUM, 1, &st, 8, NULL, 0, "NUM 65536");
	st.num = 6;
	send_bad(fx, INITED, VHOST_USER_SET_VRING_NUM, 1, &st, 8, NULL, 0, "NUM 6");
	{
		/* A bad size after a good one is still named as a bad size. */
		struct vf_dev *dev = conn_at(fx, INITED);
		size_t before = log_len(fx->d);
		char *log;

		st.num = 8;
		assert_int_equal(
			vf_msg_set_state(dev->conn, VHOST_USER_SET_VRING_NUM, 0, st.num, false), 0);
		st.num = 12;
		assert_int_equal(vf_conn_send(dev->conn, VHOST_USER_SET_VRING_NUM, 1, &st, 8, NULL, 0),
				 0);
		expect_closed(fx, dev, before, true, "NUM 8 then 12");
		log = daemon_log(fx->d);
		assert_non_null(log);
		assert_non_null(strstr(log + before, "SET_VRING_NUM with a size that is not a power "
						     "of 2 up to 32768"));
		free(log);
	}
	{
		struct vf_dev *dev = conn_at(fx, INITED);
		size_t before = log_len(fx->d);

		efd = dev->vr.kick_fd;
		u = 1; /* index 1 with an fd */
		assert_int_equal(
			vf_conn_send(dev->conn, VHOST_USER_SET_VRING_KICK, 1, &u, 8, &efd, 1), 0);
		expect_closed(fx, dev, before, true, "KICK index 1");
	}
	fx->passed = true;
}

/* SET_VRING_ADDR with a ring outside the memory table. */
static void bad_ring_addr(struct daemon_fx *fx, bool send_memory, int which, uint64_t delta)
{
	struct vf_dev *dev = conn_at(fx, INITED);
	struct vhost_user_vring_addr a = {0};
	struct vf_region *r0 = &dev->mem->regions[0];
	size_t before;

	assert_int_equal(vf_msg_set_u64(dev->conn, VHOST_USER_SET_FEATURES, FEATURES, false), 0);
	if (send_memory)
		assert_int_equal(vf_msg_set_mem_table(dev->conn, dev->mem, true), 0);
	assert_int_equal(vf_msg_set_state(dev->conn, VHOST_USER_SET_VRING_NUM, 0, 4, false), 0);
	assert_int_equal(vf_msg_set_state(dev->conn, VHOST_USER_SET_VRING_BASE, 0, 0, false), 0);
	a.desc_user_addr = (uintptr_t)dev->vr.desc;
	a.used_user_addr = (uintptr_t)dev->vr.used;
	a.avail_user_addr = (uintptr_t)dev->vr.avail;
	a.log_guest_addr = dev->vr.used_gpa;
	/* move one ring so that it (or its tail) leaves the region */
	if (which == 0)
		a.desc_user_addr = (uintptr_t)r0->hva + r0->size - delta;
	else if (which == 1)
		a.used_user_addr = (uintptr_t)r0->hva + r0->size - delta;
	else
		a.avail_user_addr = (uintptr_t)r0->hva + r0->size - delta;
	before = log_len(fx->d);
	assert_int_equal(
		vf_conn_send(dev->conn, VHOST_USER_SET_VRING_ADDR, 1, &a, sizeof(a), NULL, 0), 0);
	expect_closed(fx, dev, before, true, "SET_VRING_ADDR outside memory");
}

static void test_ring_addresses_outside_memory(void **state)
{
	struct daemon_fx *fx = *state;

	bad_ring_addr(fx, false, 0, 0);		/* no memory table at all */
	bad_ring_addr(fx, true, 0, 0);		/* desc just past the end */
	bad_ring_addr(fx, true, 0, 16);		/* desc table straddles the end */
	bad_ring_addr(fx, true, 1, 8);		/* used ring straddles the end */
	bad_ring_addr(fx, true, 2, 4);		/* avail ring straddles the end */
	bad_ring_addr(fx, true, 2, 1ull << 40); /* far below the mapping */
	fx->passed = true;
}

static void test_too_many_fds(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_dev *dev;
	size_t before;
	uint64_t u = 0;
	int fds[2];

	dev = conn_at(fx, INITED);
	before = log_len(fx->d);
	fds[0] = fds[1] = dev->vr.kick_fd;
	assert_int_equal(vf_conn_send(dev->conn, VHOST_USER_SET_VRING_KICK, 1, &u, 8, fds, 2), 0);
	expect_closed(fx, dev, before, true, "KICK with 2 fds");

	dev = conn_at(fx, INITED);
	before = log_len(fx->d);
	fds[0] = dev->vr.kick_fd;
	assert_int_equal(vf_conn_send(dev->conn, VHOST_USER_SET_OWNER, 1, NULL, 0, fds, 1), 0);
	expect_closed(fx, dev, before, true, "SET_OWNER with an fd");

	dev = conn_at(fx, FRESH);
	before = log_len(fx->d);
	fds[0] = dev->vr.kick_fd;
	assert_int_equal(vf_conn_send(dev->conn, VHOST_USER_GET_FEATURES, 1, NULL, 0, fds, 1), 0);
	expect_closed(fx, dev, before, true, "GET_FEATURES with an fd");

	dev = conn_at(fx, INITED);
	before = log_len(fx->d);
	{
		struct vhost_user_mem_table t = {.nregions = 1};

		vf_mem_wire_region(dev->mem, 0, &t.regions[0]);
		fds[0] = fds[1] = dev->mem->regions[0].fd;
		assert_int_equal(
			vf_conn_send(dev->conn, VHOST_USER_SET_MEM_TABLE, 1, &t, 8 + 32, fds, 2),
			0);
	}
	expect_closed(fx, dev, before, true, "SET_MEM_TABLE 1 region, 2 fds");

	dev = conn_at(fx, INITED);
	before = log_len(fx->d);
	{
		struct vhost_user_single_region r = {0};

		vf_mem_wire_region(dev->mem, 0, &r.region);
		fds[0] = fds[1] = dev->mem->regions[0].fd;
		assert_int_equal(
			vf_conn_send(dev->conn, VHOST_USER_ADD_MEM_REG, 1, &r, sizeof(r), fds, 2),
			0);
	}
	expect_closed(fx, dev, before, true, "ADD_MEM_REG with 2 fds");
	fx->passed = true;
}

/*
 * Kick, call and err fds must be eventfds: /dev/zero is readable for ever and
 * yields no kick, a pipe without a writer is "readable" at EOF for ever, a
 * regular file likewise (the serving thread used to spin at 100 % on them).
 */
static void test_vring_fds_not_eventfds(void **state)
{
	static const uint32_t reqs[] = {VHOST_USER_SET_VRING_KICK, VHOST_USER_SET_VRING_CALL,
					VHOST_USER_SET_VRING_ERR};
	struct daemon_fx *fx = *state;
	char file[] = "/tmp/vi2c-hostile-XXXXXX";
	int pipefd[2], fds[4];

	fds[0] = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	assert_true(pipe2(pipefd, O_CLOEXEC) == 0);
	close(pipefd[1]);
	fds[1] = pipefd[0];
	fds[2] = mkstemp(file);
	assert_true(fds[2] >= 0);
	unlink(file);
	fds[3] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	for (unsigned i = 0; i < 4; i++) {
		assert_true(fds[i] >= 0);
		/* Every kind as a kick fd; /dev/zero also as call and err fd. */
		for (unsigned r = 0; r < (i == 0 ? 3u : 1u); r++) {
			struct vf_dev *dev = conn_at(fx, INITED);
			size_t before = log_len(fx->d);
			uint64_t u = 0;
			char *log;

			assert_int_equal(vf_conn_send(dev->conn, reqs[r], 1, &u, 8, &fds[i], 1), 0);
			expect_closed(fx, dev, before, true, "vring fd that is not an eventfd");
			log = daemon_log(fx->d);
			assert_non_null(strstr(log + before, "with an fd that is not an eventfd"));
			free(log);
			/* Stay under the log's 10 lines per second per guest. */
			usleep(400 * 1000);
		}
		close(fds[i]);
	}
	fx->passed = true;
}

/* GET_VRING_BASE stops the ring but does not disable it: a restart without ENABLE serves. */
static void test_get_vring_base_keeps_enabled(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t w[2] = {0x31, 0x5c}, r = 0;
	uint32_t base = 0;
	struct vf_dev *dev = conn_at(fx, STARTED);

	assert_int_equal(vf_i2c_write(dev, STUB, w, 2), 0);
	assert_int_equal(vf_msg_get_vring_base(dev->conn, 0, &base), 0);
	assert_int_equal(base, 1);
	assert_int_equal(vf_msg_set_state(dev->conn, VHOST_USER_SET_VRING_BASE, 0, base, false), 0);
	assert_int_equal(
		vf_msg_set_vring_fd(dev->conn, VHOST_USER_SET_VRING_KICK, 0, dev->vr.kick_fd, false),
		0);
	assert_int_equal(vf_i2c_write_read(dev, STUB, w, 1, &r, 1), 0);
	assert_int_equal(r, 0x5c);
	vf_dev_destroy(dev);
	fx->passed = true;
}

static void test_oversized_payload(void **state)
{
	struct daemon_fx *fx = *state;
	static uint8_t big[5000];
	struct vhost_user_hdr h = {.request = VHOST_USER_SET_MEM_TABLE, .flags = 1};
	struct vf_dev *dev;
	size_t before;

	send_bad(fx, INITED, VHOST_USER_SET_MEM_TABLE, 1, big, sizeof(big), NULL, 0, "5000 bytes");
	send_bad(fx, INITED, VHOST_USER_SET_FEATURES, 1, big, 4097, NULL, 0, "4097 bytes");
	/* a huge size and no payload: rejected on the header alone */
	dev = conn_at(fx, INITED);
	before = log_len(fx->d);
	h.size = 0x7fffffff;
	assert_int_equal(vf_conn_send_raw(dev->conn, &h, sizeof(h), NULL, 0), 0);
	expect_closed(fx, dev, before, true, "size 0x7fffffff");
	fx->passed = true;
}

static void test_truncated_and_garbage(void **state)
{
	struct daemon_fx *fx = *state;
	struct vhost_user_hdr h = {.request = VHOST_USER_SET_FEATURES, .flags = 1, .size = 8};
	uint8_t garbage[64];
	struct vf_dev *dev;
	size_t before;
	unsigned i, seed = 12345;

	/* header promises 8 bytes, 4 arrive, then EOF */
	dev = conn_at(fx, INITED);
	before = log_len(fx->d);
	assert_int_equal(vf_conn_send_raw(dev->conn, &h, sizeof(h), NULL, 0), 0);
	assert_int_equal(vf_conn_send_raw(dev->conn, "\1\0\0\0", 4, NULL, 0), 0);
	shutdown(dev->conn->fd, SHUT_WR);
	expect_closed(fx, dev, before, false, "truncated payload");

	/* half a header, then EOF */
	dev = conn_at(fx, FRESH);
	before = log_len(fx->d);
	assert_int_equal(vf_conn_send_raw(dev->conn, &h, 6, NULL, 0), 0);
	shutdown(dev->conn->fd, SHUT_WR);
	expect_closed(fx, dev, before, false, "truncated header");

	/* random bytes */
	for (i = 0; i < sizeof(garbage); i++) {
		seed = seed * 1103515245 + 12345;
		garbage[i] = (uint8_t)(seed >> 16);
	}
	dev = conn_at(fx, INITED);
	before = log_len(fx->d);
	assert_int_equal(vf_conn_send_raw(dev->conn, garbage, sizeof(garbage), NULL, 0), 0);
	expect_closed(fx, dev, before, true, "garbage");
	fx->passed = true;
}

/* ================= hostile requests that get ERR ================= */

static void open_dev(struct daemon_fx *fx, unsigned qsz)
{
	struct vf_dev_opts o;

	vf_dev_opts_default(&o);
	o.queue_size = qsz;
	fx->dev = vf_dev_open(fx->paths[0], &o);
	if (!fx->dev)
		printf("vf_dev_open: %s\n", strerror(errno));
	assert_non_null(fx->dev);
}

/* The 24c02's first bytes are still erased and the queue still works. */
static void assert_nothing_changed(struct daemon_fx *fx)
{
	uint8_t off = 0, r[4];

	assert_int_equal(vf_i2c_write_read(fx->dev, EE, &off, 1, r, 4), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(r[i], 0xff);
	assert_true(daemon_alive(fx->d));
}

static void expect_err_msg(struct daemon_fx *fx, struct vf_i2c_msg *m, const char *what)
{
	/* The status byte ends the writable bytes: a read buffer's length + 1. */
	uint32_t want_len = m->flags & VF_I2C_M_RD ? m->len + 1u : 1u;
	int ret = vf_i2c_transfer(fx->dev, m, 1, 0, TMO);

	if (ret != 1 || m->status != VIRTIO_I2C_MSG_ERR || m->used_len != want_len)
		printf("%s: ret %d status %u used_len %u\n", what, ret, m->status, m->used_len);
	assert_int_equal(ret, 1);
	assert_int_equal(m->status, VIRTIO_I2C_MSG_ERR);
	assert_int_equal(m->used_len, want_len);
	assert_nothing_changed(fx);
}

static void test_bad_headers_get_err(void **state)
{
	struct daemon_fx *fx = *state;
	uint8_t w[3] = {0x00, 0x12, 0x34}, r[4];
	struct vf_i2c_msg m;

	open_dev(fx, 4);
	/* reserved flag bits */
	m = (struct vf_i2c_msg){.addr = EE, .len = 3, .buf = w, .hdr_flags_xor = 0x4};
	expect_err_msg(fx, &m, "flags bit 2");
	m = (struct vf_i2c_msg){.addr = EE, .len = 3, .buf = w, .hdr_flags_xor = 0x80000000};
	expect_err_msg(fx, &m, "flags bit 31");
	m = (struct vf_i2c_msg){.addr = EE, .hdr_flags_xor = 0x100};
	expect_err_msg(fx, &m, "zero-length, flags bit 8");
	/* buffer direction contradicts M_RD */
	m = (struct vf_i2c_msg){
		.addr = EE, .len = 3, .buf = w, .hdr_flags_xor = VIRTIO_I2C_FLAGS_M_RD};
	expect_err_msg(fx, &m, "readable buffer, M_RD set");
	m = (struct vf_i2c_msg){.addr = EE,
				.flags = VF_I2C_M_RD,
				.len = 4,
				.buf = r,
				.hdr_flags_xor = VIRTIO_I2C_FLAGS_M_RD};
	expect_err_msg(fx, &m, "writable buffer, M_RD clear");
	/*
	 * 10-bit address format: A7..A0 in bits 15..8, 11110 in bits 7..3, A9..A8
	 * in bits 2..1. 0x150 → 0x50f2, which (>> 1) & 0x7f would turn into 0x79.
	 * (With A7..A0 = 0 the encoding equals the 7-bit addresses 0x78..0x7b,
	 * which I2C reserves for this: not distinguishable, not tested.)
	 */
	w[0] = 0x00;
	w[1] = 0x5a;
	m = (struct vf_i2c_msg){.addr = 0x50f2, .flags = VF_I2C_M_RAW_ADDR, .len = 2, .buf = w};
	expect_err_msg(fx, &m, "10-bit address 0x150");
	m = (struct vf_i2c_msg){.addr = 0x01f2, .flags = VF_I2C_M_RAW_ADDR};
	expect_err_msg(fx, &m, "10-bit address 0x101, zero-length");
	/* the stub at 0x79 was not written */
	{
		uint8_t reg = 0, v = 0xee;

		assert_int_equal(vf_i2c_write_read(fx->dev, STUB79, &reg, 1, &v, 1), 0);
		assert_int_equal(v, 0);
	}
	fx->passed = true;
}

static void test_oversized_buffer_gets_err(void **state)
{
	struct daemon_fx *fx = *state;
	static uint8_t big[8193];
	struct vf_i2c_msg m;

	open_dev(fx, 4);
	memset(big, 0x11, sizeof(big));
	big[0] = 0; /* 24c256 word address 0x0000 */
	big[1] = 0;
	m = (struct vf_i2c_msg){.addr = EE256, .len = sizeof(big), .buf = big};
	expect_err_msg(fx, &m, "8193-byte write");
	m = (struct vf_i2c_msg){
		.addr = EE256, .flags = VF_I2C_M_RD, .len = sizeof(big), .buf = big};
	expect_err_msg(fx, &m, "8193-byte read");
	/* the write did not happen */
	{
		uint8_t a[2] = {0, 0}, r[2];

		assert_int_equal(vf_i2c_write_read(fx->dev, EE256, a, 2, r, 2), 0);
		assert_int_equal(r[0], 0xff);
		assert_int_equal(r[1], 0xff);
	}
	fx->passed = true;
}

/* Placeholders in crafted sg lists for the head's own slot. */
#define GPA_HDR	   1ull
#define GPA_STATUS 2ull
#define GPA_DATA   3ull

/*
 * A crafted chain through the next head's slot: out_hdr {EE write}, data
 * {word address 0, 0x42} and status in the slot, descriptors from sg (with
 * GPA_* placeholders). Kicks, waits, expects ERR with used len 1.
 */
static void crafted_err(struct daemon_fx *fx, const struct vf_sg *tmpl, unsigned n, bool indirect,
			const char *what)
{
	struct vf_vring *vr = &fx->dev->vr;
	uint16_t head = vr->free_head;
	struct vf_i2c_slot *s = &fx->dev->slots[head];
	struct vf_sg sg[4];
	uint32_t id, len;
	unsigned i;
	int ret;

	for (i = 0; i < n; i++) {
		sg[i] = tmpl[i];
		if (sg[i].gpa == GPA_HDR)
			sg[i].gpa = vf_i2c_slot_hdr_gpa(fx->dev, head);
		else if (sg[i].gpa == GPA_STATUS)
			sg[i].gpa = vf_i2c_slot_status_gpa(fx->dev, head);
		else if (sg[i].gpa == GPA_DATA)
			sg[i].gpa = vf_i2c_slot_scratch_gpa(fx->dev, head);
	}

	s->hdr.addr = EE << 1;
	s->hdr.padding = 0;
	s->hdr.flags = HDR_FLAGS;
	s->status = VF_I2C_UNTOUCHED;
	s->scratch[0] = 0x00; /* word address 0, then data */
	s->scratch[1] = 0x42;
	assert_int_equal(vf_vring_add(vr, sg, n, indirect, NULL), head);
	assert_int_equal(vf_vring_kick(vr, true), 0);
	ret = vf_vring_wait_used(vr, TMO);
	if (ret)
		printf("%s: no used entry (%s)\n", what, strerror(-ret));
	assert_int_equal(ret, 0);
	assert_int_equal(vf_vring_get_used(vr, &id, &len, NULL), 0);
	if (id != head || len != 1 || s->status != VIRTIO_I2C_MSG_ERR)
		printf("%s: id %u len %u status %u\n", what, id, len, s->status);
	assert_int_equal(id, head);
	assert_int_equal(len, 1);
	assert_int_equal(s->status, VIRTIO_I2C_MSG_ERR);
	assert_nothing_changed(fx);
}

/* The well-formed version of a crafted chain: OK, and byte 0 of the 24c02 becomes 0x42. */
static void crafted_ok(struct daemon_fx *fx, const struct vf_sg *tmpl, unsigned n, bool indirect)
{
	struct vf_vring *vr = &fx->dev->vr;
	uint16_t head = vr->free_head;
	struct vf_i2c_slot *s = &fx->dev->slots[head];
	uint8_t off = 0, r = 0;
	struct vf_sg sg[4];
	uint32_t id, len;
	unsigned i;

	for (i = 0; i < n; i++) {
		sg[i] = tmpl[i];
		if (sg[i].gpa == GPA_HDR)
			sg[i].gpa = vf_i2c_slot_hdr_gpa(fx->dev, head);
		else if (sg[i].gpa == GPA_STATUS)
			sg[i].gpa = vf_i2c_slot_status_gpa(fx->dev, head);
		else if (sg[i].gpa == GPA_DATA)
			sg[i].gpa = vf_i2c_slot_scratch_gpa(fx->dev, head);
	}
	s->hdr.addr = EE << 1;
	s->hdr.padding = 0;
	s->hdr.flags = HDR_FLAGS;
	s->status = VF_I2C_UNTOUCHED;
	s->scratch[0] = 0x00;
	s->scratch[1] = 0x42;
	assert_int_equal(vf_vring_add(vr, sg, n, indirect, NULL), head);
	assert_int_equal(vf_vring_kick(vr, true), 0);
	assert_int_equal(vf_vring_wait_used(vr, TMO), 0);
	assert_int_equal(vf_vring_get_used(vr, &id, &len, NULL), 0);
	assert_int_equal(id, head);
	assert_int_equal(len, 1);
	assert_int_equal(s->status, VIRTIO_I2C_MSG_OK);
	assert_int_equal(vf_i2c_write_read(fx->dev, EE, &off, 1, &r, 1), 0);
	assert_int_equal(r, 0x42);
}

static void test_bad_descriptors_get_err(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_region *r0;
	uint64_t end0;
	struct vf_sg sg[3];
	int ind;

	open_dev(fx, 8);
	r0 = &fx->dev->mem->regions[0];
	end0 = r0->gpa + r0->size;
	for (ind = 0; ind < 2; ind++) {
		/* control: the same chain, well-formed, is executed (and then undone) */
		{
			uint8_t undo[2] = {0x00, 0xff};

			sg[0] = (struct vf_sg){.gpa = GPA_HDR, .len = 8};
			sg[1] = (struct vf_sg){.gpa = GPA_DATA, .len = 2};
			sg[2] = (struct vf_sg){.gpa = GPA_STATUS, .len = 1, .write = true};
			crafted_ok(fx, sg, 3, ind);
			assert_int_equal(vf_i2c_write(fx->dev, EE, undo, 2), 0);
		}
		/* out_hdr shorter than 8 bytes */
		sg[0] = (struct vf_sg){.gpa = GPA_HDR, .len = 4};
		sg[1] = (struct vf_sg){.gpa = GPA_STATUS, .len = 1, .write = true};
		crafted_err(fx, sg, 2, ind, "4-byte out_hdr");
		/* data buffer in the hole between regions */
		sg[0] = (struct vf_sg){.gpa = GPA_HDR, .len = 8};
		sg[1] = (struct vf_sg){.gpa = VF_REGION_STRIDE / 2, .len = 2};
		sg[2] = (struct vf_sg){.gpa = GPA_STATUS, .len = 1, .write = true};
		crafted_err(fx, sg, 3, ind, "buffer outside memory");
		/* data buffer straddling the end of the region */
		sg[1] = (struct vf_sg){.gpa = end0 - 1, .len = 2};
		crafted_err(fx, sg, 3, ind, "buffer across the region end");
		/* data buffer whose end overflows 64 bits */
		sg[1] = (struct vf_sg){.gpa = UINT64_MAX - 1, .len = 16};
		crafted_err(fx, sg, 3, ind, "buffer address overflow");
		/* out_hdr outside memory, status fine */
		sg[0] = (struct vf_sg){.gpa = end0 + 4096, .len = 8};
		sg[1] = (struct vf_sg){.gpa = GPA_DATA, .len = 2};
		crafted_err(fx, sg, 3, ind, "out_hdr outside memory");
	}
	fx->passed = true;
}

/* ================= corrupt rings stop the queue ================= */

/* Adds a valid stub probe (not published). */
static void add_valid_probe(struct vf_dev *dev)
{
	uint16_t head = dev->vr.free_head;
	struct vf_sg sg[2] = {
		{.gpa = vf_i2c_slot_hdr_gpa(dev, head), .len = 8},
		{.gpa = vf_i2c_slot_status_gpa(dev, head), .len = 1, .write = true},
	};

	dev->slots[head].hdr.addr = STUB << 1;
	dev->slots[head].hdr.flags = 0;
	assert_true(vf_vring_add(&dev->vr, sg, 2, true, NULL) >= 0);
}

/*
 * Whatever was published is corrupt: no used entry may appear, not even for a
 * valid request queued behind it; the daemon lives, another socket works,
 * and GET_VRING_BASE + a fresh start bring the queue back.
 */
static void expect_stopped(struct daemon_fx *fx, const char *what)
{
	struct vf_vring *vr = &fx->dev->vr;
	uint16_t used_before = vr->used->idx;

	assert_int_equal(vf_vring_kick(vr, true), 0);
	usleep(QUIET_MS * 1000);
	if (vr->used->idx != used_before)
		printf("%s: the daemon completed something\n", what);
	assert_int_equal(vr->used->idx, used_before);
	if (vr->num_free >= 1) {
		add_valid_probe(fx->dev);
		assert_int_equal(vf_vring_kick(vr, true), 0);
		usleep(QUIET_MS * 1000);
		assert_int_equal(vr->used->idx, used_before);
	}
	assert_true(daemon_alive(fx->d));
	assert_socket_serves(fx, 1, (uint8_t)used_before);
	/* restart the queue on the same connection */
	assert_int_equal(vf_dev_restart_fresh(fx->dev), 0);
	{
		uint8_t w[2] = {0x66, 0x99}, r = 0;

		assert_int_equal(vf_i2c_write(fx->dev, STUB, w, 2), 0);
		assert_int_equal(vf_i2c_write_read(fx->dev, STUB, w, 1, &r, 1), 0);
		assert_int_equal(r, 0x99);
	}
	assert_nothing_changed(fx);
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/*
 * Nothing is in flight: rebuild the free list so that descriptors 0..first-1
 * are ours to corrupt and the rest stay free for a valid request.
 */
static void claim_descs(struct vf_vring *vr, unsigned first)
{
	for (unsigned i = 0; i < vr->num; i++) {
		vr->desc[i].next = (uint16_t)((i + 1) % vr->num);
		vr->heads[i].ndesc = 0;
	}
	vr->free_head = (uint16_t)first;
	vr->num_free = (uint16_t)(vr->num - first);
}

static void test_avail_idx_too_far_ahead(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_vring *vr;

	open_dev(fx, 4);
	vr = &fx->dev->vr;
	vf_vring_set_avail_idx(vr, (uint16_t)(vr->last_used + vr->num + 1));
	vr->num_free = 0; /* nothing valid can be queued behind this */
	expect_stopped(fx, "avail idx num+1 ahead");
	vf_vring_set_avail_idx(vr, (uint16_t)(vr->last_used - 1)); /* "65535 ahead" */
	vr->num_free = 0;
	expect_stopped(fx, "avail idx 65535 ahead");
	fx->passed = true;
}

static void test_head_out_of_range(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_vring *vr;

	open_dev(fx, 4);
	vr = &fx->dev->vr;
	vf_vring_push_head(vr, 4);
	expect_stopped(fx, "head == num");
	vf_vring_push_head(vr, 0xffff);
	expect_stopped(fx, "head 0xffff");
	fx->passed = true;
}

static void test_descriptor_loops(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_vring *vr;
	uint64_t hdr, data;

	open_dev(fx, 4);
	vr = &fx->dev->vr;
	hdr = vf_i2c_slot_hdr_gpa(fx->dev, 0);
	data = vf_i2c_slot_scratch_gpa(fx->dev, 0);
	fx->dev->slots[0].hdr.addr = EE << 1;
	/* 0 -> 1 -> 0 ... */
	claim_descs(vr, 2); /* first: it rewrites every next field */
	set_desc(&vr->desc[0], hdr, 8, F_NEXT, 1);
	set_desc(&vr->desc[1], data, 2, F_NEXT, 0);
	vf_vring_push_head(vr, 0);
	expect_stopped(fx, "direct loop");
	/* a descriptor pointing at itself */
	claim_descs(vr, 1);
	set_desc(&vr->desc[0], hdr, 8, F_NEXT, 0);
	vf_vring_push_head(vr, 0);
	expect_stopped(fx, "self loop");
	/* a loop inside an indirect table */
	{
		struct vring_desc *tbl = &vr->indirect[0];

		set_desc(&tbl[0], hdr, 8, F_NEXT, 1);
		set_desc(&tbl[1], data, 2, F_NEXT, 2);
		set_desc(&tbl[2], data, 2, F_NEXT, 0);
		claim_descs(vr, 1);
		set_desc(&vr->desc[0], vr->indirect_gpa, 3 * 16, F_INDIR, 0);
		vf_vring_push_head(vr, 0);
		expect_stopped(fx, "indirect loop");
	}
	/* next index beyond the indirect table */
	{
		struct vring_desc *tbl = &vr->indirect[0];

		set_desc(&tbl[0], hdr, 8, F_NEXT, 7);
		claim_descs(vr, 1);
		set_desc(&vr->desc[0], vr->indirect_gpa, 2 * 16, F_INDIR, 0);
		vf_vring_push_head(vr, 0);
		expect_stopped(fx, "indirect next out of table");
	}
	fx->passed = true;
}

static void bad_indirect(struct daemon_fx *fx, uint32_t len, uint16_t ring_flags,
			 uint16_t tbl1_flags, const char *what)
{
	struct vf_vring *vr = &fx->dev->vr;
	struct vring_desc *tbl = &vr->indirect[0];
	uint64_t hdr = vf_i2c_slot_hdr_gpa(fx->dev, 0), st = vf_i2c_slot_status_gpa(fx->dev, 0);

	fx->dev->slots[0].hdr.addr = EE << 1;
	set_desc(&tbl[0], hdr, 8, F_NEXT, 1);
	set_desc(&tbl[1], tbl1_flags & F_INDIR ? vr->indirect_gpa : st,
		 tbl1_flags & F_INDIR ? 32 : 1, tbl1_flags, 0);
	claim_descs(vr, 1);
	set_desc(&vr->desc[0], vr->indirect_gpa, len, ring_flags, 1);
	vf_vring_push_head(vr, 0);
	expect_stopped(fx, what);
}

static void test_bad_indirect_tables(void **state)
{
	struct daemon_fx *fx = *state;

	open_dev(fx, 4);
	bad_indirect(fx, 20, F_INDIR, F_WRITE, "indirect len 20");
	bad_indirect(fx, 0, F_INDIR, F_WRITE, "indirect len 0");
	bad_indirect(fx, 32, F_INDIR | F_NEXT, F_WRITE, "INDIRECT|NEXT");
	bad_indirect(fx, 32, F_INDIR, F_INDIR, "nested indirect");
	fx->passed = true;
}

static void test_no_status_byte(void **state)
{
	struct daemon_fx *fx = *state;
	struct vf_vring *vr;
	uint64_t hdr, data;
	int ind;

	open_dev(fx, 4);
	vr = &fx->dev->vr;
	for (ind = 0; ind < 2; ind++) {
		struct vf_sg sg[2];

		hdr = vf_i2c_slot_hdr_gpa(fx->dev, vr->free_head);
		data = vf_i2c_slot_scratch_gpa(fx->dev, vr->free_head);
		fx->dev->slots[vr->free_head].hdr.addr = EE << 1;
		fx->dev->slots[vr->free_head].scratch[0] = 0;
		/* only the out_hdr */
		sg[0] = (struct vf_sg){.gpa = hdr, .len = 8};
		assert_true(vf_vring_add(vr, sg, 1, false, NULL) >= 0);
		expect_stopped(fx, "out_hdr only");
		/* out_hdr and a readable buffer, nothing writable */
		hdr = vf_i2c_slot_hdr_gpa(fx->dev, vr->free_head);
		data = vf_i2c_slot_scratch_gpa(fx->dev, vr->free_head);
		fx->dev->slots[vr->free_head].hdr.addr = EE << 1;
		sg[0] = (struct vf_sg){.gpa = hdr, .len = 8};
		sg[1] = (struct vf_sg){.gpa = data, .len = 2};
		assert_true(vf_vring_add(vr, sg, 2, ind, NULL) >= 0);
		expect_stopped(fx, "no writable descriptor");
	}
	fx->passed = true;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, daemon_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_wrong_payload_sizes),
		T(test_bad_flags),
		T(test_unknown_requests),
		T(test_bad_vring_index_and_num),
		T(test_ring_addresses_outside_memory),
		T(test_too_many_fds),
		T(test_vring_fds_not_eventfds),
		T(test_get_vring_base_keeps_enabled),
		T(test_oversized_payload),
		T(test_truncated_and_garbage),
		T(test_bad_headers_get_err),
		T(test_oversized_buffer_gets_err),
		T(test_bad_descriptors_get_err),
		T(test_avail_idx_too_far_ahead),
		T(test_head_out_of_range),
		T(test_descriptor_loops),
		T(test_bad_indirect_tables),
		T(test_no_status_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
