// SPDX-License-Identifier: MIT
#include "trace.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Set once before the guest threads start, read by them afterwards. */
static int trace_fd = -1;
static bool trace_owns_fd;

int trace_open(const char *path, char *err, size_t errlen)
{
	int fd;

	trace_close();
	if (!path) {
		trace_fd = STDERR_FILENO;
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		int ret = -errno;

		snprintf(err, errlen, "invalid --trace '%s': %s", path, strerror(errno));
		return ret;
	}
	trace_fd = fd;
	trace_owns_fd = true;
	return 0;
}

void trace_close(void)
{
	if (trace_owns_fd && trace_fd >= 0)
		close(trace_fd);
	trace_fd = -1;
	trace_owns_fd = false;
}

bool trace_enabled(void)
{
	return trace_fd >= 0;
}

void trace_start(struct trace_stamp *ts)
{
	if (trace_fd < 0) {
		memset(ts, 0, sizeof(*ts));
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts->real);
	clock_gettime(CLOCK_MONOTONIC, &ts->mono);
}

static void put_bytes(FILE *f, const uint8_t *buf, unsigned len, const char *sep)
{
	for (unsigned i = 0; i < len; i++)
		fprintf(f, "%s0x%02x", i ? " " : sep, buf[i]);
}

char *trace_format(const char *socket, const struct i2c_msg_buf *msgs, unsigned n, unsigned done,
		   const struct timespec *start, uint64_t elapsed_ns)
{
	char *text = NULL, when[32];
	size_t size = 0;
	struct tm tm;
	int last_addr = -1;
	FILE *f;

	f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	gmtime_r(&start->tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s.%06ldZ %s", when, start->tv_nsec / 1000, socket);
	for (unsigned i = 0; i < n; i++) {
		const struct i2c_msg_buf *m = &msgs[i];

		fprintf(f, " %c%u", m->read ? 'r' : 'w', m->len);
		/* i2ctransfer reuses the previous address when none is given. */
		if (m->addr != last_addr)
			fprintf(f, "@0x%02x", m->addr);
		last_addr = m->addr;
		if (!m->read)
			put_bytes(f, m->buf, m->len, " ");
	}
	if (done >= n)
		fputs(" -> OK", f);
	else
		fprintf(f, " -> ERR@%u", done);
	for (unsigned i = 0; i < done && i < n; i++) {
		if (!msgs[i].read)
			continue;
		fputs(" [", f);
		put_bytes(f, msgs[i].buf, msgs[i].len, "");
		fputc(']', f);
	}
	fprintf(f, " %lluus", (unsigned long long)(elapsed_ns / 1000));
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

void trace_group(const char *socket, const struct i2c_msg_buf *msgs, unsigned n, unsigned done,
		 const struct trace_stamp *ts)
{
	uint64_t elapsed;
	char *text;
	size_t len, off = 0;

	if (trace_fd < 0 || !ts->mono.tv_sec)
		return;
	elapsed = (uint64_t)(clock_read_ns(CLOCK_MONOTONIC) - timespec_ns(&ts->mono));
	text = trace_format(socket, msgs, n, done, &ts->real, elapsed);
	if (!text)
		return;
	len = strlen(text);
	text[len++] = '\n'; /* replaces the NUL: write() takes a length */
	while (off < len) {
		ssize_t w = write(trace_fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(text);
}
