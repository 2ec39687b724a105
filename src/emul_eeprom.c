// SPDX-License-Identifier: MIT
/*
 * Serial EEPROMs: AT24C02 / AT24C32 / AT24C256, and the EE1004 DDR4 SPD
 * EEPROM (ee1004), as their datasheets describe them:
 *  - one word-address counter, 0 at power-up;
 *  - a write message carries the word address (1 byte, or 2 bytes big-endian
 *    with the unused upper bits ignored) and then data; data bytes go into the
 *    page buffer for the addressed page and only the counter's in-page bits
 *    advance, so a write that runs past the end of its page wraps to the page
 *    start (roll-over) and overwrites what this write put there earlier;
 *  - the write cycle starts at STOP only: the page buffer is committed to
 *    memory at STOP, and a (repeated) START before the STOP aborts it, so
 *    [W addr data][R n] in one transfer writes nothing (the counter still
 *    advanced over the data bytes, as the part ACKed them);
 *  - a read message reads from the counter and advances it over the whole
 *    memory, wrapping from the last byte to 0.
 *
 * EE1004 (JEDEC, e.g. Microchip 34AA04): 512 bytes in two 256-byte halves
 * that JEDEC calls pages, here "banks" (a "page" is the 16-byte write
 * buffer). The word address is one byte within the selected bank and reads
 * wrap within it. The bank is selected by any write to 0x36 (bank 0) or 0x37
 * (bank 1), addresses every SPD EEPROM on the bus answers (shared, see
 * emul_shared_addrs); a read at 0x36 is ACKed when bank 0 is selected and
 * NACKed when bank 1 is; a read at 0x37 is reserved and NACKed. Bank 0 at
 * power-up; one added at run time (hot-plug) takes the bank of the ee1004s
 * already on the bus (ee1004_shared_sync). Write protection (SWP/CWP
 * commands) is not emulated.
 *
 * With file=PATH the memory is backed by a file of exactly the device size
 * (emul_file.h): the write cycle ends only once the file has the data on
 * stable storage, and memory changes only then, so the file always holds
 * what the guest was told is written.
 *
 * The write-cycle time (tWR, about 5 ms) is off by default: data is readable
 * at once. With write_cycle_us=N (AT24s only) the part NACKs every message,
 * its address included, for N us after the STOP that commits a write, as
 * the real one does while it programs the cells; Linux's at24 driver retries
 * until its write_timeout. A write that carried no data (only the word
 * address) or whose commit failed starts no cycle.
 */
#include "emul_file.h"
#include "emul_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define EEPROM_MAX_PAGE	   64	  /* the largest page buffer; one bit per cell in `latched` */
#define WRITE_CYCLE_MAX_US 100000 /* 100 ms: 10x a slow part, 4x at24's default timeout */

#define EE1004_SPA0	 0x36 /* write: select bank 0; read: ACK if bank 0 is selected */
#define EE1004_SPA1	 0x37 /* write: select bank 1 */
#define EE1004_BANK_SIZE 256

static const uint8_t ee1004_shared[] = {EE1004_SPA0, EE1004_SPA1};

struct eeprom_geometry {
	size_t size;	     /* bytes, a power of two */
	size_t bank;	     /* bytes the word address reaches (== size except ee1004) */
	size_t page;	     /* page-write size, a power of two <= EEPROM_MAX_PAGE */
	unsigned addr_bytes; /* word-address bytes in a write message */
};

static const struct eeprom_geometry eeprom_geometries[] = {
	[EMUL_24C02] = {.size = 256, .bank = 256, .page = 8, .addr_bytes = 1},
	[EMUL_24C32] = {.size = 4096, .bank = 4096, .page = 32, .addr_bytes = 2},
	[EMUL_24C256] = {.size = 32768, .bank = 32768, .page = 64, .addr_bytes = 2},
	[EMUL_EE1004] = {.size = 512, .bank = EE1004_BANK_SIZE, .page = 16, .addr_bytes = 1},
};

