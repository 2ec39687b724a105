// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the command-line parsers (config.h).
 *
 * Input: u8 mode, u8 err buffer length, then NUL-separated tokens.
 *   mode % 3 == 0: config_parse("vhost-user-i2c", tokens...)
 *   mode % 3 == 1: each token goes to config_parse_device_list ('l' first)
 *                  or config_parse_emulate (anything else first), in turn,
 *                  on one cfg, so duplicate checks across calls are reached
 *   mode % 3 == 2: config_parse_addr on each token
 *
 * Checked beyond memory safety (err is malloc'ed at its exact size, so ASan
 * sees any overrun): the documented contracts. A parse that succeeds yields
 * a config the daemon can run (a socket path short enough or an fd, count in
 * range, 7-bit guest addresses distinct within each device set, exactly one
 * device set with devices per socket, owned strings present); one that fails
 * or exits leaves nothing to free, and a failure leaves a single non-empty
 * terminated line in err; the incremental parsers leave cfg as it was.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "config.h"
#include "emul.h"
#include "fuzz_util.h"

#define MAX_TOKENS 48

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_set_log_level();
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

/*
 * An accepted -e names a model's writable properties with values in their
 * start ranges, at an address the model allows, and the device it describes
 * can be created (what the parser accepts, emul_create accepts: no exit 1 for
 * a bad command line).
 */
static void check_emul_props(const struct cfg_emul *e)
{
	const struct emul_opt_desc *opts = emul_model_opts(e->model);
	const char *valid;
	char err[256];

	FUZZ_CHECK(!emul_check_addr(e->model, e->addr, &valid));
	FUZZ_CHECK(e->n_opts <= CFG_EMUL_MAX_OPTS);
	for (size_t i = 0; i < e->n_opts; i++) {
		const struct emul_opt_desc *d = opts;

		while (d->name && d->name != e->opts[i].name)
			d++;
		FUZZ_CHECK(d->name && !d->read_only);
		FUZZ_CHECK(e->opts[i].value >= d->min && e->opts[i].value <= d->max);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(e->opts[j].name != e->opts[i].name);
	}
	/* A parsed spec always makes a device, unless it names a file (EEPROM data, a regmap's
	 * register map), which is only read at creation. */
	if (!e->file && !e->map) {
		struct emul_dev *dev = emul_create(e, err, sizeof(err));

		FUZZ_CHECK(dev);
		emul_destroy(dev);
	}
}

/* Every guest-visible address is 7-bit and taken once. */
static void check_addresses(const struct vi2c_config *cfg)
{
	bool used[VI2C_MAX_ADDR + 1] = {false};

	for (size_t i = 0; i < cfg->n_adapters; i++) {
		const struct cfg_adapter *a = &cfg->adapters[i];

		FUZZ_CHECK(a->n_addrs > 0 && a->addrs && a->spec);
		FUZZ_CHECK(a->by_name ? a->name && *a->name : !a->name);
		for (size_t j = 0; j < a->n_addrs; j++) {
			uint8_t g = a->addrs[j].guest_addr;

			FUZZ_CHECK(g <= VI2C_MAX_ADDR && a->addrs[j].host_addr <= VI2C_MAX_ADDR);
			FUZZ_CHECK(!used[g]);
			used[g] = true;
		}
		/* Two entries for one adapter would make the daemon open it twice. */
		for (size_t k = 0; k < i; k++) {
			const struct cfg_adapter *b = &cfg->adapters[k];

			if (a->by_name == b->by_name)
				FUZZ_CHECK(a->by_name ? strcmp(a->name, b->name)
						      : a->number != b->number);
		}
	}
	for (size_t i = 0; i < cfg->n_emuls; i++) {
		const struct cfg_emul *e = &cfg->emuls[i];

		FUZZ_CHECK(e->addr <= VI2C_MAX_ADDR && !used[e->addr]);
		used[e->addr] = true;
		FUZZ_CHECK(e->spec);
		FUZZ_CHECK(e->model <= EMUL_DS3231);
		FUZZ_CHECK(strcmp(config_model_name(e->model), "unknown"));
		/* Only EEPROMs have a backing file. */
		if (e->file)
			FUZZ_CHECK(e->model == EMUL_24C02 || e->model == EMUL_24C32 ||
				   e->model == EMUL_24C256 || e->model == EMUL_EE1004);
		check_emul_props(e);
	}
}

static size_t addr_count(const struct vi2c_config *cfg)
{
	size_t n = cfg->n_emuls;

	for (size_t i = 0; i < cfg->n_adapters; i++)
		n += cfg->adapters[i].n_addrs;
	return n;
}

/* One line, terminated inside the buffer, non-empty when there is room for text. */
static void check_err_line(const char *err, size_t errlen)
{
	const char *nul;

	if (!errlen)
		return;
	nul = memchr(err, '\0', errlen);
	FUZZ_CHECK(nul);
	FUZZ_CHECK(!memchr(err, '\n', (size_t)(nul - err)));
	if (errlen > 1)
		FUZZ_CHECK(nul != err);
}

static bool has_devices(const struct vi2c_config *set)
{
	return set->n_adapters || set->n_emuls;
}

