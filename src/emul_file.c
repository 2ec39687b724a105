// SPDX-License-Identifier: MIT
/*
 * Backing files of EEPROM-like models: atomic creation, loading, durable
 * writes and the check that the path still names the open file (emul_file.h).
 */
#include "emul_file.h"
#include "emul_internal.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CREATE_ATTEMPTS 3 /* a file appearing between open() and rename() is opened instead */

struct emul_file {
	int fd;
	int dirfd;	    /* the file's directory: replacement check (O_PATH if unreadable) */
	char *path;	    /* owned, as given, for messages */
	char *base;	    /* owned, the name inside dirfd */
	char label[24];	    /* "24c02@0x50", for log lines */
	bool orphan_warned; /* the path no longer names fd; said once */
};

/* pwrite()/pread() the whole range from offset 0, retrying short transfers. 0 or -errno. */
static int pio_all(int fd, bool write, uint8_t *buf, size_t len)
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

static int sync_fd(int fd, bool data_only)
{
	int r;

	do {
		r = data_only ? fdatasync(fd) : fsync(fd);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* Splits spec->file into an opened directory fd and the base name. 0 or -errno. */
static int open_dir(struct emul_file *f, const struct cfg_emul *spec, char *err, size_t errlen)
{
	char *dcopy = strdup(spec->file), *bcopy = strdup(spec->file);
	const char *dir;
	int ret = 0;

	if (!dcopy || !bcopy) {
		ret = -ENOMEM;
		emul_set_err(err, errlen, spec, "out of memory");
		goto out;
	}
	if (!*spec->file || spec->file[strlen(spec->file) - 1] == '/') {
		ret = -EISDIR;
		emul_set_err(err, errlen, spec, "'%s' is not a regular file", spec->file);
		goto out;
	}
	dir = dirname(dcopy);
	f->base = strdup(basename(bcopy));
	if (!f->base) {
		ret = -ENOMEM;
		emul_set_err(err, errlen, spec, "out of memory");
		goto out;
	}
	/* Readable for fsync() after creating a file; O_PATH still serves the checks. */
	f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0 && errno == EACCES)
		f->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			emul_set_err(err, errlen, spec,
				     "cannot open '%s': %s (directory '%s' does not exist)",
				     spec->file, strerror(-ret), dir);
		else
			emul_set_err(err, errlen, spec, "cannot open directory '%s': %s", dir,
				     strerror(-ret));
	}
out:
	free(dcopy);
	free(bcopy);
	return ret;
}

/*
 * Creates the file as a filled, synced temporary file renamed into place.
 * Returns its fd (locked), -EEXIST if a file appeared at the path meanwhile,
 * or another -errno with err filled.
 */
static int create_file(struct emul_file *f, const struct cfg_emul *spec, size_t size, uint8_t *mem,
		       char *err, size_t errlen)
{
	size_t dlen = strlen(spec->file) - strlen(f->base);
	char *tmp = malloc(dlen + strlen(f->base) + 16);
	int fd, ret;

	if (!tmp) {
		emul_set_err(err, errlen, spec, "out of memory");
		return -ENOMEM;
	}
	sprintf(tmp, "%.*s.%s.XXXXXX", (int)dlen, spec->file, f->base);
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		ret = -errno;
		emul_set_err(err, errlen, spec, "cannot create '%s': %s", spec->file,
			     strerror(-ret));
		free(tmp);
		return ret;
	}
	/* Locked before it has its name: nobody can open it unlocked. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = -errno;
		emul_set_err(err, errlen, spec, "cannot lock '%s': %s", tmp, strerror(-ret));
		goto err_unlink;
	}
	ret = pio_all(fd, true, mem, size);
	if (!ret)
		ret = sync_fd(fd, false);
	if (ret) {
		emul_set_err(err, errlen, spec, "cannot fill '%s' with %zu bytes: %s", tmp, size,
			     strerror(-ret));
		goto err_unlink;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, spec->file, RENAME_NOREPLACE) < 0) {
		ret = -errno;
		/* No RENAME_NOREPLACE on this filesystem: racy only with another creator. */
		if (ret == -EINVAL && rename(tmp, spec->file) == 0)
			ret = 0;
		if (ret == -EEXIST) {
			unlink(tmp);
			close(fd);
			free(tmp);
			return ret;
		}
		if (ret) {
			emul_set_err(err, errlen, spec, "cannot create '%s': %s", spec->file,
				     strerror(-ret));
			goto err_unlink;
		}
	}
	free(tmp);
	/* The new name must survive a crash too; EBADF: directory opened O_PATH (unreadable). */
	ret = sync_fd(f->dirfd, false);
	if (ret)
		log_warn("%s: cannot sync the directory of '%s' after creating it: %s", f->label,
			 spec->file, strerror(-ret));
	return fd;

err_unlink:
	unlink(tmp);
	close(fd);
	free(tmp);
	return ret;
}

