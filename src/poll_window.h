/* SPDX-License-Identifier: MIT */
/*
 * Adaptive busy-polling window (--poll-max-ns), in the manner of QEMU's
 * AioContext polling (poll-max-ns, poll-grow, poll-shrink): after serving,
 * a guest's thread polls the ring for up to `ns` before it sleeps. The window
 * grows while requests keep arriving within reach of it and shrinks when
 * waits are longer than the maximum, so an idle guest costs no CPU.
 *
 * Pure arithmetic; the caller owns the struct.
 */
#ifndef VI2C_POLL_WINDOW_H
#define VI2C_POLL_WINDOW_H

#include <stdint.h>

#define POLL_WINDOW_START_NS 4000 /* first window once polling pays off */
#define POLL_WINDOW_GROW     2
#define POLL_WINDOW_SHRINK   2

struct poll_window {
	uint64_t ns;	 /* current window; 0 = sleep at once */
	uint64_t max_ns; /* 0 = polling off */
};

void poll_window_init(struct poll_window *pw, uint64_t max_ns);

/*
 * Adjusts the window after a wait that lasted waited_ns (polling included)
 * until work arrived: a wait the window covered changes nothing, one longer
 * than the maximum shrinks it (polling would not have helped), one in between
 * grows it.
 */
void poll_window_update(struct poll_window *pw, uint64_t waited_ns);

#endif
