// SPDX-License-Identifier: MIT
#include "guest_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "log.h"
#include "poll_window.h"
#include "proto.h"
#include "vhost_user.h"

/* A socket refusing connect() is stale only once its file is this old (listen() follows bind()). */
#define STALE_RECHECK_MS 100
/* How long to wait for another instance's lock on the socket directory. */
#define DIR_LOCK_WAIT_MS 5000
/* accept() out of file descriptors: try again this much later. */
#define ACCEPT_BACKOFF_MS 100
/* Per guest: listening socket, connection, kick, call and error eventfds. */
#define FDS_PER_GUEST 5

static void take_spare(int like);

/* 1 if something accepts connections at path (a live socket), 0 if refused, or -errno. */
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

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Milliseconds since st's inode changed (bind() creates it; chmod/chown change it); <0 if ahead. */
static long ms_since_change(const struct stat *st)
{
	return (long)((real_ns() - timespec_ns(&st->st_ctim)) / CLOCK_NS_PER_MS);
}

/*
 * Makes gs->path free for bind(): nothing there, or a stale socket file that
 * is removed (see guest_socket_listen for the rule). 0 or -errno with err.
 */
static int claim_path(struct guest_socket *gs, char *err, size_t errlen)
{
	struct stat first, now;
	int ret;

	if (lstat(gs->path, &first) < 0)
		return 0;
	if (!S_ISSOCK(first.st_mode)) {
		snprintf(err, errlen, "'%s' exists and is not a socket; not replacing it",
			 gs->path);
		return -EEXIST;
	}
	for (int probe = 0;; probe++) {
		long age;

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
		/*
		 * A socket between bind() and listen() refuses too, but only for a
		 * moment: refused by a file that has existed at least this long is stale.
		 */
		age = ms_since_change(&first);
		if (probe || age >= STALE_RECHECK_MS)
			break;
		sleep_ms(age > 0 ? (unsigned)(STALE_RECHECK_MS - age) : STALE_RECHECK_MS);
		if (lstat(gs->path, &now) < 0)
			return 0; /* its owner removed it meanwhile */
		if (!same_file(&first, &now)) {
			snprintf(err, errlen,
				 "'%s' was replaced while being checked; another process is "
				 "starting on it",
				 gs->path);
			return -EADDRINUSE;
		}
	}
	/* Stale: left behind by a process that died. Remove exactly the file we checked. */
	if (lstat(gs->path, &now) < 0)
		return 0;
	if (!same_file(&first, &now)) {
		snprintf(err, errlen, "'%s' was replaced while being checked", gs->path);
		return -EADDRINUSE;
	}
	if (unlink(gs->path) < 0 && errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "cannot remove stale socket '%s': %s", gs->path,
			 strerror(errno));
		return ret;
	}
	log_info("%s: replaced stale socket file", gs->name);
	return 0;
}

/* The directory part of path, into buf. */
static void dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

/*
 * Locks the socket directory against other instances (see guest_socket_listen).
 * Returns the locked directory fd, -1 if it cannot be opened or locked (no
 * read permission, no flock support: then unlocked, the re-check alone
 * applies), or -EBUSY with err if another process holds it too long.
 */
static int lock_dir(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd, waited = 0;

	dir_of(path, dir, sizeof(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			/* A file system without flock (ENOLCK...): the re-check alone applies. */
			close(fd);
			return -1;
		}
		if (waited >= DIR_LOCK_WAIT_MS) {
			snprintf(err, errlen,
				 "cannot lock directory '%s': held by another process for %d ms",
				 dir, DIR_LOCK_WAIT_MS);
			close(fd);
			return -EBUSY;
		}
		sleep_ms(10);
		waited += 10;
	}
	return fd;
}

