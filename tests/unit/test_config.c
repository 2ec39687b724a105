// SPDX-License-Identifier: MIT
/*
 * Command-line parser. Good command lines are checked by rendering the whole
 * parsed struct into one canonical line and comparing it exactly; bad ones by
 * comparing the whole error line, which always quotes the offending token.
 * Every table row becomes its own cmocka test so one failure hides nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define PROG "vhost-user-i2c"
#define ARGV(...)                                                                                  \
	{                                                                                          \
		PROG, __VA_ARGS__, NULL                                                            \
	}
#define MAX_ARGS 24
#define A10	 "aaaaaaaaaa"
#define A100	 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10
#define PATH106	 "/tmp/" A100 "a"  /* + 1 index digit + NUL = 108 = sun_path */
#define PATH107	 "/tmp/" A100 "aa" /* one byte too long even for index 0 */
#define TEMP_ERR(t)                                                                                \
	"invalid temp '" t "' in --emulate 'lm75@0x48,temp=" t                                     \
	"': must be -55..125 degC, at most 3 decimals"
#define COUNT_ERR(c) "invalid --socket-count '" c "': must be 1..1024"

struct good_case {
	const char *name;
	const char *argv[MAX_ARGS];
	const char *expect; /* render() of the parsed config */
};

struct bad_case {
	const char *name;
	const char *argv[MAX_ARGS];
	const char *expect; /* the exact error line */
};

/* A mutable argv (getopt's prototype wants one); the strings outlive the config. */
struct argv_copy {
	int argc;
	char *argv[MAX_ARGS + 1];
};

static void argv_copy_init(struct argv_copy *a, const char *const *src)
{
	a->argc = 0;
	while (src[a->argc]) {
		assert_true(a->argc < MAX_ARGS);
		a->argv[a->argc] = strdup(src[a->argc]);
		assert_non_null(a->argv[a->argc]);
		a->argc++;
	}
	a->argv[a->argc] = NULL;
}

static void argv_copy_free(struct argv_copy *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	a->argc = 0;
}

/* Canonical one-line form of everything config_parse produces. */
static char *render(const struct vi2c_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fprintf(f, "s=%s c=%u v=%d", cfg->socket_path ? cfg->socket_path : "(null)",
		cfg->socket_count, cfg->verbosity);
	for (size_t i = 0; i < cfg->n_adapters; i++) {
		const struct cfg_adapter *a = &cfg->adapters[i];

		if (a->by_name)
			fprintf(f, "; '%s':", a->name);
		else
			fprintf(f, "; i2c-%u:", a->number);
		if (!a->by_name && a->name)
			fprintf(f, " (name set!)");
		for (size_t j = 0; j < a->n_addrs; j++)
			fprintf(f, " 0x%02x@0x%02x%s", a->addrs[j].host_addr,
				a->addrs[j].guest_addr,
				a->addrs[j].access == CFG_ACCESS_RO	? "/ro"
				: a->addrs[j].access == CFG_ACCESS_RO16 ? "/ro16"
				: a->addrs[j].access == CFG_ACCESS_RW	? ""
									: "/?");
	}
	for (size_t i = 0; i < cfg->n_emuls; i++) {
		const struct cfg_emul *e = &cfg->emuls[i];

		fprintf(f, "; %s@0x%02x", config_model_name(e->model), e->addr);
		if (e->file)
			fprintf(f, " file=%s", e->file);
		for (size_t j = 0; j < e->n_opts; j++)
			fprintf(f, " %s=%.10g", e->opts[j].name, e->opts[j].value);
	}
	fclose(f);
	return buf;
}

static void assert_zeroed(const struct vi2c_config *cfg)
{
	static const struct vi2c_config zero;

	assert_memory_equal(cfg, &zero, sizeof(zero));
}

