/* SPDX-License-Identifier: MIT */
/*
 * The read-only policy of host devices (-l ...:ADDR/ro, /ro16): which
 * messages of a combined transfer may reach such a device. Pure: no I/O, no
 * state; safe on any input (fuzzed together with the SMBus translation).
 *
 * A read-only device is read through a register pointer of ptr_len bytes
 * (1 for /ro, 2 for /ro16: 24c32 and larger EEPROMs). Allowed are
 *  - reads of any length, a zero-length read (SMBus quick read) included;
 *  - a write of exactly ptr_len bytes (the pointer) directly followed, in
 *    the same transfer, by a read of the same device.
 * Everything else that writes is refused: a longer or shorter write, a write
 * followed by a write or by a read of another device, a lone write (a 1-byte
 * write alone is SMBus "send byte", a command on PMBus devices) and a
 * zero-length write (SMBus quick write, a command on some devices).
 */
#ifndef VI2C_I2C_READONLY_H
#define VI2C_I2C_READONLY_H

#include <stdbool.h>

#include "i2c_bus.h"

/*
 * True if message i of msgs[0..n) may reach a read-only device with a
 * register pointer of ptr_len bytes (ptr_len 1 or 2; any other value, 0
 * included, refuses every write). i < n.
 */
bool i2c_readonly_allows(const struct i2c_msg_buf *msgs, unsigned n, unsigned i, unsigned ptr_len);

#endif
