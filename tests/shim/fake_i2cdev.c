// SPDX-License-Identifier: MIT
/* Fake i2c-dev for LD_PRELOAD; see fake_i2cdev.h for what it does and its configuration. */
#include "fake_i2cdev.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#define MAX_ADAPTERS 16
#define MAX_FDS	     4096
#define N_ADDRS	     128

#define FUNCS_I2C (I2C_FUNC_I2C | I2C_FUNC_SMBUS_EMUL)
#define FUNCS_STUB                                                                                 \
	(I2C_FUNC_SMBUS_QUICK | I2C_FUNC_SMBUS_BYTE | I2C_FUNC_SMBUS_BYTE_DATA |                   \
	 I2C_FUNC_SMBUS_WORD_DATA | I2C_FUNC_SMBUS_I2C_BLOCK)

struct fake_dev {
	bool present;
	bool client; /* has a sysfs client entry */
	char driver[64];
	uint8_t regs[256];
	uint8_t ptr;
	int fail_errno;
	unsigned fail_skip;
	int fail_count;	      /* transfers left to fail; -1 = forever */
	unsigned delay_ms;    /* each transfer to it takes this long (outside the fake's lock) */
	char bind_driver[64]; /* "bind": a driver that binds later ... */
	unsigned long bind_after; /* ... once the adapter has run this many transfers; 0 = none */
};

/* Set by a transfer to a slow device; slept off by ioctl() once the lock is released. */
static __thread unsigned pending_delay_ms;

struct fake_adapter {
	bool used;
	unsigned nr;
	unsigned long funcs;
	char name[128];
	bool no_zero_len;
	long gone_after; /* -1: never */
	unsigned long xfers;
	bool gone;
	struct fake_dev dev[N_ADDRS];
};

struct fake_fd {
	int adapter; /* index + 1; 0 = not ours */
	unsigned addr;
};

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t fake_once = PTHREAD_ONCE_INIT;
static struct fake_adapter adapters[MAX_ADAPTERS];
static struct fake_fd fds[MAX_FDS];
static char dev_dir[PATH_MAX];
static char sysfs_dir[PATH_MAX];
static char log_path[PATH_MAX];
static int log_fd = -1;
static char *log_buf;
static size_t log_len, log_cap;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_stat)(const char *, struct stat *);
static DIR *(*real_opendir)(const char *);

int fake_i2cdev_load(const char *text);
char *fake_i2cdev_log(void);
int fake_i2cdev_reg(unsigned nr, unsigned addr, unsigned reg);
int fake_i2cdev_set_driver(unsigned nr, unsigned addr, const char *driver);

static void resolve_real(void)
{
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real_open64 = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	real_openat64 = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat64");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	real_stat = (int (*)(const char *, struct stat *))dlsym(RTLD_NEXT, "stat");
	real_opendir = (DIR * (*)(const char *)) dlsym(RTLD_NEXT, "opendir");
}

/* ---- log ---------------------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static void fake_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';
	if (log_len + (size_t)n + 1 > log_cap) {
		size_t cap = (log_cap ? log_cap * 2 : 4096) + (size_t)n;
		char *b = realloc(log_buf, cap);

		if (!b)
			return;
		log_buf = b;
		log_cap = cap;
	}
	memcpy(log_buf + log_len, line, (size_t)n + 1);
	log_len += (size_t)n;
	/* Opened once at load: a sandboxed daemon may not open files later. */
	if (log_path[0] && log_fd < 0)
		log_fd = real_open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (log_fd >= 0 && write(log_fd, line, (size_t)n) < 0) {
		/* nothing to do: the in-memory log still has it */
	}
}

static const char *err_name(int e)
{
	switch (e) {
	case 0:
		return "ok";
	case ENXIO:
		return "ENXIO";
	case EREMOTEIO:
		return "EREMOTEIO";
	case EIO:
		return "EIO";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EAGAIN:
		return "EAGAIN";
	case ENODEV:
		return "ENODEV";
	case EINVAL:
		return "EINVAL";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EBUSY:
		return "EBUSY";
	case EPROTO:
		return "EPROTO";
	case EFAULT:
		return "EFAULT";
	default:
		return "E?";
	}
}