static const struct good_case good_cases[] = {
	{"decimal", ARGV("-s", "/tmp/vi2c.sock", "-l", "1:80"),
	 "s=/tmp/vi2c.sock c=1 v=0; i2c-1: 0x50@0x50"},
	{"hex any case", ARGV("-s", "/tmp/s", "-l", "0:0x50:0X51:0x7F:0x0a"),
	 "s=/tmp/s c=1 v=0; i2c-0: 0x50@0x50 0x51@0x51 0x7f@0x7f 0x0a@0x0a"},
	{"reference readme list", ARGV("-s", "/tmp/s", "-l", "6:32:41:39:12:19,11:13:15"),
	 "s=/tmp/s c=1 v=0; i2c-6: 0x20@0x20 0x29@0x29 0x27@0x27 0x0c@0x0c 0x13@0x13; "
	 "i2c-11: 0x0d@0x0d 0x0f@0x0f"},
	{"127 decimal", ARGV("-s", "/tmp/s", "-l", "1:127"), "s=/tmp/s c=1 v=0; i2c-1: 0x7f@0x7f"},
	{"0x7f hex", ARGV("-s", "/tmp/s", "-l", "1:0x7f"), "s=/tmp/s c=1 v=0; i2c-1: 0x7f@0x7f"},
	{"zero both ways", ARGV("-s", "/tmp/s", "-l", "1:0,2:0x01"),
	 "s=/tmp/s c=1 v=0; i2c-1: 0x00@0x00; i2c-2: 0x01@0x01"},
	{"leading zeros", ARGV("-s", "/tmp/s", "-l", "007:0080:0x0051"),
	 "s=/tmp/s c=1 v=0; i2c-7: 0x50@0x50 0x51@0x51"},
	{"guest and ro combos",
	 ARGV("-s", "/tmp/s", "-l", "1:0x50@0x60/ro:0x51/ro:0x52@0x10:83@84"),
	 "s=/tmp/s c=1 v=0; i2c-1: 0x50@0x60/ro 0x51@0x51/ro 0x52@0x10 0x53@0x54"},
	{"ro16 and ro side by side",
	 ARGV("-s", "/tmp/s", "-l", "1:0x50/ro16:0x51@0x61/ro:0x52@0x62/ro16,2:0x50@0x10/ro16"),
	 "s=/tmp/s c=1 v=0; i2c-1: 0x50@0x50/ro16 0x51@0x61/ro 0x52@0x62/ro16; "
	 "i2c-2: 0x50@0x10/ro16"},
	{"same host addr, other adapter, remapped",
	 ARGV("-s", "/tmp/s", "-l", "1:0x50,2:0x50@0x51"),
	 "s=/tmp/s c=1 v=0; i2c-1: 0x50@0x50; i2c-2: 0x50@0x51"},
	{"swap two addresses", ARGV("-s", "/tmp/s", "-l", "1:0x50@0x51,2:0x51@0x50"),
	 "s=/tmp/s c=1 v=0; i2c-1: 0x50@0x51; i2c-2: 0x51@0x50"},
	{"adapter names trimmed",
	 ARGV("-s", "/tmp/s", "-l", " my adapter :0x50,i2c-3:0x51,\tx\t:0x52"),
	 "s=/tmp/s c=1 v=0; 'my adapter': 0x50@0x50; 'i2c-3': 0x51@0x51; 'x': 0x52@0x52"},
	{"digits after trim are a number", ARGV("-s", "/tmp/s", "-l", " 3 :0x50"),
	 "s=/tmp/s c=1 v=0; i2c-3: 0x50@0x50"},
	{"name and number mixed",
	 ARGV("-s", "/tmp/s", "-l", "SMBus I801 adapter at efa0:0x50,3:0x51"),
	 "s=/tmp/s c=1 v=0; 'SMBus I801 adapter at efa0': 0x50@0x50; i2c-3: 0x51@0x51"},
	{"-l appends", ARGV("-s", "/tmp/s", "-l", "1:0x50", "-l", "2:0x51", "--device-list=3:0x52"),
	 "s=/tmp/s c=1 v=0; i2c-1: 0x50@0x50; i2c-2: 0x51@0x51; i2c-3: 0x52@0x52"},
	{"socket count 1024", ARGV("-s", "/tmp/s", "-c", "1024", "-l", "1:5"),
	 "s=/tmp/s c=1024 v=0; i2c-1: 0x05@0x05"},
	{"socket count 1", ARGV("-s", "/tmp/s", "-c", "1", "-l", "1:5"),
	 "s=/tmp/s c=1 v=0; i2c-1: 0x05@0x05"},
	{"long options",
	 ARGV("--socket-path=/run/x", "--socket-count", "3", "--device-list", "2:5",
	      "--emulate=stub@0x10", "--verbose"),
	 "s=/run/x c=3 v=1; i2c-2: 0x05@0x05; stub@0x10"},
	{"options in any order, -v cluster",
	 ARGV("-vvv", "-l", "1:5", "-c", "2", "-s", "/tmp/s", "-v"),
	 "s=/tmp/s c=2 v=4; i2c-1: 0x05@0x05"},
	{"attached short args", ARGV("-s/tmp/s", "-c12", "-l1:5"),
	 "s=/tmp/s c=12 v=0; i2c-1: 0x05@0x05"},
	{"double dash ends options", ARGV("-s", "/tmp/s", "-l", "1:5", "--"),
	 "s=/tmp/s c=1 v=0; i2c-1: 0x05@0x05"},
	{"emulate only", ARGV("-s", "/tmp/s", "-e", "24c02@0x50"), "s=/tmp/s c=1 v=0; 24c02@0x50"},
	{"every model",
	 ARGV("-s", "/tmp/s", "-e", "24c02@0x50", "-e", "24c32@0x51,file=/tmp/e.bin", "--emulate",
	      "24c256@82,file=a=b@c:d", "-e", "lm75@0x48", "-e", "stub@0x1c"),
	 "s=/tmp/s c=1 v=0; 24c02@0x50; 24c32@0x51 file=/tmp/e.bin; 24c256@0x52 file=a=b@c:d; "
	 "lm75@0x48; stub@0x1c"},
	{"ee1004 with and without file",
	 ARGV("-s", "/tmp/s", "-e", "ee1004@0x50", "-e", "EE1004@0x57,file=/tmp/spd.bin"),
	 "s=/tmp/s c=1 v=0; ee1004@0x50; ee1004@0x57 file=/tmp/spd.bin"},
	{"model case-insensitive", ARGV("-s", "/tmp/s", "-e", "24C02@0x50", "-e", "LM75@0x48"),
	 "s=/tmp/s c=1 v=0; 24c02@0x50; lm75@0x48"},
	{"temps",
	 ARGV("-s", "/tmp/s", "-e", "lm75@0x48,temp=-12.5", "-e", "lm75@0x49,temp=30.25", "-e",
	      "lm75@0x4a,temp=-55", "-e", "lm75@0x4b,temp=125", "-e", "lm75@0x4c,temp=+0.001", "-e",
	      "lm75@0x4d,temp=-0", "-e", "lm75@0x4e,temp=125.000", "-e", "lm75@0x4f,temp=-54.999"),
	 "s=/tmp/s c=1 v=0; lm75@0x48 temp=-12.5; lm75@0x49 temp=30.25; lm75@0x4a temp=-55; "
	 "lm75@0x4b temp=125; lm75@0x4c temp=0.001; lm75@0x4d temp=0; lm75@0x4e temp=125; "
	 "lm75@0x4f temp=-54.999"},
	{"temp with leading zeros",
	 ARGV("-s", "/tmp/s", "-e", "lm75@0x48,temp=000000000000000000025.5"),
	 "s=/tmp/s c=1 v=0; lm75@0x48 temp=25.5"},
	{"-l and -e together",
	 ARGV("-s", "/tmp/s", "-e", "24c02@0x50", "-l", "1:0x51@0x52/ro", "-e",
	      "lm75@0x51,temp=40"),
	 "s=/tmp/s c=1 v=0; i2c-1: 0x51@0x52/ro; 24c02@0x50; lm75@0x51 temp=40"},
	{"socket path at the limit", ARGV("-s", PATH106, "-c", "10", "-e", "stub@1"),
	 "s=" PATH106 " c=10 v=0; stub@0x01"},
	{"every model with its properties",
	 ARGV("-s", "/s", "-e", "tmp102@0x49,temp=-10.0625", "-e", "jc42@0x18,temp=45.5", "-e",
	      "sht3x@0x44,humidity=40.5,temp=21", "-e", "ads1015@0x4b,ain3=1.2345,ain0=0",
	      "-e", "bmp280@0x77,temp=-3.25,pressure=987.6543", "-e", "pca9555@0x27,inputs=0xA5a5",
	      "-e", "ds1307@0x68,offset=-3600.5"),
	 "s=/s c=1 v=0; tmp102@0x49 temp=-10.0625; jc42@0x18 temp=45.5; sht3x@0x44 humidity=40.5 "
	 "temp=21; ads1015@0x4b ain3=1.2345 ain0=0; bmp280@0x77 temp=-3.25 pressure=987.6543; "
	 "pca9555@0x27 inputs=42405; ds1307@0x68 offset=-3600.5"},
	{"model names in any case, properties at their limits",
	 ARGV("-s", "/s", "-e", "TMP102@0x48,temp=150", "-e", "Sht3x@0x45,temp=-45,humidity=100",
	      "-e", "ads1015@0x4a,ain1=5.5", "-e", "bmp280@0x76,pressure=300"),
	 "s=/s c=1 v=0; tmp102@0x48 temp=150; sht3x@0x45 temp=-45 humidity=100; ads1015@0x4a "
	 "ain1=5.5; bmp280@0x76 pressure=300"},
	{"eeprom write cycle, with file= in either order",
	 ARGV("-s", "/s", "-e", "24c02@0x50,write_cycle_us=5000", "-e",
	      "24c32@0x51,file=/tmp/e.bin,write_cycle_us=0x10", "-e",
	      "24c256@0x52,write_cycle_us=100000,file=/tmp/f.bin", "-e",
	      "24c02@0x53,write_cycle_us=0"),
	 "s=/s c=1 v=0; 24c02@0x50 write_cycle_us=5000; 24c32@0x51 file=/tmp/e.bin "
	 "write_cycle_us=16; 24c256@0x52 file=/tmp/f.bin write_cycle_us=100000; 24c02@0x53 "
	 "write_cycle_us=0"},
	{"ds3231, properties left at reset", ARGV("-s", "/s", "-e", "ds3231@0x68,offset=86400", "-e",
					       "pca9555@0x20", "-e", "bmp280@0x77"),
	 "s=/s c=1 v=0; ds3231@0x68 offset=86400; pca9555@0x20; bmp280@0x77"},
};

