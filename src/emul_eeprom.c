// SPDX-License-Identifier: MIT
/*
 * AT24C02 / AT24C32 / AT24C256 serial EEPROMs, as their datasheets describe
 * them:
 *  - one word-address counter, 0 at power-up;
 *  - a write message carries the word address (1 byte, or 2 bytes big-endian
 *    with the unused upper bits ignored) and then data; data bytes go into the
 *    addressed page and only the counter's in-page bits advance, so a write
 *    that runs past the end of its page wraps to the page start (roll-over)
 *    and overwrites what this write put there earlier;
 *  - a read message reads from the counter and advances it over the whole
 *    memory, wrapping from the last byte to 0.
 *
 * With file=PATH the memory is backed by a file of exactly the device size.
 * Each write message reaches the file in one pwritev() before it is ACKed,
 * and memory changes only once the file has it, so the file always holds what
 * the guest was told is written. The real part's internal write cycle (tWR,
 * during which it NACKs) is not emulated: data is readable at once.
 */
#include "emul_internal.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

struct eeprom_geometry {
	size_t size;	     /* bytes, a power of two */
	size_t page;	     /* page-write size, a power of two */
	unsigned addr_bytes; /* word-address bytes in a write message */
	const char *name;
};

static const struct eeprom_geometry eeprom_geometries[] = {
	[EMUL_24C02] = {.size = 256, .page = 8, .addr_bytes = 1, .name = "24c02"},
	[EMUL_24C32] = {.size = 4096, .page = 32, .addr_bytes = 2, .name = "24c32"},
	[EMUL_24C256] = {.size = 32768, .page = 64, .addr_bytes = 2, .name = "24c256"},
};

struct eeprom {
	struct emul_dev dev;
	const struct eeprom_geometry *geo;
	size_t ptr; /* word-address counter, always < geo->size */
	int fd;	    /* backing file, -1 when memory-only */
	char *path; /* owned; backing file name for messages, NULL when memory-only */
	uint8_t mem[];
};

static struct eeprom *to_eeprom(struct emul_dev *dev)
{
	return container_of(dev, struct eeprom, dev);
}

static int eeprom_read(struct eeprom *ee, uint8_t *buf, size_t len)
{
	size_t mask = ee->geo->size - 1;
	size_t i;

	for (i = 0; i < len; i++) {
		buf[i] = ee->mem[ee->ptr];
		ee->ptr = (ee->ptr + 1) & mask;
	}
	return 0;
}

/*
 * Writes the file range [off, off + total) from iov in one call. On failure
 * (or a short write) tries to put back the old bytes, which memory still
 * holds, so file and memory keep agreeing; returns -errno, -EIO when short.
 */
static int eeprom_file_store(struct eeprom *ee, size_t off, const struct iovec *iov, int iovcnt,
			     size_t total)
{
	ssize_t n;
	int ret;

	do {
		n = pwritev(ee->fd, iov, iovcnt, (off_t)off);
	} while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n == total)
		return 0;

	ret = n < 0 ? -errno : -EIO;
	if (n > 0 && pwrite(ee->fd, ee->mem + off, (size_t)n, (off_t)off) != n)
		log_warn("eeprom 0x%02x: '%s' may now differ from memory at offset %zu",
			 ee->dev.addr, ee->path, off);
	log_err("eeprom 0x%02x: cannot write %zu bytes at offset %zu of '%s': %s", ee->dev.addr,
		total, off, ee->path, strerror(-ret));
	return ret;
}

static int eeprom_write(struct eeprom *ee, const uint8_t *buf, size_t len)
{
	const struct eeprom_geometry *geo = ee->geo;
	size_t ptr, page_base, off, first, rest, n;
	const uint8_t *data;
	int ret;

	if (len < geo->addr_bytes) {
		/*
		 * STOP (or repeated START) after the first of two word-address
		 * bytes. The datasheets leave this undefined; the part loads
		 * each address byte into its counter as it ACKs it, so the
		 * high byte (unused bits dropped) is replaced and the low byte
		 * keeps its old value. No data byte came, so nothing is
		 * written.
		 */
		ee->ptr = (((size_t)buf[0] << 8) | (ee->ptr & 0xff)) & (geo->size - 1);
		return 0;
	}

	ptr = buf[0];
	if (geo->addr_bytes == 2)
		ptr = (ptr << 8) | buf[1];
	ptr &= geo->size - 1;
	data = buf + geo->addr_bytes;
	n = len - geo->addr_bytes;

	page_base = ptr & ~(geo->page - 1);
	off = ptr & (geo->page - 1);
	if (n > geo->page) {
		/*
		 * Roll-over: each cell keeps the last byte sent to it, so only
		 * the final page's worth of data survives.
		 */
		off = (off + n - geo->page) & (geo->page - 1);
		data += n - geo->page;
		n = geo->page;
	}
	first = n < geo->page - off ? n : geo->page - off; /* up to the page end */
	rest = n - first;				   /* wrapped to the page start */

	if (ee->fd >= 0 && n) {
		/*
		 * One contiguous file range per message. A wrapped write
		 * covers the page from its start: new head, the untouched
		 * cells in between (rewritten unchanged), then the data that
		 * went up to the page end.
		 */
		struct iovec iov[3];
		int iovcnt = 0;

		if (rest) {
			iov[iovcnt++] = (struct iovec){(void *)(data + first), rest};
			if (off > rest)
				iov[iovcnt++] =
					(struct iovec){ee->mem + page_base + rest, off - rest};
		}
		iov[iovcnt++] = (struct iovec){(void *)data, first};
		ret = eeprom_file_store(ee, rest ? page_base : page_base + off, iov, iovcnt,
					rest ? off + first : first);
		if (ret)
			return ret;
	}

	memcpy(ee->mem + page_base + off, data, first);
	memcpy(ee->mem + page_base, data + first, rest);
	ee->ptr = page_base + ((off + n) & (geo->page - 1));
	return 0;
}