static int err_from_name(const char *s)
{
	static const int known[] = {ENXIO, EREMOTEIO, EIO, ETIMEDOUT, EAGAIN, ENODEV, EPROTO};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(s, err_name(known[i])) == 0)
			return known[i];
	return 0;
}

/* ---- configuration ------------------------------------------------------- */

static struct fake_adapter *find_adapter(unsigned nr)
{
	for (int i = 0; i < MAX_ADAPTERS; i++)
		if (adapters[i].used && adapters[i].nr == nr)
			return &adapters[i];
	return NULL;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = real_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, text, strlen(text));
	real_close(fd);
	return w < 0 ? -EIO : 0;
}

/* Creates the node files and the sysfs tree for the loaded configuration. */
static int materialize(void)
{
	char path[PATH_MAX * 2], target[PATH_MAX * 2];
	int ret;

	for (int i = 0; i < MAX_ADAPTERS; i++) {
		struct fake_adapter *a = &adapters[i];

		if (!a->used)
			continue;
		if (dev_dir[0]) {
			snprintf(path, sizeof(path), "%s/i2c-%u", dev_dir, a->nr);
			ret = write_file(path, "");
			if (ret < 0)
				return ret;
		}
		if (!sysfs_dir[0])
			continue;
		snprintf(path, sizeof(path), "%s/bus/i2c/devices/i2c-%u", sysfs_dir, a->nr);
		ret = mkdir_p(path);
		if (ret < 0)
			return ret;
		snprintf(path, sizeof(path), "%s/bus/i2c/devices/i2c-%u/name", sysfs_dir, a->nr);
		snprintf(target, sizeof(target), "%s\n", a->name);
		ret = write_file(path, target);
		if (ret < 0)
			return ret;
		for (unsigned addr = 0; addr < N_ADDRS; addr++) {
			struct fake_dev *d = &a->dev[addr];

			const char *drv = d->driver[0] ? d->driver : d->bind_driver;

			if (!d->client)
				continue;
			snprintf(path, sizeof(path), "%s/bus/i2c/devices/%u-%04x", sysfs_dir, a->nr,
				 addr);
			ret = mkdir_p(path);
			if (ret < 0)
				return ret;
			if (!drv[0])
				continue;
			snprintf(path, sizeof(path), "%s/bus/i2c/drivers/%s", sysfs_dir, drv);
			ret = mkdir_p(path);
			if (ret < 0)
				return ret;
			snprintf(path, sizeof(path), "%s/bus/i2c/devices/%u-%04x/driver", sysfs_dir,
				 a->nr, addr);
			snprintf(target, sizeof(target), "../../../../bus/i2c/drivers/%s", drv);
			if (symlink(target, path) < 0 && errno != EEXIST)
				return -errno;
		}
	}
	return 0;
}

static bool parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* Splits a line into words; "quoted words" keep their spaces (quotes removed). */
static int split_words(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;

	while (*p && n < max) {
		char *out;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			break;
		words[n++] = out = p;
		while (*p && !isspace((unsigned char)*p)) {
			if (*p == '"') {
				p++;
				while (*p && *p != '"')
					*out++ = *p++;
				if (*p)
					p++;
				continue;
			}
			*out++ = *p++;
		}
		if (*p)
			p++;
		*out = '\0';
	}
	return n;
}

static struct fake_dev *config_dev(char **w, int n)
{
	unsigned long nr, addr;
	struct fake_adapter *a;

	if (n < 3 || !parse_num(w[1], UINT_MAX, &nr) || !parse_num(w[2], N_ADDRS - 1, &addr))
		return NULL;
	a = find_adapter((unsigned)nr);
	return a ? &a->dev[addr] : NULL;
}

