// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the control protocol (control_proto.h) and the regmap map
 * parser (emul_regmap.h), the two parsers a control client feeds.
 *
 * Input: u8 mode, then text.
 *   mode even: the text is split at '\n' into request lines, each handled by
 *              control_handle_line on two buses (shared: stub@0x10,
 *              lm75@0x48, 24c02@0x50; socket 1's own: lm75@0x48); after each
 *              line the guest transfers [W 0x48 1][R 0x48 2][R 0x50 1] and
 *              [W 0x37 1][W 0x51 1][R 0x51 1][R 0x36 1] run, so armed
 *              faults and hot-plugged devices are exercised, hot-plugged
 *              ee1004s with the page-select addresses they share (skipped
 *              while a delay is armed: it would only sleep). `add` may not
 *              open files here.
 *   mode odd:  the text is a regmap JSON map for regmap_map_parse.
 *
 * Checked beyond memory safety: every line gets exactly one reply, a JSON
 * object on one line with a boolean "ok", a one-line "error" string when not
 * ok, and the request's "id" echoed unchanged; a map either parses into a
 * consistent map (size in range, listed registers ascending and inside it,
 * reset values fitting the value width) or fails with a one-line error.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control_proto.h"
#include "emul.h"
#include "emul_regmap.h"
#include "fuzz_util.h"
#include "i2c_bus.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_set_log_level();
	return 0;
}

static struct i2c_bus *make_bus(const struct cfg_emul *specs, size_t n)
{
	struct i2c_bus *bus = i2c_bus_new();
	char err[256];

	FUZZ_CHECK(bus);
	for (size_t i = 0; i < n; i++) {
		struct emul_dev *dev = emul_create(&specs[i], err, sizeof(err));

		FUZZ_CHECK(dev && i2c_bus_add_emul(bus, dev) == 0);
	}
	return bus;
}

static bool one_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return false;
	return true;
}

static void check_reply(const char *line, size_t len, const char *reply)
{
	json_t *rep, *req, *ok, *err;

	FUZZ_CHECK(reply);
	FUZZ_CHECK(!strchr(reply, '\n'));
	rep = json_loads(reply, 0, NULL);
	FUZZ_CHECK(rep && json_is_object(rep));
	ok = json_object_get(rep, "ok");
	FUZZ_CHECK(json_is_boolean(ok));
	if (json_is_false(ok)) {
		err = json_object_get(rep, "error");
		FUZZ_CHECK(json_is_string(err) && one_line(json_string_value(err)));
	}
	req = len <= CONTROL_LINE_MAX ? json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (req && json_is_object(req) && json_object_get(req, "id"))
		FUZZ_CHECK(json_equal(json_object_get(req, "id"), json_object_get(rep, "id")));
	json_decref(req);
	json_decref(rep);
}

static bool delay_armed(struct i2c_bus *bus)
{
	for (unsigned a = 0; a < I2C_BUS_ADDRS; a++) {
		struct fault_set fs;

		if (i2c_bus_faults(bus, a, &fs) && fs.f[FAULT_DELAY].armed)
			return true;
	}
	return false;
}

static void guest_transfer(struct i2c_bus *bus)
{
	uint8_t reg = 0, t[2], e[1], sel = 0, off = 0x10, spd[1], spa[1];
	struct i2c_msg_buf m[3] = {
		{.addr = 0x48, .len = 1, .buf = &reg},
		{.addr = 0x48, .read = true, .len = 2, .buf = t},
		{.addr = 0x50, .read = true, .len = 1, .buf = e},
	};
	/* A hot-plugged ee1004 at 0x51: bank 1 through the shared 0x37, a read, 0x36's ACK. */
	struct i2c_msg_buf p[4] = {
		{.addr = 0x37, .len = 1, .buf = &sel},
		{.addr = 0x51, .len = 1, .buf = &off},
		{.addr = 0x51, .read = true, .len = 1, .buf = spd},
		{.addr = 0x36, .read = true, .len = 1, .buf = spa},
	};

	if (delay_armed(bus))
		return;
	FUZZ_CHECK(i2c_bus_transfer(bus, m, 3) <= 3);
	FUZZ_CHECK(i2c_bus_transfer(bus, p, 4) <= 4);
}

static void fuzz_lines(const char *text, size_t size)
{
	static const struct cfg_emul shared[] = {
		{.model = EMUL_STUB, .addr = 0x10, .spec = "stub@0x10"},
		{.model = EMUL_LM75, .addr = 0x48, .spec = "lm75@0x48"},
		{.model = EMUL_24C02, .addr = 0x50, .spec = "24c02@0x50"},
	};
	static const struct cfg_emul own[] = {
		{.model = EMUL_LM75, .addr = 0x48, .spec = "lm75@0x48"},
	};
	struct control_bus buses[2] = {
		{.bus = make_bus(shared, 3), .label = "shared"},
		{.bus = make_bus(own, 1), .label = "1"},
	};
	static const int socket_bus[2] = {0, 1};
	struct control_ctx ctx = {.buses = buses,
				  .n_buses = 2,
				  .socket_bus = socket_bus,
				  .n_sockets = 2,
				  .allow_files = false};
	size_t start = 0;

	while (start <= size) {
		const char *nl = memchr(text + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - (text + start)) : size - start;
		char *reply = control_handle_line(&ctx, text + start, len);

		check_reply(text + start, len, reply);
		free(reply);
		guest_transfer(buses[0].bus);
		start += len + 1;
	}
	i2c_bus_free(buses[0].bus);
	i2c_bus_free(buses[1].bus);
}

static void fuzz_map(const char *text, size_t size)
{
	struct regmap_map m;
	char err[200];

	err[0] = '\0';
	if (regmap_map_parse(text, size, &m, err, sizeof(err))) {
		FUZZ_CHECK(err[0] && one_line(err));
		FUZZ_CHECK(!m.reset && !m.ro && !m.listed);
		return;
	}
	FUZZ_CHECK(m.size >= 1 && m.size <= 1u << (8 * m.reg_bytes));
	FUZZ_CHECK(m.reg_bytes >= 1 && m.reg_bytes <= 2 && m.val_bytes >= 1 && m.val_bytes <= 2);
	for (uint32_t i = 0; i < m.n_listed; i++) {
		FUZZ_CHECK(m.listed[i] < m.size);
		FUZZ_CHECK(i == 0 || m.listed[i] > m.listed[i - 1]);
	}
	for (uint32_t r = 0; r < m.size; r++)
		FUZZ_CHECK(m.val_bytes == 2 || m.reset[r] <= 0xff);
	regmap_map_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_lines((const char *)data + 1, size - 1);
	else
		fuzz_map((const char *)data + 1, size - 1);
	return 0;
}
