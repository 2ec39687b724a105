// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a vhost-user connection fed a stream of messages, fds
 * included (vhost_user.h). The harness plays the VMM on one end of a
 * socketpair; the other end belongs to a struct vu_dev, which reads each
 * message with vu_dev_handle_message (so framing is fuzzed too). Its bus has
 * a stub@0x10 and a 24c02@0x50.
 *
 * Input:
 *   u16 image length, image: the initial content of every memfd sent (so
 *       rings and requests can be placed in guest memory)
 *   then messages, until the input ends or the daemon drops the connection:
 *     u8 ctl: bits 0-3 fd count (% 11: 9 and 10 exceed what one message may
 *             carry), bit 4 payload sent apart from the header, bit 5 kick
 *             the queue afterwards
 *     u8 fd kinds: bit i set = fd i is a memfd (guest RAM), else an eventfd
 *     12-byte header as on the wire, then min(size, what is left) payload
 *             bytes; a short payload (or header) is followed by a hang-up.
 *
 * Checked beyond memory safety: no fd is leaked (the count of open fds is
 * the same before and after every connection); the reply contract QEMU
 * enforces: a message that always replies, or one with NEED_REPLY, gets
 * exactly one reply with flags 0x5, the same request and an 8-byte payload
 * when it succeeds; nothing else is ever sent, and nothing after a fatal
 * error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emul.h"
#include "fuzz_util.h"
#include "i2c_bus.h"
#include "vhost_user.h"

#define MEMFD_SIZE (256u * 1024)
#define MAX_FDS	   10 /* 2 more than a message may carry */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_set_log_level();
	return 0;
}

