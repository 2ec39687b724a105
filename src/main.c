// SPDX-License-Identifier: MIT
/*
 * vhost-user-i2c: gives virtual machines an I2C bus over vhost-user.
 * main() owns the process: command line, devices, sockets, signals.
 * Exit status: 0 on SIGTERM/SIGINT, 1 on runtime failure, 2 on bad input.
 */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "emul.h"
#include "guest_socket.h"
#include "i2c_bus.h"
#include "i2c_host.h"
#include "log.h"

#define EXIT_BAD_INPUT	  2
#define SHUTDOWN_GRACE_MS 2000
#define SYSFS_ROOT	  "/sys"
#define DEV_DIR		  "/dev"

static void fail_line(const char *msg)
{
	fprintf(stderr, "vhost-user-i2c: %s\n", msg);
}

/* The sockets' directory must exist: checked before anything is created. */
static int check_socket_dir(const char *path, char *err, size_t errlen)
{
	char *copy = strdup(path);
	struct stat st;
	const char *dir;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (stat(dir, &st) < 0) {
		snprintf(err, errlen, "invalid --socket-path '%s': directory '%s': %s", path, dir,
			 strerror(errno));
		ret = -ENOENT;
	} else if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "invalid --socket-path '%s': '%s' is not a directory", path,
			 dir);
		ret = -ENOTDIR;
	}
	free(copy);
	return ret;
}

static int build_bus(const struct vi2c_config *cfg, struct i2c_bus **out, char *err, size_t errlen)
{
	struct i2c_bus *bus = i2c_bus_new();

	if (!bus) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_emuls; i++) {
		struct emul_dev *dev = emul_create(&cfg->emuls[i], err, errlen);
		int ret;

		if (!dev) {
			i2c_bus_free(bus);
			return -EINVAL;
		}
		ret = i2c_bus_add_emul(bus, dev);
		if (ret) {
			snprintf(err, errlen, "--emulate '%s': address already in use",
				 cfg->emuls[i].spec);
			emul_destroy(dev);
			i2c_bus_free(bus);
			return ret;
		}
	}
	*out = bus;
	return 0;
}

/*
 * Opens every adapter of -l and claims every listed address (never the rest
 * of the bus, never a device a host driver owns or another instance passes).
 */
static int add_host_devices(const struct vi2c_config *cfg, struct i2c_bus *bus, char *err,
			    size_t errlen)
{
	unsigned *numbers;
	int ret;

	if (!cfg->n_adapters)
		return 0;
	numbers = calloc(cfg->n_adapters, sizeof(*numbers));
	if (!numbers) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = i2c_host_resolve(cfg, SYSFS_ROOT, numbers, err, errlen);
	for (size_t i = 0; i < cfg->n_adapters && !ret; i++) {
		const struct cfg_adapter *a = &cfg->adapters[i];
		struct i2c_host_adapter *ad = i2c_host_open(numbers[i], DEV_DIR, err, errlen);

		if (!ad) {
			ret = -errno;
			break;
		}
		ret = i2c_bus_own_adapter(bus, ad);
		if (ret) {
			snprintf(err, errlen, "too many adapters in --device-list");
			i2c_host_close(ad);
			break;
		}
		for (size_t k = 0; k < a->n_addrs && !ret; k++) {
			const struct cfg_host_addr *h = &a->addrs[k];

			ret = i2c_host_claim(ad, h->host_addr, SYSFS_ROOT, err, errlen);
			if (!ret)
				ret = i2c_bus_add_host(bus, ad, h->host_addr, h->guest_addr,
						       h->read_only);
			if (ret == -EEXIST)
				snprintf(err, errlen,
					 "--device-list '%s': guest address 0x%02x twice", a->spec,
					 h->guest_addr);
		}
	}
	free(numbers);
	return ret;
}

/* Many guests each hold a few fds (socket, kick, call, memory): lift the soft limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Joins every thread, giving up after a grace period (a VMM may be stuck mid-message). */
static bool join_all(struct guest_socket *gs, unsigned n)
{
	struct timespec deadline;
	bool all = true;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += SHUTDOWN_GRACE_MS / 1000;
	for (unsigned i = 0; i < n; i++) {
		if (!gs[i].thread_started)
			continue;
		if (pthread_timedjoin_np(gs[i].thread, NULL, &deadline) != 0)
			all = false;
	}
	return all;
}

int main(int argc, char **argv)
{
	struct vi2c_config cfg;
	struct guest_socket *gs = NULL;
	struct i2c_bus *bus = NULL;
	char err[512];
	sigset_t sigs;
	int quit_fd = -1, status = EXIT_FAILURE, sig;
	unsigned created = 0;

	switch (config_parse(&cfg, argc, argv, stdout, err, sizeof(err))) {
	case CFG_EXIT_OK:
		return EXIT_SUCCESS;
	case CFG_ERROR:
		fail_line(err);
		return EXIT_BAD_INPUT;
	case CFG_OK:
		break;
	}
	log_set_level(cfg.verbosity >= 2   ? LOG_LVL_DEBUG
		      : cfg.verbosity == 1 ? LOG_LVL_INFO
					   : LOG_LVL_WARN);

	if (check_socket_dir(cfg.socket_path, err, sizeof(err))) {
		fail_line(err);
		status = EXIT_BAD_INPUT;
		goto out_config;
	}
	if (build_bus(&cfg, &bus, err, sizeof(err))) {
		fail_line(err);
		status = EXIT_BAD_INPUT;
		goto out_config;
	}
	if (add_host_devices(&cfg, bus, err, sizeof(err))) {
		fail_line(err);
		goto out_sockets;
	}

	raise_fd_limit();
	/* Signals are taken synchronously by main; threads never see them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	quit_fd = eventfd(0, EFD_CLOEXEC);
	gs = calloc(cfg.socket_count, sizeof(*gs));
	if (quit_fd < 0 || !gs) {
		fail_line("out of resources at start-up");
		goto out_sockets;
	}
	for (created = 0; created < cfg.socket_count; created++) {
		struct guest_socket *g = &gs[created];
		int n = snprintf(g->path, sizeof(g->path), "%s%u", cfg.socket_path, created);

		g->listen_fd = -1;
		g->quit_fd = quit_fd;
		g->bus = bus;
		if (n < 0 || (size_t)n >= sizeof(g->path)) {
			snprintf(err, sizeof(err), "socket path '%s%u' is too long",
				 cfg.socket_path, created);
			fail_line(err);
			goto out_sockets;
		}
		if (guest_socket_listen(g, err, sizeof(err))) {
			fail_line(err);
			goto out_sockets;
		}
	}
	for (unsigned i = 0; i < created; i++) {
		if (guest_socket_start(&gs[i])) {
			fail_line("cannot start a guest thread");
			goto out_threads;
		}
	}
	log_info("serving %u socket(s)", created);

	do {
		sig = sigwaitinfo(&sigs, NULL);
	} while (sig < 0 && errno == EINTR);
	log_info("signal %d: shutting down", sig);
	status = EXIT_SUCCESS;

out_threads:
	eventfd_write(quit_fd, 1);
	if (!join_all(gs, created)) {
		/* A thread is stuck on its VMM: remove our sockets and leave without freeing. */
		for (unsigned i = 0; i < created; i++)
			guest_socket_close(&gs[i]);
		_exit(status);
	}
out_sockets:
	for (unsigned i = 0; gs && i < created; i++)
		guest_socket_close(&gs[i]);
	free(gs);
	if (quit_fd >= 0)
		close(quit_fd);
	i2c_bus_free(bus);
out_config:
	config_free(&cfg);
	return status;
}
