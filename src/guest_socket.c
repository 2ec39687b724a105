// SPDX-License-Identifier: MIT
#include "guest_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "poll_window.h"
#include "vhost_user.h"

/* True if something accepts connections at path (a live socket). */
static int socket_is_live(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 1 : -errno;
	close(fd);
	if (ret == -ECONNREFUSED)
		return 0;
	return ret;
}

int guest_socket_listen(struct guest_socket *gs, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, ret;

	const char *slash = strrchr(gs->path, '/');
	gs->name = slash ? slash + 1 : gs->path;
	gs->listen_fd = -1;
	gs->conn_fd = -1;
	gs->owns_path = false;

	if (lstat(gs->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "'%s' exists and is not a socket; not replacing it",
				 gs->path);
			return -EEXIST;
		}
		ret = socket_is_live(gs->path);
		if (ret == 1) {
			snprintf(err, errlen, "'%s' is in use by another process", gs->path);
			return -EADDRINUSE;
		}
		if (ret < 0) {
			snprintf(err, errlen, "cannot check existing socket '%s': %s", gs->path,
				 strerror(-ret));
			return ret;
		}
		/* Left behind by a process that died: replace it. */
		if (unlink(gs->path) < 0 && errno != ENOENT) {
			ret = -errno;
			snprintf(err, errlen, "cannot remove stale socket '%s': %s", gs->path,
				 strerror(errno));
			return ret;
		}
		log_info("%s: replaced stale socket file", gs->name);
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return ret;
	}
	memcpy(sa.sun_path, gs->path, strlen(gs->path) + 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on '%s': %s", gs->path, strerror(errno));
		close(fd);
		return ret;
	}
	/* Before listen(): nobody can connect while the umask's mode applies. */
	if (chmod(gs->path, gs->mode) < 0 || listen(fd, 4) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on '%s': %s", gs->path, strerror(errno));
		close(fd);
		unlink(gs->path);
		return ret;
	}
	gs->listen_fd = fd;
	gs->owns_path = true;
	log_info("%s: listening on %s", gs->name, gs->path);
	return 0;
}

int guest_socket_adopt(struct guest_socket *gs, int fd, char *err, size_t errlen)
{
	int domain = 0, type = 0, listening = 0;
	socklen_t len = sizeof(int);
	struct stat st;

	snprintf(gs->fd_name, sizeof(gs->fd_name), "fd%d", fd);
	gs->name = gs->fd_name;
	gs->path[0] = '\0';
	gs->owns_path = false;
	gs->listen_fd = -1;
	gs->conn_fd = -1;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "invalid --fd '%d': %s", fd, strerror(errno));
		return -EBADF;
	}
	if (!S_ISSOCK(st.st_mode) || getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || domain != AF_UNIX ||
	    type != SOCK_STREAM) {
		snprintf(err, errlen, "invalid --fd '%d': not a Unix stream socket", fd);
		return -ENOTSOCK;
	}
	/* Whatever the manager left it as, no program we might run inherits it. */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (listening) {
		gs->listen_fd = fd;
		log_info("%s: serving a listening socket", gs->name);
	} else {
		gs->conn_fd = fd;
		log_info("%s: serving a connected socket until its VMM hangs up", gs->name);
	}
	return 0;
}

void guest_socket_close(struct guest_socket *gs)
{
	if (gs->conn_fd >= 0) {
		close(gs->conn_fd);
		gs->conn_fd = -1;
	}
	if (gs->listen_fd < 0)
		return;
	close(gs->listen_fd);
	gs->listen_fd = -1;
	if (gs->owns_path)
		unlink(gs->path);
	gs->owns_path = false;
}

/* One VMM at a time: a second one is told so by an immediate close. */
static void refuse_extra_connection(struct guest_socket *gs)
{
	int fd = accept4(gs->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0) {
		log_warn("%s: refused a second VMM connection: already serving one", gs->name);
		close(fd);
	}
}

/* What a ready fd in the connection's epoll set is. */
enum watch { W_QUIT, W_LISTEN, W_CONN, W_KICK };