static struct i2c_bus *make_bus(void)
{
	static const struct cfg_emul specs[] = {
		{.model = EMUL_STUB, .addr = 0x10, .spec = "stub@0x10"},
		{.model = EMUL_24C02, .addr = 0x50, .spec = "24c02@0x50"},
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

static int make_fd(bool memfd, const uint8_t *image, size_t image_len)
{
	int fd;

	if (!memfd) {
		fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		FUZZ_CHECK(fd >= 0);
		return fd;
	}
	fd = memfd_create("fuzz-guest", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && ftruncate(fd, MEMFD_SIZE) == 0);
	if (image_len)
		FUZZ_CHECK(pwrite(fd, image, image_len, 0) == (ssize_t)image_len);
	return fd;
}

/* Sends buf (with fds on its first byte, as QEMU does); 0 or -1. */
static int send_with_fds(int sock, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static bool always_replies(uint32_t request)
{
	switch (request) {
	case VHOST_USER_GET_FEATURES:
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_GET_QUEUE_NUM:
	case VHOST_USER_GET_MAX_MEM_SLOTS:
	case VHOST_USER_GET_STATUS:
		return true;
	default:
		return false;
	}
}

/* Reads what the daemon sent after one message and holds it to the reply contract. */
static void check_replies(int sock, const struct vhost_user_hdr *sent, int ret)
{
	uint8_t buf[256];
	struct vhost_user_hdr hdr;
	uint64_t val;
	ssize_t n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
	bool want = ret == 0 &&
		    (always_replies(sent->request) || (sent->flags & VHOST_USER_NEED_REPLY_MASK));

	if (n < 0) {
		FUZZ_CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
		n = 0;
	}
	if (!want) {
		FUZZ_CHECK(n == 0);
		return;
	}
	FUZZ_CHECK(n == (ssize_t)(sizeof(hdr) + sizeof(val)));
	memcpy(&hdr, buf, sizeof(hdr));
	memcpy(&val, buf + sizeof(hdr), sizeof(val));
	FUZZ_CHECK(hdr.request == sent->request);
	FUZZ_CHECK(hdr.flags == (VHOST_USER_VERSION | VHOST_USER_REPLY_MASK));
	FUZZ_CHECK(hdr.size == sizeof(val));
	switch (sent->request) {
	case VHOST_USER_GET_FEATURES:
		FUZZ_CHECK(val == VU_FEATURES);
		break;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		FUZZ_CHECK(val == VU_PROTOCOL_FEATURES);
		break;
	case VHOST_USER_GET_QUEUE_NUM:
		FUZZ_CHECK(val == 1);
		break;
	case VHOST_USER_GET_MAX_MEM_SLOTS:
		FUZZ_CHECK(val == VU_MEM_MAX_REGIONS);
		break;
	case VHOST_USER_GET_VRING_BASE:
		FUZZ_CHECK((uint32_t)val == 0 && (val >> 32) <= UINT16_MAX); /* {index 0, num} */
		break;
	case VHOST_USER_GET_STATUS:
		FUZZ_CHECK(val <= UINT8_MAX);
		break;
	default:
		FUZZ_CHECK(val == 0 || val == 1); /* REPLY_ACK */
		break;
	}
}

/*
 * Sends one message from the input. Returns true if the stream goes on,
 * false if it was cut short (the harness then hangs up its sending side).
 */
static bool send_message(struct fuzz_in *in, int sock, const uint8_t *image, size_t image_len,
			 struct vhost_user_hdr *hdr, bool *kick)
{
	uint8_t msg[sizeof(*hdr) + VHOST_USER_MAX_PAYLOAD];
	uint8_t ctl = fuzz_u8(in), kinds = fuzz_u8(in);
	unsigned nfds = (ctl & 0x0f) % (MAX_FDS + 1);
	bool split = ctl & 0x10, whole;
	int fds[MAX_FDS];
	size_t hlen, plen = 0, want;

	*kick = ctl & 0x20;
	hlen = fuzz_take(in, hdr, sizeof(*hdr));
	whole = hlen == sizeof(*hdr);
	memcpy(msg, hdr, hlen);
	/* A size above the maximum is refused before the payload is read: send none. */
	if (whole && hdr->size <= VHOST_USER_MAX_PAYLOAD) {
		want = hdr->size;
		plen = fuzz_take(in, msg + hlen, want);
		whole = plen == want;
	}

	for (unsigned i = 0; i < nfds; i++)
		fds[i] = make_fd(kinds & (1u << i), image, image_len);
	if (split && plen) {
		FUZZ_CHECK(send_with_fds(sock, msg, hlen, fds, nfds) == 0);
		FUZZ_CHECK(send(sock, msg + hlen, plen, MSG_NOSIGNAL) == (ssize_t)plen);
	} else {
		FUZZ_CHECK(send_with_fds(sock, msg, hlen + plen, fds, nfds) == 0);
	}
	/* The daemon has its own copies now (or the kernel dropped the extra ones). */
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	if (!whole)
		shutdown(sock, SHUT_WR);
	return whole;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	size_t image_len = fuzz_u16(&in);
	const uint8_t *image = fuzz_borrow(&in, image_len, &image_len);
	struct i2c_bus *bus;
	struct vu_dev dev;
	int sv[2], open_fds = fuzz_count_fds();

	if (image_len > MEMFD_SIZE)
		image_len = MEMFD_SIZE;
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	bus = make_bus();
	vu_dev_init(&dev, "fuzz", sv[0], bus);

	while (fuzz_left(&in)) {
		struct vhost_user_hdr hdr;
		bool kick, more = send_message(&in, sv[1], image, image_len, &hdr, &kick);
		int ret = vu_dev_handle_message(&dev);

		FUZZ_CHECK(ret <= 0);
		if (more)
			check_replies(sv[1], &hdr, ret);
		if (ret < 0 || !more)
			break;
		if (kick && vu_dev_kick_fd(&dev) >= 0 && vu_dev_kick(&dev) < 0)
			break;
	}

	vu_dev_cleanup(&dev);
	close(sv[1]);
	i2c_bus_free(bus);
	FUZZ_CHECK(fuzz_count_fds() == open_fds);
	return 0;
}
