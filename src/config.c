// SPDX-License-Identifier: MIT
/*
 * Command-line parser. Every number is parsed by hand from an explicit
 * length with a saturating accumulator, so no input can overflow, and every
 * list is split in a private copy of its argument. The guest sees one bus, so
 * at most 128 guest addresses exist; the duplicate check therefore bounds all
 * arrays (and the quadratic scans over them) to 128 entries.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "config.h"
#include "emul.h"

#ifndef VI2C_VERSION
#error "VI2C_VERSION must be defined by the build system"
#endif

#define ADAPTER_NAME_MAX 255  /* far above the kernel's 48, but bounded */
#define EMUL_FILE_MAX	 4096 /* PATH_MAX */

/* One model a line, so that adding one is a one-line change. */
// clang-format off
static const char *const model_names[] = {
	[EMUL_24C02] = "24c02",
	[EMUL_24C32] = "24c32",
	[EMUL_24C256] = "24c256",
	[EMUL_LM75] = "lm75",
	[EMUL_STUB] = "stub",
	[EMUL_EE1004] = "ee1004",
	[EMUL_REGMAP] = "regmap",
	[EMUL_TMP102] = "tmp102",
	[EMUL_JC42] = "jc42",
	[EMUL_SHT3X] = "sht3x",
	[EMUL_ADS1015] = "ads1015",
	[EMUL_BMP280] = "bmp280",
	[EMUL_PCA9555] = "pca9555",
	[EMUL_DS1307] = "ds1307",
	[EMUL_DS3231] = "ds3231",
};
// clang-format on

const char *config_model_name(enum emul_model model)
{
	if ((unsigned)model >= sizeof(model_names) / sizeof(model_names[0]))
		return "unknown";
	return model_names[model];
}

static bool model_is_eeprom(enum emul_model model)
{
	return model == EMUL_24C02 || model == EMUL_24C32 || model == EMUL_24C256 ||
	       model == EMUL_EE1004;
}

/* Fills err with one line: control characters from user tokens become '?'. */
__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
							  ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (char *p = err; *p; p++)
		if (iscntrl((unsigned char)*p))
			*p = '?';
}

/*
 * Parses len digits of base 10 or 16 at s. The value saturates at max + 1, so
 * any length is safe. Returns 0, -EINVAL (empty or not a digit) or -ERANGE.
 */
static int parse_digits(const char *s, size_t len, unsigned base, unsigned long max,
			unsigned long *out)
{
	unsigned long v = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned d;

		if (isdigit(c))
			d = c - '0';
		else if (base == 16 && isxdigit(c))
			d = (unsigned)(tolower(c) - 'a' + 10);
		else
			return -EINVAL;
		if (v <= max)
			v = v * base + d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Decimal or 0x hex address in s[0..len). */
static int parse_addr_n(const char *s, size_t len, uint8_t *addr)
{
	unsigned long v;
	int ret;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		ret = parse_digits(s + 2, len - 2, 16, VI2C_MAX_ADDR, &v);
	else
		ret = parse_digits(s, len, 10, VI2C_MAX_ADDR, &v);
	if (ret)
		return ret;
	*addr = (uint8_t)v;
	return 0;
}

int config_parse_addr(const char *s, uint8_t *addr)
{
	if (!s || !addr)
		return -EINVAL;
	return parse_addr_n(s, strlen(s), addr);
}

static const char *addr_problem(int ret)
{
	return ret == -ERANGE ? "must be 0x00..0x7f" : "expected decimal or 0x-prefixed hex";
}

/*
 * A property value: optional sign, decimal digits, up to `decimals`
 * fractional digits after a '.'; with decimals == 0 also 0x hex. No
 * exponents or spaces. The value is exact up to 2^53.
 */
static int parse_prop_value(const char *s, unsigned decimals, double *out)
{
	const char *dot;
	unsigned long ip, frac = 0, scale = 1;
	size_t frac_len = 0;
	bool neg = false;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!decimals && (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
		if (parse_digits(s + 2, strlen(s + 2), 16, 1UL << 32, &ip))
			return -EINVAL;
		*out = neg && ip ? -(double)ip : (double)ip;
		return 0;
	}
	dot = strchr(s, '.');
	if (parse_digits(s, dot ? (size_t)(dot - s) : strlen(s), 10, 1UL << 32, &ip))
		return -EINVAL;
	if (dot) {
		frac_len = strlen(dot + 1);
		if (frac_len < 1 || frac_len > decimals ||
		    parse_digits(dot + 1, frac_len, 10, 999999999, &frac))
			return -EINVAL;
		for (size_t i = 0; i < frac_len; i++)
			scale *= 10;
	}
	*out = (double)ip + (double)frac / (double)scale;
	if (neg && *out != 0)
		*out = -*out;
	return 0;
}

/* Returns base reallocated to n + 1 elements of size elem, the new one zeroed; NULL on ENOMEM. */
static void *array_grow(void *base, size_t n, size_t elem)
{
	char *p = realloc(base, (n + 1) * elem);

	if (p)
		memset(p + n * elem, 0, elem);
	return p;
}

static void adapter_free(struct cfg_adapter *a)
{
	free(a->name);
	free(a->addrs);
	free(a->spec);
	memset(a, 0, sizeof(*a));
}

void config_free(struct vi2c_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_adapters; i++)
		adapter_free(&cfg->adapters[i]);
	free(cfg->adapters);
	for (size_t i = 0; i < cfg->n_emuls; i++) {
		free(cfg->emuls[i].file);
		free(cfg->emuls[i].map);
	}
	free(cfg->emuls);
	free(cfg->socket_path);
	free(cfg->trace_path);
	free(cfg->user);
	free(cfg->group);
	free(cfg->control_path);
	for (size_t i = 0; i < cfg->n_guests; i++) {
		config_free(&cfg->guests[i].devs);
		free(cfg->guests[i].spec);
	}
	free(cfg->guests);
	memset(cfg, 0, sizeof(*cfg));
}

