// SPDX-License-Identifier: MIT
#include "guest_fault.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* One recovery point: lives on the stack of guest_fault_run. */
struct guard {
	sigjmp_buf env;
	const struct vu_mem *mem;
	struct guard *outer;
};

/* Initial-exec TLS in the executable: safe to read from a signal handler. */
static _Thread_local struct guard *volatile current;
/* Where the last caught fault was; not in struct guard, as locals are unreliable after a jump. */
static _Thread_local volatile uintptr_t fault_addr;
static struct sigaction previous; /* what SIGBUS did before us (SIG_DFL, or a sanitizer's) */

static bool in_mappings(const struct vu_mem *mem, uintptr_t addr)
{
	for (unsigned i = 0; i < mem->n; i++) {
		uintptr_t base = (uintptr_t)mem->regions[i].map;

		if (base && addr >= base && addr - base < mem->regions[i].map_len)
			return true;
	}
	return false;
}

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	struct guard *g = current;
	uintptr_t addr = (uintptr_t)si->si_addr;

	(void)uctx;
	/* si_code > 0: raised by the kernel for an access of this thread, not sent by someone. */
	if (g && si->si_code > 0 && in_mappings(g->mem, addr)) {
		fault_addr = addr;
		siglongjmp(g->env, 1);
	}
	/*
	 * Not a guest-memory fault: hand it to the previous action. Returning
	 * re-executes the faulting access, which faults again under that action;
	 * a signal that was sent is raised again (pending until we return).
	 */
	sigaction(sig, &previous, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

int guest_fault_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	/*
	 * No SA_ONSTACK: this SIGBUS comes from a mapped file, not a stack
	 * overflow (that is SIGSEGV), and guest memory is touched a few frames
	 * deep, far from the end of the 256 KiB thread stacks. No SA_NODEFER:
	 * a fault in the handler itself must not recurse; the mask is restored by
	 * guest_fault_run after the jump instead.
	 */
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &previous) < 0)
		return -errno;
	return 0;
}

static uint64_t addr_to_gpa(const struct vu_mem *mem, uintptr_t addr)
{
	for (unsigned i = 0; i < mem->n; i++) {
		const struct vu_mem_region *r = &mem->regions[i];
		uintptr_t start = (uintptr_t)r->map + r->mmap_offset;

		if (r->map && addr >= start && addr - start < r->size)
			return r->gpa + (addr - start);
	}
	return UINT64_MAX;
}

int guest_fault_run(const struct vu_mem *mem, int (*fn)(void *arg), void *arg, int *fn_ret,
		    uint64_t *fault_gpa)
{
	struct guard g = {.mem = mem, .outer = current};
	sigset_t bus;

	/* savemask 0: no system call on this path, which runs for every kick. */
	if (sigsetjmp(g.env, 0) == 0) {
		current = &g;
		*fn_ret = fn(arg);
		current = g.outer;
		return 0;
	}
	current = g.outer;
	/* We left the handler by a jump: SIGBUS is still blocked in this thread. */
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &bus, NULL);
	if (fault_gpa)
		*fault_gpa = addr_to_gpa(mem, fault_addr);
	return -EFAULT;
}
