// SPDX-License-Identifier: MIT
/*
 * vi2c-bench-standin: a deliberately small vhost-user virtio-i2c backend with
 * the quirks of other implementations, so the bench's handling of them is
 * tested without those implementations (bench.smoke):
 *
 *   --recreate      serve one client per socket, then re-create the socket the
 *                   way rust-vmm's vhost-device-i2c does: the old listener
 *                   lingers (here: until the next connection is queued in its
 *                   backlog, which is then reset), then the path refuses
 *                   connections (ECONNREFUSED, then ENOENT) for ~100 ms;
 *   --write-len-quirk  a write's used.len counts the data bytes as well as the
 *                   status (vhost-device-i2c returns 2 for a 1-byte write; the
 *                   spec says 1).
 *
 * The bus holds one 256-byte register file at every address (first written
 * byte = register pointer), so the bench checks the data it reads back.
 * One thread per socket, one connection at a time, one queue; no memory
 * hot-plug (no CONFIGURE_MEM_SLOTS), no MQ. Exits 0 on SIGTERM/SIGINT.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../src/proto.h"

#define MAX_SOCKETS 64
#define POLL_MS	    50 /* how often a waiting thread looks at the stop flag */
#define BIT(n)	    (1ull << (n))

static const uint64_t features = BIT(VIRTIO_I2C_F_ZERO_LENGTH_REQUEST) |
				 BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX) |
				 BIT(VHOST_USER_F_PROTOCOL_FEATURES) | BIT(VIRTIO_F_VERSION_1);
static const uint64_t protocol_features = BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);

static struct {
	bool recreate, write_len_quirk;
} opt;

static atomic_bool stopping;

struct region {
	uint64_t gpa, size, uaddr;
	uint8_t *base; /* mapping of [0, mmap_offset + size) */
	uint64_t map_len, offset;
};

/* One guest connection: its memory, its ring and a register file per address. */
struct conn {
	int fd, kick_fd, call_fd;
	uint64_t acked;
	bool reply_ack, event_idx, started, enabled;
	struct region mem[VHOST_USER_MAX_RAM_SLOTS];
	unsigned nregions;
	unsigned num;
	uint16_t last_avail, used_idx;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint8_t regs[128][256];
	uint8_t ptr[128];
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stopping, true);
}

/* ---- guest memory ---- */

static void *gpa_ptr(struct conn *c, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < c->nregions; i++) {
		struct region *r = &c->mem[i];

		if (gpa >= r->gpa && len <= r->size && gpa - r->gpa <= r->size - len)
			return r->base + r->offset + (gpa - r->gpa);
	}
	return NULL;
}

static void *uaddr_ptr(struct conn *c, uint64_t ua, uint64_t len)
{
	for (unsigned i = 0; i < c->nregions; i++) {
		struct region *r = &c->mem[i];

		if (ua >= r->uaddr && len <= r->size && ua - r->uaddr <= r->size - len)
			return r->base + r->offset + (ua - r->uaddr);
	}
	return NULL;
}

static void unmap_all(struct conn *c)
{
	for (unsigned i = 0; i < c->nregions; i++)
		munmap(c->mem[i].base, c->mem[i].map_len);
	c->nregions = 0;
	c->desc = NULL;
	c->avail = NULL;
	c->used = NULL;
}

/* ---- the ring ---- */

/* A request's buffers: the out_hdr, an optional data buffer, the status byte. */
struct req {
	struct virtio_i2c_out_hdr *hdr;
	uint8_t *data, *status;
	uint32_t len;
	bool data_in; /* data is device-writable (a read) */
};

