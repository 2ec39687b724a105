/* SPDX-License-Identifier: MIT */
/*
 * vi2c-drive: plays the VMM against a vhost-user-i2c daemon and sends it
 * virtio-i2c transfers given on the command line, the way Linux's i2c-virtio
 * driver sends them. Built statically for the end-to-end guest, where it
 * drives a daemon that passes through the guest kernel's own I2C adapters.
 *
 * Usage: vi2c-drive [-t MS] SOCKET GROUP [-- GROUP]...
 *   GROUP  one combined transfer (FAIL_NEXT on all but its last message):
 *          MSG [MSG]..., MSG = {r|w}LEN[@ADDR] followed, for writes, by LEN
 *          byte values (the i2ctransfer syntax; ADDR defaults to the
 *          previous message's). LEN 0 is a zero-length request.
 *   -t MS  how long to wait for the device (default 5000)
 *
 * One connection for all groups (QEMU's init and start sequences, then the
 * groups in order, then stop). For each group one line goes to stdout: the
 * status of each message (OK, ERR, or NOT_SENT) joined by ',', then the
 * bytes the OK read messages returned, e.g. "OK,OK 0x01 0x02".
 * Exit status: 0 when the device answered every group (whatever the
 * statuses), 1 when it did not (connection, protocol, timeout), 2 on usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vu_frontend.h"

#define MAX_GROUP_MSGS 64
#define MAX_MSG_LEN    8192

struct group {
	struct vf_i2c_msg msgs[MAX_GROUP_MSGS];
	unsigned n;
};

static void usage(void)
{
	fprintf(stderr, "usage: vi2c-drive [-t MS] SOCKET {r|w}LEN[@ADDR] [BYTE]... "
			"[-- {r|w}LEN[@ADDR] ...]...\n");
}

/* Parses an unsigned number (decimal or 0x hex) no larger than max. */
static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || *out > max)
		return -EINVAL;
	return 0;
}

/* Parses "{r|w}LEN[@ADDR]" into m (address: *addr, updated when given). */
static int parse_msg_spec(const char *s, struct vf_i2c_msg *m, int *addr)
{
	char spec[32], *at;
	unsigned long len, a;

	if ((s[0] != 'r' && s[0] != 'w') || strlen(s) >= sizeof(spec))
		return -EINVAL;
	strcpy(spec, s + 1);
	at = strchr(spec, '@');
	if (at) {
		*at = '\0';
		if (parse_num(at + 1, 0x7f, &a))
			return -EINVAL;
		*addr = (int)a;
	}
	if (*addr < 0 || parse_num(spec, MAX_MSG_LEN, &len))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->addr = (uint16_t)*addr;
	m->flags = s[0] == 'r' ? VF_I2C_M_RD : 0;
	m->len = (uint32_t)len;
	if (len) {
		/* Poisoned, so a read that returned nothing is visible. */
		m->buf = malloc(len);
		if (!m->buf)
			return -ENOMEM;
		memset(m->buf, 0xa5, len);
	}
	return 0;
}

/* Parses argv[*i...] up to "--" or the end into g. Returns 0 or -EINVAL (message printed). */
static int parse_group(int argc, char **argv, int *i, struct group *g)
{
	int addr = -1;

	g->n = 0;
	while (*i < argc && strcmp(argv[*i], "--")) {
		struct vf_i2c_msg *m = &g->msgs[g->n];

		if (g->n == MAX_GROUP_MSGS) {
			fprintf(stderr, "vi2c-drive: more than %d messages in a group\n",
				MAX_GROUP_MSGS);
			return -EINVAL;
		}
		if (parse_msg_spec(argv[*i], m, &addr)) {
			fprintf(stderr, "vi2c-drive: bad message '%s'\n", argv[*i]);
			return -EINVAL;
		}
		g->n++;
		(*i)++;
		if (m->flags & VF_I2C_M_RD)
			continue;
		for (uint32_t k = 0; k < m->len; k++, (*i)++) {
			unsigned long b;

			if (*i >= argc || parse_num(argv[*i], 0xff, &b)) {
				fprintf(stderr, "vi2c-drive: write message needs %u byte values\n",
					m->len);
				return -EINVAL;
			}
			m->buf[k] = (uint8_t)b;
		}
	}
	if (!g->n) {
		fprintf(stderr, "vi2c-drive: empty group\n");
		return -EINVAL;
	}
	return 0;
}

static void free_group(struct group *g)
{
	for (unsigned k = 0; k < g->n; k++)
		free(g->msgs[k].buf);
	g->n = 0;
}

static const char *status_name(uint8_t status)
{
	switch (status) {
	case VIRTIO_I2C_MSG_OK:
		return "OK";
	case VIRTIO_I2C_MSG_ERR:
		return "ERR";
	case VF_I2C_NOT_SENT:
		return "NOT_SENT";
	default:
		return "BAD_STATUS";
	}
}

static void print_result(const struct group *g)
{
	for (unsigned k = 0; k < g->n; k++)
		printf("%s%s", k ? "," : "", status_name(g->msgs[k].status));
	for (unsigned k = 0; k < g->n; k++) {
		const struct vf_i2c_msg *m = &g->msgs[k];

		if (!(m->flags & VF_I2C_M_RD) || m->status != VIRTIO_I2C_MSG_OK)
			continue;
		for (uint32_t b = 0; b < m->len; b++)
			printf(" 0x%02x", m->buf[b]);
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct vf_dev_opts opts;
	struct vf_dev *dev;
	struct group *g;
	unsigned long timeout = 5000;
	int opt, i, ret, status = 0;

	/* "+": no reordering, so the "--" between groups reaches us. */
	while ((opt = getopt(argc, argv, "+t:")) != -1) {
		if (opt != 't' || parse_num(optarg, 600000, &timeout)) {
			usage();
			return 2;
		}
	}
	if (argc - optind < 2) {
		usage();
		return 2;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		perror("vi2c-drive");
		return 1;
	}

	/* Every group is checked before anything is sent; a trailing "--" is an empty group. */
	for (i = optind + 1; i < argc; i++) {
		if (parse_group(argc, argv, &i, g) || i == argc - 1) {
			free_group(g);
			free(g);
			usage();
			return 2;
		}
		free_group(g);
	}

	vf_dev_opts_default(&opts);
	opts.timeout_ms = (int)timeout;
	dev = vf_dev_open(argv[optind], &opts);
	if (!dev) {
		fprintf(stderr, "vi2c-drive: cannot start the device on %s: %s\n", argv[optind],
			strerror(errno));
		free(g);
		return 1;
	}
	for (i = optind + 1; i < argc && !status; i++) {
		parse_group(argc, argv, &i, g);
		ret = vf_i2c_transfer(dev, g->msgs, g->n, 0, (int)timeout);
		if (ret < 0) {
			fprintf(stderr, "vi2c-drive: transfer failed: %s\n", strerror(-ret));
			status = 1;
		} else {
			print_result(g);
		}
		free_group(g);
	}
	if (!status) {
		ret = vf_dev_stop(dev, NULL);
		if (ret) {
			fprintf(stderr, "vi2c-drive: stopping the device failed: %s\n",
				strerror(-ret));
			status = 1;
		}
	}
	vf_dev_destroy(dev);
	free(g);
	return status;
}
