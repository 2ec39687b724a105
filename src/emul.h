/* SPDX-License-Identifier: MIT */
/*
 * Emulated I2C devices: AT24 EEPROMs, the EE1004 DDR4 SPD EEPROM, an
 * i2c-stub-like register file, a register map from a JSON file, and sensors,
 * ADC, GPIO expander and RTCs that real Linux drivers accept (one
 * src/emul_<model>.c each).
 *
 * A device sees the bus the way a real chip does: each message of a combined
 * transfer begins with a (repeated) START addressed to it, and the transfer
 * ends with a STOP. The caller serialises access (one thread at a time per
 * device, see i2c_bus); the device itself takes no lock.
 *
 * Errors: 0 or -errno. A device that would NACK returns -ENXIO; an I/O failure
 * of the backing file returns its -errno from emul_stop (the write is not
 * acknowledged).
 */
#ifndef VI2C_EMUL_H
#define VI2C_EMUL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct emul_dev;

/*
 * Creates a device from a parsed -e spec: checks the address against the
 * model's (emul_check_addr), then applies spec->opts in order with
 * emul_set_prop (a refused value is an error). For EEPROMs with file=PATH the
 * file is opened (created filled with 0xFF if missing, see emul_file.h) and
 * loaded; a file of the wrong size, or one that cannot be created/read, is
 * an error.
 * Returns the device (free with emul_destroy) or NULL with err filled
 * (one line naming the spec) and errno set: EINVAL when the spec does not
 * suit the model (address, options: a bad command line), another value when
 * the environment failed (the backing file: missing rights, wrong size...).
 */
struct emul_dev *emul_create(const struct cfg_emul *spec, char *err, size_t errlen);

/* Frees the device and closes its file. NULL is allowed. */
void emul_destroy(struct emul_dev *dev);

/*
 * One message after a START/repeated START: the device is addressed in the
 * given direction and then `len` bytes are written to it (read == false) or
 * read from it into buf (read == true). len == 0 is an address-only probe
 * (SMBus quick) and succeeds. A device that NACKs its address (an AT24 in
 * its write cycle, write_cycle_us) gives -ENXIO, whatever len. EEPROMs only
 * latch written data here (their page buffer): it is committed at STOP
 * (emul_stop) and discarded by any START before that.
 */
int emul_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len);

/*
 * A repeated START addressed to another device (or to no device) while this
 * device takes part in the transfer: every device sees every START on its
 * bus (an EEPROM aborts the write it latched). The bus calls it for the
 * device(s) of the previous message when the next one goes elsewhere,
 * including a next message that nobody ACKs.
 */
void emul_restart(struct emul_dev *dev);

/*
 * STOP condition: ends the current transfer. An EEPROM commits the write it
 * latched (its internal write cycle); with file=, the data is on stable
 * storage before this returns 0. Returns 0, or -errno when that commit
 * failed (nothing changed; the write message must be reported failed). Only
 * the last message of a transfer can leave a write latched.
 */
int emul_stop(struct emul_dev *dev);

/*
 * Addresses the device answers in addition to its own, together with every
 * device of its kind on the bus (ee1004: the SPD page-select addresses 0x36
 * and 0x37). Returns how many; *addrs points to static storage.
 */
unsigned emul_shared_addrs(const struct emul_dev *dev, const uint8_t **addrs);

/*
 * One message at one of the device's shared addresses (a START addressed
 * there), as emul_xfer. -ENXIO when this device does not ACK it.
 */
int emul_xfer_shared(struct emul_dev *dev, uint8_t addr, bool read, uint8_t *buf, size_t len);

/*
 * dev, joining the bus, takes over the state that messages at the shared
 * addresses set in peer, a device of the same model already answering them
 * (ee1004: the selected bank), so every device behind a shared address stays
 * in one state. Nothing happens if the models differ. The caller holds what
 * serialises messages at the shared addresses (i2c_bus: their slot locks).
 */
void emul_shared_sync(struct emul_dev *dev, const struct emul_dev *peer);

/*
 * Properties: the values a test sets on a model at run time (control socket
 * `get`/`set`) and at start (-e MODEL@ADDR,name=value). Every value is a
 * double in the unit the model documents (lm75 `temp`: degrees C). Names are
 * the model's own; a model may accept names it does not list (regmap
 * "reg:0xNN"). Callers serialise these with transfers to the same device
 * (the bus's device lock), as for emul_xfer.
 */
struct emul_prop {
	const char *name; /* static */
	double value;
	bool writable; /* settable with emul_set_prop */
};

/* Calls fn once per listed property with its current value, in a stable order. */
void emul_each_prop(struct emul_dev *dev, void (*fn)(void *ctx, const struct emul_prop *p),
		    void *ctx);

/* Reads one property. 0, or -ENOENT (no such property). */
int emul_get_prop(struct emul_dev *dev, const char *name, double *value);

/*
 * Sets one property; it takes effect from the next message on. 0, -ENOENT
 * (no such property), -EROFS (read-only), -ERANGE (outside what the chip can
 * represent; nothing changes).
 */
int emul_set_prop(struct emul_dev *dev, const char *name, double value);

/*
 * A property a model accepts at start (-e MODEL@ADDR,NAME=VALUE), or a
 * read-only one. Every value in [min, max] of a writable one is one
 * emul_set_prop accepts (unit tests check it).
 */
struct emul_opt_desc {
	const char *name;  /* NULL ends a table */
	double min, max;   /* accepted at start */
	unsigned decimals; /* most fractional digits; 0: an integer, decimal or 0x hex */
	const char *range; /* for messages: "-55..125 degC, at most 3 decimals" */
	bool read_only;	   /* listed so the parser can say so; never set at start */
};

/* The model's start properties, a table ended by a NULL name; never NULL. Static. */
const struct emul_opt_desc *emul_model_opts(enum emul_model model);

/*
 * 0 if the model can sit at addr (its address pins allow it), else -EINVAL
 * with *valid set to the addresses it can have ("0x48..0x4b"; static).
 */
int emul_check_addr(enum emul_model model, uint8_t addr, const char **valid);

/* The device's 7-bit bus address and model. */
uint8_t emul_addr(const struct emul_dev *dev);
enum emul_model emul_model(const struct emul_dev *dev);

#endif
