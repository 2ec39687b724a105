/* SPDX-License-Identifier: MIT */
/*
 * The sandbox the daemon enters once set-up is done (sockets bound, devices
 * opened, files open), before it serves any guest:
 *   - optionally switches to an unprivileged user and group (started as root
 *     with --user/--group); supplementary groups are dropped;
 *   - drops every capability (effective, permitted, inheritable, bounding
 *     set) and sets no_new_privs;
 *   - installs a seccomp allowlist of the system calls serving guests needs
 *     (ioctl limited to the i2c-dev requests). Any other call is trapped:
 *     the process logs the call's number on stderr and dies of SIGSYS.
 * Nothing here can be undone; call it from the main thread before creating
 * the serving threads (the filter is inherited by them).
 */
#ifndef VI2C_SANDBOX_H
#define VI2C_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

struct sandbox_opts {
	const char *user;  /* NULL = keep the current uid */
	const char *group; /* NULL = the user's primary group (or keep the current gid) */
	bool syslog;	   /* logging through syslog(3): allow (re)connecting to /dev/log */
	bool open_files;   /* --control: `add` opens EEPROM files and register maps */
};

/* Returns 0, or -errno with err filled (one line); on error nothing may have been applied. */
int sandbox_enter(const struct sandbox_opts *opts, char *err, size_t errlen);

/*
 * True if the calling thread runs under a seccomp filter (reads
 * /proc/self/status). Only the unit tests use it (test_sandbox).
 */
bool sandbox_active(void);

#endif