static void unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int guest_socket_listen(struct guest_socket *gs, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd = -1, dfd, ret;

	const char *slash = strrchr(gs->path, '/');
	gs->name = slash ? slash + 1 : gs->path;
	gs->listen_fd = -1;
	gs->conn_fd = -1;
	gs->owns_path = false;

	dfd = lock_dir(gs->path, err, errlen);
	if (dfd < -1)
		return dfd;
	ret = claim_path(gs, err, errlen);
	if (ret)
		goto out;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	memcpy(sa.sun_path, gs->path, strlen(gs->path) + 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on '%s': %s", gs->path, strerror(errno));
		goto out;
	}
	if (lstat(gs->path, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat '%s': %s", gs->path, strerror(errno));
		goto out; /* not provably ours: left alone */
	}
	gs->path_dev = st.st_dev;
	gs->path_ino = st.st_ino;
	take_spare(gs->quit_fd); /* now, while fds are left, before anyone can connect */
	/*
	 * Before listen(): nobody can connect while the umask's mode applies.
	 * Owner first, so the VMM's group has access from the first connection
	 * and the user we switch to owns what it removes at exit.
	 */
	if ((gs->owner_uid != (uid_t)-1 || gs->owner_gid != (gid_t)-1) &&
	    lchown(gs->path, gs->owner_uid, gs->owner_gid) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot give '%s' to uid %d gid %d: %s", gs->path,
			 (int)gs->owner_uid, (int)gs->owner_gid, strerror(errno));
		unlink(gs->path);
		goto out;
	}
	if (chmod(gs->path, gs->mode) < 0 || listen(fd, 4) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on '%s': %s", gs->path, strerror(errno));
		unlink(gs->path);
		goto out;
	}
	gs->listen_fd = fd;
	fd = -1;
	gs->owns_path = true;
	log_info("%s: listening on %s", gs->name, gs->path);
out:
	if (fd >= 0)
		close(fd);
	unlock_dir(dfd);
	return ret;
}

/* Whether the mode bits of st let uid/gid (and groups) write and search it. */
static bool can_write_dir(const struct stat *st, uid_t uid, gid_t gid, const gid_t *groups,
			  int ngroups)
{
	const mode_t wx = S_IWUSR | S_IXUSR;
	bool in_group = st->st_gid == gid;

	if (st->st_uid == uid)
		return (st->st_mode & wx) == wx;
	for (int i = 0; i < ngroups && !in_group; i++)
		in_group = st->st_gid == groups[i];
	if (in_group)
		return (st->st_mode & (wx >> 3)) == (wx >> 3);
	return (st->st_mode & (wx >> 6)) == (wx >> 6);
}

int guest_socket_check_dir(const char *path, uid_t uid, gid_t gid, bool with_current_groups,
			   char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	gid_t groups[64];
	int ngroups = 0;
	struct stat st;

	dir_of(path, dir, sizeof(dir));
	if (stat(dir, &st) < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot stat directory '%s': %s", dir, strerror(e));
		return -e;
	}
	if (with_current_groups) {
		ngroups = getgroups(sizeof(groups) / sizeof(groups[0]), groups);
		if (ngroups < 0)
			ngroups = 0;
	}
	if (can_write_dir(&st, uid, gid, groups, ngroups))
		return 0;
	snprintf(err, errlen,
		 "directory '%s' is not writable by uid %d gid %d, which the daemon runs as once "
		 "serving: it could not remove its socket files at exit (make the directory "
		 "theirs, as systemd's RuntimeDirectory= does)",
		 dir, (int)uid, (int)gid);
	return -EACCES;
}

unsigned long guest_socket_fds_needed(unsigned count)
{
	/* Plus one message's worth of fds in flight (SET_MEM_TABLE). */
	return (unsigned long)count * FDS_PER_GUEST + VHOST_USER_MAX_FDS;
}

int guest_socket_adopt(struct guest_socket *gs, int fd, char *err, size_t errlen)
{
	int domain = 0, type = 0, listening = 0;
	socklen_t len = sizeof(int);
	struct sockaddr_un peer;
	socklen_t plen = sizeof(peer);
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
	/* Neither listening nor connected: nothing would ever arrive on it. */
	if (!listening && getpeername(fd, (struct sockaddr *)&peer, &plen) < 0) {
		int e = errno;

		snprintf(err, errlen,
			 "--fd %d: the socket is neither listening nor connected (getpeername: %s)",
			 fd, strerror(e));
		return e == ENOTCONN ? -ENOTCONN : -e;
	}
	/* Whatever the manager left it as, no program we might run inherits it. */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	take_spare(gs->quit_fd);
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
	struct stat st;

	fd_close(&gs->conn_fd);
	if (gs->listen_fd < 0)
		return;
	fd_close(&gs->listen_fd);
	/* Only the file we created: another daemon may have put its own there since. */
	if (gs->owns_path && lstat(gs->path, &st) == 0) {
		if (st.st_dev == gs->path_dev && st.st_ino == gs->path_ino)
			unlink(gs->path);
		else
			log_warn("%s: not removing '%s': it is no longer the socket this daemon "
				 "created",
				 gs->name, gs->path);
	}
	gs->owns_path = false;
}