static const struct bad_case bad_cases[] = {
	/* required options and stray arguments */
	{"no arguments", ARGV(NULL), "option '--socket-path' is required"},
	{"missing -s", ARGV("-l", "1:0x50"), "option '--socket-path' is required"},
	{"missing -l and -e", ARGV("-s", "/tmp/s", "-c", "2"),
	 "at least one of '--device-list' or '--emulate' is required"},
	{"empty socket path", ARGV("-s", "", "-l", "1:5"),
	 "invalid --socket-path '': must not be empty"},
	{"-s twice", ARGV("-s", "/a", "-s", "/b", "-l", "1:5"),
	 "option '--socket-path' given more than once"},
	{"-c twice", ARGV("-s", "/a", "-c", "2", "-c", "2", "-l", "1:5"),
	 "option '--socket-count' given more than once"},
	{"stray argument", ARGV("-s", "/tmp/s", "-l", "1:5", "extra"),
	 "unexpected argument 'extra'"},
	{"stray argument first", ARGV("extra", "-s", "/tmp/s", "-l", "1:5"),
	 "unexpected argument 'extra'"},
	{"stray after --", ARGV("-s", "/tmp/s", "-l", "1:5", "--", "-v"),
	 "unexpected argument '-v'"},
	{"unknown long option", ARGV("-s", "/tmp/s", "--foo", "-l", "1:5"),
	 "unknown or ambiguous option '--foo'"},
	{"unknown long option with value", ARGV("--foo=bar"),
	 "unknown or ambiguous option '--foo'"},
	{"ambiguous long option", ARGV("--socket=/tmp/s"),
	 "unknown or ambiguous option '--socket'"},
	{"unknown short option", ARGV("-x"), "unknown option '-x'"},
	{"unknown short option in cluster", ARGV("--verbose", "-vxv"), "unknown option '-x'"},
	{"flag with a value", ARGV("-s", "/tmp/s", "--help=1"),
	 "option '--help' doesn't allow an argument"},
	{"-s without argument", ARGV("-l", "1:5", "-s"), "option '-s' needs an argument"},
	{"--socket-path without argument", ARGV("-l", "1:5", "--socket-path"),
	 "option '--socket-path' needs an argument"},
	{"-c without argument in cluster", ARGV("-s", "/tmp/s", "-vc"),
	 "option '-c' needs an argument"},
	{"-l without argument", ARGV("-s", "/tmp/s", "-l"), "option '-l' needs an argument"},
	{"--emulate without argument", ARGV("-s", "/tmp/s", "--emulate"),
	 "option '--emulate' needs an argument"},
	/* socket count */
	{"count 0", ARGV("-s", "/s", "-c", "0", "-l", "1:5"), COUNT_ERR("0")},
	{"count 1025", ARGV("-s", "/s", "-c", "1025", "-l", "1:5"), COUNT_ERR("1025")},
	{"count -1", ARGV("-s", "/s", "-c", "-1", "-l", "1:5"), COUNT_ERR("-1")},
	{"count abc", ARGV("-s", "/s", "-c", "abc", "-l", "1:5"), COUNT_ERR("abc")},
	{"count empty", ARGV("-s", "/s", "-c", "", "-l", "1:5"), COUNT_ERR("")},
	{"count 3x", ARGV("-s", "/s", "-c", "3x", "-l", "1:5"), COUNT_ERR("3x")},
	{"count with space", ARGV("-s", "/s", "-c", " 3", "-l", "1:5"), COUNT_ERR(" 3")},
	{"count with plus", ARGV("-s", "/s", "-c", "+3", "-l", "1:5"), COUNT_ERR("+3")},
	{"count hex", ARGV("-s", "/s", "-c", "0x10", "-l", "1:5"), COUNT_ERR("0x10")},
	{"count overflow", ARGV("-s", "/s", "-c", "18446744073709551617", "-l", "1:5"),
	 COUNT_ERR("18446744073709551617")},
	/* socket path length */
	{"socket path too long", ARGV("-s", PATH107, "-l", "1:5"),
	 "--socket-path '" PATH107 "' is too long: '" PATH107
	 "0' needs 109 bytes, sockets allow 108"},
	{"socket path too long for index 10", ARGV("-s", PATH106, "-c", "11", "-l", "1:5"),
	 "--socket-path '" PATH106 "' is too long: '" PATH106
	 "10' needs 109 bytes, sockets allow 108"},
	/* device list syntax */
	{"address 0x80", ARGV("-s", "/s", "-l", "1:0x80"),
	 "invalid address '0x80' in --device-list '1:0x80': must be 0x00..0x7f"},
	{"address 128", ARGV("-s", "/s", "-l", "1:128"),
	 "invalid address '128' in --device-list '1:128': must be 0x00..0x7f"},
	{"address 0xff", ARGV("-s", "/s", "-l", "1:0x50:0xff"),
	 "invalid address '0xff' in --device-list '1:0x50:0xff': must be 0x00..0x7f"},
	{"address overflow", ARGV("-s", "/s", "-l", "1:99999999999999999999999"),
	 "invalid address '99999999999999999999999' in --device-list '1:99999999999999999999999': "
	 "must be 0x00..0x7f"},
	{"address not hex", ARGV("-s", "/s", "-l", "1:0xZZ"),
	 "invalid address '0xZZ' in --device-list '1:0xZZ': expected decimal or 0x-prefixed hex"},
	{"address bare 0x", ARGV("-s", "/s", "-l", "1:0x"),
	 "invalid address '0x' in --device-list '1:0x': expected decimal or 0x-prefixed hex"},
	{"address negative", ARGV("-s", "/s", "-l", "1:-5"),
	 "invalid address '-5' in --device-list '1:-5': expected decimal or 0x-prefixed hex"},
	{"address plus", ARGV("-s", "/s", "-l", "1:+5"),
	 "invalid address '+5' in --device-list '1:+5': expected decimal or 0x-prefixed hex"},
	{"address with space", ARGV("-s", "/s", "-l", "1: 5"),
	 "invalid address ' 5' in --device-list '1: 5': expected decimal or 0x-prefixed hex"},
	{"address with suffix", ARGV("-s", "/s", "-l", "1:5x"),
	 "invalid address '5x' in --device-list '1:5x': expected decimal or 0x-prefixed hex"},
	{"control chars become ?", ARGV("-s", "/s", "-l", "1:0x50\n"),
	 "invalid address '0x50?' in --device-list '1:0x50?': expected decimal or 0x-prefixed hex"},
	{"empty list", ARGV("-s", "/s", "-l", ""), "empty --device-list ''"},
	{"adapter without address", ARGV("-s", "/s", "-l", "1"),
	 "adapter '1' has no address in --device-list '1'"},
	{"adapter with colon only", ARGV("-s", "/s", "-l", "1:"),
	 "adapter '1' has no address in --device-list '1:'"},
	{"named adapter without address", ARGV("-s", "/s", "-l", "1:5, foo "),
	 "adapter 'foo' has no address in --device-list '1:5, foo '"},
	{"trailing comma", ARGV("-s", "/s", "-l", "1:0x50,"),
	 "empty entry in --device-list '1:0x50,'"},
	{"leading comma", ARGV("-s", "/s", "-l", ",1:5"), "empty entry in --device-list ',1:5'"},
	{"double comma", ARGV("-s", "/s", "-l", "1:0x50,,2:3"),
	 "empty entry in --device-list '1:0x50,,2:3'"},
	{"empty item", ARGV("-s", "/s", "-l", "1:0x50::0x51"),
	 "empty address in --device-list '1:0x50::0x51'"},
	{"trailing colon", ARGV("-s", "/s", "-l", "1:0x50:"),
	 "empty address in --device-list '1:0x50:'"},
	{"missing adapter", ARGV("-s", "/s", "-l", ":0x50"),
	 "missing adapter before ':' in --device-list ':0x50'"},
	{"blank adapter", ARGV("-s", "/s", "-l", "  :0x50"),
	 "missing adapter before ':' in --device-list '  :0x50'"},
	{"adapter number overflow", ARGV("-s", "/s", "-l", "99999999999:0x50"),
	 "invalid adapter number '99999999999' in --device-list '99999999999:0x50'"},
	{"bad flag /rw", ARGV("-s", "/s", "-l", "1:0x50/rw"),
	 "invalid flag '/rw' in --device-list '1:0x50/rw': only '/ro' and '/ro16' are supported"},
	{"flag twice", ARGV("-s", "/s", "-l", "1:0x50/ro/ro"),
	 "invalid flag '/ro/ro' in --device-list '1:0x50/ro/ro': only '/ro' and '/ro16' are "
	 "supported"},
	{"empty flag", ARGV("-s", "/s", "-l", "1:0x50/"),
	 "invalid flag '/' in --device-list '1:0x50/': only '/ro' and '/ro16' are supported"},
	{"ro8", ARGV("-s", "/s", "-l", "1:0x50/ro8"),
	 "invalid flag '/ro8' in --device-list '1:0x50/ro8': only '/ro' and '/ro16' are "
	 "supported"},
	{"ro16 with a suffix", ARGV("-s", "/s", "-l", "1:0x50/ro16x"),
	 "invalid flag '/ro16x' in --device-list '1:0x50/ro16x': only '/ro' and '/ro16' are "
	 "supported"},
	{"ro then ro16", ARGV("-s", "/s", "-l", "1:0x50/ro/ro16"),
	 "invalid flag '/ro/ro16' in --device-list '1:0x50/ro/ro16': only '/ro' and '/ro16' "
	 "are supported"},
	{"upper-case RO16", ARGV("-s", "/s", "-l", "1:0x50/RO16"),
	 "invalid flag '/RO16' in --device-list '1:0x50/RO16': only '/ro' and '/ro16' are "
	 "supported"},
	{"only ro16", ARGV("-s", "/s", "-l", "1:/ro16"),
	 "missing host address in '/ro16' in --device-list '1:/ro16'"},
	{"flag before guest", ARGV("-s", "/s", "-l", "1:0x50/ro@0x60"),
	 "invalid flag '/ro@0x60' in --device-list '1:0x50/ro@0x60': only '/ro' and '/ro16' are "
	 "supported"},
	{"empty guest address", ARGV("-s", "/s", "-l", "1:0x50@"),
	 "missing guest address after '@' in '0x50@' in --device-list '1:0x50@'"},
	{"empty guest address with ro", ARGV("-s", "/s", "-l", "1:0x50@/ro"),
	 "missing guest address after '@' in '0x50@/ro' in --device-list '1:0x50@/ro'"},
	{"empty host address", ARGV("-s", "/s", "-l", "1:@0x60"),
	 "missing host address in '@0x60' in --device-list '1:@0x60'"},
	{"only flag", ARGV("-s", "/s", "-l", "1:/ro"),
	 "missing host address in '/ro' in --device-list '1:/ro'"},
	{"guest address 0x80", ARGV("-s", "/s", "-l", "1:0x50@0x80/ro"),
	 "invalid address '0x80' in --device-list '1:0x50@0x80/ro': must be 0x00..0x7f"},
	{"two @", ARGV("-s", "/s", "-l", "1:0x50@0x60@0x61"),
	 "invalid address '0x60@0x61' in --device-list '1:0x50@0x60@0x61': "
	 "expected decimal or 0x-prefixed hex"},
	/* duplicates */
	{"duplicate adapter number", ARGV("-s", "/s", "-l", "1:0x50,1:0x51"),
	 "duplicate adapter '1' in --device-list '1:0x50,1:0x51'"},
	{"duplicate adapter across -l", ARGV("-s", "/s", "-l", "1:0x50", "-l", "01:0x51"),
	 "duplicate adapter '01' in --device-list '01:0x51'"},
	{"duplicate adapter name", ARGV("-s", "/s", "-l", "foo:0x50, foo :0x51"),
	 "duplicate adapter 'foo' in --device-list 'foo:0x50, foo :0x51'"},
	{"duplicate address in one list", ARGV("-s", "/s", "-l", "1:0x50,2:80"),
	 "duplicate address 0x50 in --device-list '1:0x50,2:80'"},
	{"duplicate address in one adapter", ARGV("-s", "/s", "-l", "1:0x50:0x50"),
	 "duplicate address 0x50 in --device-list '1:0x50:0x50'"},
	{"duplicate guest address", ARGV("-s", "/s", "-l", "1:0x50@0x60,2:0x51@0x60"),
	 "duplicate address 0x60 in --device-list '1:0x50@0x60,2:0x51@0x60'"},
	{"guest address hits a plain one", ARGV("-s", "/s", "-l", "1:0x60,2:0x51@0x60"),
	 "duplicate address 0x60 in --device-list '1:0x60,2:0x51@0x60'"},
	{"aliased host device", ARGV("-s", "/s", "-l", "1:0x50@0x60:0x50@0x61"),
	 "duplicate host address 0x50 on one adapter in --device-list '1:0x50@0x60:0x50@0x61'"},
	{"duplicate -l then -e", ARGV("-s", "/s", "-l", "1:0x50", "-e", "24c02@0x50"),
	 "duplicate address 0x50 (--device-list '1:0x50' and --emulate '24c02@0x50')"},
	{"duplicate -e then -l", ARGV("-s", "/s", "-e", "24c02@0x50", "-l", "1:80"),
	 "duplicate address 0x50 (--emulate '24c02@0x50' and --device-list '1:80')"},
	{"duplicate across two -l", ARGV("-s", "/s", "-l", "1:0x50", "-l", "2:0x50"),
	 "duplicate address 0x50 (--device-list '1:0x50' and --device-list '2:0x50')"},
	{"duplicate across two -e", ARGV("-s", "/s", "-e", "stub@0x10", "-e", "lm75@16"),
	 "duplicate address 0x10 (--emulate 'stub@0x10' and --emulate 'lm75@16')"},
	/* emulate */
	{"unknown model", ARGV("-s", "/s", "-e", "foo@0x50"),
	 "unknown model 'foo' in --emulate 'foo@0x50'"},
	{"empty model", ARGV("-s", "/s", "-e", "@0x50"), "unknown model '' in --emulate '@0x50'"},
	{"missing @ADDR", ARGV("-s", "/s", "-e", "24c02"), "missing '@ADDR' in --emulate '24c02'"},
	{"missing @ADDR with keys", ARGV("-s", "/s", "-e", "24c02,file=a@b"),
	 "missing '@ADDR' in --emulate '24c02,file=a@b'"},
	{"empty emulate", ARGV("-s", "/s", "-e", ""), "missing '@ADDR' in --emulate ''"},
	{"emulate empty address", ARGV("-s", "/s", "-e", "24c02@"),
	 "invalid address '' in --emulate '24c02@': expected decimal or 0x-prefixed hex"},
	{"emulate address 0x80", ARGV("-s", "/s", "-e", "24c02@0x80"),
	 "invalid address '0x80' in --emulate '24c02@0x80': must be 0x00..0x7f"},
	{"emulate address 128", ARGV("-s", "/s", "-e", "stub@128"),
	 "invalid address '128' in --emulate 'stub@128': must be 0x00..0x7f"},
	{"unknown key", ARGV("-s", "/s", "-e", "24c02@0x50,size=2"),
	 "unknown key 'size' in --emulate '24c02@0x50,size=2'"},
	{"temp on eeprom", ARGV("-s", "/s", "-e", "24c02@0x50,temp=20"),
	 "key 'temp' is not valid for model 24c02 in --emulate '24c02@0x50,temp=20'"},
	{"file on lm75", ARGV("-s", "/s", "-e", "lm75@0x48,file=x"),
	 "key 'file' is not valid for model lm75 in --emulate 'lm75@0x48,file=x'"},
	{"temp on ee1004", ARGV("-s", "/s", "-e", "ee1004@0x50,temp=20"),
	 "key 'temp' is not valid for model ee1004 in --emulate 'ee1004@0x50,temp=20'"},
	{"file on stub", ARGV("-s", "/s", "-e", "stub@0x10,file=x"),
	 "key 'file' is not valid for model stub in --emulate 'stub@0x10,file=x'"},
	{"file twice", ARGV("-s", "/s", "-e", "24c32@0x50,file=a,file=b"),
	 "duplicate key 'file' in --emulate '24c32@0x50,file=a,file=b'"},
	{"temp twice", ARGV("-s", "/s", "-e", "lm75@0x48,temp=20,temp=21"),
	 "duplicate key 'temp' in --emulate 'lm75@0x48,temp=20,temp=21'"},
	{"empty file", ARGV("-s", "/s", "-e", "24c02@0x50,file="),
	 "empty value for key 'file' in --emulate '24c02@0x50,file='"},
	{"empty temp", ARGV("-s", "/s", "-e", "lm75@0x48,temp="),
	 "empty value for key 'temp' in --emulate 'lm75@0x48,temp='"},
	{"emulate trailing comma", ARGV("-s", "/s", "-e", "24c02@0x50,"),
	 "empty option (stray comma) in --emulate '24c02@0x50,'"},
	{"emulate double comma", ARGV("-s", "/s", "-e", "24c02@0x50,,file=x"),
	 "empty option (stray comma) in --emulate '24c02@0x50,,file=x'"},
	{"key without value", ARGV("-s", "/s", "-e", "24c02@0x50,file"),
	 "expected key=value, got 'file' in --emulate '24c02@0x50,file'"},
	{"temp 125.001", ARGV("-s", "/s", "-e", "lm75@0x48,temp=125.001"), TEMP_ERR("125.001")},
	{"temp -55.001", ARGV("-s", "/s", "-e", "lm75@0x48,temp=-55.001"), TEMP_ERR("-55.001")},
	{"temp 126", ARGV("-s", "/s", "-e", "lm75@0x48,temp=126"), TEMP_ERR("126")},
	{"temp -56", ARGV("-s", "/s", "-e", "lm75@0x48,temp=-56"), TEMP_ERR("-56")},
	{"temp exponent", ARGV("-s", "/s", "-e", "lm75@0x48,temp=1e2"), TEMP_ERR("1e2")},
	{"temp trailing dot", ARGV("-s", "/s", "-e", "lm75@0x48,temp=25."), TEMP_ERR("25.")},
	{"temp leading dot", ARGV("-s", "/s", "-e", "lm75@0x48,temp=.5"), TEMP_ERR(".5")},
	{"temp four decimals", ARGV("-s", "/s", "-e", "lm75@0x48,temp=25.1234"),
	 TEMP_ERR("25.1234")},
	{"temp two signs", ARGV("-s", "/s", "-e", "lm75@0x48,temp=--5"), TEMP_ERR("--5")},
	{"temp sign only", ARGV("-s", "/s", "-e", "lm75@0x48,temp=-"), TEMP_ERR("-")},
	{"temp trailing space", ARGV("-s", "/s", "-e", "lm75@0x48,temp=25 "), TEMP_ERR("25 ")},
	{"temp word", ARGV("-s", "/s", "-e", "lm75@0x48,temp=warm"), TEMP_ERR("warm")},
	{"temp overflow", ARGV("-s", "/s", "-e", "lm75@0x48,temp=99999999999999999999"),
	 TEMP_ERR("99999999999999999999")},
	{"temp negative overflow", ARGV("-s", "/s", "-e", "lm75@0x48,temp=-4294967.296"),
	 TEMP_ERR("-4294967.296")},
	/* the new models: addresses their pins allow, their own properties, ranges */
	{"tmp102 address", ARGV("-s", "/s", "-e", "tmp102@0x4c"),
	 "address '0x4c' is not valid for model tmp102 in --emulate 'tmp102@0x4c': must be "
	 "0x48..0x4b"},
	{"jc42 address", ARGV("-s", "/s", "-e", "jc42@0x20"),
	 "address '0x20' is not valid for model jc42 in --emulate 'jc42@0x20': must be 0x18..0x1f"},
	{"sht3x address", ARGV("-s", "/s", "-e", "sht3x@0x46"),
	 "address '0x46' is not valid for model sht3x in --emulate 'sht3x@0x46': must be 0x44 or "
	 "0x45"},
	{"ads1015 address", ARGV("-s", "/s", "-e", "ads1015@71"),
	 "address '71' is not valid for model ads1015 in --emulate 'ads1015@71': must be "
	 "0x48..0x4b"},
	{"bmp280 address", ARGV("-s", "/s", "-e", "bmp280@0x75"),
	 "address '0x75' is not valid for model bmp280 in --emulate 'bmp280@0x75': must be 0x76 or "
	 "0x77"},
	{"pca9555 address", ARGV("-s", "/s", "-e", "pca9555@0x28"),
	 "address '0x28' is not valid for model pca9555 in --emulate 'pca9555@0x28': must be "
	 "0x20..0x27"},
	{"ds1307 address", ARGV("-s", "/s", "-e", "ds1307@0x69"),
	 "address '0x69' is not valid for model ds1307 in --emulate 'ds1307@0x69': must be 0x68"},
	{"ds3231 address", ARGV("-s", "/s", "-e", "ds3231@0x6f"),
	 "address '0x6f' is not valid for model ds3231 in --emulate 'ds3231@0x6f': must be 0x68"},
	{"humidity on tmp102", ARGV("-s", "/s", "-e", "tmp102@0x48,humidity=5"),
	 "key 'humidity' is not valid for model tmp102 in --emulate 'tmp102@0x48,humidity=5'"},
	{"read-only outputs", ARGV("-s", "/s", "-e", "pca9555@0x20,outputs=1"),
	 "key 'outputs' is read-only for model pca9555 in --emulate 'pca9555@0x20,outputs=1'"},
	{"read-only config", ARGV("-s", "/s", "-e", "pca9555@0x20,config=1"),
	 "key 'config' is read-only for model pca9555 in --emulate 'pca9555@0x20,config=1'"},
	{"unknown key on a new model", ARGV("-s", "/s", "-e", "sht3x@0x44,pressure2=5"),
	 "unknown key 'pressure2' in --emulate 'sht3x@0x44,pressure2=5'"},
	{"tmp102 above 150", ARGV("-s", "/s", "-e", "tmp102@0x48,temp=150.0001"),
	 "invalid temp '150.0001' in --emulate 'tmp102@0x48,temp=150.0001': must be -55..150 "
	 "degC, at most 4 decimals"},
	{"humidity above 100", ARGV("-s", "/s", "-e", "sht3x@0x44,humidity=100.001"),
	 "invalid humidity '100.001' in --emulate 'sht3x@0x44,humidity=100.001': must be 0..100 "
	 "%RH, at most 3 decimals"},
	{"negative voltage", ARGV("-s", "/s", "-e", "ads1015@0x48,ain2=-0.1"),
	 "invalid ain2 '-0.1' in --emulate 'ads1015@0x48,ain2=-0.1': must be 0..5.5 V, at most 4 "
	 "decimals"},
	{"pressure too low", ARGV("-s", "/s", "-e", "bmp280@0x76,pressure=299.9999"),
	 "invalid pressure '299.9999' in --emulate 'bmp280@0x76,pressure=299.9999': must be "
	 "300..1100 hPa, at most 4 decimals"},
	{"inputs not an integer", ARGV("-s", "/s", "-e", "pca9555@0x20,inputs=1.5"),
	 "invalid inputs '1.5' in --emulate 'pca9555@0x20,inputs=1.5': must be 0..65535 "
	 "(0x0000..0xffff)"},
	{"inputs above 16 bits", ARGV("-s", "/s", "-e", "pca9555@0x20,inputs=0x10000"),
	 "invalid inputs '0x10000' in --emulate 'pca9555@0x20,inputs=0x10000': must be 0..65535 "
	 "(0x0000..0xffff)"},
	{"hex for a decimal property", ARGV("-s", "/s", "-e", "tmp102@0x48,temp=0x10"),
	 "invalid temp '0x10' in --emulate 'tmp102@0x48,temp=0x10': must be -55..150 degC, at "
	 "most 4 decimals"},
	{"offset too large", ARGV("-s", "/s", "-e", "ds1307@0x68,offset=4000000000.001"),
	 "invalid offset '4000000000.001' in --emulate 'ds1307@0x68,offset=4000000000.001': must "
	 "be -4000000000..4000000000 s, at most 3 decimals"},
	{"write cycle not an integer", ARGV("-s", "/s", "-e", "24c02@0x50,write_cycle_us=5.5"),
	 "invalid write_cycle_us '5.5' in --emulate '24c02@0x50,write_cycle_us=5.5': must be "
	 "0..100000 us, an integer"},
	{"write cycle too long", ARGV("-s", "/s", "-e", "24c256@0x50,write_cycle_us=100001"),
	 "invalid write_cycle_us '100001' in --emulate '24c256@0x50,write_cycle_us=100001': must "
	 "be 0..100000 us, an integer"},
	{"write cycle negative", ARGV("-s", "/s", "-e", "24c32@0x50,write_cycle_us=-1"),
	 "invalid write_cycle_us '-1' in --emulate '24c32@0x50,write_cycle_us=-1': must be "
	 "0..100000 us, an integer"},
	{"write cycle on ee1004", ARGV("-s", "/s", "-e", "ee1004@0x50,write_cycle_us=5000"),
	 "key 'write_cycle_us' is not valid for model ee1004 in --emulate "
	 "'ee1004@0x50,write_cycle_us=5000'"},
	{"write cycle on lm75", ARGV("-s", "/s", "-e", "lm75@0x48,write_cycle_us=5000"),
	 "key 'write_cycle_us' is not valid for model lm75 in --emulate "
	 "'lm75@0x48,write_cycle_us=5000'"},
	{"property twice", ARGV("-s", "/s", "-e", "bmp280@0x76,temp=1,pressure=1000,temp=2"),
	 "duplicate key 'temp' in --emulate 'bmp280@0x76,temp=1,pressure=1000,temp=2'"},
	/* a later error discards what was parsed before it */
	{"error after good options",
	 ARGV("-s", "/s", "-c", "4", "-l", "1:5", "-e", "lm75@0x48", "-e", "lm75@0x49,temp=200"),
	 "invalid temp '200' in --emulate 'lm75@0x49,temp=200': must be -55..125 degC, "
	 "at most 3 decimals"},
};