static int config_line(char *line)
{
	char *w[40];
	int n = split_words(line, w, 40);
	unsigned long v, v2;

	if (n == 0)
		return 0;
	if (!strcmp(w[0], "dev") && n == 2) {
		snprintf(dev_dir, sizeof(dev_dir), "%s", w[1]);
		return mkdir_p(dev_dir);
	}
	if (!strcmp(w[0], "sysfs") && n == 2) {
		snprintf(sysfs_dir, sizeof(sysfs_dir), "%s", w[1]);
		return 0;
	}
	if (!strcmp(w[0], "log") && n == 2) {
		snprintf(log_path, sizeof(log_path), "%s", w[1]);
		if (log_fd >= 0)
			real_close(log_fd);
		log_fd = real_open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		return 0;
	}
	if (!strcmp(w[0], "adapter") && n >= 2) {
		struct fake_adapter *a = NULL;

		if (!parse_num(w[1], UINT_MAX, &v) || find_adapter((unsigned)v))
			return -EINVAL;
		for (int i = 0; i < MAX_ADAPTERS && !a; i++)
			if (!adapters[i].used)
				a = &adapters[i];
		if (!a)
			return -ENOSPC;
		memset(a, 0, sizeof(*a));
		a->used = true;
		a->nr = (unsigned)v;
		a->funcs = FUNCS_I2C;
		a->gone_after = -1;
		snprintf(a->name, sizeof(a->name), "fake adapter %u", a->nr);
		for (int i = 2; i < n; i++) {
			if (!strcmp(w[i], "funcs=i2c"))
				a->funcs = FUNCS_I2C;
			else if (!strcmp(w[i], "funcs=stub"))
				a->funcs = FUNCS_STUB;
			else if (!strncmp(w[i], "funcs=", 6) && parse_num(w[i] + 6, ULONG_MAX, &v2))
				a->funcs = v2;
			else if (!strncmp(w[i], "name=", 5))
				snprintf(a->name, sizeof(a->name), "%s", w[i] + 5);
			else if (!strcmp(w[i], "no-zero-len"))
				a->no_zero_len = true;
			else if (!strncmp(w[i], "gone-after=", 11) &&
				 parse_num(w[i] + 11, LONG_MAX, &v2))
				a->gone_after = (long)v2;
			else
				return -EINVAL;
		}
		for (unsigned addr = 0; addr < N_ADDRS; addr++)
			for (unsigned r = 0; r < 256; r++)
				a->dev[addr].regs[r] = (uint8_t)(addr + r);
		return 0;
	}
	if (!strcmp(w[0], "device")) {
		struct fake_dev *d = config_dev(w, n);

		if (!d)
			return -EINVAL;
		d->present = true;
		for (int i = 3; i < n; i++) {
			if (!strncmp(w[i], "busy=", 5) && w[i][5]) {
				snprintf(d->driver, sizeof(d->driver), "%s", w[i] + 5);
				d->client = true;
			} else if (!strcmp(w[i], "client")) {
				d->client = true;
			} else {
				return -EINVAL;
			}
		}
		return 0;
	}
	if (!strcmp(w[0], "reg")) {
		struct fake_dev *d = config_dev(w, n);

		if (!d || n < 5 || !parse_num(w[3], 255, &v))
			return -EINVAL;
		for (int i = 4; i < n; i++) {
			char *end;

			errno = 0;
			v2 = strtoul(w[i], &end, 16); /* bytes are hex, "0x" optional */
			if (errno || *end || v2 > 255)
				return -EINVAL;
			d->regs[(uint8_t)(v + (unsigned long)(i - 4))] = (uint8_t)v2;
		}
		return 0;
	}
	if (!strcmp(w[0], "delay")) {
		struct fake_dev *d = config_dev(w, n);

		if (!d || n != 4 || !parse_num(w[3], 60000, &v2))
			return -EINVAL;
		d->delay_ms = (unsigned)v2;
		return 0;
	}
	if (!strcmp(w[0], "bind")) {
		struct fake_dev *d = config_dev(w, n);

		if (!d || n != 5 || !w[3][0] || strncmp(w[4], "after=", 6) ||
		    !parse_num(w[4] + 6, ULONG_MAX, &v2) || v2 == 0)
			return -EINVAL;
		snprintf(d->bind_driver, sizeof(d->bind_driver), "%s", w[3]);
		d->bind_after = v2;
		d->client = true;
		return 0;
	}
	if (!strcmp(w[0], "fail")) {
		struct fake_dev *d = config_dev(w, n);

		if (!d || n < 4 || !(d->fail_errno = err_from_name(w[3])))
			return -EINVAL;
		d->fail_skip = 0;
		d->fail_count = 1;
		for (int i = 4; i < n; i++) {
			if (!strncmp(w[i], "skip=", 5) && parse_num(w[i] + 5, UINT_MAX, &v2))
				d->fail_skip = (unsigned)v2;
			else if (!strncmp(w[i], "count=", 6) && parse_num(w[i] + 6, INT_MAX, &v2))
				d->fail_count = v2 ? (int)v2 : -1;
			else
				return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

static int load_locked(const char *text)
{
	char *copy, *line, *save = NULL;
	int ret = 0;

	memset(adapters, 0, sizeof(adapters));
	memset(fds, 0, sizeof(fds));
	dev_dir[0] = sysfs_dir[0] = log_path[0] = '\0';
	log_len = 0;
	if (log_buf)
		log_buf[0] = '\0';
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save))
		ret = config_line(line);
	free(copy);
	if (!ret)
		ret = materialize();
	return ret;
}

static void init_from_env(void)
{
	const char *path = getenv("VI2C_SHIM_CONFIG");
	char *text;
	long size;
	FILE *f;
	int ret;

	resolve_real();
	if (!path || !*path)
		return;
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "fake_i2cdev: cannot open %s: %s\n", path, strerror(errno));
		return;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)(size > 0 ? size : 0) + 1);
	if (text && size > 0 && fread(text, 1, (size_t)size, f) != (size_t)size)
		size = -1;
	fclose(f);
	if (!text || size < 0) {
		free(text);
		fprintf(stderr, "fake_i2cdev: cannot read %s\n", path);
		return;
	}
	pthread_mutex_lock(&fake_lock);
	ret = load_locked(text);
	pthread_mutex_unlock(&fake_lock);
	if (ret < 0)
		fprintf(stderr, "fake_i2cdev: bad configuration %s: %s\n", path, strerror(-ret));
	free(text);
}

