/* SPDX-License-Identifier: MIT */
/*
 * The register map of the `regmap` model (-e regmap@ADDR,map=FILE): any
 * simple register-based chip described by a JSON file instead of C:
 *
 *   {"reg_bits": 8, "val_bits": 16, "endian": "big", "size": 16,
 *    "auto_increment": true,
 *    "registers": {"0x00": {"reset": 4660, "ro": true}, "0x01": {"reset": "0x12"}}}
 *
 * reg_bits 8|16 (default 8): register address bytes at the start of a write
 * (big-endian); val_bits 8|16 (default 8) and endian big|little (default big):
 * a register's bytes on the wire; size: registers 0..size-1 exist (default
 * and maximum 2^reg_bits); auto_increment (default true); registers: reset
 * value (a number or a "0x.." string, default 0) and ro (default false) of
 * any register, keyed by its address ("0x05" or "5").
 *
 * Exposed for the fuzzer and the unit tests; the device itself is made by
 * emul_create(). Errors: 0 or -errno, err gets one line.
 */
#ifndef VI2C_EMUL_REGMAP_H
#define VI2C_EMUL_REGMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGMAP_FILE_MAX (4u << 20) /* a map file larger than this is refused */

struct regmap_map {
	unsigned reg_bytes; /* 1 or 2 */
	unsigned val_bytes; /* 1 or 2 */
	bool little;	    /* values little-endian on the wire */
	bool auto_inc;
	uint32_t size;	  /* registers 0..size-1, 1..65536 */
	uint16_t *reset;  /* owned, size entries */
	bool *ro;	  /* owned, size entries */
	uint32_t *listed; /* owned: the registers the file names, ascending */
	uint32_t n_listed;
};

/* Parses a JSON map from text[0..len). On error *map holds nothing to free. */
int regmap_map_parse(const char *text, size_t len, struct regmap_map *map, char *err,
		     size_t errlen);

/* Frees what regmap_map_parse allocated; safe on a zeroed map. */
void regmap_map_free(struct regmap_map *map);

#endif
