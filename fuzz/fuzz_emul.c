// SPDX-License-Identifier: MIT
/*
 * Fuzz target: combined transfers on a bus of emulated devices (i2c_bus.h,
 * emul.h), as the guest drives them: stub@0x10, lm75@0x48, 24c02@0x50,
 * 24c32@0x54, 24c256@0x58; every other address is empty. Quicker than going
 * through the virtqueue, so the device models get deep coverage.
 *
 * Input: groups until the input ends, each: u8 message count (1..16), then
 * per message u8 target, u8 flags (bit 0 read), u16 length (% 600) and, for
 * writes, the bytes. target % 8 picks 0x10, 0x48, 0x50, 0x54, 0x58, an empty
 * address, or (6, 7) the low 7 bits of the next byte.
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
#include "fuzz_util.h"
#include "i2c_bus.h"

#define MAX_MSGS 16
#define MAX_LEN	 600

static const uint8_t known[] = {0x10, 0x48, 0x50, 0x54, 0x58, 0x33};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_set_log_level();
	return 0;
}

static struct i2c_bus *make_bus(void)
{
	static const struct cfg_emul specs[] = {
		{.model = EMUL_STUB, .addr = 0x10, .spec = "stub@0x10"},
		{.model = EMUL_LM75,
		 .addr = 0x48,
		 .opts = {{"temp", -55.0}},
		 .n_opts = 1,
		 .spec = "lm75@0x48"},
		{.model = EMUL_24C02, .addr = 0x50, .spec = "24c02@0x50"},
		{.model = EMUL_24C32, .addr = 0x54, .spec = "24c32@0x54"},
		{.model = EMUL_24C256, .addr = 0x58, .spec = "24c256@0x58"},
	};
	struct i2c_bus *bus = i2c_bus_new();
	char err[256];

	FUZZ_CHECK(bus);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct emul_dev *dev = emul_create(&specs[i], err, sizeof(err));

		FUZZ_CHECK(dev && i2c_bus_add_emul(bus, dev) == 0);
		FUZZ_CHECK(emul_addr(dev) == specs[i].addr && emul_model(dev) == specs[i].model);
	}
	return bus;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct i2c_bus *bus = make_bus();

	while (fuzz_left(&in)) {
		struct i2c_msg_buf msgs[MAX_MSGS];
		uint8_t *copy[MAX_MSGS];
		unsigned n = fuzz_u8(&in) % MAX_MSGS + 1, done, first_empty = n;

		for (unsigned i = 0; i < n; i++) {
			uint8_t target = fuzz_u8(&in) % 8;
			struct i2c_msg_buf *m = &msgs[i];

			m->addr = target < sizeof(known) ? known[target] : fuzz_u8(&in) & 0x7f;
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