static void fake_init(void)
{
	pthread_once(&fake_once, init_from_env);
}

__attribute__((visibility("default"))) int fake_i2cdev_load(const char *text)
{
	int ret;

	fake_init();
	pthread_mutex_lock(&fake_lock);
	ret = load_locked(text);
	pthread_mutex_unlock(&fake_lock);
	return ret;
}

__attribute__((visibility("default"))) char *fake_i2cdev_log(void)
{
	char *copy;

	fake_init();
	pthread_mutex_lock(&fake_lock);
	copy = strdup(log_buf ? log_buf : "");
	pthread_mutex_unlock(&fake_lock);
	return copy;
}

__attribute__((visibility("default"))) int fake_i2cdev_reg(unsigned nr, unsigned addr, unsigned reg)
{
	struct fake_adapter *a;
	int v = -1;

	fake_init();
	pthread_mutex_lock(&fake_lock);
	a = find_adapter(nr);
	if (a && addr < N_ADDRS && reg < 256 && a->dev[addr].present)
		v = a->dev[addr].regs[reg];
	pthread_mutex_unlock(&fake_lock);
	return v;
}

__attribute__((visibility("default"))) int fake_i2cdev_set_driver(unsigned nr, unsigned addr,
								  const char *driver)
{
	struct fake_adapter *a;
	int ret = -ENOENT;

	fake_init();
	pthread_mutex_lock(&fake_lock);
	a = find_adapter(nr);
	if (a && addr < N_ADDRS) {
		snprintf(a->dev[addr].driver, sizeof(a->dev[addr].driver), "%s",
			 driver ? driver : "");
		fake_log("driver %s %s i2c-%u 0x%02x", driver ? driver : "-",
			 driver ? "binds to" : "unbound from", nr, addr);
		ret = 0;
	}
	pthread_mutex_unlock(&fake_lock);
	return ret;
}

/* ---- paths --------------------------------------------------------------- */