/* Walks one chain (direct or one indirect table) into a request. -EINVAL if malformed. */
static int parse_chain(struct conn *c, uint16_t head, struct req *q)
{
	struct vring_desc *table = c->desc, d;
	unsigned size = c->num, i = head, n = 0;
	struct vring_desc parts[3];

	d = table[i];
	if (le16toh(d.flags) & VRING_DESC_F_INDIRECT) {
		if (le32toh(d.len) % sizeof(d) || !le32toh(d.len))
			return -EINVAL;
		size = le32toh(d.len) / sizeof(d);
		table = gpa_ptr(c, le64toh(d.addr), le32toh(d.len));
		if (!table)
			return -EINVAL;
		i = 0;
	}
	for (;;) {
		if (i >= size || n >= 3)
			return -EINVAL;
		d = table[i];
		parts[n++] = d;
		if (!(le16toh(d.flags) & VRING_DESC_F_NEXT))
			break;
		i = le16toh(d.next);
	}
	memset(q, 0, sizeof(*q));
	if (n < 2 || le32toh(parts[0].len) != sizeof(*q->hdr) || le32toh(parts[n - 1].len) < 1)
		return -EINVAL;
	q->hdr = gpa_ptr(c, le64toh(parts[0].addr), sizeof(*q->hdr));
	q->status = gpa_ptr(c, le64toh(parts[n - 1].addr), 1);
	if (n == 3) {
		q->len = le32toh(parts[1].len);
		q->data = gpa_ptr(c, le64toh(parts[1].addr), q->len);
		q->data_in = le16toh(parts[1].flags) & VRING_DESC_F_WRITE;
		if (!q->data)
			return -EINVAL;
	}
	return q->hdr && q->status ? 0 : -EINVAL;
}

/* Carries out one request on the register file; returns used.len. */
static uint32_t serve_request(struct conn *c, uint16_t head)
{
	struct req q;
	unsigned addr;
	uint32_t i;
	bool rd;

	if (parse_chain(c, head, &q))
		return 0;
	addr = (le16toh(q.hdr->addr) >> 1) & 0x7f;
	rd = le32toh(q.hdr->flags) & VIRTIO_I2C_FLAGS_M_RD;
	if (rd != q.data_in && q.len) {
		*q.status = VIRTIO_I2C_MSG_ERR;
		return 1;
	}
	for (i = 0; i < q.len; i++) {
		if (rd) {
			q.data[i] = c->regs[addr][c->ptr[addr]++];
		} else if (i == 0) {
			c->ptr[addr] = q.data[0];
		} else {
			c->regs[addr][c->ptr[addr]++] = q.data[i];
		}
	}
	*q.status = VIRTIO_I2C_MSG_OK;
	/* The spec counts the bytes the device wrote; the quirk counts a write's data too. */
	if (rd)
		return q.len + 1;
	return opt.write_len_quirk ? q.len + 1 : 1;
}