/* Opens, locks, checks and loads (or fills) an existing file. 0 or -errno. */
static int load_file(struct emul_file *f, const struct cfg_emul *spec, size_t size, uint8_t *mem,
		     char *err, size_t errlen)
{
	struct stat st;
	int ret;

	/* Two writers (another daemon, or two -e on one file) would corrupt it. */
	if (flock(f->fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		emul_set_err(err, errlen, spec, "'%s' is in use by another emulated EEPROM",
			     spec->file);
		return -EBUSY;
	}
	if (fstat(f->fd, &st) < 0) {
		ret = -errno;
		emul_set_err(err, errlen, spec, "cannot stat '%s': %s", spec->file, strerror(-ret));
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		emul_set_err(err, errlen, spec, "'%s' is not a regular file", spec->file);
		/* Not EINVAL: that means a bad spec (a bad command line, exit 2), see emul.h. */
		return -EMEDIUMTYPE;
	}
	if (st.st_size == 0) {
		/* An empty file is taken as an erased part (documented); mem holds 0xFF. */
		ret = pio_all(f->fd, true, mem, size);
		if (!ret)
			ret = sync_fd(f->fd, false);
		if (ret) {
			emul_set_err(err, errlen, spec, "cannot fill '%s' with %zu bytes: %s",
				     spec->file, size, strerror(-ret));
			/* Leave it empty rather than with a wrong size for the next start. */
			if (ftruncate(f->fd, 0) < 0)
				log_warn("cannot truncate '%s': %s", spec->file, strerror(errno));
			return ret;
		}
		log_info("%s: '%s' was empty: filled with 0xff (erased)", f->label, spec->file);
		return 0;
	}
	if ((unsigned long long)st.st_size != size) {
		emul_set_err(err, errlen, spec, "'%s' is %lld bytes, expected %zu bytes for a %s",
			     spec->file, (long long)st.st_size, size,
			     config_model_name(spec->model));
		return -EMEDIUMTYPE;
	}
	ret = pio_all(f->fd, false, mem, size);
	if (ret)
		emul_set_err(err, errlen, spec, "cannot read '%s': %s", spec->file, strerror(-ret));
	return ret;
}

struct emul_file *emul_file_open(const struct cfg_emul *spec, size_t size, uint8_t *mem, char *err,
				 size_t errlen)
{
	struct emul_file *f = calloc(1, sizeof(*f));
	int ret;

	if (!f) {
		emul_set_err(err, errlen, spec, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	f->fd = -1;
	f->dirfd = -1;
	snprintf(f->label, sizeof(f->label), "%s@0x%02x", config_model_name(spec->model),
		 spec->addr);
	f->path = strdup(spec->file);
	if (!f->path) {
		ret = -ENOMEM;
		emul_set_err(err, errlen, spec, "out of memory");
		goto err;
	}
	ret = open_dir(f, spec, err, errlen);
	if (ret)
		goto err;

	for (unsigned attempt = 1;; attempt++) {
		f->fd = open(spec->file, O_RDWR | O_CLOEXEC);
		if (f->fd >= 0) {
			ret = load_file(f, spec, size, mem, err, errlen);
			break;
		}
		ret = -errno;
		if (ret != -ENOENT || attempt == CREATE_ATTEMPTS) {
			struct stat lst;

			/* The name exists (rename says so) but open() finds nothing. */
			if (ret == -ENOENT && lstat(spec->file, &lst) == 0 && S_ISLNK(lst.st_mode))
				emul_set_err(err, errlen, spec,
					     "'%s' is a symbolic link to a missing file",
					     spec->file);
			else
				emul_set_err(err, errlen, spec, "cannot open '%s': %s", spec->file,
					     strerror(-ret));
			break;
		}
		ret = create_file(f, spec, size, mem, err, errlen);
		if (ret >= 0) {
			f->fd = ret;
			ret = 0;
			break;
		}
		if (ret != -EEXIST)
			break;
	}
	if (ret)
		goto err;
	return f;

err:
	emul_file_close(f);
	errno = -ret;
	return NULL;
}

/* Warns once when the path no longer names the open file (deleted, moved or replaced). */
static void check_linked(struct emul_file *f)
{
	const char *problem = NULL;
	struct stat st, at;

	if (fstat(f->fd, &st) < 0)
		return;
	if (fstatat(f->dirfd, f->base, &at, 0) < 0) {
		if (errno == ENOENT)
			problem = st.st_nlink ? "was moved away" : "was deleted";
	} else if (at.st_dev != st.st_dev || at.st_ino != st.st_ino) {
		problem = "was replaced by another file";
	}
	if (problem && !f->orphan_warned)
		log_warn("%s: '%s' %s while in use: writes now go to the old file, which nothing "
			 "will read; restart the daemon to use the file at that path",
			 f->label, f->path, problem);
	f->orphan_warned = problem != NULL;
}

int emul_file_write(struct emul_file *f, size_t off, const uint8_t *data, size_t len,
		    const uint8_t *old)
{
	const char *what = "write";
	ssize_t n;
	int ret;

	check_linked(f);
	do {
		n = pwrite(f->fd, data, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n == len) {
		ret = sync_fd(f->fd, true);
		if (!ret)
			return 0;
		what = "sync";
		n = (ssize_t)len; /* all of it may be in the page cache: put it all back */
	} else {
		ret = n < 0 ? -errno : -EIO;
	}
	if (n > 0 && pwrite(f->fd, old, (size_t)n, (off_t)off) != n)
		log_warn("%s: '%s' may now differ from memory at offset %zu", f->label, f->path,
			 off);
	log_err("%s: cannot %s %zu bytes at offset %zu of '%s': %s", f->label, what, len, off,
		f->path, strerror(-ret));
	return ret;
}

void emul_file_close(struct emul_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->path);
	free(f->base);
	free(f);
}
