// SPDX-License-Identifier: MIT
/*
 * Sensirion SHT3x-DIS humidity and temperature sensor (Sensirion datasheet
 * "SHT3x-DIS", and the application note on its alert mode).
 *
 * The chip has no registers: the host writes a 16-bit command (MSB first)
 * and then reads the response. Every 16-bit word read or written carries a
 * CRC-8 (polynomial 0x31, init 0xff, no reflection, no final XOR). Commands:
 *   0x2c06/0x2c0d/0x2c10  single shot, clock stretching (high/medium/low
 *                         repeatability): the result is there when read
 *   0x2400/0x240b/0x2416  single shot without stretching: a read before the
 *                         measurement ends (12.5/4.5/2.5 ms, the datasheet's
 *                         typical durations: the guest's timer is not the
 *                         host's clock, so the maxima the driver waits for
 *                         would leave no margin) is
 *                         NACKed; so is a read with nothing to answer
 *   0x20xx..0x27xx, 0x2b32 periodic mode (0.5/1/2/4/10 mps, ART = 4 mps);
 *   0xe000 fetch: the latest measurement not fetched yet, else NACK;
 *   0x3093 break (stop periodic mode)
 *   0xf32d status, 0x3041 clear status, 0x306d/0x3066 heater on/off,
 *   0x30a2 soft reset
 *   0xe11f/0xe114/0xe109/0xe102 read, 0x611d/0x6116/0x610b/0x6100 write the
 *   alert limits high set/high clear/low clear/low set (7 RH MSBs | 9 T MSBs)
 * A measurement answers T word, CRC, RH word, CRC; bytes read past a response
 * read 0xff. Status after reset: 0x8010 (alert pending, reset detected); bit 1
 * = last command not processed, bit 0 = last write's CRC was wrong, bit 13 =
 * heater on. Alert tracking (bits 15, 11, 10 after a clear) is not modelled.
 * Conversions: T = -45 + 175 * S_T / 65535, RH = 100 * S_RH / 65535.
 */
#include "emul_internal.h"

#include <errno.h>

#define SHT3X_STATUS_RESET    0x8010
#define SHT3X_STATUS_ALERT    0x8000
#define SHT3X_STATUS_HEATER   0x2000
#define SHT3X_STATUS_RH_ALERT 0x0800
#define SHT3X_STATUS_T_ALERT  0x0400
#define SHT3X_STATUS_RESET_D  0x0010
#define SHT3X_STATUS_CMD      0x0002
#define SHT3X_STATUS_CRC      0x0001

#define SHT3X_TEMP_MIN (-45.0)
#define SHT3X_TEMP_MAX 130.0

enum sht3x_resp { RESP_NONE, RESP_MEAS, RESP_FETCH, RESP_WORD };

struct sht3x {
	struct emul_dev dev;
	uint16_t t_raw, rh_raw; /* the set values as the ADC reports them */
	uint16_t status;
	uint16_t limits[4]; /* high set, high clear, low clear, low set */
	enum sht3x_resp resp;
	uint16_t word;	      /* RESP_WORD: the status or limit word */
	uint64_t start_ns;    /* single shot or periodic mode start */
	uint64_t dur_ns;      /* measurement duration */
	uint64_t period_ns;   /* periodic mode; 0 = single shot */
	int64_t last_fetched; /* periodic: index of the last fetched measurement */
};
EMUL_DEV_FIRST(struct sht3x);

static struct sht3x *to_sht3x(struct emul_dev *dev)
{
	return container_of(dev, struct sht3x, dev);
}

/* CRC-8, polynomial 0x31, init 0xff (datasheet: CRC(0xbeef) = 0x92). */
uint8_t emul_sht3x_crc8(const uint8_t *data, size_t len)
{
	uint8_t crc = 0xff;

	for (size_t i = 0; i < len; i++) {
		crc ^= data[i];
		for (int b = 0; b < 8; b++)
			crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x31 : crc << 1);
	}
	return crc;
}

static const uint64_t us = 1000;

/* Typical measurement durations at high, medium and low repeatability. */
static const uint64_t dur_ns[3] = {12500 * us, 4500 * us, 2500 * us};

/* The duration of a measurement at a repeatability given by a command's LSB. */
static uint64_t duration(uint8_t lsb, uint8_t high, uint8_t medium)
{
	return lsb == high ? dur_ns[0] : lsb == medium ? dur_ns[1] : dur_ns[2];
}