const struct vi2c_config *config_devices_for(const struct vi2c_config *cfg, unsigned idx,
					     int *guest)
{
	for (size_t i = 0; i < cfg->n_guests; i++) {
		if (config_guest_has(&cfg->guests[i], idx)) {
			if (guest)
				*guest = (int)i;
			return &cfg->guests[i].devs;
		}
	}
	if (guest)
		*guest = -1;
	return cfg;
}

/*
 * Fails if guest address addr is already used anywhere in cfg. `opt`/`spec`
 * name the argument being parsed; adapters from index first_new on come from
 * that same argument.
 */
static int check_guest_addr(const struct vi2c_config *cfg, uint8_t addr, const char *opt,
			    const char *spec, size_t first_new, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->n_adapters; i++) {
		const struct cfg_adapter *a = &cfg->adapters[i];

		for (size_t j = 0; j < a->n_addrs; j++) {
			if (a->addrs[j].guest_addr != addr)
				continue;
			if (i >= first_new)
				set_err(err, errlen, "duplicate address 0x%02x in %s '%s'", addr,
					opt, spec);
			else
				set_err(err, errlen,
					"duplicate address 0x%02x (--device-list '%s' and %s '%s')",
					addr, a->spec, opt, spec);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < cfg->n_emuls; i++) {
		if (cfg->emuls[i].addr != addr)
			continue;
		set_err(err, errlen, "duplicate address 0x%02x (--emulate '%s' and %s '%s')", addr,
			cfg->emuls[i].spec ? cfg->emuls[i].spec : "?", opt, spec);
		return -EINVAL;
	}
	return 0;
}