static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* Serves everything in the avail ring, then signals the guest if it asked for it. */
static void process_ring(struct conn *c)
{
	uint16_t old = c->used_idx, avail_idx;
	bool signal;

	if (!c->started || !c->enabled || !c->avail)
		return;
	for (;;) {
		avail_idx = le16toh(__atomic_load_n(&c->avail->idx, __ATOMIC_ACQUIRE));
		while (c->last_avail != avail_idx) {
			uint16_t head = le16toh(c->avail->ring[c->last_avail % c->num]);
			struct vring_used_elem *e = &c->used->ring[c->used_idx % c->num];

			if (head >= c->num)
				head = 0; /* the bench never sends this; keep going */
			e->id = htole32(head);
			e->len = htole32(serve_request(c, head));
			c->last_avail++;
			c->used_idx++;
			__atomic_store_n(&c->used->idx, htole16(c->used_idx), __ATOMIC_RELEASE);
		}
		if (!c->event_idx)
			break;
		/* Ask for a kick at the next entry, then look again (the guest may have raced). */
		__atomic_store_n((uint16_t *)&c->used->ring[c->num], htole16(c->last_avail),
				 __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (le16toh(__atomic_load_n(&c->avail->idx, __ATOMIC_ACQUIRE)) == c->last_avail)
			break;
	}
	if (c->used_idx == old || c->call_fd < 0)
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (c->event_idx)
		signal = need_event(
			le16toh(__atomic_load_n(&c->avail->ring[c->num], __ATOMIC_RELAXED)),
			c->used_idx, old);
	else
		signal = !(le16toh(c->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	if (signal) {
		uint64_t one = 1;

		if (write(c->call_fd, &one, sizeof(one)) != sizeof(one))
			perror("vi2c-bench-standin: call");
	}
}

/* ---- vhost-user messages ---- */

static int send_reply(struct conn *c, uint32_t request, const void *payload, uint32_t size)
{
	struct vhost_user_hdr h = {request, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK, size};
	uint8_t buf[sizeof(h) + 64];

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, size);
	return send(c->fd, buf, sizeof(h) + size, MSG_NOSIGNAL) == (ssize_t)(sizeof(h) + size)
		       ? 0
		       : -EPIPE;
}

/* Reads one message with its fds. Returns payload size, 0 on EOF... -1 on error/EOF. */
static int recv_msg(struct conn *c, struct vhost_user_hdr *h, uint8_t *payload, int *fds,
		    unsigned *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {h, sizeof(*h)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	ssize_t n;

	*nfds = 0;
	n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	if (n != sizeof(*h))
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			*nfds = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(cm), *nfds * sizeof(int));
		}
	}
	if (h->size > VHOST_USER_MAX_PAYLOAD)
		return -1;
	if (h->size && recv(c->fd, payload, h->size, MSG_WAITALL) != (ssize_t)h->size)
		return -1;
	return (int)h->size;
}

static void set_fd(int *slot, const uint8_t *payload, int *fds, unsigned *nfds)
{
	uint64_t v;

	memcpy(&v, payload, sizeof(v));
	if (*slot >= 0)
		close(*slot);
	*slot = -1;
	if (!(v & VHOST_USER_VRING_NOFD_MASK) && *nfds) {
		*slot = fds[0];
		fds[0] = -1;
	}
}

static int set_mem_table(struct conn *c, const uint8_t *payload, uint32_t size, int *fds,
			 unsigned nfds)
{
	struct vhost_user_mem_table t = {0};

	memcpy(&t, payload, size < sizeof(t) ? size : sizeof(t));
	if (t.nregions > VHOST_USER_MAX_RAM_SLOTS || t.nregions != nfds)
		return -EINVAL;
	unmap_all(c);
	for (unsigned i = 0; i < t.nregions; i++) {
		const struct vhost_user_mem_region *w = &t.regions[i];
		struct region *r = &c->mem[i];

		r->gpa = w->guest_phys_addr;
		r->size = w->memory_size;
		r->uaddr = w->userspace_addr;
		r->offset = w->mmap_offset;
		r->map_len = w->mmap_offset + w->memory_size;
		r->base = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (r->base == MAP_FAILED)
			return -errno;
		c->nregions = i + 1;
	}
	return 0;
}