static void check_good(void **state)
{
	const struct good_case *tc = *state;
	struct argv_copy args;
	struct vi2c_config cfg;
	char err[512] = "untouched";
	char *got;

	argv_copy_init(&args, tc->argv);
	if (config_parse(&cfg, args.argc, args.argv, stdout, err, sizeof(err)) != CFG_OK)
		fail_msg("%s: unexpected error: %s", tc->name, err);
	got = render(&cfg);
	assert_string_equal(got, tc->expect);
	free(got);
	config_free(&cfg);
	assert_zeroed(&cfg);
	argv_copy_free(&args);
}

static void check_bad(void **state)
{
	const struct bad_case *tc = *state;
	struct argv_copy args;
	struct vi2c_config cfg;
	char err[512] = "";

	argv_copy_init(&args, tc->argv);
	memset(&cfg, 0xa5, sizeof(cfg)); /* must be zeroed, not left as garbage */
	assert_int_equal(config_parse(&cfg, args.argc, args.argv, stdout, err, sizeof(err)),
			 CFG_ERROR);
	assert_string_equal(err, tc->expect);
	assert_null(strchr(err, '\n'));
	assert_zeroed(&cfg);
	config_free(&cfg);
	argv_copy_free(&args);
}

/* Runs config_parse with `out` captured; returns the text (caller frees). */
static char *parse_capture(const char *const *argv_src, enum cfg_result *res,
			   struct vi2c_config *cfg)
{
	struct argv_copy args;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	char err[256] = "";

