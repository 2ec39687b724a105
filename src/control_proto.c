// SPDX-License-Identifier: MIT
/*
 * Control protocol requests: parsing with jansson, checks of every member,
 * dispatch to the bus. Each command lists the members it accepts, so a
 * misspelt one is an error instead of being silently ignored.
 */
#include "control_proto.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "emul.h"
#include "fault.h"

#define ERR_MAX 300

struct request {
	struct control_ctx *ctx;
	json_t *req;   /* the parsed line */
	json_t *reply; /* {"ok":true} so far; commands add members */
	char err[ERR_MAX];
};

static __attribute__((format(printf, 2, 3))) int fail(struct request *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	/* One line of ASCII whatever a client put in its strings (a cut may split UTF-8). */
	for (char *p = r->err; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return -EINVAL;
}

/* A command aimed at a shared address (-EBUSY from i2c_bus): instead says where to aim it. */
static int fail_shared(struct request *r, unsigned addr, const char *instead)
{
	return fail(r, "0x%02x is a page-select address answered by every ee1004 on the bus: %s",
		    addr, instead);
}

/* Adds member key (stolen reference); false on out of memory. */
static bool put(json_t *obj, const char *key, json_t *val)
{
	return val && json_object_set_new(obj, key, val) == 0;
}

static json_t *addr_json(unsigned addr)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "0x%02x", addr);
	return json_string(buf);
}

/* Rejects members other than cmd, id, guest and the command's own. */
static int check_members(struct request *r, const char *cmd, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(r->req, key, v)
	{
		bool ok = !strcmp(key, "cmd") || !strcmp(key, "id") || !strcmp(key, "guest");

		for (const char *const *a = allowed; !ok && *a; a++)
			ok = !strcmp(key, *a);
		if (!ok)
			return fail(r, "unknown member '%.64s' for '%s'", key, cmd);
	}
	return 0;
}

/* An address: a number 0..127, or a string ("0x48" or "72"). */
static int get_addr(struct request *r, const char *key, bool required, unsigned *addr)
{
	json_t *v = json_object_get(r->req, key);
	uint8_t a;

	if (!v) {
		if (required)
			return fail(r, "missing '%s'", key);
		*addr = I2C_BUS_ADDRS;
		return 0;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= VI2C_MAX_ADDR) {
		*addr = (unsigned)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) &&
	    config_parse_addr(json_string_value(v), &a) == 0) {
		*addr = a;
		return 0;
	}
	return fail(r, "'%s' must be a 7-bit address: a number 0..127 or a \"0x..\" string", key);
}

/* An unsigned integer member in lo..hi (a number, or a "0x.." string when hex_ok). */
static int get_uint(struct request *r, const char *key, bool hex_ok, unsigned long lo,
		    unsigned long hi, unsigned long *out)
{
	json_t *v = json_object_get(r->req, key);
	unsigned long long n = 0;
	char *end = NULL;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		n = (unsigned long long)json_integer_value(v);
	} else if (hex_ok && json_is_string(v) && !strncmp(json_string_value(v), "0x", 2) &&
		   json_string_length(v) > 2 && json_string_length(v) <= 10) {
		n = strtoull(json_string_value(v) + 2, &end, 16);
		if (*end || strchr(json_string_value(v), '-') ||
		    strchr(json_string_value(v), '+') || strchr(json_string_value(v), ' '))
			return fail(r, "'%s' must be a number %lu..%lu", key, lo, hi);
	} else {
		return fail(r, "'%s' must be a number %lu..%lu", key, lo, hi);
	}
	if (n < lo || n > hi)
		return fail(r, "'%s' must be a number %lu..%lu", key, lo, hi);
	*out = (unsigned long)n;
	return 0;
}

/*
 * The buses a request is about: "guest": N selects socket N's bus; without
 * it, every bus if all_by_default, else the shared one. Fills [*first, *end).
 */
static int select_buses(struct request *r, bool all_by_default, size_t *first, size_t *end)
{
	struct control_ctx *c = r->ctx;
	json_t *g = json_object_get(r->req, "guest");

	if (g) {
		json_int_t n = json_is_integer(g) ? json_integer_value(g) : -1;

		if (n < 0 || n >= (json_int_t)c->n_sockets)
			return fail(r, "'guest' must be a socket index 0..%u", c->n_sockets - 1);
		*first = (size_t)c->socket_bus[n];
		*end = *first + 1;
		return 0;
	}
	if (all_by_default) {
		*first = 0;
		*end = c->n_buses;
		return 0;
	}
	if (!c->n_buses || !c->buses[0].bus)
		return fail(r, "no shared bus (every socket has a --guest): give \"guest\": N");
	*first = 0;
	*end = 1;
	return 0;
}