/* Handles one message; -1 ends the connection. */
static int handle(struct conn *c)
{
	uint8_t payload[VHOST_USER_MAX_PAYLOAD] = {0};
	int fds[VHOST_USER_MAX_FDS], size, err = 0;
	struct vhost_user_vring_state st;
	struct vhost_user_vring_addr a;
	struct vhost_user_hdr h;
	bool replied = false;
	unsigned nfds;
	uint64_t v;

	size = recv_msg(c, &h, payload, fds, &nfds);
	if (size < 0)
		return -1;
	memcpy(&st, payload, sizeof(st));
	switch (h.request) {
	case VHOST_USER_GET_FEATURES:
		err = send_reply(c, h.request, &features, sizeof(features));
		replied = true;
		break;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		err = send_reply(c, h.request, &protocol_features, sizeof(protocol_features));
		replied = true;
		break;
	case VHOST_USER_SET_FEATURES:
		memcpy(&c->acked, payload, sizeof(c->acked));
		c->event_idx = c->acked & BIT(VIRTIO_RING_F_EVENT_IDX);
		/* Without PROTOCOL_FEATURES a ring is enabled as soon as it starts. */
		if (!(c->acked & BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
			c->enabled = true;
		break;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		memcpy(&v, payload, sizeof(v));
		c->reply_ack = v & BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
		break;
	case VHOST_USER_SET_OWNER:
		break;
	case VHOST_USER_SET_MEM_TABLE:
		err = set_mem_table(c, payload, (uint32_t)size, fds, nfds);
		break;
	case VHOST_USER_SET_VRING_NUM:
		if (!st.num || st.num > VIRTQ_MAX_SIZE || (st.num & (st.num - 1)))
			err = -EINVAL;
		else
			c->num = st.num;
		break;
	case VHOST_USER_SET_VRING_BASE:
		c->last_avail = c->used_idx = (uint16_t)st.num;
		break;
	case VHOST_USER_SET_VRING_ADDR:
		memcpy(&a, payload, sizeof(a));
		c->desc = uaddr_ptr(c, a.desc_user_addr, vring_desc_size(c->num));
		c->avail = uaddr_ptr(c, a.avail_user_addr, vring_avail_size(c->num));
		c->used = uaddr_ptr(c, a.used_user_addr, vring_used_size(c->num));
		if (!c->desc || !c->avail || !c->used)
			err = -EFAULT;
		break;
	case VHOST_USER_SET_VRING_KICK:
		set_fd(&c->kick_fd, payload, fds, &nfds);
		c->started = c->kick_fd >= 0 && c->desc && c->num;
		break;
	case VHOST_USER_SET_VRING_CALL:
		set_fd(&c->call_fd, payload, fds, &nfds);
		break;
	case VHOST_USER_SET_VRING_ERR: {
		int dummy = -1;

		set_fd(&dummy, payload, fds, &nfds);
		if (dummy >= 0)
			close(dummy);
		break;
	}
	case VHOST_USER_SET_VRING_ENABLE:
		c->enabled = st.num;
		break;
	case VHOST_USER_GET_VRING_BASE:
		c->started = false;
		if (c->kick_fd >= 0)
			close(c->kick_fd);
		c->kick_fd = -1;
		st.num = c->last_avail;
		err = send_reply(c, h.request, &st, sizeof(st));
		replied = true;
		break;
	default:
		err = -ENOSYS;
		break;
	}
	for (unsigned i = 0; i < nfds; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	if (!replied && c->reply_ack && (h.flags & VHOST_USER_NEED_REPLY_MASK)) {
		v = err ? 1 : 0;
		if (send_reply(c, h.request, &v, sizeof(v)))
			return -1;
		return 0;
	}
	if (err)
		fprintf(stderr, "vi2c-bench-standin: request %u: %s\n", h.request, strerror(-err));
	return replied && err ? -1 : 0;
}

static void serve(int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->kick_fd = c->call_fd = -1;
	while (!atomic_load(&stopping)) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
		uint64_t v;

		if (c->started)
			p[1].fd = c->kick_fd;
		if (poll(p, 2, POLL_MS) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			if (read(c->kick_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				break;
			process_ring(c);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (handle(c))
				break;
			/* A ring that starts may already hold requests. */
			process_ring(c);
		}
	}
	unmap_all(c);
	if (c->kick_fd >= 0)
		close(c->kick_fd);
	if (c->call_fd >= 0)
		close(c->call_fd);
	close(fd);
	free(c);
}

/* ---- sockets ---- */

static int listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Waits for a client (or the stop flag): the connection, or -1. */
static int accept_one(int lfd)
{
	while (!atomic_load(&stopping)) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};

		if (poll(&p, 1, POLL_MS) > 0)
			return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	}
	return -1;
}

/* Waits until a connection is queued on lfd (or the stop flag). */
static void linger(int lfd)
{
	while (!atomic_load(&stopping)) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};

		if (poll(&p, 1, POLL_MS) > 0)
			return;
	}
}

