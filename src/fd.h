/* SPDX-License-Identifier: MIT */
/* Small helpers for the fds the daemon owns. */
#ifndef VI2C_FD_H
#define VI2C_FD_H

#include <fcntl.h>
#include <unistd.h>

/* Closes *fd if open and marks it closed (-1). */
static inline void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Makes fd non-blocking; an fd shared with a peer must never block this thread. */
static inline void fd_set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0 && !(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

#endif
