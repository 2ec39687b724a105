// SPDX-License-Identifier: MIT
/* The vhost-user socket: framing, fds, strict reply checks, typed messages. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vu_frontend.h"

#define VF_MAX_SEND_FDS 16
#define VF_MAX_RECV_FDS 16

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Remaining ms until deadline (deadline < 0 = forever → -1). */
static int remaining(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left < 0 ? 0 : (int)left;
}

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Waits for fd readable: 0, -ETIMEDOUT or -errno. */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int n;

	for (;;) {
		n = poll(&pfd, 1, remaining(deadline));
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

struct vf_conn *vf_conn_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int64_t deadline = deadline_of(timeout_ms);
	struct vf_conn *conn;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	conn = calloc(1, sizeof(*conn));
	if (!conn)
		return NULL;
	conn->timeout_ms = timeout_ms;
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			goto err_free;
		}
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		err = errno;
		close(fd);
		if (err != ENOENT && err != ECONNREFUSED && err != EAGAIN)
			goto err_free;
		if (remaining(deadline) == 0) {
			err = ETIMEDOUT;
			goto err_free;
		}
		usleep(5000); /* only while the daemon is starting up */
	}
	conn->fd = fd;
	return conn;

err_free:
	free(conn);
	errno = err;
	return NULL;
}

void vf_conn_close(struct vf_conn *conn)
{
	if (!conn)
		return;
	close(conn->fd);
	free(conn);
}

static int send_iov(struct vf_conn *conn, struct iovec *iov, int iovcnt, const int *fds,
		    unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VF_MAX_SEND_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
	size_t total = 0, sent = 0;
	ssize_t n;
	int i;

	if (nfds > VF_MAX_SEND_FDS)
		return -EINVAL;
	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (nfds) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	/* The fds ride on the first chunk; a short write continues without them. */
	while (sent < total) {
		n = sendmsg(conn->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		sent += (size_t)n;
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (n > 0 && mh.msg_iovlen) {
			if ((size_t)n >= mh.msg_iov->iov_len) {
				n -= (ssize_t)mh.msg_iov->iov_len;
				mh.msg_iov++;
				mh.msg_iovlen--;
			} else {
				mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
				mh.msg_iov->iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return 0;
}

int vf_conn_send(struct vf_conn *conn, uint32_t request, uint32_t flags, const void *payload,
		 uint32_t size, const int *fds, unsigned nfds)
{
	struct vhost_user_hdr hdr = {.request = request, .flags = flags, .size = size};
	struct iovec iov[2] = {
		{.iov_base = &hdr, .iov_len = sizeof(hdr)},
		{.iov_base = (void *)payload, .iov_len = payload ? size : 0},
	};

	return send_iov(conn, iov, 2, fds, nfds);
}

int vf_conn_send_raw(struct vf_conn *conn, const void *buf, size_t len, const int *fds,
		     unsigned nfds)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return send_iov(conn, &iov, 1, fds, nfds);
}

static void close_cmsg_fds(struct msghdr *mh)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fd;

			for (size_t i = 0; i < n; i++) {
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				close(fd);
			}
		}
	}
}

/* Reads exactly len bytes (fds on the first chunk are closed). */
static int read_full(struct vf_conn *conn, void *buf, size_t len, int64_t deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VF_MAX_RECV_FDS)];
		struct cmsghdr align;
	} ctl;
	size_t got = 0;
	ssize_t n;
	int err;

	while (got < len) {
		struct iovec iov = {.iov_base = (char *)buf + got, .iov_len = len - got};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl.buf,
				    .msg_controllen = sizeof(ctl.buf)};

		err = wait_readable(conn->fd, deadline);
		if (err)
			return err;
		n = recvmsg(conn->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return errno == ECONNRESET ? -ECONNRESET : -errno;
		}
		close_cmsg_fds(&mh);
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

int vf_conn_recv(struct vf_conn *conn, struct vhost_user_hdr *hdr, void *payload, size_t cap,
		 int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	char sink[256];
	uint32_t left;
	size_t take;
	int err;

	err = read_full(conn, hdr, sizeof(*hdr), deadline);
	if (err)
		return err;
	take = hdr->size < cap ? hdr->size : cap;
	err = read_full(conn, payload, take, deadline);
	if (err)
		return err;
	for (left = hdr->size - (uint32_t)take; left;) {
		uint32_t chunk = left < sizeof(sink) ? left : (uint32_t)sizeof(sink);

		err = read_full(conn, sink, chunk, deadline);
		if (err)
			return err;
		left -= chunk;
	}
	return (int)(hdr->size > INT32_MAX ? INT32_MAX : hdr->size);
}

int vf_conn_recv_reply(struct vf_conn *conn, uint32_t request, void *payload, uint32_t size,
		       int timeout_ms)
{
	struct vhost_user_hdr hdr;
	int n;

	n = vf_conn_recv(conn, &hdr, payload, size, timeout_ms);
	if (n < 0)
		return n;
	if (hdr.flags != (VHOST_USER_VERSION | VHOST_USER_REPLY_MASK) || hdr.request != request ||
	    hdr.size != size)
		return -EPROTO;
	return 0;
}

