// SPDX-License-Identifier: MIT
/*
 * The floor: what one notification round trip costs on this machine with no
 * backend at all. Two threads of this process bounce an eventfd pair the way
 * a VMM and a vhost-user backend bounce kick and call, both waiting in poll()
 * on non-blocking eventfds as the frontend library and backends do.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench.h"

struct pingpong {
	int kick, call;
	atomic_bool stop;
};

/* Blocks in poll() until fd is readable, then consumes it. */
static int wait_fd(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t v;

	for (;;) {
		int n = poll(&pfd, 1, BENCH_TIMEOUT_MS);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		if (read(fd, &v, sizeof(v)) == sizeof(v))
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

static int signal_fd(int fd)
{
	uint64_t one = 1;

	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* The "backend": wait for a kick, answer with a call. */
static void *backend_side(void *arg)
{
	struct pingpong *pp = arg;

	for (;;) {
		if (wait_fd(pp->kick))
			break;
		if (atomic_load_explicit(&pp->stop, memory_order_acquire))
			break;
		if (signal_fd(pp->call))
			break;
	}
	return NULL;
}

int floor_run(uint32_t *samples, size_t count, size_t warmup)
{
	struct pingpong pp = {.kick = -1, .call = -1};
	pthread_t thread;
	size_t i;
	int ret;

	atomic_init(&pp.stop, false);
	pp.kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pp.kick < 0)
		return -errno;
	pp.call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pp.call < 0) {
		ret = -errno;
		goto err_kick;
	}
	ret = -pthread_create(&thread, NULL, backend_side, &pp);
	if (ret)
		goto err_call;
	for (i = 0; i < warmup + count; i++) {
		uint64_t t0 = bench_now_ns();

		ret = signal_fd(pp.kick);
		if (!ret)
			ret = wait_fd(pp.call);
		if (ret)
			break;
		if (i >= warmup) {
			uint64_t d = bench_now_ns() - t0;

			samples[i - warmup] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
		}
	}
	atomic_store_explicit(&pp.stop, true, memory_order_release);
	signal_fd(pp.kick);
	pthread_join(thread, NULL);
err_call:
	close(pp.call);
err_kick:
	close(pp.kick);
	return ret;
}
