/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing into a struct vi2c_config. Pure: no I/O besides
 * writing the usage/version text when asked, no exit(). Every check that can
 * be made without touching the system (syntax, ranges, duplicates) is made
 * here, so a bad command line never creates a socket.
 */
#ifndef VI2C_CONFIG_H
#define VI2C_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VI2C_MAX_SOCKETS 1024
#define VI2C_MAX_ADDR	 0x7f /* 7-bit addresses only */

/*
 * What a guest may do with a host device (the flag of an -l item). A
 * read-only device is read through a register pointer of 1 (/ro) or 2
 * (/ro16) bytes; the value is that width, 0 for a writable device.
 */
enum cfg_access {
	CFG_ACCESS_RW = 0,
	CFG_ACCESS_RO = 1,
	CFG_ACCESS_RO16 = 2,
};

/* One host device item of -l: HOSTADDR[@GUESTADDR][/ro|/ro16]. */
struct cfg_host_addr {
	uint8_t host_addr;
	uint8_t guest_addr; /* == host_addr when no @GUESTADDR was given */
	enum cfg_access access;
};

/* One entry of -l: <bus>:<addr>[:<addr>...]. */
struct cfg_adapter {
	bool by_name;		     /* true: name is an adapter name; false: number is valid */
	unsigned number;	     /* /dev/i2c-<number> */
	char *name;		     /* owned; NULL when !by_name */
	struct cfg_host_addr *addrs; /* owned array */
	size_t n_addrs;
	char *spec; /* owned copy of the whole -l argument, for error messages */
};

enum emul_model {
	EMUL_24C02,
	EMUL_24C32,
	EMUL_24C256,
	EMUL_LM75,
	EMUL_STUB,
	EMUL_EE1004, /* DDR4 SPD EEPROM (JEDEC EE1004) */
	EMUL_REGMAP, /* register map from a JSON file (map=FILE), emul_regmap.c */
	EMUL_TMP102,
	EMUL_JC42,
	EMUL_SHT3X,
	EMUL_ADS1015,
	EMUL_BMP280,
	EMUL_PCA9555,
	EMUL_DS1307,
	EMUL_DS3231,
};

#define CFG_EMUL_MAX_OPTS 8 /* a model's start properties, each given at most once */

/* One NAME=VALUE of -e other than file=/map=: a model property, applied with emul_set_prop. */
struct cfg_emul_opt {
	const char *name; /* static: the model's property table entry (emul_model_opts) */
	double value;	  /* in the property's unit */
};

/* One -e MODEL@ADDR[,key=value...]. */
struct cfg_emul {
	enum emul_model model;
	uint8_t addr;
	char *file; /* owned; EEPROMs (ee1004 too) only: file=PATH, NULL if absent */
	char *map;  /* owned; regmap only (required): map=FILE, the JSON register map */
	/* Properties in command-line order (emul_create applies them); unset = reset value. */
	struct cfg_emul_opt opts[CFG_EMUL_MAX_OPTS];
	size_t n_opts;
	/*
	 * The whole -e argument, for error messages. Borrowed: from argv in
	 * config_parse, from the caller of config_parse_emulate otherwise, who
	 * must keep it alive as long as cfg.
	 */
	const char *spec;
};

struct cfg_guest;

/*
 * The parsed command line. adapters/emuls are the common device set: one bus
 * shared by every socket that no --guest section names. Each --guest section
 * (guests[]) has a device set and a bus of its own; only its adapters/emuls
 * fields are used there.
 */
struct vi2c_config {
	char *socket_path;	      /* owned; base path, index appended; NULL with --fd */
	unsigned socket_count;	      /* 1..VI2C_MAX_SOCKETS, default 1 */
	struct cfg_adapter *adapters; /* owned array (-l) */
	size_t n_adapters;
	struct cfg_emul *emuls; /* owned array (-e, in command-line order) */
	size_t n_emuls;
	int verbosity; /* number of -v */

	int fd;			  /* --fd: socket handed over by the VMM's manager; -1 if absent */
	bool syslog;		  /* --syslog: log to syslog(3) instead of stderr */
	bool trace;		  /* --trace given */
	char *trace_path;	  /* owned; --trace=FILE, NULL = stderr */
	bool no_sandbox;	  /* --no-sandbox */
	char *user;		  /* owned; --user, NULL if absent */
	char *group;		  /* owned; --group, NULL if absent */
	char *control_path;	  /* owned; --control=PATH (control socket), NULL if absent */
	unsigned socket_mode;	  /* --socket-mode, default VI2C_DEFAULT_SOCKET_MODE */
	uint64_t poll_max_ns;	  /* --poll-max-ns, default VI2C_DEFAULT_POLL_MAX_NS */
	struct cfg_guest *guests; /* owned array of --guest sections, in command-line order */
	size_t n_guests;
	/* --max-guest-memory in bytes, default VI2C_DEFAULT_MAX_GUEST_MEMORY */
	uint64_t max_guest_memory;
};