static int eeprom_xfer(struct emul_dev *dev, bool read, uint8_t *buf, size_t len)
{
	struct eeprom *ee = to_eeprom(dev);

	return read ? eeprom_read(ee, buf, len) : eeprom_write(ee, buf, len);
}

static void eeprom_destroy(struct emul_dev *dev)
{
	struct eeprom *ee = to_eeprom(dev);

	if (ee->fd >= 0) {
		/* Each write already reached the file; make it durable before letting go. */
		if (fdatasync(ee->fd) < 0)
			log_warn("eeprom 0x%02x: cannot sync '%s': %s", ee->dev.addr, ee->path,
				 strerror(errno));
		close(ee->fd);
	}
	free(ee->path);
	free(ee);
}

static const struct emul_ops eeprom_ops = {
	.xfer = eeprom_xfer,
	.destroy = eeprom_destroy,
};

/* pwrite()/pread() the whole range, retrying short transfers. 0 or -errno. */
static int eeprom_pio_all(int fd, bool write, uint8_t *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (write)
			n = pwrite(fd, buf + done, len - done, (off_t)done);
		else
			n = pread(fd, buf + done, len - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* file shrank under us, or no space */
		done += (size_t)n;
	}
	return 0;
}

/* Explains an ENOENT from open(O_CREAT): the directory is what is missing. */
static void eeprom_err_open(const struct cfg_emul *spec, int err_no, char *err, size_t errlen)
{
	char *copy = strdup(spec->file);
	struct stat st;
	const char *dir;

	if (err_no == ENOENT && copy) {
		dir = dirname(copy);
		if (stat(dir, &st) < 0) {
			emul_set_err(err, errlen, spec,
				     "cannot open '%s': %s (directory '%s' does not exist)",
				     spec->file, strerror(err_no), dir);
			free(copy);
			return;
		}
	}
	free(copy);
	emul_set_err(err, errlen, spec, "cannot open '%s': %s", spec->file, strerror(err_no));
}

/* Opens, locks, creates or checks, and loads the backing file. 0 or -errno. */
static int eeprom_open_file(struct eeprom *ee, const struct cfg_emul *spec, char *err,
			    size_t errlen)
{
	size_t size = ee->geo->size;
	struct stat st;
	int fd, ret;

	fd = open(spec->file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		eeprom_err_open(spec, -ret, err, errlen);
		return ret;
	}
	/* Two writers (another daemon, or two -e on one file) would corrupt it. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		ret = -EBUSY;
		emul_set_err(err, errlen, spec, "'%s' is in use by another emulated EEPROM",
			     spec->file);
		goto err_close;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		emul_set_err(err, errlen, spec, "cannot stat '%s': %s", spec->file, strerror(-ret));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		emul_set_err(err, errlen, spec, "'%s' is not a regular file", spec->file);
		goto err_close;
	}

	if (st.st_size == 0) {
		/* New (or empty) file: an erased part, mem is already 0xFF. */
		ret = eeprom_pio_all(fd, true, ee->mem, size);
		if (ret) {
			emul_set_err(err, errlen, spec, "cannot fill '%s' with %zu bytes: %s",
				     spec->file, size, strerror(-ret));
			/* Leave it empty rather than with a wrong size for the next start. */
			if (ftruncate(fd, 0) < 0)
				log_warn("cannot truncate '%s': %s", spec->file, strerror(errno));
			goto err_close;
		}
	} else if ((unsigned long long)st.st_size != size) {
		ret = -EINVAL;
		emul_set_err(err, errlen, spec, "'%s' is %lld bytes, expected %zu bytes for a %s",
			     spec->file, (long long)st.st_size, size, ee->geo->name);
		goto err_close;
	} else {
		ret = eeprom_pio_all(fd, false, ee->mem, size);
		if (ret) {
			emul_set_err(err, errlen, spec, "cannot read '%s': %s", spec->file,
				     strerror(-ret));
			goto err_close;
		}
	}

	ee->path = strdup(spec->file);
	if (!ee->path) {
		ret = -ENOMEM;
		emul_set_err(err, errlen, spec, "out of memory");
		goto err_close;
	}
	ee->fd = fd;
	return 0;

err_close:
	close(fd);
	return ret;
}

struct emul_dev *emul_eeprom_create(const struct cfg_emul *spec, char *err, size_t errlen)
{
	const struct eeprom_geometry *geo = &eeprom_geometries[spec->model];
	struct eeprom *ee;
	int ret;

	ee = calloc(1, sizeof(*ee) + geo->size);
	if (!ee) {
		emul_set_err(err, errlen, spec, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	emul_dev_init(&ee->dev, &eeprom_ops, spec);
	ee->geo = geo;
	ee->fd = -1;
	memset(ee->mem, 0xff, geo->size); /* erased */

	if (spec->file) {
		ret = eeprom_open_file(ee, spec, err, errlen);
		if (ret)
			goto err_free;
	}
	return &ee->dev;

err_free:
	free(ee);
	errno = -ret;
	return NULL;
}
