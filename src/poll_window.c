// SPDX-License-Identifier: MIT
#include "poll_window.h"

void poll_window_init(struct poll_window *pw, uint64_t max_ns)
{
	pw->ns = 0;
	pw->max_ns = max_ns;
}

void poll_window_update(struct poll_window *pw, uint64_t waited_ns)
{
	if (!pw->max_ns || waited_ns <= pw->ns)
		return;
	if (waited_ns > pw->max_ns) {
		pw->ns /= POLL_WINDOW_SHRINK;
		if (pw->ns < POLL_WINDOW_START_NS)
			pw->ns = 0;
		return;
	}
	pw->ns = pw->ns ? pw->ns * POLL_WINDOW_GROW : POLL_WINDOW_START_NS;
	if (pw->ns > pw->max_ns)
		pw->ns = pw->max_ns;
}