/* Adapter number of "/dev/i2c-N" or "<dev>/i2c-N"; -1 if the path is neither. */
static long node_number(const char *path)
{
	const char *tail = NULL;
	size_t dl = strlen(dev_dir);
	unsigned long v;

	if (!path)
		return -1;
	if (!strncmp(path, "/dev/i2c-", 9))
		tail = path + 9;
	else if (dl && !strncmp(path, dev_dir, dl) && !strncmp(path + dl, "/i2c-", 5))
		tail = path + dl + 5;
	if (!tail || !isdigit((unsigned char)*tail) || !parse_num(tail, UINT_MAX, &v))
		return -1;
	return (long)v;
}

/* Where a node path really lives: <dev>/i2c-N. */
static const char *node_path(const char *path, char *buf, size_t len)
{
	long nr = node_number(path);

	if (nr < 0 || !dev_dir[0])
		return path;
	snprintf(buf, len, "%s/i2c-%ld", dev_dir, nr);
	return buf;
}

static void track_open(int fd, const char *path)
{
	int saved_errno = errno; /* the caller's open result must reach the application */
	long nr = node_number(path);
	struct fake_adapter *a;

	errno = saved_errno;
	if (fd < 0 || fd >= MAX_FDS || nr < 0)
		return;
	pthread_mutex_lock(&fake_lock);
	a = find_adapter((unsigned)nr);
	if (a) {
		fds[fd].adapter = (int)(a - adapters) + 1;
		fds[fd].addr = 0;
		fake_log("open i2c-%u", a->nr);
	}
	pthread_mutex_unlock(&fake_lock);
}

static int do_open(int (*fn)(const char *, int, ...), const char *path, int flags, mode_t mode)
{
	char buf[PATH_MAX + 32];
	int fd;

	fake_init();
	fd = fn(node_path(path, buf, sizeof(buf)), flags, mode);
	track_open(fd, path);
	return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | __O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

__attribute__((visibility("default"))) int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fake_init();
	return do_open(real_open, path, flags, mode);
}

__attribute__((visibility("default"))) int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fake_init();
	return do_open(real_open64, path, flags, mode);
}

static int do_openat(int (*fn)(int, const char *, int, ...), int dirfd, const char *path, int flags,
		     mode_t mode)
{
	char buf[PATH_MAX + 32];
	int fd;

	fake_init();
	if (path[0] != '/')
		return fn(dirfd, path, flags, mode);
	fd = fn(dirfd, node_path(path, buf, sizeof(buf)), flags, mode);
	track_open(fd, path);
	return fd;
}

__attribute__((visibility("default"))) int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fake_init();
	return do_openat(real_openat, dirfd, path, flags, mode);
}

__attribute__((visibility("default"))) int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fake_init();
	return do_openat(real_openat64, dirfd, path, flags, mode);
}

__attribute__((visibility("default"))) int close(int fd)
{
	fake_init();
	if (fd >= 0 && fd < MAX_FDS) {
		pthread_mutex_lock(&fake_lock);
		fds[fd].adapter = 0;
		pthread_mutex_unlock(&fake_lock);
	}
	return real_close(fd);
}

__attribute__((visibility("default"))) int stat(const char *path, struct stat *st)
{
	char buf[PATH_MAX + 32];

	fake_init();
	return real_stat(node_path(path, buf, sizeof(buf)), st);
}

__attribute__((visibility("default"))) DIR *opendir(const char *path)
{
	char buf[PATH_MAX * 2];

	fake_init();
	if (sysfs_dir[0] && !strncmp(path, "/sys/bus/i2c", 12) &&
	    (path[12] == '\0' || path[12] == '/')) {
		snprintf(buf, sizeof(buf), "%s%s", sysfs_dir, path + 4);
		return real_opendir(buf);
	}
	return real_opendir(path);
}

/* ---- the fake kernel ----------------------------------------------------- */

static void dev_write(struct fake_dev *d, const uint8_t *buf, unsigned len)
{
	if (len == 0)
		return;
	d->ptr = buf[0];
	for (unsigned i = 1; i < len; i++)
		d->regs[d->ptr++] = buf[i];
}

static void dev_read(struct fake_dev *d, uint8_t *buf, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		buf[i] = d->regs[d->ptr++];
}

