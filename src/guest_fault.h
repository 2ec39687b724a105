/* SPDX-License-Identifier: MIT */
/*
 * Containing SIGBUS from guest memory to the connection that caused it.
 *
 * Guest RAM is mmap()ed from fds the VMM owns. If the VMM shrinks such a
 * file (ftruncate) after handing it over, our next access to the vanished
 * pages raises SIGBUS, which would kill every guest of the daemon. Code that
 * touches guest memory therefore runs inside guest_fault_run(): a SIGBUS
 * raised by the kernel on that thread, at an address inside that
 * connection's mappings, returns from guest_fault_run() with -EFAULT
 * (siglongjmp from the handler) instead. Any other SIGBUS (another address,
 * no guarded section running on the faulting thread, sent by kill) gets the
 * action that was installed before guest_fault_install() and is raised
 * again, so real bugs still crash.
 *
 * What the guarded function must guarantee (it is abandoned mid-way): no
 * lock held and no allocation in progress at any instruction that touches
 * guest memory, and nothing it owns only in local variables at those points
 * (fds, heap blocks) that the caller could not clean up afterwards. After a
 * fault the caller must treat the state the function was changing as
 * undefined except for what it needs to tear the connection down.
 *
 * Guards nest (the innermost one catches); each thread has its own.
 */
#ifndef VI2C_GUEST_FAULT_H
#define VI2C_GUEST_FAULT_H

#include <stdint.h>

#include "vu_mem.h"

/*
 * Installs the process-wide SIGBUS handler (once, before threads start).
 * Without it guest_fault_run() still runs fn but a fault kills the process.
 * Returns 0 or -errno.
 */
int guest_fault_install(void);

/*
 * Runs fn(arg) with faults on mem's mappings recoverable. Returns 0 with
 * *fn_ret = fn's return value, or -EFAULT if fn was abandoned by a guest
 * memory fault; then *fault_gpa (if not NULL) holds the guest-physical
 * address that faulted, or UINT64_MAX if it lies outside every region
 * (e.g. in the part of a mapping before mmap_offset). mem must stay mapped
 * or be changed only by fn itself.
 */
int guest_fault_run(const struct vu_mem *mem, int (*fn)(void *arg), void *arg, int *fn_ret,
		    uint64_t *fault_gpa);

#endif