	assert_non_null(out);
	argv_copy_init(&args, argv_src);
	*res = config_parse(cfg, args.argc, args.argv, out, err, sizeof(err));
	fclose(out);
	argv_copy_free(&args);
	return text;
}

static void test_version(void **state)
{
	static const char *const short_v[] = ARGV("-V");
	static const char *const long_v[] = ARGV("-s", "/tmp/s", "--version", "--bogus");
	struct vi2c_config cfg;
	enum cfg_result res;
	char *text;

	(void)state;
	text = parse_capture(short_v, &res, &cfg);
	assert_int_equal(res, CFG_EXIT_OK);
	assert_string_equal(text, "vhost-user-i2c " VI2C_VERSION "\n");
	assert_zeroed(&cfg);
	free(text);

	/* Takes effect where it appears: later junk is not parsed, -s is freed. */
	text = parse_capture(long_v, &res, &cfg);
	assert_int_equal(res, CFG_EXIT_OK);
	assert_string_equal(text, "vhost-user-i2c " VI2C_VERSION "\n");
	assert_zeroed(&cfg);
	free(text);
}

static void test_help(void **state)
{
	static const char *const short_h[] = ARGV("-h");
	static const char *const long_h[] = ARGV("-s", "/tmp/s", "-l", "1:5", "--help");
	static const char *const lines[] = {
		"  -s, --socket-path=PATH ",
		"  -c, --socket-count=N ",
		"  -l, --device-list=LIST ",
		"  -e, --emulate=SPEC ",
		"  -v, --verbose ",
		"  -V, --version ",
		"  -h, --help ",
	};
	struct vi2c_config cfg;
	enum cfg_result res;
	char *text, *text2;

	(void)state;
	text = parse_capture(short_h, &res, &cfg);
	assert_int_equal(res, CFG_EXIT_OK);
	assert_zeroed(&cfg);
	assert_memory_equal(text, "Usage: " PROG " -s PATH ", strlen("Usage: " PROG " -s PATH "));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *line = strstr(text, lines[i]);

		if (!line)
			fail_msg("help lacks '%s':\n%s", lines[i], text);
		/* each option has a description on its own line */
		line += strlen(lines[i]);
		while (*line == ' ')
			line++;
		assert_true(*line != '\n' && *line != '\0');
	}
	assert_non_null(strstr(text, "1..1024"));
	assert_non_null(strstr(text, "HOSTADDR[@GUESTADDR][/ro|/ro16]"));
	assert_non_null(strstr(text, "24c02|24c32|24c256 [file=PATH], lm75 [temp=DEGC], stub"));

	text2 = parse_capture(long_h, &res, &cfg);
	assert_int_equal(res, CFG_EXIT_OK);
	assert_zeroed(&cfg); /* the -l parsed before --help was freed */
	assert_string_equal(text2, text);
	free(text2);
	free(text);
}

