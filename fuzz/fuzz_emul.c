// SPDX-License-Identifier: MIT
/*
 * Fuzz target: combined transfers on a bus of emulated devices (i2c_bus.h,
 * emul.h), as the guest drives them: stub@0x10, lm75@0x48, 24c02@0x50,
 * 24c32@0x54 (write_cycle_us=3000: NACKs for 3 clock readings after a
 * write), 24c256@0x58, ee1004@0x52 and ee1004@0x53 (both answering the
 * shared page-select addresses 0x36, 0x37), tmp102@0x49, jc42@0x18,
 * sht3x@0x44, ads1015@0x4a, bmp280@0x76, pca9555@0x20 and ds1307 or ds3231
 * @0x68; every other address is empty. Quicker than going through the
 * virtqueue, so the device models get deep coverage.
 *
 * Input: u8 variant (bit 0: ds3231 instead of ds1307), then groups until the
 * input ends, each: u8 message count (1..16), then per message u8 target, u8
 * flags (bit 0 read), u16 length (% 600) and, for writes, the bytes.
 * target % 16 picks 0x10, 0x48, 0x50, 0x54, 0x58, an empty address, 0x49,
 * 0x18, 0x44, 0x4a, 0x76, 0x20, 0x68, 0x52, (14) 0x36 or 0x37 by bit 0 of the
 * next byte, or (15) the low 7 bits of the next byte. The models' clocks are
 * replaced by counters that advance 1 ms per reading, so a run is
 * reproducible.
 *
 * Checked beyond memory safety (buffers are malloc'ed at their exact size):
 * a transfer never completes more messages than it has, never gets past an
 * address nobody answers, and leaves the write buffers as they were.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emul.h"
#include "emul_internal.h"
#include "fuzz_util.h"
#include "i2c_bus.h"

#define MAX_MSGS 16
#define MAX_LEN	 600

static const uint8_t known[] = {0x10, 0x48, 0x50, 0x54, 0x58, 0x33, 0x49,
				0x18, 0x44, 0x4a, 0x76, 0x20, 0x68, 0x52};

static uint64_t ticks;

static uint64_t fake_mono_ns(void)
{
	return (ticks += 1000000);
}

static int64_t fake_real_ns(void)
{
	return 1700000000LL * 1000000000 + (int64_t)(ticks += 1000000);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_set_log_level();
	return 0;
}

static struct i2c_bus *make_bus(bool ds3231)
{
	static const struct cfg_emul specs[] = {
		{.model = EMUL_STUB, .addr = 0x10, .spec = "stub@0x10"},
		{.model = EMUL_LM75,
		 .addr = 0x48,
		 .opts = {{"temp", -55.0}},
		 .n_opts = 1,
		 .spec = "lm75@0x48"},
		{.model = EMUL_24C02, .addr = 0x50, .spec = "24c02@0x50"},
		{.model = EMUL_24C32,
		 .addr = 0x54,
		 .opts = {{"write_cycle_us", 3000}},
		 .n_opts = 1,
		 .spec = "24c32@0x54,write_cycle_us=3000"},
		{.model = EMUL_24C256, .addr = 0x58, .spec = "24c256@0x58"},
		{.model = EMUL_EE1004, .addr = 0x52, .spec = "ee1004@0x52"},
		{.model = EMUL_EE1004, .addr = 0x53, .spec = "ee1004@0x53"},
		{.model = EMUL_TMP102,
		 .addr = 0x49,
		 .opts = {{"temp", 140.0}},
		 .n_opts = 1,
		 .spec = "tmp102@0x49"},
		{.model = EMUL_JC42, .addr = 0x18, .spec = "jc42@0x18"},
		{.model = EMUL_SHT3X, .addr = 0x44, .spec = "sht3x@0x44"},
		{.model = EMUL_ADS1015,
		 .addr = 0x4a,
		 .opts = {{"ain0", 5.5}, {"ain1", 0.1}},
		 .n_opts = 2,
		 .spec = "ads1015@0x4a"},
		{.model = EMUL_BMP280, .addr = 0x76, .spec = "bmp280@0x76"},
		{.model = EMUL_PCA9555,
		 .addr = 0x20,
		 .opts = {{"inputs", 0x1234}},
		 .n_opts = 1,
		 .spec = "pca9555@0x20"},
		{.model = EMUL_DS1307, .addr = 0x68, .spec = "ds1307@0x68"},
	};
	struct cfg_emul rtc = {.model = EMUL_DS3231, .addr = 0x68, .spec = "ds3231@0x68"};
	struct i2c_bus *bus = i2c_bus_new();
	char err[256];

	FUZZ_CHECK(bus);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct cfg_emul *spec = ds3231 && specs[i].addr == 0x68 ? &rtc : &specs[i];
		struct emul_dev *dev = emul_create(spec, err, sizeof(err));

		FUZZ_CHECK(dev && i2c_bus_add_emul(bus, dev) == 0);
		FUZZ_CHECK(emul_addr(dev) == spec->addr && emul_model(dev) == spec->model);
	}
	return bus;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct i2c_bus *bus;

	emul_clock_mono_ns = fake_mono_ns;
	emul_clock_real_ns = fake_real_ns;
	ticks = 0;
	bus = make_bus(fuzz_u8(&in) & 1);

	while (fuzz_left(&in)) {
		struct i2c_msg_buf msgs[MAX_MSGS];
		uint8_t *copy[MAX_MSGS];
		unsigned n = fuzz_u8(&in) % MAX_MSGS + 1, done, first_empty = n;

		for (unsigned i = 0; i < n; i++) {
			uint8_t target = fuzz_u8(&in) % 16;
			struct i2c_msg_buf *m = &msgs[i];

			if (target < sizeof(known))
				m->addr = known[target];
			else if (target == 14)
				m->addr = 0x36 | (fuzz_u8(&in) & 1);
			else
				m->addr = fuzz_u8(&in) & 0x7f;
			m->read = fuzz_u8(&in) & 1;
			m->len = fuzz_u16(&in) % MAX_LEN;
			m->buf = malloc(m->len ? m->len : 1);
			copy[i] = malloc(m->len ? m->len : 1);
			FUZZ_CHECK(m->buf && copy[i]);
			if (m->read)
				memset(m->buf, 0x5a, m->len);
			else
				fuzz_take(&in, m->buf, m->len);
			memcpy(copy[i], m->buf, m->len);
			if (first_empty == n && !i2c_bus_has(bus, m->addr))
				first_empty = i;
		}
		done = i2c_bus_transfer(bus, msgs, n);
		FUZZ_CHECK(done <= first_empty);
		for (unsigned i = 0; i < n; i++) {
			if (!msgs[i].read)
				FUZZ_CHECK(!memcmp(msgs[i].buf, copy[i], msgs[i].len));
			free(msgs[i].buf);
			free(copy[i]);
		}
	}
	i2c_bus_free(bus);
	return 0;
}