#define VI2C_DEFAULT_SOCKET_MODE 0600
#define VI2C_DEFAULT_POLL_MAX_NS 32768u	/* see docs/performance.md */
#define VI2C_MAX_POLL_NS	 1000000000u
/* What one connection may map (sum over its memory regions); see vu_mem.h. */
#define VI2C_DEFAULT_MAX_GUEST_MEMORY (1ull << 40)
#define VI2C_MIN_MAX_GUEST_MEMORY     (1ull << 20)

/* One --guest LIST section: the -l/-e options that follow it, for the sockets in LIST. */
struct cfg_guest {
	uint64_t sockets[VI2C_MAX_SOCKETS / 64]; /* bitmap of socket indices */
	char *spec;				 /* owned copy of LIST, for messages */
	struct vi2c_config devs;		 /* only adapters/emuls are used */
};

/* True if socket idx is in guest section g. */
static inline bool config_guest_has(const struct cfg_guest *g, unsigned idx)
{
	return idx < VI2C_MAX_SOCKETS && (g->sockets[idx / 64] >> (idx % 64)) & 1;
}

/*
 * The device set serving socket idx: a --guest section's devs, or cfg itself
 * (the common set). *guest is set to the section index, or -1 for the common set.
 */
const struct vi2c_config *config_devices_for(const struct vi2c_config *cfg, unsigned idx,
					     int *guest);

enum cfg_result {
	CFG_OK = 0,	 /* run the daemon */
	CFG_EXIT_OK = 1, /* --help, --version or --print-capabilities printed; exit 0 */
	CFG_ERROR = 2,	 /* bad command line; *err holds one line; exit 2 */
};

/*
 * Parses argv into *cfg (zeroed first). On CFG_ERROR, err (errlen bytes)
 * holds a single line naming the offending option and token, and *cfg holds
 * nothing that needs freeing. Text for --help/--version goes to `out`
 * (a FILE *, void here to keep stdio out of this header).
 * Uses getopt_long: resets optind itself, so it may be called repeatedly.
 */
enum cfg_result config_parse(struct vi2c_config *cfg, int argc, char **argv, void *out, char *err,
			     size_t errlen);

/*
 * What --print-capabilities writes (vhost-user.rst "Backend program
 * conventions"): a JSON object, one line. VHostUserBackendType has no i2c
 * member, so "type" is "i2c", the name QEMU uses for the device
 * (vhost-user-i2c-pci); there are no type-specific features.
 */
#define VI2C_CAPABILITIES "{\"type\": \"i2c\", \"features\": []}"

/* Frees what config_parse allocated; safe on a zeroed struct. */
void config_free(struct vi2c_config *cfg);

/*
 * Parses one -l value into adapters (appended to cfg), checking duplicate
 * adapters and guest addresses against everything already in cfg. Exposed for
 * tests and fuzzing. Returns 0, or -EINVAL (-ENOMEM) with err filled and cfg
 * unchanged.
 */
int config_parse_device_list(struct vi2c_config *cfg, const char *list, char *err, size_t errlen);

/*
 * Parses one -e value (appended to cfg; spec is borrowed, see cfg_emul),
 * checking its address against the model's valid addresses and everything
 * already in cfg, and each NAME=VALUE against the model's start properties
 * (emul_model_opts: name, syntax, range). Also the parser of a run-time `add`.
 * Returns 0, or -EINVAL (-ENOMEM) with err filled (one line naming the token)
 * and cfg unchanged.
 */
int config_parse_emulate(struct vi2c_config *cfg, const char *spec, char *err, size_t errlen);

/* Parses an address: decimal or 0x hex, 0..0x7f. Returns 0 or -EINVAL/-ERANGE. */
int config_parse_addr(const char *s, uint8_t *addr);

/*
 * Returns the model name as given on the command line ("24c02", "lm75", ...),
 * "unknown" for a value outside the enum. Never NULL; static storage.
 */
const char *config_model_name(enum emul_model model);

#endif