/* The one bus of a single-device request. */
static struct control_bus *one_bus(struct request *r)
{
	size_t first = 0, end = 0;

	if (select_buses(r, false, &first, &end))
		return NULL;
	return &r->ctx->buses[first];
}

static const char *model_name(const struct i2c_bus_dev_info *info)
{
	return info->host ? "host" : config_model_name(info->model);
}

/* {"addr":..,"model":..,"bus":..} plus the host details; NULL on out of memory. */
static json_t *device_json(const struct control_bus *b, unsigned addr,
			   const struct i2c_bus_dev_info *info)
{
	json_t *d = json_object();
	bool ok = d && put(d, "addr", addr_json(addr)) &&
		  put(d, "model", json_string(model_name(info))) &&
		  put(d, "bus", json_string(b->label));

	if (ok && info->host)
		ok = put(d, "adapter", json_integer(info->adapter_nr)) &&
		     put(d, "host_addr", addr_json(info->host_addr)) &&
		     put(d, "ro", json_boolean(info->access != CFG_ACCESS_RW));
	if (!ok) {
		json_decref(d);
		return NULL;
	}
	return d;
}

static int oom(struct request *r)
{
	fail(r, "out of memory");
	return -ENOMEM;
}

/* ---- commands ---- */

static int cmd_list(struct request *r)
{
	static const char *const members[] = {NULL};
	json_t *devs = json_array();
	size_t first = 0, end = 0;

	if (!put(r->reply, "devices", devs))
		return oom(r);
	if (check_members(r, "list", members) || select_buses(r, true, &first, &end))
		return -EINVAL;
	for (size_t i = first; i < end; i++) {
		struct control_bus *b = &r->ctx->buses[i];

		for (unsigned a = 0; b->bus && a < I2C_BUS_ADDRS; a++) {
			struct i2c_bus_dev_info info;

			if (i2c_bus_info(b->bus, a, &info) &&
			    json_array_append_new(devs, device_json(b, a, &info)))
				return oom(r);
		}
	}
	return 0;
}

struct props_ctx {
	struct request *r;
	json_t *props; /* get: the object being filled; set: the request's */
	json_t *names; /* get: optional array of names */
	unsigned addr;
	int ret;
};

static void add_prop(void *arg, const struct emul_prop *p)
{
	struct props_ctx *pc = arg;

	if (!pc->ret && !put(pc->props, p->name, json_real(p->value)))
		pc->ret = oom(pc->r);
}

static const char *prop_error(int ret)
{
	switch (ret) {
	case -ENOENT:
		return "no such property";
	case -EROFS:
		return "read-only";
	case -ERANGE:
		return "value out of range";
	}
	return "refused";
}

static int get_props_locked(void *arg, struct emul_dev *dev)
{
	struct props_ctx *pc = arg;
	const char *model = config_model_name(emul_model(dev));
	size_t i;
	json_t *n;

	if (!put(pc->r->reply, "model", json_string(model)))
		return oom(pc->r);
	if (!pc->names) {
		emul_each_prop(dev, add_prop, pc);
		return pc->ret;
	}
	json_array_foreach(pc->names, i, n)
	{
		double v;
		int ret;

		if (!json_is_string(n))
			return fail(pc->r, "'props' must be an array of property names");
		ret = emul_get_prop(dev, json_string_value(n), &v);
		if (ret)
			return fail(pc->r, "%s at 0x%02x: '%.64s': %s", model, pc->addr,
				    json_string_value(n), prop_error(ret));
		if (!put(pc->props, json_string_value(n), json_real(v)))
			return oom(pc->r);
	}
	return 0;
}

/* A failure of i2c_bus_with_emul itself (nothing, or a host device, at addr). */
static int no_emul(struct request *r, int ret, unsigned addr)
{
	if (ret == -ENOENT)
		return fail(r, "no device at 0x%02x", addr);
	if (ret == -EPERM)
		return fail(r, "0x%02x is a host device: only emulated devices have properties",
			    addr);
	if (ret == -EBUSY)
		return fail_shared(r, addr, "the ee1004 devices have the properties");
	return ret;
}