struct sock {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	pthread_t thread;
	int err;
};

static void *socket_thread(void *arg)
{
	struct sock *s = arg;
	int lfd = listen_on(s->path), cfd;

	if (lfd < 0) {
		s->err = lfd;
		atomic_store(&stopping, true);
		return NULL;
	}
	while (!atomic_load(&stopping)) {
		cfd = accept_one(lfd);
		if (cfd < 0)
			continue;
		serve(cfd);
		if (!opt.recreate)
			continue;
		/*
		 * vhost-device-i2c's way: the listener outlives its client a
		 * little, so a new connection lands in its backlog and is reset;
		 * then the path refuses connections, then it is gone, then back.
		 * To make that reset certain for the test, the old listener
		 * waits for the next client to queue.
		 */
		linger(lfd);
		close(lfd);
		lfd = -1;
		{
			/* A bound socket that does not listen: connect() gets ECONNREFUSED. */
			struct sockaddr_un sa = {.sun_family = AF_UNIX};
			int dead = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

			memcpy(sa.sun_path, s->path, sizeof(sa.sun_path));
			unlink(s->path);
			if (dead >= 0 && bind(dead, (struct sockaddr *)&sa, sizeof(sa)))
				perror("vi2c-bench-standin: bind");
			sleep_ms(50);
			unlink(s->path);
			if (dead >= 0)
				close(dead);
		}
		sleep_ms(50);
		lfd = listen_on(s->path);
		if (lfd < 0) {
			s->err = lfd;
			atomic_store(&stopping, true);
			return NULL;
		}
	}
	if (lfd >= 0)
		close(lfd);
	unlink(s->path);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vi2c-bench-standin -s BASE [-c N] [--recreate] [--write-len-quirk]\n"
		   "Serves a register file at every address on BASE0..BASE<N-1>; test helper of "
		   "vi2c-bench.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket-path", required_argument, NULL, 's'},
		{"socket-count", required_argument, NULL, 'c'},
		{"recreate", no_argument, NULL, 'R'},
		{"write-len-quirk", no_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct sigaction sa = {.sa_handler = on_signal};
	const char *base = NULL;
	unsigned long count = 1;
	struct sock *socks;
	int c, ret = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "s:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			base = optarg;
			break;
		case 'c':
			count = strtoul(optarg, &end, 10);
			if (*end || !count || count > MAX_SOCKETS) {
				fprintf(stderr, "vi2c-bench-standin: invalid socket count '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'R':
			opt.recreate = true;
			break;
		case 'W':
			opt.write_len_quirk = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!base || optind != argc) {
		usage(stderr);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	socks = calloc(count, sizeof(*socks));
	if (!socks)
		return 1;
	for (unsigned long i = 0; i < count; i++) {
		if (snprintf(socks[i].path, sizeof(socks[i].path), "%s%lu", base, i) >=
		    (int)sizeof(socks[i].path)) {
			fprintf(stderr, "vi2c-bench-standin: socket path too long: '%s'\n", base);
			atomic_store(&stopping, true);
			count = i;
			ret = 2;
			break;
		}
		if (pthread_create(&socks[i].thread, NULL, socket_thread, &socks[i])) {
			atomic_store(&stopping, true);
			count = i;
			ret = 1;
			break;
		}
	}
	for (unsigned long i = 0; i < count; i++) {
		pthread_join(socks[i].thread, NULL);
		if (socks[i].err) {
			fprintf(stderr, "vi2c-bench-standin: %s: %s\n", socks[i].path,
				strerror(-socks[i].err));
			ret = 1;
		}
	}
	free(socks);
	return ret;
}