/* getopt state is reset: good/bad/good in one process give independent results. */
static void test_repeated_parse(void **state)
{
	static const char *const a[] = ARGV("-s", "/tmp/a", "-c", "2", "-l", "1:0x50", "-v");
	static const char *const b[] = ARGV("-s", "/tmp/b", "-l", "1:5", "stray");
	static const char *const c[] = ARGV("-e", "lm75@0x48,temp=-1", "-s", "/tmp/c");
	static const char *const d[] = ARGV("-vx");
	char err[256];
	char *got;

	(void)state;
	for (int round = 0; round < 3; round++) {
		struct argv_copy args;
		struct vi2c_config cfg;

		argv_copy_init(&args, a);
		assert_int_equal(config_parse(&cfg, args.argc, args.argv, stdout, err, sizeof(err)),
				 CFG_OK);
		got = render(&cfg);
		assert_string_equal(got, "s=/tmp/a c=2 v=1; i2c-1: 0x50@0x50");
		free(got);
		config_free(&cfg);
		argv_copy_free(&args);

		argv_copy_init(&args, b);
		assert_int_equal(config_parse(&cfg, args.argc, args.argv, stdout, err, sizeof(err)),
				 CFG_ERROR);
		assert_string_equal(err, "unexpected argument 'stray'");
		argv_copy_free(&args);

		/* an unknown option stops getopt mid-cluster; the next parse starts clean */
		argv_copy_init(&args, d);
		assert_int_equal(config_parse(&cfg, args.argc, args.argv, stdout, err, sizeof(err)),
				 CFG_ERROR);
		assert_string_equal(err, "unknown option '-x'");
		argv_copy_free(&args);

		argv_copy_init(&args, c);
		assert_int_equal(config_parse(&cfg, args.argc, args.argv, stdout, err, sizeof(err)),
				 CFG_OK);
		got = render(&cfg);
		assert_string_equal(got, "s=/tmp/c c=1 v=0; lm75@0x48 temp=-1");
		free(got);
		config_free(&cfg);
		argv_copy_free(&args);
	}
}