static int watch_add(int ep, int fd, enum watch what)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = what};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * The kick fd in the epoll set is our own duplicate: epoll keys its entries by
 * open file description, which the VMM shares, so an entry for an fd we
 * closed could not be removed any more. Re-registered whenever the queue's
 * kick fd or running state changed; only a running queue's kick is watched
 * (a pending kick on a stopped queue would wake us for ever).
 */
struct kick_watch {
	int ep;	      /* the connection's epoll set */
	int fd;	      /* our duplicate, -1 if none */
	unsigned gen; /* vu_dev_kick_gen() it was made for */
	bool valid;
	int err; /* first failure (-errno), reported by the loop */
};

static int kick_watch_sync(struct kick_watch *kw, int ep, const struct vu_dev *dev)
{
	int fd;

	if (kw->err)
		return kw->err;
	if (kw->valid && kw->gen == vu_dev_kick_gen(dev))
		return 0;
	if (kw->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, kw->fd, NULL);
		close(kw->fd);
		kw->fd = -1;
	}
	kw->gen = vu_dev_kick_gen(dev);
	kw->valid = true;
	fd = vu_dev_kick_fd(dev);
	if (fd < 0)
		return 0;
	kw->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (kw->fd < 0 || watch_add(ep, kw->fd, W_KICK) < 0)
		kw->err = -errno;
	return kw->err;
}

/* vu_dev's hook: the watch is brought up to date before requests are served. */
static void kick_watch_hook(struct vu_dev *dev, void *ctx)
{
	struct kick_watch *kw = ctx;

	kick_watch_sync(kw, kw->ep, dev);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

enum poll_result { POLL_WORK, POLL_EVENT, POLL_EXPIRED };

/*
 * Busy-polls the ring with kicks suppressed for up to window_ns. Every few
 * microseconds it also looks at the epoll set (timeout 0), so a vhost-user
 * message or shutdown is never held up by polling.
 */
struct poll_args {
	struct vu_dev *dev;
	int ep;
	uint64_t window_ns;
};

static int poll_ring(void *arg)
{
	struct poll_args *a = arg;
	struct vu_dev *dev = a->dev;
	int ep = a->ep;
	uint64_t deadline = now_ns() + a->window_ns;

	for (unsigned i = 1;; i++) {
		if (vu_dev_poll_ready(dev))
			return POLL_WORK;
		if (i % 32 == 0) {
			struct epoll_event ev;

			if (now_ns() >= deadline)
				return POLL_EXPIRED;
			if (epoll_wait(ep, &ev, 1, 0) > 0)
				return POLL_EVENT;
		}
		cpu_relax();
	}
}

/* Serves one connection until it ends. Returns false if the daemon is shutting down. */
static bool serve_connection(struct guest_socket *gs, int conn)
{
	struct kick_watch kw = {.fd = -1};
	struct poll_window pw;
	struct vu_dev dev;
	bool keep_going = true;
	int ep;

	vu_dev_init(&dev, gs->name, conn, gs->bus);
	dev.mem.max_mapped = gs->max_guest_memory;
	log_info("%s: VMM connected", gs->name);
	poll_window_init(&pw, gs->poll_max_ns);
	ep = epoll_create1(EPOLL_CLOEXEC);
	kw.ep = ep;
	dev.kick_watch = kick_watch_hook;
	dev.kick_watch_ctx = &kw;
	if (ep < 0 || watch_add(ep, gs->quit_fd, W_QUIT) < 0 || watch_add(ep, conn, W_CONN) < 0 ||
	    (gs->listen_fd >= 0 && watch_add(ep, gs->listen_fd, W_LISTEN) < 0)) {
		log_err("%s: closing connection: cannot watch it: %s", gs->name, strerror(errno));
		goto out;
	}
	for (;;) {
		struct epoll_event evs[4];
		bool more = vu_dev_has_more_work(&dev), kicked = false, message = false;
		uint64_t wait_start = 0;
		int n, ret;

		if (kick_watch_sync(&kw, ep, &dev) < 0) {
			log_err("%s: closing connection: cannot watch its kick fd: %s", gs->name,
				strerror(errno));
			break;
		}
		if (!more && pw.max_ns && (ret = vu_dev_poll_begin(&dev)) != 0) {
			int pr = POLL_EXPIRED;

			if (ret < 0)
				break;
			wait_start = now_ns();
			if (pw.ns) {
				struct poll_args pa = {&dev, ep, pw.ns};

				/* The ring is read in guest memory: a fault ends this connection. */
				pr = vu_dev_guarded(&dev, poll_ring, &pa);
				if (pr < 0)
					break;
			}
			if (pr == POLL_WORK) {
				poll_window_update(&pw, now_ns() - wait_start);
				if (vu_dev_serve(&dev, false) < 0)
					break;
				continue;
			}
			/* Kicks wanted again before sleeping; what came meanwhile is served. */
			if (vu_dev_poll_end(&dev) < 0)
				break;
			if (vu_dev_has_more_work(&dev))
				continue;
		}
		n = epoll_wait(ep, evs, 4, more ? 0 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: epoll_wait: %s", gs->name, strerror(errno));
			break;
		}
		if (wait_start)
			poll_window_update(&pw, now_ns() - wait_start);
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case W_QUIT:
				keep_going = false;
				goto out;
			case W_KICK:
				kicked = true;
				break;
			case W_CONN:
				message = true;
				break;
			default:
				break;
			}
		}
		if (kicked ? vu_dev_kick(&dev) < 0 : more && vu_dev_serve(&dev, false) < 0)
			break;
		if (message) {
			ret = vu_dev_handle_message(&dev);
			if (ret == -ECONNRESET) {
				log_info("%s: VMM disconnected", gs->name);
				break;
			}
			if (ret < 0)
				break;
		} else {
			/* Only once the current VMM has nothing pending (it may be hanging up). */
			for (int i = 0; i < n; i++)
				if (evs[i].data.u32 == W_LISTEN)
					refuse_extra_connection(gs);
		}
	}