int vf_conn_wait_closed(struct vf_conn *conn, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	char c;
	ssize_t n;
	int err;

	for (;;) {
		err = wait_readable(conn->fd, deadline);
		if (err)
			return err;
		n = recv(conn->fd, &c, 1, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;
		if (n > 0)
			return -EPROTO;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

/* ---- typed helpers ---- */

static uint32_t flags_for(bool need_reply)
{
	return VHOST_USER_VERSION | (need_reply ? VHOST_USER_NEED_REPLY_MASK : 0);
}

static int wait_ack(struct vf_conn *conn, uint32_t request)
{
	uint64_t ack;
	int err;

	err = vf_conn_recv_reply(conn, request, &ack, sizeof(ack), conn->timeout_ms);
	if (err)
		return err;
	return ack ? -EREMOTEIO : 0;
}

static int send_then_ack(struct vf_conn *conn, uint32_t request, bool need_reply,
			 const void *payload, uint32_t size, const int *fds, unsigned nfds)
{
	int err;

	err = vf_conn_send(conn, request, flags_for(need_reply), payload, size, fds, nfds);
	if (err || !need_reply)
		return err;
	return wait_ack(conn, request);
}

int vf_msg_get_u64(struct vf_conn *conn, uint32_t request, uint64_t *val)
{
	int err;

	err = vf_conn_send(conn, request, VHOST_USER_VERSION, NULL, 0, NULL, 0);
	if (err)
		return err;
	return vf_conn_recv_reply(conn, request, val, sizeof(*val), conn->timeout_ms);
}

int vf_msg_set_u64(struct vf_conn *conn, uint32_t request, uint64_t val, bool need_reply)
{
	return send_then_ack(conn, request, need_reply, &val, sizeof(val), NULL, 0);
}

int vf_msg_set_none(struct vf_conn *conn, uint32_t request, bool need_reply)
{
	return send_then_ack(conn, request, need_reply, NULL, 0, NULL, 0);
}

int vf_msg_set_state(struct vf_conn *conn, uint32_t request, uint32_t index, uint32_t num,
		     bool need_reply)
{
	struct vhost_user_vring_state st = {.index = index, .num = num};

	return send_then_ack(conn, request, need_reply, &st, sizeof(st), NULL, 0);
}

int vf_msg_get_vring_base(struct vf_conn *conn, uint32_t index, uint32_t *num)
{
	struct vhost_user_vring_state st = {.index = index};
	int err;

	err = vf_conn_send(conn, VHOST_USER_GET_VRING_BASE, VHOST_USER_VERSION, &st, sizeof(st),
			   NULL, 0);
	if (err)
		return err;
	err = vf_conn_recv_reply(conn, VHOST_USER_GET_VRING_BASE, &st, sizeof(st),
				 conn->timeout_ms);
	if (err)
		return err;
	if (st.index != index)
		return -EPROTO;
	*num = st.num;
	return 0;
}

int vf_msg_set_vring_fd(struct vf_conn *conn, uint32_t request, uint32_t index, int fd,
			bool need_reply)
{
	uint64_t val = index & VHOST_USER_VRING_IDX_MASK;

	if (fd < 0)
		val |= VHOST_USER_VRING_NOFD_MASK;
	return send_then_ack(conn, request, need_reply, &val, sizeof(val), fd < 0 ? NULL : &fd,
			     fd < 0 ? 0 : 1);
}

int vf_msg_set_vring_addr(struct vf_conn *conn, const struct vhost_user_vring_addr *addr,
			  bool need_reply)
{
	return send_then_ack(conn, VHOST_USER_SET_VRING_ADDR, need_reply, addr, sizeof(*addr), NULL,
			     0);
}

int vf_msg_set_mem_table(struct vf_conn *conn, const struct vf_mem *mem, bool need_reply)
{
	struct vhost_user_mem_table t = {.nregions = mem->nregions};
	int fds[VF_MAX_REGIONS];
	unsigned i;

	for (i = 0; i < mem->nregions; i++) {
		vf_mem_wire_region(mem, i, &t.regions[i]);
		fds[i] = mem->regions[i].fd;
	}
	/* QEMU sends the header, the used regions only and one fd per region. */
	return send_then_ack(conn, VHOST_USER_SET_MEM_TABLE, need_reply, &t,
			     (uint32_t)(8 + mem->nregions * sizeof(t.regions[0])), fds,
			     mem->nregions);
}

int vf_msg_add_mem_reg(struct vf_conn *conn, const struct vf_mem *mem, unsigned i, bool need_reply)
{
	struct vhost_user_single_region r = {0};

	vf_mem_wire_region(mem, i, &r.region);
	return send_then_ack(conn, VHOST_USER_ADD_MEM_REG, need_reply, &r, sizeof(r),
			     &mem->regions[i].fd, 1);
}

int vf_msg_rem_mem_reg(struct vf_conn *conn, const struct vf_mem *mem, unsigned i, bool need_reply)
{
	struct vhost_user_single_region r = {0};

	vf_mem_wire_region(mem, i, &r.region);
	return send_then_ack(conn, VHOST_USER_REM_MEM_REG, need_reply, &r, sizeof(r), NULL, 0);
}
