// SPDX-License-Identifier: MIT
#include "guest_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
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

enum { PFD_QUIT, PFD_LISTEN, PFD_CONN, PFD_KICK, PFD_COUNT };

/* Serves one connection until it ends. Returns false if the daemon is shutting down. */
static bool serve_connection(struct guest_socket *gs, int conn)
{
	struct vu_dev dev;
	bool keep_going = true;

	vu_dev_init(&dev, gs->name, conn, gs->bus);
	dev.mem.max_mapped = gs->max_guest_memory;
	log_info("%s: VMM connected", gs->name);
	for (;;) {
		struct pollfd pfd[PFD_COUNT] = {
			[PFD_QUIT] = {.fd = gs->quit_fd, .events = POLLIN},
			[PFD_LISTEN] = {.fd = gs->listen_fd, .events = POLLIN},
			[PFD_CONN] = {.fd = dev.sock, .events = POLLIN},
			[PFD_KICK] = {.fd = vu_dev_kick_fd(&dev), .events = POLLIN},
		};
		int ret;

		if (poll(pfd, PFD_COUNT, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: poll: %s", gs->name, strerror(errno));
			break;
		}
		if (pfd[PFD_QUIT].revents) {
			keep_going = false;
			break;
		}
		if (pfd[PFD_KICK].revents && vu_dev_kick(&dev) < 0)
			break;
		if (pfd[PFD_CONN].revents) {
			ret = vu_dev_handle_message(&dev);
			if (ret == -ECONNRESET) {
				log_info("%s: VMM disconnected", gs->name);
				break;
			}
			if (ret < 0)
				break;
		} else if (pfd[PFD_LISTEN].revents) {
			/* Only once the current VMM has nothing pending (it may be hanging up). */
			refuse_extra_connection(gs);
		}
	}
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