/* One HOSTADDR[@GUESTADDR][/ro|/ro16] item, appended to the last adapter of cfg. */
static int parse_host_item(struct vi2c_config *cfg, const char *item, const char *list,
			   size_t first_new, char *err, size_t errlen)
{
	struct cfg_adapter *a = &cfg->adapters[cfg->n_adapters - 1];
	const char *slash = strchr(item, '/'), *at, *end;
	struct cfg_host_addr ha = {0}, *slot;
	int ret;

	if (!*item) {
		set_err(err, errlen, "empty address in --device-list '%s'", list);
		return -EINVAL;
	}
	end = slash ? slash : item + strlen(item);
	if (slash) {
		if (!strcmp(slash + 1, "ro")) {
			ha.access = CFG_ACCESS_RO;
		} else if (!strcmp(slash + 1, "ro16")) {
			ha.access = CFG_ACCESS_RO16;
		} else {
			set_err(err, errlen,
				"invalid flag '%s' in --device-list '%s': only '/ro' and '/ro16' "
				"are supported",
				slash, list);
			return -EINVAL;
		}
	}
	at = memchr(item, '@', (size_t)(end - item));
	if ((at ? at : end) == item) {
		set_err(err, errlen, "missing host address in '%s' in --device-list '%s'", item,
			list);
		return -EINVAL;
	}
	if (at && at + 1 == end) {
		set_err(err, errlen,
			"missing guest address after '@' in '%s' in --device-list '%s'", item,
			list);
		return -EINVAL;
	}
	ret = parse_addr_n(item, (size_t)((at ? at : end) - item), &ha.host_addr);
	if (ret) {
		set_err(err, errlen, "invalid address '%.*s' in --device-list '%s': %s",
			(int)((at ? at : end) - item), item, list, addr_problem(ret));
		return -EINVAL;
	}
	ha.guest_addr = ha.host_addr;
	if (at) {
		ret = parse_addr_n(at + 1, (size_t)(end - at - 1), &ha.guest_addr);
		if (ret) {
			set_err(err, errlen, "invalid address '%.*s' in --device-list '%s': %s",
				(int)(end - at - 1), at + 1, list, addr_problem(ret));
			return -EINVAL;
		}
	}
	if (check_guest_addr(cfg, ha.guest_addr, "--device-list", list, first_new, err, errlen))
		return -EINVAL;
	/* Two guest addresses for one device would alias it: reject that too. */
	for (size_t i = 0; i < a->n_addrs; i++) {
		if (a->addrs[i].host_addr == ha.host_addr) {
			set_err(err, errlen,
				"duplicate host address 0x%02x on one adapter in --device-list "
				"'%s'",
				ha.host_addr, list);
			return -EINVAL;
		}
	}
	slot = array_grow(a->addrs, a->n_addrs, sizeof(*slot));
	if (!slot) {
		set_err(err, errlen, "out of memory parsing --device-list");
		return -ENOMEM;
	}
	a->addrs = slot;
	a->addrs[a->n_addrs++] = ha;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool all_digits(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Fills the identity (number or name) of adapter a from the bus field. */
static int parse_bus(struct vi2c_config *cfg, struct cfg_adapter *a, const char *bus,
		     const char *list, char *err, size_t errlen)
{
	unsigned long number;

	if (!*bus) {
		set_err(err, errlen, "missing adapter before ':' in --device-list '%s'", list);
		return -EINVAL;
	}
	if (all_digits(bus)) {
		if (parse_digits(bus, strlen(bus), 10, INT_MAX, &number)) {
			set_err(err, errlen, "invalid adapter number '%s' in --device-list '%s'",
				bus, list);
			return -EINVAL;
		}
		a->number = (unsigned)number;
	} else {
		if (strlen(bus) > ADAPTER_NAME_MAX) {
			set_err(err, errlen,
				"adapter name '%.32s...' too long in --device-list: max %d bytes",
				bus, ADAPTER_NAME_MAX);
			return -EINVAL;
		}
		a->by_name = true;
	}
	for (size_t i = 0; i < cfg->n_adapters; i++) {
		const struct cfg_adapter *o = &cfg->adapters[i];

		if (o->by_name != a->by_name ||
		    (a->by_name ? strcmp(o->name, bus) != 0 : o->number != a->number))
			continue;
		set_err(err, errlen, "duplicate adapter '%s' in --device-list '%s'", bus, list);
		return -EINVAL;
	}
	if (a->by_name) {
		a->name = strdup(bus);
		if (!a->name)
			goto err_nomem;
	}
	a->spec = strdup(list);
	if (!a->spec)
		goto err_nomem;
	return 0;

err_nomem:
	set_err(err, errlen, "out of memory parsing --device-list");
	return -ENOMEM;
}

/* One <bus>:<item>[:<item>...] entry; entry is a writable copy. */
static int parse_adapter_entry(struct vi2c_config *cfg, char *entry, const char *list,
			       size_t first_new, char *err, size_t errlen)
{
	struct cfg_adapter a = {0}, *slot;
	char *colon, *item, *next;
	int ret;

	if (!*entry) {
		set_err(err, errlen, "empty entry in --device-list '%s'", list);
		return -EINVAL;
	}
	colon = strchr(entry, ':');
	if (!colon || !colon[1]) {
		if (colon)
			*colon = '\0';
		set_err(err, errlen, "adapter '%s' has no address in --device-list '%s'",
			trim(entry), list);
		return -EINVAL;
	}
	*colon = '\0';
	ret = parse_bus(cfg, &a, trim(entry), list, err, errlen);
	if (ret)
		goto err_free;
	slot = array_grow(cfg->adapters, cfg->n_adapters, sizeof(*slot));
	if (!slot) {
		set_err(err, errlen, "out of memory parsing --device-list");
		ret = -ENOMEM;
		goto err_free;
	}
	/* From here on the caller's rollback owns the adapter. */
	cfg->adapters = slot;
	cfg->adapters[cfg->n_adapters++] = a;
	for (item = colon + 1; item; item = next) {
		next = strchr(item, ':');
		if (next)
			*next++ = '\0';
		ret = parse_host_item(cfg, item, list, first_new, err, errlen);
		if (ret)
			return ret;
	}
	return 0;

err_free:
	adapter_free(&a);
	return ret;
}

int config_parse_device_list(struct vi2c_config *cfg, const char *list, char *err, size_t errlen)
{
	size_t first_new;
	char *buf, *entry, *next;
	int ret = 0;

	if (!cfg || !list) {
		set_err(err, errlen, "internal error: no --device-list");
		return -EINVAL;
	}
	if (!*list) {
		set_err(err, errlen, "empty --device-list ''");
		return -EINVAL;
	}
	buf = strdup(list);
	if (!buf) {
		set_err(err, errlen, "out of memory parsing --device-list");
		return -ENOMEM;
	}
	first_new = cfg->n_adapters;
	for (entry = buf; entry; entry = next) {
		next = strchr(entry, ',');
		if (next)
			*next++ = '\0';
		ret = parse_adapter_entry(cfg, entry, list, first_new, err, errlen);
		if (ret)
			goto err_rollback;
	}
	free(buf);
	return 0;

err_rollback:
	while (cfg->n_adapters > first_new)
		adapter_free(&cfg->adapters[--cfg->n_adapters]);
	if (!cfg->n_adapters) {
		free(cfg->adapters);
		cfg->adapters = NULL;
	}
	free(buf);
	return ret;
}

static int parse_model(const char *name, enum emul_model *model)
{
	for (size_t i = 0; i < sizeof(model_names) / sizeof(model_names[0]); i++) {
		if (!strcasecmp(name, model_names[i])) {
			*model = (enum emul_model)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The start property `name` of any model, NULL if no model has it. */
static const struct emul_opt_desc *find_opt(const struct emul_opt_desc *opts, const char *name)
{
	for (; opts->name; opts++)
		if (!strcmp(opts->name, name))
			return opts;
	return NULL;
}

static bool any_model_has_opt(const char *name)
{
	for (size_t i = 0; i < sizeof(model_names) / sizeof(model_names[0]); i++)
		if (find_opt(emul_model_opts((enum emul_model)i), name))
			return true;
	return false;
}

/* One key=value of -e into *e; `seen_file` tracks file= (properties are checked in e->opts). */
static int parse_emul_option(struct cfg_emul *e, char *item, bool *seen_file, const char *spec,
			     char *err, size_t errlen)
{
	const struct emul_opt_desc *desc = NULL;
	char *eq = strchr(item, '='), *value, **dst;
	bool valid, dup = false;

	if (!*item) {
		set_err(err, errlen, "empty option (stray comma) in --emulate '%s'", spec);
		return -EINVAL;
	}
	if (!eq) {
		set_err(err, errlen, "expected key=value, got '%s' in --emulate '%s'", item, spec);
		return -EINVAL;
	}
	*eq = '\0';
	value = eq + 1;
	if (!strcmp(item, "file")) {
		valid = model_is_eeprom(e->model);
		dup = *seen_file;
	} else if (!strcmp(item, "map")) {
		valid = e->model == EMUL_REGMAP;
		dup = e->map != NULL;
	} else if (any_model_has_opt(item)) {
		desc = find_opt(emul_model_opts(e->model), item);
		valid = desc != NULL;
		for (size_t i = 0; valid && i < e->n_opts; i++)
			dup |= e->opts[i].name == desc->name;
	} else {
		set_err(err, errlen, "unknown key '%s' in --emulate '%s'", item, spec);
		return -EINVAL;
	}
	if (!valid) {
		set_err(err, errlen, "key '%s' is not valid for model %s in --emulate '%s'", item,
			config_model_name(e->model), spec);
		return -EINVAL;
	}
	if (desc && desc->read_only) {
		set_err(err, errlen, "key '%s' is read-only for model %s in --emulate '%s'", item,
			config_model_name(e->model), spec);
		return -EINVAL;
	}
	if (dup) {
		set_err(err, errlen, "duplicate key '%s' in --emulate '%s'", item, spec);
		return -EINVAL;
	}
	if (!*value) {
		set_err(err, errlen, "empty value for key '%s' in --emulate '%s'", item, spec);
		return -EINVAL;
	}
	if (desc) {
		double v;

		if (e->n_opts >= CFG_EMUL_MAX_OPTS || parse_prop_value(value, desc->decimals, &v) ||
		    !(v >= desc->min && v <= desc->max)) {
			set_err(err, errlen, "invalid %s '%s' in --emulate '%s': must be %s", item,
				value, spec, desc->range);
			return -EINVAL;
		}
		e->opts[e->n_opts].name = desc->name;
		e->opts[e->n_opts++].value = v;
		return 0;
	}
	if (strlen(value) >= EMUL_FILE_MAX) {
		set_err(err, errlen, "file name too long in --emulate '%.64s...'", spec);
		return -EINVAL;
	}
	dst = strcmp(item, "map") ? &e->file : &e->map;
	if (dst == &e->file)
		*seen_file = true;
	*dst = strdup(value);
	if (!*dst) {
		set_err(err, errlen, "out of memory parsing --emulate");
		return -ENOMEM;
	}
	return 0;
}

int config_parse_emulate(struct vi2c_config *cfg, const char *spec, char *err, size_t errlen)
{
	struct cfg_emul e = {.spec = spec}, *slot;
	char *buf, *opts, *at, *item, *next;
	const char *valid_addrs;
	bool seen_file = false;
	int ret;

	if (!cfg || !spec) {
		set_err(err, errlen, "internal error: no --emulate");
		return -EINVAL;
	}
	buf = strdup(spec);
	if (!buf) {
		set_err(err, errlen, "out of memory parsing --emulate");
		return -ENOMEM;
	}
	opts = strchr(buf, ',');
	if (opts)
		*opts++ = '\0';
	at = strchr(buf, '@');
	if (!at) {
		set_err(err, errlen, "missing '@ADDR' in --emulate '%s'", spec);
		ret = -EINVAL;
		goto err_free;
	}
	*at = '\0';
	if (parse_model(buf, &e.model)) {
		set_err(err, errlen, "unknown model '%s' in --emulate '%s'", buf, spec);
		ret = -EINVAL;
		goto err_free;
	}
	ret = parse_addr_n(at + 1, strlen(at + 1), &e.addr);
	if (ret) {
		set_err(err, errlen, "invalid address '%s' in --emulate '%s': %s", at + 1, spec,
			addr_problem(ret));
		ret = -EINVAL;
		goto err_free;
	}
	if (emul_check_addr(e.model, e.addr, &valid_addrs)) {
		set_err(err, errlen,
			"address '%s' is not valid for model %s in --emulate '%s': must be %s",
			at + 1, config_model_name(e.model), spec, valid_addrs);
		ret = -EINVAL;
		goto err_free;
	}
	for (item = opts; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		ret = parse_emul_option(&e, item, &seen_file, spec, err, errlen);
		if (ret)
			goto err_free;
	}
	if (e.model == EMUL_REGMAP && !e.map) {
		set_err(err, errlen, "model regmap needs map=FILE in --emulate '%s'", spec);
		ret = -EINVAL;
		goto err_free;
	}
	ret = check_guest_addr(cfg, e.addr, "--emulate", spec, cfg->n_adapters, err, errlen);
	if (ret)
		goto err_free;
	slot = array_grow(cfg->emuls, cfg->n_emuls, sizeof(*slot));
	if (!slot) {
		set_err(err, errlen, "out of memory parsing --emulate");
		ret = -ENOMEM;
		goto err_free;
	}
	cfg->emuls = slot;
	cfg->emuls[cfg->n_emuls++] = e;
	free(buf);
	return 0;

err_free:
	free(e.file);
	free(e.map);
	free(buf);
	return ret;
}

/* Long-only options: values above any character. */
enum {
	OPT_FD = 256,
	OPT_PRINT_CAPS,
	OPT_SYSLOG,
	OPT_TRACE,
	OPT_GUEST,
	OPT_NO_SANDBOX,
	OPT_USER,
	OPT_GROUP,
	OPT_SOCKET_MODE,
	OPT_POLL_MAX_NS,
	OPT_MAX_GUEST_MEMORY,
	OPT_CONTROL,
};

static const struct option long_options[] = {
	{"socket-path", required_argument, NULL, 's'},
	{"socket-count", required_argument, NULL, 'c'},
	{"fd", required_argument, NULL, OPT_FD},
	{"device-list", required_argument, NULL, 'l'},
	{"emulate", required_argument, NULL, 'e'},
	{"guest", required_argument, NULL, OPT_GUEST},
	{"verbose", no_argument, NULL, 'v'},
	{"syslog", no_argument, NULL, OPT_SYSLOG},
	{"trace", optional_argument, NULL, OPT_TRACE},
	{"socket-mode", required_argument, NULL, OPT_SOCKET_MODE},
	{"poll-max-ns", required_argument, NULL, OPT_POLL_MAX_NS},
	{"max-guest-memory", required_argument, NULL, OPT_MAX_GUEST_MEMORY},
	{"control", required_argument, NULL, OPT_CONTROL},
	{"user", required_argument, NULL, OPT_USER},
	{"group", required_argument, NULL, OPT_GROUP},
	{"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
	{"print-capabilities", no_argument, NULL, OPT_PRINT_CAPS},
	{"version", no_argument, NULL, 'V'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* '+': stop at the first non-option (reported as stray); ':': report missing arguments. */
static const char short_options[] = "+:s:c:l:e:vVh";

static const char *long_name(int val)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

static void print_usage(FILE *out, const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	const char *prog = slash ? slash + 1 : argv0;

	fprintf(out,
		"Usage: %s -s PATH [-c N] (-l LIST | -e MODEL@ADDR[,KEY=VALUE...])...\n"
		"          [--guest LIST (-l LIST | -e ...)...]... [OPTIONS]\n"
		"       %s --fd=FD (-l LIST | -e ...)... [OPTIONS]\n"
		"vhost-user backend giving a VM an I2C bus (virtio-i2c).\n"
		"\n"
		"  -s, --socket-path=PATH   base path of the vhost-user sockets; the index is\n"
		"                           appended: PATH0 .. PATH<N-1>\n"
		"  -c, --socket-count=N     number of sockets/guests, 1..%d (default 1)\n"
		"      --fd=FD              serve the already listening or connected socket FD\n"
		"                           (instead of --socket-path; a connected one is served\n"
		"                           once and the daemon exits when the VMM hangs up)\n"
		"  -l, --device-list=LIST   host devices: <bus>:<item>[:<item>...][,<bus>:...]\n"
		"                           <bus> = adapter number (/dev/i2c-N) or adapter name,\n"
		"                           <item> = HOSTADDR[@GUESTADDR][/ro|/ro16]\n"
		"                           (decimal or 0x hex; /ro, /ro16: read-only device\n"
		"                           with a 1- or 2-byte register pointer)\n"
		"  -e, --emulate=SPEC       emulated device MODEL@ADDR[,KEY=VALUE...]:\n"
		"                           24c02|24c32|24c256 [file=PATH], lm75 [temp=DEGC], "
		"stub,\n"
		"                           ee1004 [file=PATH] (DDR4 SPD, at 0x50-0x57),\n"
		"                           regmap map=FILE (JSON register map),\n"
		"                           tmp102|jc42 [temp=DEGC], sht3x [temp=DEGC,"
		"humidity=%%RH],\n"
		"                           ads1015 [ain0..ain3=VOLTS], bmp280 [temp=DEGC,"
		"pressure=HPA],\n"
		"                           pca9555 [inputs=MASK], ds1307|ds3231 "
		"[offset=SECONDS]\n"
		"                           (PATH cannot contain ',')\n"
		"      --guest=LIST         the -l/-e options that follow (up to the next "
		"--guest)\n"
		"                           form a bus of their own for the sockets in LIST\n"
		"                           (indices and ranges: 0,2-3); other sockets share the\n"
		"                           bus of the -l/-e options given before any --guest\n"
		"  -v, --verbose            more log output (repeat for debug)\n"
		"      --syslog             log to syslog instead of stderr\n"
		"      --trace[=FILE]       write every transfer in i2ctransfer syntax to FILE\n"
		"                           (default stderr)\n"
		"      --socket-mode=OCTAL  permissions of the socket files (default 0600)\n"
		"      --poll-max-ns=NS     busy-poll each guest's ring for up to NS after\n"
		"                           serving it, adaptively (0 = off, default %u)\n"
		"      --max-guest-memory=SIZE  guest memory one VMM connection may map\n"
		"                           (sum over its regions; suffix K, M, G or T;\n"
		"                           default 1T, at least 1M)\n"
		"      --control=PATH       control socket (JSON lines): inspect and change\n"
		"                           devices, hot-plug, fault injection at run time\n"
		"      --user=USER          run as USER once the sockets and devices are open\n"
		"      --group=GROUP        run as GROUP once the sockets and devices are open\n"
		"      --no-sandbox         keep privileges and system calls (for debugging)\n"
		"      --print-capabilities print the vhost-user backend capabilities (JSON)\n"
		"                           and exit\n"
		"  -V, --version            print the version and exit\n"
		"  -h, --help               print this help and exit\n"
		"\n"
		"At least one of -l/-e is required; guest addresses (0x00..0x7f) must be unique\n"
		"on each bus. SIGUSR1 logs per-device counters.\n",
		prog, prog, VI2C_MAX_SOCKETS, VI2C_DEFAULT_POLL_MAX_NS);
}

static int parse_socket_count(const char *arg, unsigned *count, char *err, size_t errlen)
{
	unsigned long v;

	if (parse_digits(arg, strlen(arg), 10, VI2C_MAX_SOCKETS, &v) || v < 1) {
		set_err(err, errlen, "invalid --socket-count '%s': must be 1..%d", arg,
			VI2C_MAX_SOCKETS);
		return -EINVAL;
	}
	*count = (unsigned)v;
	return 0;
}

/* --fd: a descriptor number above stderr (0-2 stay what they are). */
static int parse_fd(const char *arg, int *fd, char *err, size_t errlen)
{
	unsigned long v;

	if (parse_digits(arg, strlen(arg), 10, INT_MAX, &v) || v < 3) {
		set_err(err, errlen, "invalid --fd '%s': must be a descriptor number 3..%d", arg,
			INT_MAX);
		return -EINVAL;
	}
	*fd = (int)v;
	return 0;
}

/* --poll-max-ns: decimal nanoseconds, up to one second. */
static int parse_poll_max_ns(const char *arg, uint64_t *ns, char *err, size_t errlen)
{
	unsigned long v;

	if (parse_digits(arg, strlen(arg), 10, VI2C_MAX_POLL_NS, &v)) {
		set_err(err, errlen, "invalid --poll-max-ns '%s': must be 0..%u nanoseconds", arg,
			VI2C_MAX_POLL_NS);
		return -EINVAL;
	}
	*ns = v;
	return 0;
}

/* --socket-mode: octal permission bits, 0..0777 (no set-id or sticky bits). */
static int parse_socket_mode(const char *arg, unsigned *mode, char *err, size_t errlen)
{
	unsigned long v = 0;
	size_t len = strlen(arg);

	for (size_t i = 0; i < len && v <= 0777; i++) {
		if (arg[i] < '0' || arg[i] > '7') {
			v = ULONG_MAX;
			break;
		}
		v = v * 8 + (unsigned long)(arg[i] - '0');
	}
	if (!len || v > 0777) {
		set_err(err, errlen, "invalid --socket-mode '%s': must be octal 000..777", arg);
		return -EINVAL;
	}
	*mode = (unsigned)v;
	return 0;
}

/* --max-guest-memory: decimal with an optional binary suffix K/M/G/T, 1M..64 PiB. */
static int parse_max_guest_memory(const char *arg, uint64_t *out, char *err, size_t errlen)
{
	static const char suffixes[] = "KMGT";
	size_t len = strlen(arg);
	unsigned long v;
	unsigned shift = 0;
	const char *p;

	if (len && (p = strchr(suffixes, toupper((unsigned char)arg[len - 1]))) && *p) {
		shift = 10 * (unsigned)(p - suffixes + 1);
		len--;
	}
	if (parse_digits(arg, len, 10, (1ul << 56) >> shift, &v) ||
	    ((uint64_t)v << shift) < VI2C_MIN_MAX_GUEST_MEMORY) {
		set_err(err, errlen,
			"invalid --max-guest-memory '%s': must be a size from 1M to 65536T "
			"(bytes, or with suffix K, M, G or T)",
			arg);
		return -EINVAL;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

/* --user/--group: a name; looked up at start-up. */
static int parse_account(const char *opt, const char *arg, char **out, char *err, size_t errlen)
{
	if (*out) {
		set_err(err, errlen, "option '--%s' given more than once", opt);
		return -EINVAL;
	}
	if (!*arg || strlen(arg) > 256 || strpbrk(arg, ": \t\n/")) {
		set_err(err, errlen, "invalid --%s '%s': expected a name", opt, arg);
		return -EINVAL;
	}
	*out = strdup(arg);
	if (!*out) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* --control=PATH: once, non-empty, fits in sun_path (the directory is checked at start-up). */
static int parse_control(struct vi2c_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (cfg->control_path) {
		set_err(err, errlen, "option '--control' given more than once");
		return -EINVAL;
	}
	if (!*arg || strlen(arg) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		set_err(err, errlen, "invalid --control '%s': must be a socket path of 1..%zu bytes",
			arg, sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
		return -EINVAL;
	}
	cfg->control_path = strdup(arg);
	if (!cfg->control_path) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/*
 * --guest LIST: socket indices and ranges (0,2-3). Appends a section to cfg;
 * `claimed` holds the sockets of earlier sections, so none is in two.
 */
static int parse_guest(struct vi2c_config *cfg, const char *list, uint64_t *claimed, char *err,
		       size_t errlen)
{
	struct cfg_guest g = {0}, *slot;
	const char *p = list;

	if (!*list) {
		set_err(err, errlen, "invalid --guest '': expected socket indices like 0,2-3");
		return -EINVAL;
	}
	while (*p) {
		size_t len = strcspn(p, ","), dash;
		unsigned long lo = 0, hi = 0;

		dash = strcspn(p, "-");
		if (dash > len)
			dash = len;
		if (parse_digits(p, dash, 10, VI2C_MAX_SOCKETS - 1, &lo) ||
		    (dash < len &&
		     parse_digits(p + dash + 1, len - dash - 1, 10, VI2C_MAX_SOCKETS - 1, &hi)) ||
		    (dash < len && hi < lo)) {
			set_err(err, errlen,
				"invalid --guest '%s': '%.*s' is not a socket index 0..%d or a "
				"range N-M",
				list, (int)len, p, VI2C_MAX_SOCKETS - 1);
			return -EINVAL;
		}
		if (dash == len)
			hi = lo;
		for (unsigned long i = lo; i <= hi; i++) {
			uint64_t bit = 1ull << (i % 64);

			if (g.sockets[i / 64] & bit) {
				set_err(err, errlen, "invalid --guest '%s': socket %lu twice", list,
					i);
				return -EINVAL;
			}
			if (claimed[i / 64] & bit) {
				set_err(err, errlen,
					"invalid --guest '%s': socket %lu is in an earlier --guest",
					list, i);
				return -EINVAL;
			}
			g.sockets[i / 64] |= bit;
		}
		p += len;
		if (*p == ',' && !*++p) {
			set_err(err, errlen, "invalid --guest '%s': trailing ','", list);
			return -EINVAL;
		}
	}
	g.spec = strdup(list);
	slot = g.spec ? array_grow(cfg->guests, cfg->n_guests, sizeof(*slot)) : NULL;
	if (!slot) {
		free(g.spec);
		set_err(err, errlen, "out of memory parsing --guest");
		return -ENOMEM;
	}
	for (size_t i = 0; i < VI2C_MAX_SOCKETS / 64; i++)
		claimed[i] |= g.sockets[i];
	g.devs.fd = -1;
	cfg->guests = slot;
	cfg->guests[cfg->n_guests++] = g;
	return 0;
}

static bool has_devices(const struct vi2c_config *set)
{
	return set->n_adapters || set->n_emuls;
}

static bool same_adapter(const struct cfg_adapter *a, const struct cfg_adapter *b)
{
	return a->by_name == b->by_name &&
	       (a->by_name ? !strcmp(a->name, b->name) : a->number == b->number);
}

/* A host device can be claimed once: it may not appear in two device sets. */
static int check_host_sets(const struct vi2c_config *a, const struct vi2c_config *b, char *err,
			   size_t errlen)
{
	for (size_t i = 0; i < a->n_adapters; i++) {
		for (size_t j = 0; j < b->n_adapters; j++) {
			const struct cfg_adapter *x = &a->adapters[i], *y = &b->adapters[j];
			char id[ADAPTER_NAME_MAX + 3];

			if (!same_adapter(x, y))
				continue;
			for (size_t k = 0; k < x->n_addrs; k++) {
				for (size_t l = 0; l < y->n_addrs; l++) {
					if (x->addrs[k].host_addr != y->addrs[l].host_addr)
						continue;
					if (x->by_name)
						snprintf(id, sizeof(id), "'%s'", x->name);
					else
						snprintf(id, sizeof(id), "%u", x->number);
					set_err(err, errlen,
						"host device 0x%02x of adapter %s is in two device "
						"sets (--device-list '%s' and '%s')",
						x->addrs[k].host_addr, id, x->spec, y->spec);
					return -EINVAL;
				}
			}
		}
	}
	return 0;
}

/* Checks that need the whole command line: sockets, device sets, sandbox options. */
static int check_whole(const struct vi2c_config *cfg, char *err, size_t errlen)
{
	bool uncovered = false;
	unsigned first_uncovered = 0;

	if (!cfg->socket_path && cfg->fd < 0) {
		set_err(err, errlen, "option '--socket-path' is required");
		return -EINVAL;
	}
	if (cfg->no_sandbox && (cfg->user || cfg->group)) {
		set_err(err, errlen, "option '--%s' has no effect with '--no-sandbox'",
			cfg->user ? "user" : "group");
		return -EINVAL;
	}
	if (!cfg->n_guests) {
		if (!has_devices(cfg)) {
			set_err(err, errlen,
				"at least one of '--device-list' or '--emulate' is required");
			return -EINVAL;
		}
		return 0;
	}
	for (size_t i = 0; i < cfg->n_guests; i++) {
		const struct cfg_guest *g = &cfg->guests[i];

		for (unsigned s = cfg->socket_count; s < VI2C_MAX_SOCKETS; s++) {
			if (config_guest_has(g, s)) {
				set_err(err, errlen,
					"invalid --guest '%s': socket %u does not exist (%u "
					"socket%s)",
					g->spec, s, cfg->socket_count,
					cfg->socket_count == 1 ? "" : "s");
				return -EINVAL;
			}
		}
		if (!has_devices(&g->devs)) {
			set_err(err, errlen, "--guest '%s' has no --device-list or --emulate",
				g->spec);
			return -EINVAL;
		}
	}
	for (unsigned s = 0; s < cfg->socket_count && !uncovered; s++) {
		int guest;

		config_devices_for(cfg, s, &guest);
		if (guest < 0) {
			uncovered = true;
			first_uncovered = s;
		}
	}
	if (uncovered && !has_devices(cfg)) {
		set_err(err, errlen,
			"socket %u has no devices: give --device-list/--emulate before the first "
			"--guest, or a --guest for it",
			first_uncovered);
		return -EINVAL;
	}
	if (!uncovered && has_devices(cfg)) {
		set_err(err, errlen,
			"the --device-list/--emulate options before the first --guest serve no "
			"socket: every socket has a --guest");
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->n_guests; i++) {
		if (check_host_sets(cfg, &cfg->guests[i].devs, err, errlen))
			return -EINVAL;
		for (size_t j = i + 1; j < cfg->n_guests; j++)
			if (check_host_sets(&cfg->guests[i].devs, &cfg->guests[j].devs, err,
					    errlen))
				return -EINVAL;
	}
	return 0;
}

/* PATH plus the longest index plus NUL must fit in sun_path. */
static int check_socket_path(const struct vi2c_config *cfg, char *err, size_t errlen)
{
	size_t max = sizeof(((struct sockaddr_un *)NULL)->sun_path);
	char index[16];
	int digits = snprintf(index, sizeof(index), "%u", cfg->socket_count - 1);
	size_t need = strlen(cfg->socket_path) + (size_t)digits + 1;

	if (need > max) {
		set_err(err, errlen,
			"--socket-path '%s' is too long: '%s%s' needs %zu bytes, sockets allow %zu",
			cfg->socket_path, cfg->socket_path, index, need, max);
		return -EINVAL;
	}
	return 0;
}

/* Reports getopt's '?' or ':' result as one line. */
static void report_getopt_error(int c, int argc, char **argv, char *err, size_t errlen)
{
	const char *tok = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : "";
	bool is_long = !strncmp(tok, "--", 2);

	if (c == ':') {
		if (is_long)
			set_err(err, errlen, "option '--%s' needs an argument", long_name(optopt));
		else
			set_err(err, errlen, "option '-%c' needs an argument", optopt);
	} else if (optopt >= 256 || (optopt > 0 && strchr(short_options + 2, optopt))) {
		/* A known option is only rejected in its long form with "=value". */
		set_err(err, errlen, "option '--%s' doesn't allow an argument", long_name(optopt));
	} else if (optopt) {
		if (isprint(optopt))
			set_err(err, errlen, "unknown option '-%c'", optopt);
		else
			set_err(err, errlen, "unknown option '-\\x%02x'", (unsigned)optopt & 0xff);
	} else {
		set_err(err, errlen, "unknown or ambiguous option '%.*s'", (int)strcspn(tok, "="),
			tok);
	}
}

/* --print-capabilities ignores every other option, valid or not. */
static bool wants_capabilities(int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i]; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--print-capabilities"))
			return true;
	}
	return false;
}

static enum cfg_result print_capabilities(struct vi2c_config *cfg, FILE *out)
{
	fprintf(out, "%s\n", VI2C_CAPABILITIES);
	fflush(out);
	config_free(cfg);
	return CFG_EXIT_OK;
}

/* One option of the getopt loop; `target` is where -l/-e go. 0 or -EINVAL/-ENOMEM. */
struct parse_state {
	struct vi2c_config *target;
	bool count_given;
	uint64_t claimed[VI2C_MAX_SOCKETS / 64];
};

static int parse_option(struct vi2c_config *cfg, struct parse_state *ps, int c, char *err,
			size_t errlen)
{
	switch (c) {
	case 's':
		if (cfg->socket_path) {
			set_err(err, errlen, "option '--socket-path' given more than once");
			return -EINVAL;
		}
		if (cfg->fd >= 0) {
			set_err(err, errlen, "options '--socket-path' and '--fd' are exclusive");
			return -EINVAL;
		}
		if (!*optarg) {
			set_err(err, errlen, "invalid --socket-path '': must not be empty");
			return -EINVAL;
		}
		cfg->socket_path = strdup(optarg);
		if (!cfg->socket_path) {
			set_err(err, errlen, "out of memory");
			return -ENOMEM;
		}
		return 0;
	case 'c':
		if (ps->count_given) {
			set_err(err, errlen, "option '--socket-count' given more than once");
			return -EINVAL;
		}
		ps->count_given = true;
		return parse_socket_count(optarg, &cfg->socket_count, err, errlen);
	case OPT_FD:
		if (cfg->fd >= 0) {
			set_err(err, errlen, "option '--fd' given more than once");
			return -EINVAL;
		}
		if (cfg->socket_path) {
			set_err(err, errlen, "options '--socket-path' and '--fd' are exclusive");
			return -EINVAL;
		}
		return parse_fd(optarg, &cfg->fd, err, errlen);
	case 'l':
		return config_parse_device_list(ps->target, optarg, err, errlen);
	case 'e':
		return config_parse_emulate(ps->target, optarg, err, errlen);
	case OPT_GUEST:
		if (parse_guest(cfg, optarg, ps->claimed, err, errlen))
			return -EINVAL;
		ps->target = &cfg->guests[cfg->n_guests - 1].devs;
		return 0;
	case 'v':
		if (cfg->verbosity < 100)
			cfg->verbosity++;
		return 0;
	case OPT_SYSLOG:
		cfg->syslog = true;
		return 0;
	case OPT_TRACE:
		if (cfg->trace) {
			set_err(err, errlen, "option '--trace' given more than once");
			return -EINVAL;
		}
		cfg->trace = true;
		if (!optarg)
			return 0;
		if (!*optarg) {
			set_err(err, errlen, "invalid --trace '': give a file name or no '='");
			return -EINVAL;
		}
		cfg->trace_path = strdup(optarg);
		if (!cfg->trace_path) {
			set_err(err, errlen, "out of memory");
			return -ENOMEM;
		}
		return 0;
	case OPT_SOCKET_MODE:
		return parse_socket_mode(optarg, &cfg->socket_mode, err, errlen);
	case OPT_POLL_MAX_NS:
		return parse_poll_max_ns(optarg, &cfg->poll_max_ns, err, errlen);
	case OPT_MAX_GUEST_MEMORY:
		return parse_max_guest_memory(optarg, &cfg->max_guest_memory, err, errlen);
	case OPT_USER:
		return parse_account("user", optarg, &cfg->user, err, errlen);
	case OPT_GROUP:
		return parse_account("group", optarg, &cfg->group, err, errlen);
	case OPT_NO_SANDBOX:
		cfg->no_sandbox = true;
		return 0;
	case OPT_CONTROL:
		return parse_control(cfg, optarg, err, errlen);
	}
	set_err(err, errlen, "internal error: option %d", c);
	return -EINVAL;
}

enum cfg_result config_parse(struct vi2c_config *cfg, int argc, char **argv, void *out, char *err,
			     size_t errlen)
{
	FILE *fout = out ? out : stdout;
	struct parse_state ps = {.target = cfg};
	int c;

	if (err && errlen)
		err[0] = '\0';
	if (!cfg)
		return CFG_ERROR;
	memset(cfg, 0, sizeof(*cfg));
	if (argc < 1 || !argv || !argv[0]) {
		set_err(err, errlen, "empty command line");
		goto err_free;
	}
	if (wants_capabilities(argc, argv))
		return print_capabilities(cfg, fout);
	cfg->socket_count = 1;
	cfg->fd = -1;
	cfg->socket_mode = VI2C_DEFAULT_SOCKET_MODE;
	cfg->poll_max_ns = VI2C_DEFAULT_POLL_MAX_NS;
	cfg->max_guest_memory = VI2C_DEFAULT_MAX_GUEST_MEMORY;

	optind = 0; /* full reset in glibc, so parsing can be repeated */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		switch (c) {
		case 'V':
			fprintf(fout, "vhost-user-i2c %s\n", VI2C_VERSION);
			fflush(fout);
			config_free(cfg);
			return CFG_EXIT_OK;
		case 'h':
			print_usage(fout, argv[0]);
			fflush(fout);
			config_free(cfg);
			return CFG_EXIT_OK;
		case OPT_PRINT_CAPS: /* an abbreviation: the exact spelling was handled above */
			return print_capabilities(cfg, fout);
		case '?':
		case ':':
			report_getopt_error(c, argc, argv, err, errlen);
			goto err_free;
		default:
			if (parse_option(cfg, &ps, c, err, errlen))
				goto err_free;
		}
	}
	if (optind < argc) {
		set_err(err, errlen, "unexpected argument '%s'", argv[optind]);
		goto err_free;
	}
	if (cfg->fd >= 0 && cfg->socket_count != 1) {
		set_err(err, errlen, "option '--socket-count' must be 1 with '--fd'");
		goto err_free;
	}
	if (check_whole(cfg, err, errlen))
		goto err_free;
	if (cfg->socket_path && check_socket_path(cfg, err, errlen))
		goto err_free;
	return CFG_OK;

err_free:
	config_free(cfg);
	return CFG_ERROR;
}