/* After a transfer is logged: binds the drivers whose time has come (seen by the next I2C_SLAVE). */
static void bind_due_drivers(struct fake_adapter *a)
{
	for (unsigned addr = 0; addr < N_ADDRS; addr++) {
		struct fake_dev *d = &a->dev[addr];

		if (!d->bind_after || a->xfers < d->bind_after || a->gone)
			continue;
		memcpy(d->driver, d->bind_driver, sizeof(d->driver));
		d->bind_after = 0;
		fake_log("driver %s binds to i2c-%u 0x%02x", d->driver, a->nr, addr);
	}
}

/* Counts a transfer; makes the adapter disappear when its time has come. */
static bool count_xfer_gone(struct fake_adapter *a)
{
	char path[PATH_MAX + 32];

	if (a->gone)
		return true;
	a->xfers++;
	if (a->gone_after < 0 || a->xfers <= (unsigned long)a->gone_after)
		return false;
	a->gone = true;
	if (dev_dir[0]) {
		snprintf(path, sizeof(path), "%s/i2c-%u", dev_dir, a->nr);
		unlink(path);
	}
	return true;
}

/* 0 if the device at addr takes part in the transfer, else the errno it gives. */
static int dev_answers(struct fake_adapter *a, unsigned addr)
{
	struct fake_dev *d;

	if (addr >= N_ADDRS || !a->dev[addr].present)
		return ENXIO;
	d = &a->dev[addr];
	if (d->delay_ms > pending_delay_ms)
		pending_delay_ms = d->delay_ms;
	if (!d->fail_errno || d->fail_count == 0)
		return 0;
	if (d->fail_skip) {
		d->fail_skip--;
		return 0;
	}
	if (d->fail_count > 0)
		d->fail_count--;
	return d->fail_errno;
}

static int fake_rdwr(struct fake_adapter *a, struct i2c_rdwr_ioctl_data *arg)
{
	char desc[600] = "";
	size_t used = 0;
	int e = 0;

	if (!arg || !arg->msgs || arg->nmsgs == 0 || arg->nmsgs > I2C_RDWR_IOCTL_MAX_MSGS) {
		fake_log("I2C_RDWR i2c-%u n=%u -> EINVAL", a->nr, arg ? arg->nmsgs : 0);
		return -EINVAL;
	}
	for (unsigned i = 0; i < arg->nmsgs; i++) {
		const struct i2c_msg *m = &arg->msgs[i];

		if (used < sizeof(desc))
			used += (size_t)snprintf(desc + used, sizeof(desc) - used, " %c0x%02x/%u%s",
						 (m->flags & I2C_M_RD) ? 'R' : 'W', m->addr, m->len,
						 (m->flags & ~I2C_M_RD) ? "!flags" : "");
		if (m->len > 8192 || (m->flags & ~I2C_M_RD) || (m->len && !m->buf))
			e = EINVAL;
	}
	if (!e && !(a->funcs & I2C_FUNC_I2C))
		e = EOPNOTSUPP;
	for (unsigned i = 0; !e && a->no_zero_len && i < arg->nmsgs; i++)
		if (arg->msgs[i].len == 0)
			e = EOPNOTSUPP;
	if (!e && count_xfer_gone(a))
		e = ENODEV;
	for (unsigned i = 0; !e && i < arg->nmsgs; i++) {
		const struct i2c_msg *m = &arg->msgs[i];
		bool seen = false;

		/* Faults count per transfer and address, not per message. */
		for (unsigned k = 0; k < i && !seen; k++)
			seen = arg->msgs[k].addr == m->addr;
		if (!seen)
			e = dev_answers(a, m->addr);
		if (e)
			break;
		if (m->flags & I2C_M_RD)
			dev_read(&a->dev[m->addr], m->buf, m->len);
		else
			dev_write(&a->dev[m->addr], m->buf, m->len);
	}
	fake_log("I2C_RDWR i2c-%u%s -> %s", a->nr, desc, err_name(e));
	bind_due_drivers(a);
	return e ? -e : (int)arg->nmsgs;
}