/* accept() failed for want of file descriptors (or memory): back off rather than spin. */
static bool out_of_fds(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

/* Logs the start of an out-of-fds episode once (not per retry). */
static void note_accept_failure(struct guest_socket *gs, int e)
{
	if (gs->accept_failing)
		return;
	gs->accept_failing = true;
	log_err("%s: cannot accept a VMM connection: %s (open-file limit reached?); retrying "
		"every %d ms",
		gs->name, strerror(e), ACCEPT_BACKOFF_MS);
}

static void note_accept_success(struct guest_socket *gs)
{
	if (!gs->accept_failing)
		return;
	gs->accept_failing = false;
	log_warn("%s: accepting VMM connections again", gs->name);
}

/* Waits ms for the quit eventfd; true if the daemon is shutting down. */
static bool wait_quit(struct guest_socket *gs, int ms)
{
	struct pollfd pfd = {.fd = gs->quit_fd, .events = POLLIN};

	return poll(&pfd, 1, ms) > 0;
}

/*
 * A spare descriptor for refusing a connection when none is left: closed to
 * make room for accept(), the connection closed, then taken again. Shared by
 * the guest threads; whoever finds it taken waits ACCEPT_BACKOFF_MS instead.
 */
static int spare_fd = -1;
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;

static void take_spare(int like)
{
	if (like < 0)
		return;
	pthread_mutex_lock(&spare_lock);
	if (spare_fd < 0)
		spare_fd = fcntl(like, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&spare_lock);
}

/* accept() + close() with the spare fd's room. True if a connection was taken off the queue. */
static bool refuse_with_spare(struct guest_socket *gs)
{
	bool done = false;
	int fd;

	pthread_mutex_lock(&spare_lock);
	if (spare_fd < 0)
		spare_fd = fcntl(gs->quit_fd, F_DUPFD_CLOEXEC, 0);
	if (spare_fd >= 0) {
		close(spare_fd);
		fd = accept4(gs->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			done = true;
		}
		spare_fd = fcntl(gs->quit_fd, F_DUPFD_CLOEXEC, 0);
	}
	pthread_mutex_unlock(&spare_lock);
	return done;
}

/*
 * One VMM at a time: a second one is told so by an immediate close. Out of
 * fds, the spare one makes room; if even that fails, wait rather than spin on
 * a listening socket that stays readable.
 */
static void refuse_extra_connection(struct guest_socket *gs)
{
	int fd = accept4(gs->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0 && out_of_fds(errno)) {
		note_accept_failure(gs, errno);
		if (!refuse_with_spare(gs)) {
			wait_quit(gs, ACCEPT_BACKOFF_MS);
			return;
		}
	} else if (fd < 0) {
		return;
	} else {
		close(fd);
	}
	note_accept_success(gs);
	log_warn("%s: refused a second VMM connection: already serving one", gs->name);
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
		fd_close(&kw->fd);
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
	uint64_t deadline = mono_ns() + a->window_ns;

	for (unsigned i = 1;; i++) {
		if (vu_dev_poll_ready(dev))
			return POLL_WORK;
		if (i % 32 == 0) {
			struct epoll_event ev;

			if (mono_ns() >= deadline)
				return POLL_EXPIRED;
			if (epoll_wait(ep, &ev, 1, 0) > 0)
				return POLL_EVENT;
		}
		cpu_relax();
	}
}

/*
 * Serves one connection until it ends, in the epoll set ep (owned, closed
 * here; -1 if it could not be made, errno saying why). Returns false if the
 * daemon is shutting down.
 */
static bool serve_connection(struct guest_socket *gs, int conn, int ep)
{
	struct kick_watch kw = {.fd = -1};
	int err = ep < 0 ? -errno : 0;
	struct poll_window pw;
	struct vu_dev dev;
	bool keep_going = true;

	if (!err && (watch_add(ep, gs->quit_fd, W_QUIT) < 0 || watch_add(ep, conn, W_CONN) < 0 ||
		     (gs->listen_fd >= 0 && watch_add(ep, gs->listen_fd, W_LISTEN) < 0)))
		err = -errno;
	vu_dev_init(&dev, gs->name, conn, gs->bus);
	dev.mem.max_mapped = gs->max_guest_memory;
	log_info("%s: VMM connected", gs->name);
	poll_window_init(&pw, gs->poll_max_ns);
	kw.ep = ep;
	dev.kick_watch = kick_watch_hook;
	dev.kick_watch_ctx = &kw;
	if (err) {
		log_err("%s: closing connection: cannot watch it: %s", gs->name, strerror(-err));
		goto out;
	}
	for (;;) {
		struct epoll_event evs[4];
		bool more = vu_dev_has_more_work(&dev), kicked = false, message = false;
		uint64_t wait_start = 0;
		int n, ret;

		ret = kick_watch_sync(&kw, ep, &dev);
		if (ret < 0) {
			err = ret;
			log_err("%s: closing connection: cannot watch its kick fd: %s", gs->name,
				strerror(-ret));
			break;
		}
		if (!more && pw.max_ns && (ret = vu_dev_poll_begin(&dev)) != 0) {
			int pr = POLL_EXPIRED;

			if (ret < 0) {
				err = ret;
				break;
			}
			wait_start = mono_ns();
			if (pw.ns) {
				struct poll_args pa = {&dev, ep, pw.ns};

				/* The ring is read in guest memory: a fault ends this connection. */
				pr = vu_dev_guarded(&dev, poll_ring, &pa);
				if (pr < 0) {
					err = pr;
					break;
				}
			}
			if (pr == POLL_WORK) {
				poll_window_update(&pw, mono_ns() - wait_start);
				ret = vu_dev_serve(&dev, false);
				if (ret < 0) {
					err = ret;
					break;
				}
				continue;
			}
			/* Kicks wanted again before sleeping; what came meanwhile is served. */
			ret = vu_dev_poll_end(&dev);
			if (ret < 0) {
				err = ret;
				break;
			}
			if (vu_dev_has_more_work(&dev))
				continue;
		}
		n = epoll_wait(ep, evs, 4, more ? 0 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			log_err("%s: epoll_wait: %s", gs->name, strerror(errno));
			break;
		}
		if (wait_start)
			poll_window_update(&pw, mono_ns() - wait_start);
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
		ret = kicked ? vu_dev_kick(&dev) : more ? vu_dev_serve(&dev, false) : 0;
		if (ret < 0) {
			err = ret;
			break;
		}
		if (message) {
			ret = vu_dev_handle_message(&dev);
			if (ret == -ECONNRESET) {
				log_info("%s: VMM disconnected", gs->name);
				break;
			}
			if (ret < 0) {
				err = ret;
				break;
			}
		} else {
			/* Only once the current VMM has nothing pending (it may be hanging up). */
			for (int i = 0; i < n; i++)
				if (evs[i].data.u32 == W_LISTEN)
					refuse_extra_connection(gs);
		}
	}
out:
	gs->conn_error = err;
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
	if (serve_connection(gs, conn, epoll_create1(EPOLL_CLOEXEC))) {
		__atomic_store_n(&gs->hung_up, true, __ATOMIC_SEQ_CST);
		pthread_kill(gs->main_thread, SIGTERM);
	}
}

bool guest_socket_hung_up(const struct guest_socket *gs)
{
	return __atomic_load_n(&gs->hung_up, __ATOMIC_SEQ_CST);
}

int guest_socket_end_error(const struct guest_socket *gs)
{
	/* Written before hung_up is set (seq_cst), read after it is seen. */
	return guest_socket_hung_up(gs) ? gs->conn_error : 0;
}

static void serve_listening(struct guest_socket *gs)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{.fd = gs->quit_fd, .events = POLLIN},
			{.fd = gs->listen_fd, .events = POLLIN},
		};
		int conn, ep;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: poll: %s", gs->name, strerror(errno));
			return;
		}
		if (pfd[0].revents)
			return;
		/*
		 * The connection's epoll set first: out of fds, the VMM then stays
		 * queued as when accept() fails, rather than being accepted and
		 * dropped for want of it.
		 */
		ep = epoll_create1(EPOLL_CLOEXEC);
		conn = ep < 0 ? -1 : accept4(gs->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			int e = errno;

			if (ep >= 0)
				close(ep);
			if (out_of_fds(e)) {
				/* The VMM stays queued; it is served once fds are free again. */
				note_accept_failure(gs, e);
				if (wait_quit(gs, ACCEPT_BACKOFF_MS))
					return;
			} else if (e != EINTR && e != ECONNABORTED && e != EAGAIN) {
				log_warn("%s: accept: %s", gs->name, strerror(e));
			}
			continue;
		}
		note_accept_success(gs);
		if (!serve_connection(gs, conn, ep))
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