static int cmd_get(struct request *r)
{
	static const char *const members[] = {"addr", "props", NULL};
	struct props_ctx pc = {.r = r};
	struct control_bus *b;
	int ret;

	if (check_members(r, "get", members) || get_addr(r, "addr", true, &pc.addr) ||
	    !(b = one_bus(r)))
		return -EINVAL;
	pc.names = json_object_get(r->req, "props");
	if (pc.names && !json_is_array(pc.names))
		return fail(r, "'props' must be an array of property names");
	pc.props = json_object();
	if (!put(r->reply, "props", pc.props))
		return oom(r);
	if (!put(r->reply, "addr", addr_json(pc.addr)))
		return oom(r);
	ret = i2c_bus_with_emul(b->bus, pc.addr, get_props_locked, &pc);
	if (ret == -ENOENT || ret == -EPERM || ret == -EBUSY)
		return r->err[0] ? ret : no_emul(r, ret, pc.addr);
	return ret;
}

/* A property value: a JSON number, or a "0x.." string for register values. */
static bool prop_value(json_t *v, double *out)
{
	unsigned long long n;
	char *end;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return isfinite(*out);
	}
	if (!json_is_string(v) || strncmp(json_string_value(v), "0x", 2) ||
	    json_string_length(v) < 3 || json_string_length(v) > 10 ||
	    strpbrk(json_string_value(v), "+- "))
		return false;
	n = strtoull(json_string_value(v) + 2, &end, 16);
	if (*end)
		return false;
	*out = (double)n;
	return true;
}

/* All or nothing: on a refused value, the ones already set get their old value back. */
static int set_props_locked(void *arg, struct emul_dev *dev)
{
	struct props_ctx *pc = arg;
	const char *model = config_model_name(emul_model(dev));
	size_t n = json_object_size(pc->props), done = 0;
	double *old = calloc(n ? n : 1, sizeof(*old));
	const char **names = calloc(n ? n : 1, sizeof(*names));
	const char *key;
	int ret = 0;
	json_t *v;

	if (!old || !names) {
		ret = oom(pc->r);
		goto out;
	}
	json_object_foreach(pc->props, key, v)
	{
		double val;

		if (!prop_value(v, &val)) {
			ret = fail(pc->r, "%s at 0x%02x: '%.64s': the value must be a number",
				   model, pc->addr, key);
			break;
		}
		ret = emul_get_prop(dev, key, &old[done]);
		if (!ret)
			ret = emul_set_prop(dev, key, val);
		if (ret) {
			fail(pc->r, "%s at 0x%02x: '%.64s': %s", model, pc->addr, key,
			     prop_error(ret));
			break;
		}
		names[done++] = key;
	}
	if (ret)
		while (done--)
			emul_set_prop(dev, names[done], old[done]);
	else if (!put(pc->r->reply, "model", json_string(model)))
		ret = oom(pc->r);
out:
	free(old);
	free(names);
	return ret;
}

static int cmd_set(struct request *r)
{
	static const char *const members[] = {"addr", "props", NULL};
	struct props_ctx pc = {.r = r};
	struct control_bus *b;
	int ret;

	if (check_members(r, "set", members) || get_addr(r, "addr", true, &pc.addr) ||
	    !(b = one_bus(r)))
		return -EINVAL;
	pc.props = json_object_get(r->req, "props");
	if (!json_is_object(pc.props) || !json_object_size(pc.props))
		return fail(r, "'props' must be an object of name: value, e.g. {\"temp\": 30.5}");
	ret = i2c_bus_with_emul(b->bus, pc.addr, set_props_locked, &pc);
	if ((ret == -ENOENT || ret == -EPERM || ret == -EBUSY) && !r->err[0])
		return no_emul(r, ret, pc.addr);
	return ret;
}

static int cmd_add(struct request *r)
{
	static const char *const members[] = {"spec", NULL};
	struct vi2c_config cfg = {.fd = -1};
	struct control_bus *b;
	struct emul_dev *dev;
	char err[ERR_MAX];
	const char *spec;
	json_t *s;
	int ret;

	if (check_members(r, "add", members) || !(b = one_bus(r)))
		return -EINVAL;
	s = json_object_get(r->req, "spec");
	if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s))
		return fail(r, "'spec' must be a string like \"lm75@0x49,temp=20\"");
	spec = json_string_value(s);
	if (config_parse_emulate(&cfg, spec, err, sizeof(err)))
		return fail(r, "%s", err);
	if ((cfg.emuls[0].file || cfg.emuls[0].map) && !r->ctx->allow_files) {
		config_free(&cfg);
		return fail(r, "file= and map= are not allowed here");
	}
	if (i2c_bus_has(b->bus, cfg.emuls[0].addr)) {
		fail(r, "address 0x%02x is in use", cfg.emuls[0].addr);
		config_free(&cfg);
		return -EEXIST;
	}
	dev = emul_create(&cfg.emuls[0], err, sizeof(err));
	if (!dev) {
		fail(r, "%s", err);
		config_free(&cfg);
		return -EINVAL;
	}
	ret = i2c_bus_add_emul(b->bus, dev);
	if (ret && emul_shared_addrs(dev, &(const uint8_t *){NULL})) {
		/* A shared address (ee1004 page select) is taken: say it as start-up does. */
		i2c_bus_add_strerror(dev, ret, err, sizeof(err));
		fail(r, "'%s': %s", cfg.emuls[0].spec, err);
		emul_destroy(dev);
	} else if (ret) {
		fail(r, "address 0x%02x is in use", cfg.emuls[0].addr);
		emul_destroy(dev);
	} else if (!put(r->reply, "addr", addr_json(cfg.emuls[0].addr)) ||
		   !put(r->reply, "model", json_string(config_model_name(cfg.emuls[0].model)))) {
		ret = oom(r);
	}
	config_free(&cfg);
	return ret;
}

