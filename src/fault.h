/* SPDX-License-Identifier: MIT */
/*
 * Fault injection (control socket `fault`): per device address, at most one
 * armed fault of each kind, each for N more transfers (0 = until cleared).
 *   nack    the transfer fails at the device as if nothing answered; nothing
 *           reaches the device;
 *   delay   the transfer completes `ms` later (the caller sleeps after it has
 *           released every lock, so nothing else waits);
 *   corrupt read bytes from the device are XORed with `xor`.
 * A fault counts one per combined transfer that reaches the device.
 *
 * Pure data: the caller (i2c_bus) serialises access to a fault_set with the
 * device's lock. Functions return 0 or -errno.
 */
#ifndef VI2C_FAULT_H
#define VI2C_FAULT_H

#include <stdbool.h>
#include <stdint.h>

enum fault_kind { FAULT_NACK, FAULT_DELAY, FAULT_CORRUPT, FAULT_KINDS };

#define FAULT_DELAY_MAX_MS 60000 /* one transfer never waits longer than a minute */
#define FAULT_COUNT_MAX	   1000000000u

struct fault {
	bool armed;
	uint32_t remaining; /* transfers left; 0 = until cleared */
	uint32_t ms;	    /* FAULT_DELAY: 1..FAULT_DELAY_MAX_MS */
	uint8_t xor_mask;   /* FAULT_CORRUPT: 1..255 */
};

struct fault_set {
	struct fault f[FAULT_KINDS];
};

/* What the faults of one device do to one transfer (fault_take's result). */
struct fault_effect {
	bool nack;
	uint32_t delay_ms;
	uint8_t xor_mask; /* 0 = no corruption */
};

/* "nack", "delay", "corrupt"; NULL outside the enum. */
const char *fault_kind_name(enum fault_kind kind);
/* The kind named by name: 0 or -EINVAL. */
int fault_kind_parse(const char *name, enum fault_kind *kind);

/*
 * Arms (or re-arms, replacing) fault f of kind in set. Checks the kind's
 * parameter ranges: 0 or -EINVAL (set unchanged).
 */
int fault_arm(struct fault_set *set, enum fault_kind kind, const struct fault *f);

/* Disarms everything; returns how many faults were armed. */
unsigned fault_clear(struct fault_set *set);

/* Number of armed faults in set. */
unsigned fault_count(const struct fault_set *set);

/*
 * One transfer reaches the device: fills *eff with what applies and counts
 * it against each armed fault (a fault whose count runs out is disarmed).
 * Returns how many faults were disarmed by this call.
 */
unsigned fault_take(struct fault_set *set, struct fault_effect *eff);

#endif
