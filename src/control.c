// SPDX-License-Identifier: MIT
#include "control.h"

#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guest_socket.h"
#include "log.h"

#define IN_CAP	 (CONTROL_LINE_MAX + 2) /* a maximal line, '\r' and '\n' */
#define OUT_HIGH (1u << 20)		/* stop reading requests while this much is unsent */

struct client {
	int fd; /* -1 = free slot */
	char *in;
	size_t in_len;
	bool discarding; /* inside a too-long line: drop bytes up to its newline */
	bool eof;	 /* the client shut down its side: close once replies are out */
	char *out;
	size_t out_len, out_off, out_cap;
};

struct control_server {
	struct guest_socket sock; /* the listener, same rules as a guest's */
	struct control_ctx *ctx;
	int quit_fd;
	pthread_t thread;
	bool started;
	struct client clients[CONTROL_MAX_CLIENTS];
};

int control_check_dir(const char *path, char *err, size_t errlen)
{
	char *copy = strdup(path);
	struct stat st;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	if (stat(dirname(copy), &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "invalid --control '%s': directory '%s' does not exist", path,
			 copy);
		ret = -ENOENT;
	}
	free(copy);
	return ret;
}

struct control_server *control_open(const char *path, unsigned mode, uid_t owner_uid,
				    gid_t owner_gid, struct control_ctx *ctx,
				    char *err, size_t errlen)
{
	struct control_server *cs = calloc(1, sizeof(*cs));

	if (!cs) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strlen(path) >= sizeof(cs->sock.path)) {
		snprintf(err, errlen, "--control '%s': path too long", path);
		free(cs);
		return NULL;
	}
	strcpy(cs->sock.path, path);
	cs->sock.mode = mode;
	cs->sock.owner_uid = owner_uid;
	cs->sock.owner_gid = owner_gid;
	cs->ctx = ctx;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		cs->clients[i].fd = -1;
	if (guest_socket_listen(&cs->sock, err, errlen)) {
		free(cs);
		return NULL;
	}
	return cs;
}

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	log_debug("control: client disconnected");
}

static size_t out_pending(const struct client *c)
{
	return c->out_len - c->out_off;
}

/* Queues line + '\n'. false on out of memory. */
static bool queue_reply(struct client *c, const char *line)
{
	size_t len = strlen(line);

	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + len + 1)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p)
			return false;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return true;
}

static bool handle_line(struct control_server *cs, struct client *c, char *line, size_t len)
{
	char *reply;
	bool ok;

	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return true; /* an empty line is no request */
	reply = control_handle_line(cs->ctx, line, len);
	ok = reply && queue_reply(c, reply);
	free(reply);
	return ok;
}

/* Handles the complete lines in c->in while replies can be queued. false: drop the client. */
static bool process_input(struct control_server *cs, struct client *c)
{
	size_t start = 0;

	while (out_pending(c) < OUT_HIGH) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - (c->in + start));
		if (c->discarding)
			c->discarding = false; /* the end of a too-long line */
		else if (!handle_line(cs, c, c->in + start, len))
			return false;
		start += len + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len == IN_CAP) {
		/* No newline in a whole buffer: reply once, skip to the next newline. */
		if (!c->discarding && !queue_reply(c, CONTROL_REPLY_TOO_LONG))
			return false;
		c->discarding = true;
		c->in_len = 0;
	}
	if (c->eof && !out_pending(c) && c->in_len && !c->discarding) {
		/* A last request without its newline. */
		if (!handle_line(cs, c, c->in, c->in_len))
			return false;
		c->in_len = 0;
	}
	return true;
}

static bool client_read(struct control_server *cs, struct client *c)
{
	ssize_t n;

	if (!c->in && !(c->in = malloc(IN_CAP)))
		return false;
	n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		c->eof = true;
	c->in_len += (size_t)n;
	return process_input(cs, c);
}

static bool client_write(struct control_server *cs, struct client *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, out_pending(c), MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	c->out_off += (size_t)n;
	/* Room again: requests left in the buffer can go on. */
	return process_input(cs, c);
}

static void accept_client(struct control_server *cs)
{
	int fd = accept4(cs->sock.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	static const char busy[] = "{\"ok\":false,\"error\":\"too many control clients\"}\n";

	if (fd < 0)
		return;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (cs->clients[i].fd < 0) {
			cs->clients[i].fd = fd;
			log_debug("control: client connected");
			return;
		}
	}
	log_warn("control: refused a client: %d already connected", CONTROL_MAX_CLIENTS);
	if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("control: %s", strerror(errno));
	close(fd);
}

static void *control_serve(void *arg)
{
	struct control_server *cs = arg;
	struct pollfd pfd[2 + CONTROL_MAX_CLIENTS];
	int slot[2 + CONTROL_MAX_CLIENTS];

	for (;;) {
		nfds_t n = 0;

		pfd[n++] = (struct pollfd){.fd = cs->quit_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = cs->sock.listen_fd, .events = POLLIN};
		for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
			struct client *c = &cs->clients[i];
			short ev = 0;

			if (c->fd < 0)
				continue;
			if (!c->eof && out_pending(c) < OUT_HIGH && c->in_len < IN_CAP)
				ev |= POLLIN;
			if (out_pending(c))
				ev |= POLLOUT;
			if (c->eof && !ev) {
				client_close(c);
				continue;
			}
			slot[n] = i;
			pfd[n++] = (struct pollfd){.fd = c->fd, .events = ev};
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("control: poll: %s", strerror(errno));
			return NULL;
		}
		if (pfd[0].revents)
			return NULL;
		for (nfds_t k = 2; k < n; k++) {
			struct client *c = &cs->clients[slot[k]];
			bool ok = true;

			if (pfd[k].revents & POLLOUT)
				ok = client_write(cs, c);
			if (ok && pfd[k].revents & POLLIN)
				ok = client_read(cs, c);
			else if (ok && pfd[k].revents & (POLLHUP | POLLERR | POLLNVAL))
				ok = false;
			if (!ok)
				client_close(c);
		}
		if (pfd[1].revents)
			accept_client(cs);
	}
}

int control_start(struct control_server *cs, int quit_fd)
{
	int ret;

	cs->quit_fd = quit_fd;
	ret = pthread_create(&cs->thread, NULL, control_serve, cs);
	if (ret)
		return -ret;
	cs->started = true;
	return 0;
}

bool control_join(struct control_server *cs, const struct timespec *deadline)
{
	if (!cs || !cs->started)
		return true;
	if (pthread_timedjoin_np(cs->thread, NULL, deadline) != 0)
		return false;
	cs->started = false;
	return true;
}

void control_unlink(struct control_server *cs)
{
	if (cs)
		guest_socket_close(&cs->sock);
}

void control_close(struct control_server *cs)
{
	if (!cs)
		return;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (cs->clients[i].fd >= 0)
			client_close(&cs->clients[i]);
	guest_socket_close(&cs->sock);
	free(cs);
}
