// SPDX-License-Identifier: MIT
/*
 * Maxim DS1307 and DS3231 real-time clocks (Maxim datasheets DS1307,
 * DS3231). The clock runs: it reads the host's UTC time plus `offset`
 * seconds; a guest write of the time registers sets the offset.
 *
 * Time registers 0..6, BCD: seconds (DS1307 bit 7 = CH, clock halt),
 * minutes, hours (bit 6 = 12-hour mode, then bit 5 = PM), day of week 1..7
 * (advances with the date; what it means is the user's), date, month
 * (DS3231 bit 7 = century: years 2100..2199), year 00..99 (from 2000).
 * A read message latches the time at its START (the chips' user buffer) and
 * auto-increments the register pointer, wrapping to 0 after the last
 * register. Time fields written in one message take effect together at its
 * end; writing the seconds restarts the second. Out-of-range BCD (undefined
 * for the chips) counts as its digits' value; the resulting clock is kept
 * within the offset range.
 * DS1307: 0x07 control (OUT, SQWE, RS1..0; 0x03 at power-up), 0x08..0x3f
 * 56 bytes of RAM (0 here); the last register is 0x3f. CH set stops the
 * clock (it keeps its time), CH cleared restarts it. A stopped clock is the
 * host's time when it stopped plus `offset`, so `offset` stands still too
 * (what the control socket shows does not drift) and a `set` moves the
 * stopped clock by the change, as it moves a running one.
 * DS3231: 0x07..0x0d alarms (stored), 0x0e control (0x1c), 0x0f status
 * (OSF, EN32kHz, BSY, A2F, A1F: 0x08 here; OSF/A2F/A1F can only be cleared),
 * 0x10 aging offset, 0x11..0x12 temperature (read-only, 25.00 C); the last
 * register is 0x12. The model starts with the oscillator running (CH and OSF
 * 0), as a part whose battery kept it going; EOSC is stored, not acted upon.
 */
#include "emul_internal.h"

#include <errno.h>

#define NS		1000000000LL
#define OFFSET_MAX	4e9 /* seconds, about 126 years */
#define DS1307_LAST_REG 0x3f
#define DS3231_LAST_REG 0x12

struct ds1307 {
	struct emul_dev dev;
	bool ds3231;
	uint8_t pointer;
	int64_t offset_ns;		   /* clock = reference + offset (clock_ns) */
	bool halted;			   /* DS1307 CH */
	int64_t halt_host_ns;		   /* host UTC when the clock stopped */
	bool h12;			   /* hours register in 12-hour mode */
	int wday_delta;			   /* day-of-week register = (weekday + delta) % 7 + 1 */
	uint8_t regs[DS1307_LAST_REG + 1]; /* registers 0x07 and up (0..6: the clock) */
	uint8_t snap[7];		   /* time registers latched at a read's START */
};
EMUL_DEV_FIRST(struct ds1307);