/* What the daemon needs from a configuration config_parse accepted. */
static void check_runnable(const struct vi2c_config *cfg)
{
	FUZZ_CHECK(cfg->socket_count >= 1 && cfg->socket_count <= VI2C_MAX_SOCKETS);
	FUZZ_CHECK((cfg->socket_path != NULL) != (cfg->fd >= 0));
	if (cfg->socket_path) {
		/* The longest name, PATH<count - 1>, fits in sun_path with its NUL. */
		FUZZ_CHECK(*cfg->socket_path);
		FUZZ_CHECK(strlen(cfg->socket_path) +
				   (size_t)snprintf(NULL, 0, "%u", cfg->socket_count - 1) + 1 <=
			   sizeof(((struct sockaddr_un *)0)->sun_path));
	}
	FUZZ_CHECK(!(cfg->no_sandbox && (cfg->user || cfg->group)));
	FUZZ_CHECK(cfg->max_guest_memory >= VI2C_MIN_MAX_GUEST_MEMORY &&
		   cfg->max_guest_memory <= 1ull << 56);
	FUZZ_CHECK(!cfg->trace_path || cfg->trace);
	check_addresses(cfg);
	/* Every socket has exactly one device set, and no device set is there for nothing. */
	for (unsigned s = 0; s < VI2C_MAX_SOCKETS; s++) {
		unsigned sets = 0;
		int guest;

		for (size_t i = 0; i < cfg->n_guests; i++)
			sets += config_guest_has(&cfg->guests[i], s);
		FUZZ_CHECK(sets <= 1);
		if (s >= cfg->socket_count) {
			FUZZ_CHECK(sets == 0);
			continue;
		}
		if (!sets)
			FUZZ_CHECK(has_devices(cfg));
		FUZZ_CHECK(has_devices(config_devices_for(cfg, s, &guest)));
		FUZZ_CHECK(sets ? guest >= 0 : guest == -1);
	}
	for (size_t i = 0; i < cfg->n_guests; i++) {
		const struct vi2c_config *devs = &cfg->guests[i].devs;

		FUZZ_CHECK(cfg->guests[i].spec && has_devices(devs));
		check_addresses(devs);
	}
}

static void fuzz_config_parse(char **tokens, int ntok, char *err, size_t errlen)
{
	char *argv[MAX_TOKENS + 2];
	struct vi2c_config cfg;
	enum cfg_result r;

	argv[0] = "vhost-user-i2c";
	for (int i = 0; i < ntok; i++)
		argv[i + 1] = tokens[i];
	argv[ntok + 1] = NULL;

	r = config_parse(&cfg, ntok + 1, argv, devnull, err, errlen);
	switch (r) {
	case CFG_OK:
		check_runnable(&cfg);
		break;
	case CFG_EXIT_OK:
	case CFG_ERROR:
		/* Nothing left to free; on error, one line of explanation. */
		FUZZ_CHECK(!cfg.socket_path && !cfg.adapters && !cfg.emuls && !cfg.guests);
		FUZZ_CHECK(!cfg.n_adapters && !cfg.n_emuls && !cfg.n_guests);
		FUZZ_CHECK(!cfg.trace_path && !cfg.user && !cfg.group);
		if (r == CFG_ERROR)
			check_err_line(err, errlen);
		break;
	default:
		FUZZ_CHECK(!"config_parse returned an unknown result");
	}
	config_free(&cfg);
}

static void fuzz_incremental(char **tokens, int ntok, char *err, size_t errlen)
{
	struct vi2c_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	for (int i = 0; i < ntok; i++) {
		size_t n_ad = cfg.n_adapters, n_em = cfg.n_emuls, n_addr = addr_count(&cfg);
		bool list = tokens[i][0] == 'l';
		const char *arg = tokens[i] + (tokens[i][0] ? 1 : 0);
		int ret;

		if (list)
			ret = config_parse_device_list(&cfg, arg, err, errlen);
		else
			ret = config_parse_emulate(&cfg, arg, err, errlen);
		if (ret) {
			FUZZ_CHECK(ret == -EINVAL || ret == -ENOMEM);
			FUZZ_CHECK(cfg.n_adapters == n_ad && cfg.n_emuls == n_em);
			FUZZ_CHECK(addr_count(&cfg) == n_addr);
			check_err_line(err, errlen);
		} else {
			FUZZ_CHECK(list ? cfg.n_adapters > n_ad : cfg.n_emuls == n_em + 1);
			FUZZ_CHECK(list ? cfg.n_emuls == n_em : cfg.n_adapters == n_ad);
			if (!list)
				FUZZ_CHECK(cfg.emuls[n_em].spec == arg);
		}
		check_addresses(&cfg);
	}
	config_free(&cfg);
}

static void fuzz_addrs(char **tokens, int ntok)
{
	for (int i = 0; i < ntok; i++) {
		uint8_t addr = 0xee;
		int ret = config_parse_addr(tokens[i], &addr);

		FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ERANGE);
		if (ret == 0)
			FUZZ_CHECK(addr <= VI2C_MAX_ADDR);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	char *tokens[MAX_TOKENS];
	uint8_t mode = fuzz_u8(&in);
	size_t errlen = fuzz_u8(&in), len;
	const uint8_t *rest = fuzz_borrow(&in, SIZE_MAX, &len);
	char *text = malloc(len + 1), *err = malloc(errlen ? errlen : 1);
	int ntok = 0;

	FUZZ_CHECK(text && err);
	/* Tokens are the NUL-separated pieces; the last one is terminated here. */
	memcpy(text, rest, len);
	text[len] = '\0';
	for (size_t pos = 0; pos <= len && ntok < MAX_TOKENS; ntok++) {
		tokens[ntok] = text + pos;
		pos += strlen(text + pos) + 1;
	}
	if (len == 0)
		ntok = 0;

	switch (mode % 3) {
	case 0:
		fuzz_config_parse(tokens, ntok, err, errlen);
		break;
	case 1:
		fuzz_incremental(tokens, ntok, err, errlen);
		break;
	default:
		fuzz_addrs(tokens, ntok);
		break;
	}
	free(err);
	free(text);
	return 0;
}