static int cmd_remove(struct request *r)
{
	static const char *const members[] = {"addr", NULL};
	struct control_bus *b;
	unsigned addr;
	int ret;

	if (check_members(r, "remove", members) || get_addr(r, "addr", true, &addr) ||
	    !(b = one_bus(r)))
		return -EINVAL;
	ret = i2c_bus_remove_emul(b->bus, addr);
	if (ret == -ENOENT)
		return fail(r, "no device at 0x%02x", addr);
	if (ret == -EPERM)
		return fail(r, "0x%02x is a host device: only emulated devices can be removed",
			    addr);
	if (ret == -EBUSY)
		return fail_shared(r, addr, "remove those instead (it goes with the last one)");
	return ret;
}

static int cmd_fault(struct request *r)
{
	static const char *const members[] = {"addr", "kind", "count", "ms", "xor", NULL};
	struct fault f = {.remaining = 1};
	enum fault_kind kind;
	struct control_bus *b;
	unsigned long v;
	unsigned addr;
	json_t *k;
	int ret;

	if (check_members(r, "fault", members) || get_addr(r, "addr", true, &addr) ||
	    !(b = one_bus(r)))
		return -EINVAL;
	k = json_object_get(r->req, "kind");
	if (!json_is_string(k) || fault_kind_parse(json_string_value(k), &kind))
		return fail(r, "'kind' must be \"nack\", \"delay\" or \"corrupt\"");
	if (json_object_get(r->req, "count")) {
		if (get_uint(r, "count", false, 0, FAULT_COUNT_MAX, &v))
			return -EINVAL;
		f.remaining = (uint32_t)v;
	}
	if (kind == FAULT_DELAY) {
		if (get_uint(r, "ms", false, 1, FAULT_DELAY_MAX_MS, &v))
			return -EINVAL;
		f.ms = (uint32_t)v;
	} else if (json_object_get(r->req, "ms")) {
		return fail(r, "'ms' is only for kind \"delay\"");
	}
	if (kind == FAULT_CORRUPT) {
		if (get_uint(r, "xor", true, 1, 0xff, &v))
			return -EINVAL;
		f.xor_mask = (uint8_t)v;
	} else if (json_object_get(r->req, "xor")) {
		return fail(r, "'xor' is only for kind \"corrupt\"");
	}
	ret = i2c_bus_fault_arm(b->bus, addr, kind, &f);
	if (ret == -ENOENT)
		return fail(r, "no device at 0x%02x", addr);
	if (ret == -EBUSY)
		return fail_shared(r, addr, "give the fault to an ee1004");
	if (ret)
		return fail(r, "invalid fault");
	return 0;
}

static int cmd_faults(struct request *r)
{
	static const char *const members[] = {NULL};
	json_t *list = json_array();
	size_t first = 0, end = 0;

	if (!put(r->reply, "faults", list))
		return oom(r);
	if (check_members(r, "faults", members) || select_buses(r, true, &first, &end))
		return -EINVAL;
	for (size_t i = first; i < end; i++) {
		struct control_bus *b = &r->ctx->buses[i];

		for (unsigned a = 0; b->bus && a < I2C_BUS_ADDRS; a++) {
			struct fault_set fs;

			if (!i2c_bus_faults(b->bus, a, &fs))
				continue;
			for (unsigned k = 0; k < FAULT_KINDS; k++) {
				const struct fault *f = &fs.f[k];
				json_t *o = json_object();
				bool ok;

				if (!f->armed) {
					json_decref(o);
					continue;
				}
				ok = o && put(o, "addr", addr_json(a)) &&
				     put(o, "bus", json_string(b->label)) &&
				     put(o, "kind", json_string(fault_kind_name(k))) &&
				     put(o, "count", json_integer(f->remaining));
				if (ok && k == FAULT_DELAY)
					ok = put(o, "ms", json_integer(f->ms));
				if (ok && k == FAULT_CORRUPT)
					ok = put(o, "xor", json_integer(f->xor_mask));
				if (!ok || json_array_append_new(list, o))
					return oom(r);
			}
		}
	}
	return 0;
}