static struct ds1307 *to_ds(struct emul_dev *dev)
{
	return container_of(dev, struct ds1307, dev);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static uint8_t bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* 0 = Sunday .. 6 = Saturday; 1970-01-01 was a Thursday. */
static int64_t weekday(int64_t days)
{
	return days + 4 - floor_div(days + 4, 7) * 7;
}

/* The host time the offset counts from: now, or when the clock stopped. */
static int64_t reference_ns(const struct ds1307 *ds)
{
	return ds->halted ? ds->halt_host_ns : emul_clock_real_ns();
}

/* The clock's current value, ns since the epoch (UTC). */
static int64_t clock_ns(const struct ds1307 *ds)
{
	return reference_ns(ds) + ds->offset_ns;
}

/* The time registers for a clock value. */
static void encode(const struct ds1307 *ds, int64_t t_ns, uint8_t r[7])
{
	int64_t secs = floor_div(t_ns, NS), days = floor_div(secs, 86400), y;
	unsigned sod = (unsigned)(secs - days * 86400), m, d, hour = sod / 3600;
	unsigned years; /* since 2000 */

	civil_from_days(days, &y, &m, &d);
	years = y < 2000 ? 0 : (unsigned)(y - 2000);
	r[0] = bcd(sod % 60);
	if (ds->halted)
		r[0] |= 0x80;
	r[1] = bcd(sod / 60 % 60);
	if (ds->h12)
		r[2] = (uint8_t)(0x40 | (hour >= 12 ? 0x20 : 0) | bcd(hour % 12 ? hour % 12 : 12));
	else
		r[2] = bcd(hour);
	r[3] = (uint8_t)((weekday(days) + ds->wday_delta) % 7 + 1);
	r[4] = bcd(d);
	r[5] = bcd(m);
	if (ds->ds3231 && years / 100 % 2)
		r[5] |= 0x80;
	r[6] = bcd(years % 100);
}

/* Applies written time registers (mask: which of 0..6) over the current time. */
static void write_time(struct ds1307 *ds, const uint8_t w[7], unsigned mask)
{
	int64_t now = clock_ns(ds), real = emul_clock_real_ns(), ref, t, days, rel;
	uint8_t cur[7];
	unsigned sec, min, hour, mday, mon, year;
	int64_t subsec = now - floor_div(now, NS) * NS;

	encode(ds, now, cur);
	for (int i = 0; i < 7; i++)
		if (mask & 1u << i)
			cur[i] = w[i];
	sec = from_bcd(cur[0] & 0x7f);
	min = from_bcd(cur[1] & 0x7f);
	if (cur[2] & 0x40) {
		hour = from_bcd(cur[2] & 0x1f) % 12 + (cur[2] & 0x20 ? 12 : 0);
		ds->h12 = true;
	} else {
		hour = from_bcd(cur[2] & 0x3f);
		ds->h12 = false;
	}
	mday = from_bcd(cur[4] & 0x3f);
	mon = from_bcd(cur[5] & 0x1f);
	year = 2000 + from_bcd(cur[6]) + (ds->ds3231 && (cur[5] & 0x80) ? 100 : 0);
	days = days_from_civil(year, mon ? mon : 1, mday ? mday : 1);
	if (!ds->ds3231 && (mask & 1)) {
		bool halt = cur[0] & 0x80;

		if (halt && !ds->halted)
			ds->halt_host_ns = real; /* it stops now */
		ds->halted = halt;
	}
	ref = ds->halted ? ds->halt_host_ns : real;
	/*
	 * Seconds relative to the reference first: out-of-range BCD (the
	 * chips leave it undefined) may name years past 2262, beyond int64 ns.
	 */
	rel = days * 86400 + hour * 3600 + min * 60 + sec - floor_div(ref, NS);
	if (rel > OFFSET_MAX)
		rel = (int64_t)OFFSET_MAX;
	if (rel < -OFFSET_MAX)
		rel = (int64_t)-OFFSET_MAX;
	t = floor_div(ref, NS) * NS + rel * NS + ((mask & 1) ? 0 : subsec);
	if (mask & 1u << 3) /* the day of week is whatever the guest says it is today */
		ds->wday_delta = (int)(((cur[3] & 7) + 6 - weekday(days)) % 7);
	ds->offset_ns = t - ref;
}

static uint8_t last_reg(const struct ds1307 *ds)
{
	return ds->ds3231 ? DS3231_LAST_REG : DS1307_LAST_REG;
}

static void reg_write(struct ds1307 *ds, uint8_t reg, uint8_t val)
{
	if (!ds->ds3231) {
		if (reg == 7)
			ds->regs[7] = val & 0x93;
		else
			ds->regs[reg] = val; /* RAM */
		return;
	}
	switch (reg) {
	case 0x0f: /* OSF, A2F, A1F: write 0 to clear; BSY read-only */
		ds->regs[reg] = (uint8_t)((val & 0x08) | (ds->regs[reg] & val & 0x83));
		break;
	case 0x11:
	case 0x12:
		break; /* temperature: read-only */
	default:
		ds->regs[reg] = val;
		break;
	}
}

static int ds_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct ds1307 *ds = to_ds(dev);
	uint8_t w[7];
	unsigned mask = 0;
	size_t i = 0;

	if (read) {
		encode(ds, clock_ns(ds), ds->snap);
		for (; i < len; i++) {
			buf[i] = ds->pointer < 7 ? ds->snap[ds->pointer] : ds->regs[ds->pointer];
			ds->pointer = ds->pointer == last_reg(ds) ? 0 : ds->pointer + 1;
		}
		return 0;
	}
	if (buf[0] > last_reg(ds))
		return -ENXIO;
	ds->pointer = buf[i++];
	for (; i < len; i++) {
		if (ds->pointer < 7) {
			w[ds->pointer] = buf[i];
			mask |= 1u << ds->pointer;
		} else {
			reg_write(ds, ds->pointer, buf[i]);
		}
		ds->pointer = ds->pointer == last_reg(ds) ? 0 : ds->pointer + 1;
	}
	if (mask)
		write_time(ds, w, mask);
	return 0;
}

static double ds_get_offset(struct emul_dev *dev)
{
	return (double)to_ds(dev)->offset_ns / NS;
}

/*
 * `offset`: seconds between the clock and the host's UTC time (a stopped
 * clock: the host's time when it stopped).
 */
static int ds_set_offset(struct emul_dev *dev, double value)
{
	if (!(value >= -OFFSET_MAX && value <= OFFSET_MAX))
		return -ERANGE;
	to_ds(dev)->offset_ns = emul_round(value * 1e9);
	return 0;
}

static const struct emul_prop_desc ds_props[] = {
	{"offset", ds_get_offset, ds_set_offset},
	{0},
};

const struct emul_opt_desc emul_ds1307_opts[] = {
	{"offset", -OFFSET_MAX, OFFSET_MAX, 3, "-4000000000..4000000000 s, at most 3 decimals",
	 false},
	{0},
};

static const struct emul_ops ds_ops = {
	.xfer = ds_xfer,
	.props = ds_props,
};

struct emul_dev *emul_ds1307_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct ds1307 *ds = emul_dev_alloc(sizeof(*ds), &ds_ops, spec, err, errlen);

	if (!ds)
		return NULL;
	ds->ds3231 = spec->model == EMUL_DS3231;
	if (ds->ds3231) {
		ds->regs[0x0e] = 0x1c;
		ds->regs[0x0f] = 0x08;
		ds->regs[0x11] = 25;
	} else {
		ds->regs[7] = 0x03;
	}
	return &ds->dev;
}