static const char *smbus_size_name(unsigned size)
{
	static const char *const names[] = {
		"QUICK",	 "BYTE",       "BYTE_DATA",	   "WORD_DATA",
		"PROC_CALL",	 "BLOCK_DATA", "I2C_BLOCK_BROKEN", "BLOCK_PROC_CALL",
		"I2C_BLOCK_DATA"};

	return size < sizeof(names) / sizeof(names[0]) ? names[size] : "?";
}

/* The functionality bit an SMBus call needs; 0 if the fake does not do it. */
static unsigned long smbus_func(unsigned size, bool read)
{
	switch (size) {
	case I2C_SMBUS_QUICK:
		return I2C_FUNC_SMBUS_QUICK;
	case I2C_SMBUS_BYTE:
		return read ? I2C_FUNC_SMBUS_READ_BYTE : I2C_FUNC_SMBUS_WRITE_BYTE;
	case I2C_SMBUS_BYTE_DATA:
		return read ? I2C_FUNC_SMBUS_READ_BYTE_DATA : I2C_FUNC_SMBUS_WRITE_BYTE_DATA;
	case I2C_SMBUS_WORD_DATA:
		return read ? I2C_FUNC_SMBUS_READ_WORD_DATA : I2C_FUNC_SMBUS_WRITE_WORD_DATA;
	case I2C_SMBUS_PROC_CALL:
		return I2C_FUNC_SMBUS_PROC_CALL;
	case I2C_SMBUS_BLOCK_DATA:
		return read ? I2C_FUNC_SMBUS_READ_BLOCK_DATA : I2C_FUNC_SMBUS_WRITE_BLOCK_DATA;
	case I2C_SMBUS_I2C_BLOCK_DATA:
		return read ? I2C_FUNC_SMBUS_READ_I2C_BLOCK : I2C_FUNC_SMBUS_WRITE_I2C_BLOCK;
	default:
		return 0;
	}
}

static int smbus_exec(struct fake_dev *d, const struct i2c_smbus_ioctl_data *arg)
{
	union i2c_smbus_data *data = arg->data;
	bool read = arg->read_write == I2C_SMBUS_READ;
	uint8_t cmd = arg->command;
	unsigned count;

	switch (arg->size) {
	case I2C_SMBUS_QUICK:
		return 0;
	case I2C_SMBUS_BYTE:
		if (read)
			data->byte = d->regs[d->ptr++];
		else
			d->ptr = cmd;
		return 0;
	case I2C_SMBUS_BYTE_DATA:
		if (read)
			data->byte = d->regs[cmd];
		else
			d->regs[cmd] = data->byte;
		d->ptr = (uint8_t)(cmd + 1);
		return 0;
	case I2C_SMBUS_WORD_DATA:
	case I2C_SMBUS_PROC_CALL:
		if (read) {
			data->word = (uint16_t)(d->regs[cmd] | d->regs[(uint8_t)(cmd + 1)] << 8);
			d->ptr = (uint8_t)(cmd + 2);
			return 0;
		}
		d->regs[cmd] = (uint8_t)(data->word & 0xff);
		d->regs[(uint8_t)(cmd + 1)] = (uint8_t)(data->word >> 8);
		d->ptr = (uint8_t)(cmd + 2);
		if (arg->size == I2C_SMBUS_PROC_CALL) {
			data->word =
				(uint16_t)(d->regs[d->ptr] | d->regs[(uint8_t)(d->ptr + 1)] << 8);
			d->ptr = (uint8_t)(d->ptr + 2);
		}
		return 0;
	case I2C_SMBUS_I2C_BLOCK_DATA:
		count = data->block[0];
		if (count == 0 || count > I2C_SMBUS_BLOCK_MAX)
			return EINVAL;
		d->ptr = cmd;
		for (unsigned i = 0; i < count; i++) {
			if (read)
				data->block[1 + i] = d->regs[d->ptr++];
			else
				d->regs[d->ptr++] = data->block[1 + i];
		}
		return 0;
	case I2C_SMBUS_BLOCK_DATA:
		d->ptr = cmd;
		if (read) {
			count = d->regs[d->ptr++];
			if (count == 0 || count > I2C_SMBUS_BLOCK_MAX)
				return EPROTO;
			data->block[0] = (uint8_t)count;
			for (unsigned i = 0; i < count; i++)
				data->block[1 + i] = d->regs[d->ptr++];
			return 0;
		}
		count = data->block[0];
		if (count == 0 || count > I2C_SMBUS_BLOCK_MAX)
			return EINVAL;
		for (unsigned i = 0; i <= count; i++)
			d->regs[d->ptr++] = data->block[i];
		return 0;
	default:
		return EOPNOTSUPP;
	}
}

