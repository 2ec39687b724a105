/* SPDX-License-Identifier: MIT */
/*
 * Per-device counters (i2c_bus_counters) as log lines, for SIGUSR1: one line
 * per device of a device set, logged whatever the -v level, e.g.
 *   counters: all sockets: 24c02@0x50: 12 transfers, 96 bytes, 0 errors
 */
#ifndef VI2C_COUNTERS_H
#define VI2C_COUNTERS_H

#include <stddef.h>

#include "config.h"
#include "i2c_bus.h"

/*
 * Logs the counters of every device on bus, in address order, including
 * devices added at run time; `set` (the bus's device set in the config)
 * names the host adapters.
 */
void counters_log(struct i2c_bus *bus, const struct vi2c_config *set, const char *label);

/* One device's line (without "counters: LABEL: "), into buf. Returns buf. For tests. */
char *counters_format(const char *device, const struct i2c_dev_counters *c, char *buf, size_t len);

#endif