out:
	if (kw.fd >= 0)
		close(kw.fd);
	if (ep >= 0)
		close(ep);
	vu_dev_cleanup(&dev);
	return keep_going;
}

/* A handed-over connection: serve it, then have main end the process. */
static void serve_once(struct guest_socket *gs)
{
	int conn = gs->conn_fd;

	gs->conn_fd = -1; /* the connection owns it from here */
	if (serve_connection(gs, conn)) {
		__atomic_store_n(&gs->hung_up, true, __ATOMIC_SEQ_CST);
		pthread_kill(gs->main_thread, SIGTERM);
	}
}

bool guest_socket_hung_up(const struct guest_socket *gs)
{
	return __atomic_load_n(&gs->hung_up, __ATOMIC_SEQ_CST);
}

static void serve_listening(struct guest_socket *gs)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{.fd = gs->quit_fd, .events = POLLIN},
			{.fd = gs->listen_fd, .events = POLLIN},
		};
		int conn;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: poll: %s", gs->name, strerror(errno));
			return;
		}
		if (pfd[0].revents)
			return;
		conn = accept4(gs->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
				log_warn("%s: accept: %s", gs->name, strerror(errno));
			continue;
		}
		if (!serve_connection(gs, conn))
			return;
	}
}

void *guest_socket_serve(void *arg)
{
	struct guest_socket *gs = arg;

	log_set_guest(gs->name, &gs->rl);
	if (gs->conn_fd >= 0)
		serve_once(gs);
	else
		serve_listening(gs);
	log_set_guest(NULL, NULL);
	return NULL;
}

int guest_socket_start(struct guest_socket *gs)
{
	pthread_attr_t attr;
	int ret;

	pthread_attr_init(&attr);
	/* Small stacks: one thread per guest, up to 1024 guests. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	ret = pthread_create(&gs->thread, &attr, guest_socket_serve, gs);
	pthread_attr_destroy(&attr);
	if (ret)
		return -ret;
	gs->thread_started = true;
	return 0;
}