static void reset(struct sht3x *s)
{
	s->status = SHT3X_STATUS_RESET;
	/* Alert limits at reset: 60/58 C, 80/79 %RH high; -9/-10 C, 22/20 %RH low. */
	s->limits[0] = 0xcd33;
	s->limits[1] = 0xc92d;
	s->limits[2] = 0x3869;
	s->limits[3] = 0x3466;
	s->resp = RESP_NONE;
	s->period_ns = 0;
}

static bool periodic_cmd(uint16_t cmd, uint64_t *period, uint64_t *dur)
{
	static const struct {
		uint8_t msb;
		uint8_t lsb[3];	     /* high, medium, low repeatability */
		uint64_t period_ms2; /* period in ms * 2 */
	} table[] = {
		{0x20, {0x32, 0x24, 0x2f}, 4000}, {0x21, {0x30, 0x26, 0x2d}, 2000},
		{0x22, {0x36, 0x20, 0x2b}, 1000}, {0x23, {0x34, 0x22, 0x29}, 500},
		{0x27, {0x37, 0x21, 0x2a}, 200},
	};

	if (cmd == 0x2b32) { /* ART: 4 mps */
		*period = 250000 * us;
		*dur = dur_ns[0];
		return true;
	}
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (cmd >> 8 != table[i].msb)
			continue;
		for (int r = 0; r < 3; r++) {
			if ((cmd & 0xff) == table[i].lsb[r]) {
				*period = table[i].period_ms2 * 1000 * us / 2;
				*dur = dur_ns[r];
				return true;
			}
		}
	}
	return false;
}

static int limit_index(uint16_t cmd, bool write)
{
	static const uint16_t rd[4] = {0xe11f, 0xe114, 0xe109, 0xe102};
	static const uint16_t wr[4] = {0x611d, 0x6116, 0x610b, 0x6100};

	for (int i = 0; i < 4; i++)
		if (cmd == (write ? wr[i] : rd[i]))
			return i;
	return -1;
}

/* Returns false for an unknown command (status bit 1). */
static bool command(struct sht3x *s, uint16_t cmd, const uint8_t *data, size_t data_len)
{
	uint64_t now = emul_clock_mono_ns();
	uint64_t period, dur;
	int idx;

	switch (cmd) {
	case 0x2c06:
	case 0x2c0d:
	case 0x2c10:
		s->resp = RESP_MEAS; /* clock stretching: ready when read */
		s->start_ns = now;
		s->dur_ns = 0;
		s->period_ns = 0;
		return true;
	case 0x2400:
	case 0x240b:
	case 0x2416:
		s->resp = RESP_MEAS;
		s->start_ns = now;
		s->dur_ns = duration((uint8_t)cmd, 0x00, 0x0b);
		s->period_ns = 0;
		return true;
	case 0xe000:
		s->resp = s->period_ns ? RESP_FETCH : RESP_NONE;
		return s->period_ns != 0;
	case 0x3093:
		s->period_ns = 0;
		s->resp = RESP_NONE;
		return true;
	case 0x30a2:
		reset(s);
		return true;
	case 0x306d:
		s->status |= SHT3X_STATUS_HEATER;
		return true;
	case 0x3066:
		s->status &= (uint16_t)~SHT3X_STATUS_HEATER;
		return true;
	case 0xf32d:
		s->resp = RESP_WORD;
		s->word = s->status;
		return true;
	case 0x3041:
		s->status &= (uint16_t) ~(SHT3X_STATUS_ALERT | SHT3X_STATUS_RH_ALERT |
					  SHT3X_STATUS_T_ALERT | SHT3X_STATUS_RESET_D);
		return true;
	}
	idx = limit_index(cmd, false);
	if (idx >= 0) {
		s->resp = RESP_WORD;
		s->word = s->limits[idx];
		return true;
	}
	idx = limit_index(cmd, true);
	if (idx >= 0) {
		if (data_len < 3)
			return true; /* no complete word: nothing to do */
		if (emul_sht3x_crc8(data, 2) != data[2]) {
			s->status |= SHT3X_STATUS_CRC;
			return true;
		}
		s->status &= (uint16_t)~SHT3X_STATUS_CRC;
		s->limits[idx] = (uint16_t)(data[0] << 8 | data[1]);
		return true;
	}
	if (periodic_cmd(cmd, &period, &dur)) {
		s->period_ns = period;
		s->dur_ns = dur;
		s->start_ns = now;
		s->last_fetched = -1;
		s->resp = RESP_NONE;
		return true;
	}
	return false;
}

