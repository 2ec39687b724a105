/* SPDX-License-Identifier: MIT */
/*
 * The backing file of an EEPROM-like model (-e MODEL@ADDR,file=PATH): a
 * regular file of exactly the device's size holding its memory. Private to
 * src/emul*.c; one place for creating, loading and durably writing it.
 *
 *  - A missing file is created atomically: a temporary file in the same
 *    directory is filled with 0xFF (an erased part), synced, renamed to PATH
 *    (never over a file that appeared meanwhile) and the directory synced, so
 *    PATH never exists with a partial size. An existing empty file is filled
 *    in place (keeping its owner and mode) and synced.
 *  - The file is locked (flock) for as long as the handle lives: a second
 *    device or daemon on the same file is refused.
 *  - emul_file_write() returns only once the data is on stable storage
 *    (pwrite + fdatasync), so a write the guest saw acknowledged survives a
 *    power loss, and a writeback error fails that write.
 *  - Each write checks that PATH still names the open file: if it was deleted
 *    or replaced, writes go to an inode nobody will read again; one warning
 *    line says so.
 *
 * Errors: 0 or -errno; messages as documented per function.
 */
#ifndef VI2C_EMUL_FILE_H
#define VI2C_EMUL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct emul_file;

/*
 * Opens (creating it if missing, see above) spec->file for a device of
 * `size` bytes and loads its content into mem (size bytes; also the fill
 * pattern source: mem must hold the erased content, 0xFF, on entry). A file
 * of another size, a non-regular file, or one in use is refused.
 * Returns the handle, or NULL with errno set and err filled with one line
 * naming the spec (emul_set_err).
 */
struct emul_file *emul_file_open(const struct cfg_emul *spec, size_t size, uint8_t *mem, char *err,
				 size_t errlen);

/*
 * Durably writes data[0..len) at offset off: returns 0 once it is on stable
 * storage. On failure (write error, short write, sync error) tries to put
 * `old` (the len bytes the device still holds there) back so the file keeps
 * agreeing with the device, logs one error line and returns -errno (-EIO for
 * a short write). The caller must not change its memory on failure.
 */
int emul_file_write(struct emul_file *f, size_t off, const uint8_t *data, size_t len,
		    const uint8_t *old);

/* Closes the file (and its lock). NULL is allowed. */
void emul_file_close(struct emul_file *f);

#endif