struct eeprom {
	struct emul_dev dev;
	const struct eeprom_geometry *geo;
	size_t ptr;	  /* word-address counter, always < geo->bank */
	size_t bank_base; /* start of the selected bank in mem (ee1004: 0 or 256) */
	/* The page buffer: the write in progress, committed at STOP. */
	bool pending;
	size_t wpage;	  /* offset in mem of the page being written */
	uint64_t latched; /* bit i: cell i of that page was written */
	uint8_t latch[EEPROM_MAX_PAGE];
	struct emul_file *file;	 /* NULL when memory-only */
	uint32_t write_cycle_us; /* tWR; 0: no write cycle */
	uint64_t busy_until_ns;	 /* CLOCK_MONOTONIC end of the write cycle; 0: none */
	uint8_t mem[];
};
EMUL_DEV_FIRST(struct eeprom);

static struct eeprom *to_eeprom(struct emul_dev *dev)
{
	return container_of(dev, struct eeprom, dev);
}

static int eeprom_read(struct eeprom *ee, uint8_t *buf, size_t len)
{
	size_t mask = ee->geo->bank - 1;
	size_t i;

	for (i = 0; i < len; i++) {
		buf[i] = ee->mem[ee->bank_base + ee->ptr];
		ee->ptr = (ee->ptr + 1) & mask;
	}
	return 0;
}

static int eeprom_write(struct eeprom *ee, const uint8_t *buf, size_t len)
{
	const struct eeprom_geometry *geo = ee->geo;
	size_t ptr, page_base, off, i;

	if (len < geo->addr_bytes) {
		/*
		 * STOP (or repeated START) after the first of two word-address
		 * bytes. The datasheets leave this undefined; the part loads
		 * each address byte into its counter as it ACKs it, so the
		 * high byte (unused bits dropped) is replaced and the low byte
		 * keeps its old value. No data byte came, so nothing is
		 * written.
		 */
		ee->ptr = (((size_t)buf[0] << 8) | (ee->ptr & 0xff)) & (geo->bank - 1);
		return 0;
	}

	ptr = buf[0];
	if (geo->addr_bytes == 2)
		ptr = (ptr << 8) | buf[1];
	ptr &= geo->bank - 1;
	page_base = ptr & ~(geo->page - 1);
	off = ptr & (geo->page - 1);
	/* Roll-over: each cell keeps the last byte sent to it. */
	for (i = geo->addr_bytes; i < len; i++) {
		ee->latch[off] = buf[i];
		ee->latched |= 1ull << off;
		off = (off + 1) & (geo->page - 1);
	}
	ee->ptr = page_base + off;
	if (len > geo->addr_bytes) {
		ee->pending = true;
		ee->wpage = ee->bank_base + page_base;
	}
	return 0;
}

static int eeprom_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct eeprom *ee = to_eeprom(dev);

	return read ? eeprom_read(ee, buf, len) : eeprom_write(ee, buf, len);
}

/* Any START: a write not yet ended by STOP is aborted (the page buffer is dropped). */
static void eeprom_start(struct emul_dev *dev)
{
	struct eeprom *ee = to_eeprom(dev);

	ee->pending = false;
	ee->latched = 0;
}

/* STOP: the write cycle. The latched cells from the first to the last go out in one write. */
static int eeprom_stop(struct emul_dev *dev)
{
	struct eeprom *ee = to_eeprom(dev);
	uint8_t image[EEPROM_MAX_PAGE];
	unsigned lo, hi;
	int ret = 0;

	if (!ee->pending)
		return 0;
	lo = (unsigned)__builtin_ctzll(ee->latched);
	hi = 63u - (unsigned)__builtin_clzll(ee->latched);
	for (unsigned i = lo; i <= hi; i++)
		image[i] = ee->latched >> i & 1 ? ee->latch[i] : ee->mem[ee->wpage + i];
	if (ee->file)
		ret = emul_file_write(ee->file, ee->wpage + lo, image + lo, hi - lo + 1,
				      ee->mem + ee->wpage + lo);
	if (!ret) {
		memcpy(ee->mem + ee->wpage + lo, image + lo, hi - lo + 1);
		if (ee->write_cycle_us)
			ee->busy_until_ns = emul_clock_mono_ns() + ee->write_cycle_us * 1000ull;
	}
	ee->pending = false;
	ee->latched = 0;
	return ret;
}