static void put_word(uint8_t *out, uint16_t w)
{
	out[0] = (uint8_t)(w >> 8);
	out[1] = (uint8_t)w;
	out[2] = emul_sht3x_crc8(out, 2);
}

static int sht3x_read(struct sht3x *s, uint8_t *buf, size_t len)
{
	uint64_t now = emul_clock_mono_ns();
	uint8_t out[6];
	size_t n;

	switch (s->resp) {
	case RESP_MEAS:
		if (now - s->start_ns < s->dur_ns)
			return -ENXIO; /* still measuring */
		break;
	case RESP_FETCH: {
		int64_t done;

		if (now - s->start_ns < s->dur_ns)
			return -ENXIO;
		done = (int64_t)((now - s->start_ns - s->dur_ns) / s->period_ns);
		if (done <= s->last_fetched)
			return -ENXIO; /* no new measurement */
		s->last_fetched = done;
		break;
	}
	case RESP_WORD:
		put_word(out, s->word);
		n = 3;
		goto copy;
	default:
		return -ENXIO;
	}
	put_word(out, s->t_raw);
	put_word(out + 3, s->rh_raw);
	n = 6;
copy:
	for (size_t i = 0; i < len; i++)
		buf[i] = i < n ? out[i] : 0xff;
	s->resp = RESP_NONE; /* a response is read once */
	return 0;
}

static int sht3x_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct sht3x *s = to_sht3x(dev);

	if (read)
		return sht3x_read(s, buf, len);
	if (len < 2)
		return 0; /* an incomplete command does nothing */
	if (command(s, (uint16_t)(buf[0] << 8 | buf[1]), buf + 2, len - 2))
		s->status &= (uint16_t)~SHT3X_STATUS_CMD;
	else
		s->status |= SHT3X_STATUS_CMD;
	return 0;
}

static double raw_to_temp(uint16_t raw)
{
	return -45.0 + 175.0 * raw / 65535.0;
}

static double raw_to_rh(uint16_t raw)
{
	return 100.0 * raw / 65535.0;
}

static double sht3x_get_temp(struct emul_dev *dev)
{
	return raw_to_temp(to_sht3x(dev)->t_raw);
}

static double sht3x_get_rh(struct emul_dev *dev)
{
	return raw_to_rh(to_sht3x(dev)->rh_raw);
}

/* `temp` in C (-45..130): nearest ADC code. */
static int sht3x_set_temp(struct emul_dev *dev, double value)
{
	if (!(value >= SHT3X_TEMP_MIN && value <= SHT3X_TEMP_MAX))
		return -ERANGE;
	to_sht3x(dev)->t_raw = (uint16_t)emul_round((value + 45.0) * 65535.0 / 175.0);
	return 0;
}

/* `humidity` in %RH (0..100): nearest ADC code. */
static int sht3x_set_rh(struct emul_dev *dev, double value)
{
	if (!(value >= 0.0 && value <= 100.0))
		return -ERANGE;
	to_sht3x(dev)->rh_raw = (uint16_t)emul_round(value * 65535.0 / 100.0);
	return 0;
}

static const struct emul_prop_desc sht3x_props[] = {
	{"temp", sht3x_get_temp, sht3x_set_temp},
	{"humidity", sht3x_get_rh, sht3x_set_rh},
	{0},
};

const struct emul_opt_desc emul_sht3x_opts[] = {
	{"temp", SHT3X_TEMP_MIN, SHT3X_TEMP_MAX, 3, "-45..130 degC, at most 3 decimals", false},
	{"humidity", 0.0, 100.0, 3, "0..100 %RH, at most 3 decimals", false},
	{0},
};

static const struct emul_ops sht3x_ops = {
	.xfer = sht3x_xfer,
	.props = sht3x_props,
};

struct emul_dev *emul_sht3x_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	struct sht3x *s = emul_dev_alloc(sizeof(*s), &sht3x_ops, spec, err, errlen);

	if (!s)
		return NULL;
	reset(s);
	sht3x_set_temp(&s->dev, 25.0);
	sht3x_set_rh(&s->dev, 50.0);
	return &s->dev;
}