static int fake_smbus(struct fake_adapter *a, struct fake_fd *f, struct i2c_smbus_ioctl_data *arg)
{
	bool read, no_data;
	int e = 0;

	if (!arg)
		return -EFAULT;
	read = arg->read_write == I2C_SMBUS_READ;
	no_data = arg->size == I2C_SMBUS_QUICK || (arg->size == I2C_SMBUS_BYTE && !read);
	if (arg->read_write > 1 || arg->size > I2C_SMBUS_I2C_BLOCK_DATA || (!no_data && !arg->data))
		e = EINVAL;
	else if (!(a->funcs & smbus_func(arg->size, read)) || !smbus_func(arg->size, read))
		e = EOPNOTSUPP;
	else if (count_xfer_gone(a))
		e = ENODEV;
	else if (!(e = dev_answers(a, f->addr)))
		e = smbus_exec(&a->dev[f->addr], arg);
	fake_log("I2C_SMBUS i2c-%u 0x%02x %c %s cmd=0x%02x -> %s", a->nr, f->addr, read ? 'R' : 'W',
		 smbus_size_name(arg->size), arg->command, err_name(e));
	bind_due_drivers(a);
	return -e;
}

static int fake_ioctl(struct fake_fd *f, unsigned long req, void *arg)
{
	struct fake_adapter *a = &adapters[f->adapter - 1];
	unsigned long v = (unsigned long)arg;
	int e = 0;

	if (a->gone) {
		fake_log("ioctl 0x%lx i2c-%u -> ENODEV", req, a->nr);
		return -ENODEV;
	}
	switch (req) {
	case I2C_FUNCS:
		if (!arg)
			return -EFAULT;
		*(unsigned long *)arg = a->funcs;
		fake_log("I2C_FUNCS i2c-%u -> ok", a->nr);
		return 0;
	case I2C_SLAVE:
	case I2C_SLAVE_FORCE:
		if (v > 0x7f)
			e = EINVAL;
		else if (req == I2C_SLAVE && a->dev[v].driver[0])
			e = EBUSY;
		else
			f->addr = (unsigned)v;
		fake_log("%s i2c-%u 0x%02lx -> %s",
			 req == I2C_SLAVE ? "I2C_SLAVE" : "I2C_SLAVE_FORCE", a->nr, v, err_name(e));
		return -e;
	case I2C_RDWR:
		return fake_rdwr(a, arg);
	case I2C_SMBUS:
		return fake_smbus(a, f, arg);
	case I2C_TENBIT:
	case I2C_PEC:
	case I2C_RETRIES:
	case I2C_TIMEOUT:
		fake_log("ioctl 0x%lx i2c-%u %lu -> ok", req, a->nr, v);
		return 0;
	default:
		fake_log("ioctl 0x%lx i2c-%u -> ENOTTY", req, a->nr);
		return -ENOTTY;
	}
}

__attribute__((visibility("default"))) int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	fake_init();
	if (fd < 0 || fd >= MAX_FDS)
		return real_ioctl(fd, req, arg);
	pthread_mutex_lock(&fake_lock);
	if (!fds[fd].adapter) {
		pthread_mutex_unlock(&fake_lock);
		return real_ioctl(fd, req, arg);
	}
	pending_delay_ms = 0;
	ret = fake_ioctl(&fds[fd], req, arg);
	pthread_mutex_unlock(&fake_lock);
	if (pending_delay_ms) {
		struct timespec ts = {.tv_sec = pending_delay_ms / 1000,
				      .tv_nsec = (long)(pending_delay_ms % 1000) * 1000000L};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}