static void test_free_safe(void **state)
{
	struct vi2c_config cfg = {0};
	char err[128];

	(void)state;
	config_free(&cfg);
	config_free(&cfg);
	config_free(NULL);
	assert_int_equal(config_parse_device_list(&cfg, "1:5,foo:6", err, sizeof(err)), 0);
	config_free(&cfg);
	assert_zeroed(&cfg);
	config_free(&cfg);
}

/* The spec strings that later error messages quote. */
static void test_spec_fields(void **state)
{
	static const char *const src[] = ARGV("-s", "/s", "-l", "1:5,2:6", "-e", "stub@7");
	struct argv_copy args;
	struct vi2c_config cfg;
	char err[128];

	(void)state;
	argv_copy_init(&args, src);
	assert_int_equal(config_parse(&cfg, args.argc, args.argv, NULL, err, sizeof(err)), CFG_OK);
	assert_int_equal(cfg.n_adapters, 2);
	assert_string_equal(cfg.adapters[0].spec, "1:5,2:6");
	assert_string_equal(cfg.adapters[1].spec, "1:5,2:6");
	assert_ptr_not_equal(cfg.adapters[0].spec, args.argv[4]); /* owned copy */
	assert_int_equal(cfg.n_emuls, 1);
	assert_ptr_equal(cfg.emuls[0].spec, args.argv[6]); /* borrowed from argv */
	assert_null(cfg.adapters[0].name);
	config_free(&cfg);
	argv_copy_free(&args);
}

