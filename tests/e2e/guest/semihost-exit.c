// SPDX-License-Identifier: MIT
//
// semihost-exit CODE: ends an Arm guest so that QEMU exits with status CODE.
// The Arm guests' counterpart of x86's isa-debug-exit port: QEMU exits 0 on
// every power-off whatever the test did, so the verdict travels through the
// exit status as well as the console marker. Needs QEMU's
// -semihosting-config enable=on,target=native,userspace=on (EL0 calls).
// Built static for the guest by tests/e2e/run.sh with aarch64-linux-gnu-gcc.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SYS_EXIT		     0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: semihost-exit CODE\n");
		return 2;
	}
	// AArch64 SYS_EXIT takes a block {reason, subcode}; QEMU exits with the
	// subcode when the reason is "application exit".
	uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, strtoull(argv[1], NULL, 0)};
	register uint64_t op __asm__("x0") = SYS_EXIT;
	register uint64_t arg __asm__("x1") = (uint64_t)(uintptr_t)block;
	__asm__ volatile("hlt #0xf000" : "+r"(op) : "r"(arg) : "memory");
	// Only reached without semihosting (the call is then an undefined
	// instruction and kills us first, in practice).
	fprintf(stderr, "semihost-exit: semihosting is not enabled\n");
	return 1;
}