static int cmd_clear(struct request *r)
{
	static const char *const members[] = {"addr", NULL};
	unsigned addr, n = 0;
	size_t first = 0, end = 0;

	if (check_members(r, "clear", members) || get_addr(r, "addr", false, &addr))
		return -EINVAL;
	/* One address: on the selected bus; everything: on every bus (or the selected one). */
	if (select_buses(r, addr >= I2C_BUS_ADDRS, &first, &end))
		return -EINVAL;
	for (size_t i = first; i < end; i++)
		if (r->ctx->buses[i].bus)
			n += i2c_bus_fault_clear(r->ctx->buses[i].bus, addr);
	return put(r->reply, "cleared", json_integer(n)) ? 0 : oom(r);
}

static int cmd_counters(struct request *r)
{
	static const char *const members[] = {NULL};
	json_t *devs = json_array();
	size_t first = 0, end = 0;

	if (!put(r->reply, "devices", devs))
		return oom(r);
	if (check_members(r, "counters", members) || select_buses(r, true, &first, &end))
		return -EINVAL;
	for (size_t i = first; i < end; i++) {
		struct control_bus *b = &r->ctx->buses[i];

		for (unsigned a = 0; b->bus && a < I2C_BUS_ADDRS; a++) {
			struct i2c_bus_dev_info info;
			struct i2c_dev_counters c;
			json_t *d;

			if (!i2c_bus_info(b->bus, a, &info) || !i2c_bus_counters(b->bus, a, &c))
				continue;
			d = device_json(b, a, &info);
			if (!d || !put(d, "transfers", json_integer((json_int_t)c.transfers)) ||
			    !put(d, "bytes", json_integer((json_int_t)c.bytes)) ||
			    !put(d, "errors", json_integer((json_int_t)c.errors)) ||
			    json_array_append_new(devs, d))
				return oom(r);
		}
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct request *r);
} commands[] = {
	{"list", cmd_list},	{"get", cmd_get},	{"set", cmd_set},
	{"add", cmd_add},	{"remove", cmd_remove}, {"fault", cmd_fault},
	{"faults", cmd_faults}, {"clear", cmd_clear},	{"counters", cmd_counters},
};

static int dispatch(struct request *r, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *cmd;

	if (len > CONTROL_LINE_MAX)
		return fail(r, "line longer than %d bytes", CONTROL_LINE_MAX);
	r->req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r->req)
		return fail(r, "invalid JSON at column %d: %s", jerr.column, jerr.text);
	if (!json_is_object(r->req))
		return fail(r, "a request must be a JSON object");
	cmd = json_object_get(r->req, "cmd");
	if (!json_is_string(cmd))
		return fail(r, "missing \"cmd\" (list, get, set, add, remove, fault, faults, "
			       "clear, counters)");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(json_string_value(cmd), commands[i].name) &&
		    strlen(commands[i].name) == json_string_length(cmd))
			return commands[i].fn(r);
	return fail(r, "unknown command '%.64s'", json_string_value(cmd));
}

char *control_handle_line(struct control_ctx *ctx, const char *line, size_t len)
{
	struct request r = {.ctx = ctx};
	json_t *id, *reply;
	char *out = NULL;
	int ret;

	r.reply = json_object();
	if (!r.reply || !put(r.reply, "ok", json_true()))
		goto out;
	ret = dispatch(&r, line, len);
	if (ret) {
		/* An error reply carries nothing but ok, error and id. */
		reply = json_object();
		if (!reply || !put(reply, "ok", json_false()) ||
		    !put(reply, "error", json_string(r.err[0] ? r.err : "failed"))) {
			json_decref(reply);
			goto out;
		}
		json_decref(r.reply);
		r.reply = reply;
	}
	id = r.req && json_is_object(r.req) ? json_object_get(r.req, "id") : NULL;
	if (id && json_object_set(r.reply, "id", id))
		goto out;
	out = json_dumps(r.reply, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
out:
	json_decref(r.reply);
	json_decref(r.req);
	return out;
}