/* A failing -l or -e leaves cfg exactly as it was. */
static void test_append_rollback(void **state)
{
	struct vi2c_config cfg = {0};
	char err[256];
	char *before, *after;

	(void)state;
	assert_int_equal(config_parse_device_list(&cfg, "1:0x50", err, sizeof(err)), 0);
	assert_int_equal(config_parse_emulate(&cfg, "lm75@0x48,temp=30", err, sizeof(err)), 0);
	before = render(&cfg);
	assert_string_equal(before, "s=(null) c=0 v=0; i2c-1: 0x50@0x50; lm75@0x48 temp=30");

	assert_int_equal(
		config_parse_device_list(&cfg, "2:0x51,foo:0x52:0x53,3:0x50", err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "duplicate address 0x50 (--device-list '1:0x50' and "
				 "--device-list '2:0x51,foo:0x52:0x53,3:0x50')");
	assert_int_equal(config_parse_emulate(&cfg, "24c02@0x51,file=x,file=y", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(config_parse_emulate(&cfg, "24c02@0x48,file=x", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "duplicate address 0x48 (--emulate 'lm75@0x48,temp=30' and "
				 "--emulate '24c02@0x48,file=x')");
	after = render(&cfg);
	assert_string_equal(after, before);

	/* the rolled-back addresses are free again */
	assert_int_equal(config_parse_device_list(&cfg, "2:0x51", err, sizeof(err)), 0);
	assert_int_equal(config_parse_emulate(&cfg, "24c02@0x52,file=x", err, sizeof(err)), 0);
	free(after);
	after = render(&cfg);
	assert_string_equal(after, "s=(null) c=0 v=0; i2c-1: 0x50@0x50; i2c-2: 0x51@0x51; "
				   "lm75@0x48 temp=30; 24c02@0x52 file=x");
	free(after);
	free(before);
	config_free(&cfg);

	/* first -l failing leaves no array behind */
	assert_int_equal(config_parse_device_list(&cfg, "1:5,2:0x80", err, sizeof(err)), -EINVAL);
	assert_zeroed(&cfg);
}

static void test_parse_addr(void **state)
{
	static const struct {
		const char *s;
		int ret;
		uint8_t addr;
	} cases[] = {
		{"0", 0, 0},
		{"00", 0, 0},
		{"0x0", 0, 0},
		{"0x00", 0, 0},
		{"80", 0, 0x50},
		{"0x50", 0, 0x50},
		{"0X5a", 0, 0x5a},
		{"0x5A", 0, 0x5a},
		{"127", 0, 0x7f},
		{"0x7f", 0, 0x7f},
		{"0x0000007f", 0, 0x7f},
		{"128", -ERANGE, 0},
		{"0x80", -ERANGE, 0},
		{"255", -ERANGE, 0},
		{"0xffffffffffffffffffff", -ERANGE, 0},
		{"", -EINVAL, 0},
		{"0x", -EINVAL, 0},
		{"x50", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{" 1", -EINVAL, 0},
		{"1 ", -EINVAL, 0},
		{"0b1", -EINVAL, 0},
		{"1.0", -EINVAL, 0},
		{"0x1g", -EINVAL, 0},
		{"12a", -EINVAL, 0},
		{"0x-1", -EINVAL, 0},
		{"0xx1", -EINVAL, 0},
	};
	uint8_t addr;
	char buf[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		addr = 0xee;
		if (config_parse_addr(cases[i].s, &addr) != cases[i].ret)
			fail_msg("config_parse_addr('%s') != %d", cases[i].s, cases[i].ret);
		assert_int_equal(addr, cases[i].ret ? 0xee : cases[i].addr);
	}
	/* every valid address both ways, every 8-bit one beyond rejected */
	for (unsigned v = 0; v < 256; v++) {
		snprintf(buf, sizeof(buf), "%u", v);
		assert_int_equal(config_parse_addr(buf, &addr), v <= 0x7f ? 0 : -ERANGE);
		if (v <= 0x7f)
			assert_int_equal(addr, v);
		snprintf(buf, sizeof(buf), "0x%02x", v);
		assert_int_equal(config_parse_addr(buf, &addr), v <= 0x7f ? 0 : -ERANGE);
		if (v <= 0x7f)
			assert_int_equal(addr, v);
	}
	assert_int_equal(config_parse_addr(NULL, &addr), -EINVAL);
	assert_int_equal(config_parse_addr("1", NULL), -EINVAL);
}

static void test_model_names(void **state)
{
	(void)state;
	assert_string_equal(config_model_name(EMUL_24C02), "24c02");
	assert_string_equal(config_model_name(EMUL_24C32), "24c32");
	assert_string_equal(config_model_name(EMUL_24C256), "24c256");
	assert_string_equal(config_model_name(EMUL_LM75), "lm75");
	assert_string_equal(config_model_name(EMUL_STUB), "stub");
	assert_string_equal(config_model_name((enum emul_model)99), "unknown");
}

/* All 128 addresses fit on one bus; the 129th is necessarily a duplicate. */
static void test_full_bus(void **state)
{
	struct vi2c_config cfg = {0};
	char list[1024], *p = list, err[256];
	size_t total = 0;

	(void)state;
	for (unsigned bus = 0; bus < 4; bus++) {
		p += sprintf(p, "%s%u", bus ? "," : "", bus);
		for (unsigned a = bus * 32; a < bus * 32 + 31; a++)
			p += sprintf(p, ":0x%02x", a);
	}
	assert_int_equal(config_parse_device_list(&cfg, list, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_adapters, 4);
	for (unsigned bus = 0; bus < 4; bus++)
		total += cfg.adapters[bus].n_addrs;
	assert_int_equal(total, 124);
	for (unsigned bus = 0; bus < 4; bus++) {
		char *spec;

		snprintf(list, sizeof(list), "stub@%u", bus * 32 + 31);
		spec = strdup(list);
		assert_non_null(spec);
		assert_int_equal(config_parse_emulate(&cfg, spec, err, sizeof(err)), 0);
	}
	assert_int_equal(cfg.n_emuls, 4);
	for (unsigned v = 0; v < 128; v++) {
		snprintf(list, sizeof(list), "9:%u@%u", v, v);
		assert_int_equal(config_parse_device_list(&cfg, list, err, sizeof(err)), -EINVAL);
	}
	for (size_t i = 0; i < cfg.n_emuls; i++)
		free((char *)cfg.emuls[i].spec); /* borrowed from us; ours to free */
	config_free(&cfg);
}

/* A tiny or missing err buffer is truncated, never overrun. */
/* --max-guest-memory: bytes or K/M/G/T (binary), 1M..65536T; default 1T. */
static void test_max_guest_memory(void **state)
{
	static const struct {
		const char *arg;
		uint64_t bytes; /* 0 = refused */
	} cases[] = {
		{NULL, 1ull << 40},
		{"1048576", 1ull << 20},
		{"1024K", 1ull << 20},
		{"1M", 1ull << 20},
		{"3g", 3ull << 30},
		{"64G", 64ull << 30},
		{"2T", 2ull << 40},
		{"65536T", 1ull << 56},
		{"1048575", 0},
		{"1023K", 0},
		{"0", 0},
		{"", 0},
		{"M", 0},
		{"1P", 0},
		{"65537T", 0},
		{"-1G", 0},
		{"1.5G", 0},
		{"1 G", 0},
		{"99999999999999999999", 0},
		{"18446744073709551617", 0},
		{"1GB", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char opt[64], err[256], expect[256];
		const char *argv[] = {PROG, "-s", "/tmp/s", "-e", "stub@0x20", opt, NULL};
		struct vi2c_config cfg;
		struct argv_copy a;
		enum cfg_result r;

		snprintf(opt, sizeof(opt), "--max-guest-memory=%s",
			 cases[i].arg ? cases[i].arg : "");
		if (!cases[i].arg)
			argv[5] = NULL;
		argv_copy_init(&a, argv);
		r = config_parse(&cfg, a.argc, a.argv, NULL, err, sizeof(err));
		if (cases[i].bytes) {
			if (r != CFG_OK)
				printf("'%s': %s\n", opt, err);
			assert_int_equal(r, CFG_OK);
			assert_int_equal(cfg.max_guest_memory, cases[i].bytes);
			config_free(&cfg);
		} else {
			snprintf(
				expect, sizeof(expect),
				"invalid --max-guest-memory '%s': must be a size from 1M to 65536T "
				"(bytes, or with suffix K, M, G or T)",
				cases[i].arg);
			assert_int_equal(r, CFG_ERROR);
			assert_string_equal(err, expect);
		}
		argv_copy_free(&a);
	}
}

static void test_small_err(void **state)
{
	static const char *const src[] = ARGV("-s", "/s", "-l", "1:0x80");
	struct argv_copy args;
	struct vi2c_config cfg;
	char err[12];

	(void)state;
	memset(err, 'Z', sizeof(err));
	argv_copy_init(&args, src);
	assert_int_equal(config_parse(&cfg, args.argc, args.argv, NULL, err, 9), CFG_ERROR);
	assert_string_equal(err, "invalid ");
	assert_int_equal(err[9], 'Z');
	assert_int_equal(config_parse(&cfg, args.argc, args.argv, NULL, NULL, 0), CFG_ERROR);
	assert_zeroed(&cfg);
	argv_copy_free(&args);
}

int main(void)
{
	const size_t n_good = sizeof(good_cases) / sizeof(good_cases[0]);
	const size_t n_bad = sizeof(bad_cases) / sizeof(bad_cases[0]);
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_version),		 cmocka_unit_test(test_help),
		cmocka_unit_test(test_repeated_parse),	 cmocka_unit_test(test_free_safe),
		cmocka_unit_test(test_spec_fields),	 cmocka_unit_test(test_append_rollback),
		cmocka_unit_test(test_parse_addr),	 cmocka_unit_test(test_model_names),
		cmocka_unit_test(test_full_bus),	 cmocka_unit_test(test_small_err),
		cmocka_unit_test(test_max_guest_memory),
	};
	const size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests = calloc(n_good + n_bad + n_fixed, sizeof(*tests));
	size_t n = 0;
	int failed;

	if (!tests)
		return 1;
	for (size_t i = 0; i < n_good; i++)
		tests[n++] = (struct CMUnitTest){.name = good_cases[i].name,
						 .test_func = check_good,
						 .initial_state = (void *)&good_cases[i]};
	for (size_t i = 0; i < n_bad; i++)
		tests[n++] = (struct CMUnitTest){.name = bad_cases[i].name,
						 .test_func = check_bad,
						 .initial_state = (void *)&bad_cases[i]};
	for (size_t i = 0; i < n_fixed; i++)
		tests[n++] = fixed[i];
	failed = _cmocka_run_group_tests("config", tests, n, NULL, NULL);
	free(tests);
	return failed;
}