/* In the write cycle: the part NACKs its address. */
static bool eeprom_busy(struct emul_dev *dev)
{
	struct eeprom *ee = to_eeprom(dev);

	if (!ee->busy_until_ns)
		return false;
	if (emul_clock_mono_ns() < ee->busy_until_ns)
		return true;
	ee->busy_until_ns = 0; /* over: no clock reading until the next cycle */
	return false;
}

static double eeprom_get_write_cycle(struct emul_dev *dev)
{
	return to_eeprom(dev)->write_cycle_us;
}

/* `write_cycle_us`: whole us, 0..WRITE_CYCLE_MAX_US; from the next write's STOP on. */
static int eeprom_set_write_cycle(struct emul_dev *dev, double value)
{
	if (!(value >= 0 && value <= WRITE_CYCLE_MAX_US) || value != (double)(uint32_t)value)
		return -ERANGE;
	to_eeprom(dev)->write_cycle_us = (uint32_t)value;
	return 0;
}

static const struct emul_prop_desc eeprom_props[] = {
	{"write_cycle_us", eeprom_get_write_cycle, eeprom_set_write_cycle},
	{0},
};

const struct emul_opt_desc emul_eeprom_opts[] = {
	{"write_cycle_us", 0, WRITE_CYCLE_MAX_US, 0, "0..100000 us, an integer", false},
	{0},
};

/* ee1004 page select (0x36/0x37): see the header comment. */
static int ee1004_xfer_shared(struct emul_dev *dev, uint8_t addr, bool read, uint8_t *buf,
			      size_t len)
{
	struct eeprom *ee = to_eeprom(dev);

	if (read) {
		if (addr != EE1004_SPA0 || ee->bank_base != 0)
			return -ENXIO;
		/* The data byte is "don't care"; the part leaves the bus released. */
		if (len)
			memset(buf, 0xff, len);
		return 0;
	}
	/* The command is the address itself; data bytes are ACKed and ignored. */
	ee->bank_base = addr == EE1004_SPA0 ? 0 : EE1004_BANK_SIZE;
	return 0;
}

/*
 * A hot-plugged ee1004 selects the bank the others on the bus have: a real
 * part powers up in bank 0, but on a real board every SPD powers up at the
 * same time and they always agree. Linux's ee1004 driver relies on that (it
 * keeps one current bank for all of them and selects a bank only when it
 * changes), so a newcomer in bank 0 beside others in bank 1 would hand it
 * the wrong half of its memory.
 */
static void ee1004_shared_sync(struct emul_dev *dev, const struct emul_dev *peer)
{
	to_eeprom(dev)->bank_base = container_of(peer, const struct eeprom, dev)->bank_base;
}

static void eeprom_destroy(struct emul_dev *dev)
{
	struct eeprom *ee = to_eeprom(dev);

	emul_file_close(ee->file);
	free(ee);
}

static const struct emul_ops eeprom_ops = {
	.xfer = eeprom_xfer,
	.start = eeprom_start,
	.stop = eeprom_stop,
	.busy = eeprom_busy,
	.props = eeprom_props,
	.destroy = eeprom_destroy,
};

static const struct emul_ops ee1004_ops = {
	.xfer = eeprom_xfer,
	.start = eeprom_start,
	.stop = eeprom_stop,
	.xfer_shared = ee1004_xfer_shared,
	.shared_sync = ee1004_shared_sync,
	.destroy = eeprom_destroy,
};

struct emul_dev *emul_eeprom_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	const struct eeprom_geometry *geo = &eeprom_geometries[spec->model];
	bool spd = spec->model == EMUL_EE1004;
	struct eeprom *ee;

	/* The address (0x50-0x57 for an ee1004) was checked by emul_create (emul_check_addr). */
	ee = emul_dev_alloc(sizeof(*ee) + geo->size, spd ? &ee1004_ops : &eeprom_ops, spec, err,
			    errlen);
	if (!ee)
		return NULL;
	if (spd) {
		ee->dev.shared_addrs = ee1004_shared;
		ee->dev.n_shared = sizeof(ee1004_shared);
	}
	ee->geo = geo;
	memset(ee->mem, 0xff, geo->size); /* erased */

	if (spec->file) {
		ee->file = emul_file_open(spec, geo->size, ee->mem, err, errlen);
		if (!ee->file) {
			int e = errno;

			free(ee);
			errno = e;
			return NULL;
		}
	}
	return &ee->dev;
}
