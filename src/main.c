// SPDX-License-Identifier: MIT
/*
 * vhost-user-i2c: gives virtual machines an I2C bus over vhost-user.
 * main() owns the process: command line, devices, sockets, signals.
 * Exit status: 0 on SIGTERM/SIGINT (or when the VMM of a connected --fd hangs
 * up), 1 on runtime failure, 2 on bad input. Never daemonizes: the service
 * manager (or whoever started it) owns the process.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pthread.h>
#include <pwd.h>
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
#include "control.h"
#include "counters.h"
#include "emul.h"
#include "guest_socket.h"
#include "i2c_bus.h"
#include "i2c_host.h"
#include "log.h"
#include "sandbox.h"
#include "trace.h"

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
static bool join_all(struct guest_socket *gs, unsigned n, struct control_server *control)
{
	struct timespec deadline;
	bool all = true;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += SHUTDOWN_GRACE_MS / 1000;
	if (!control_join(control, &deadline))
		all = false;
	for (unsigned i = 0; i < n; i++) {
		if (!gs[i].thread_started)
			continue;
		if (pthread_timedjoin_np(gs[i].thread, NULL, &deadline) != 0)
			all = false;
	}
	return all;
}

/* One bus per device set in use: [0] the common set, [1 + i] --guest section i. */
struct bus_set {
	const struct vi2c_config *devs; /* borrowed from the config */
	struct i2c_bus *bus;		/* owned; NULL if no socket uses this set */
	char label[96];			/* for counter lines */
};

static int build_buses(const struct vi2c_config *cfg, struct bus_set *sets, int *status, char *err,
		       size_t errlen)
{
	for (size_t i = 0; i <= cfg->n_guests; i++) {
		struct bus_set *b = &sets[i];
		bool used = false;

		b->devs = i ? &cfg->guests[i - 1].devs : cfg;
		for (unsigned s = 0; s < cfg->socket_count && !used; s++) {
			int guest;

			config_devices_for(cfg, s, &guest);
			used = guest == (int)i - 1;
		}
		if (!used)
			continue;
		if (i)
			snprintf(b->label, sizeof(b->label), "--guest %.80s",
				 cfg->guests[i - 1].spec);
		else
			snprintf(b->label, sizeof(b->label), "%s",
				 cfg->n_guests ? "sockets without --guest" : "all sockets");
		*status = EXIT_BAD_INPUT;
		if (build_bus(b->devs, &b->bus, err, errlen))
			return -EINVAL;
		*status = EXIT_FAILURE;
		if (add_host_devices(b->devs, b->bus, err, errlen))
			return -EINVAL;
	}
	return 0;
}

static void free_buses(struct bus_set *sets, size_t n)
{
	for (size_t i = 0; sets && i < n; i++)
		i2c_bus_free(sets[i].bus);
	free(sets);
}

static void log_counters(const struct bus_set *sets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sets[i].bus)
			counters_log(sets[i].bus, sets[i].devs, sets[i].label);
}

/* --control: what the control socket acts on (the buses of main's sets). */
struct control_setup {
	struct control_ctx ctx;
	struct control_server *server; /* NULL without --control */
};

static int open_control(const struct vi2c_config *cfg, const struct bus_set *sets, size_t nsets,
			struct control_setup *cs, char *err, size_t errlen)
{
	struct control_bus *buses = calloc(nsets, sizeof(*buses));
	int *socket_bus = calloc(cfg->socket_count, sizeof(*socket_bus));

	cs->ctx.buses = buses;
	cs->ctx.socket_bus = socket_bus;
	if (!buses || !socket_bus) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < nsets; i++) {
		buses[i].bus = sets[i].bus;
		buses[i].label = i ? cfg->guests[i - 1].spec : "shared";
	}
	for (unsigned s = 0; s < cfg->socket_count; s++) {
		int guest;

		config_devices_for(cfg, s, &guest);
		socket_bus[s] = guest + 1;
	}
	cs->ctx.n_buses = nsets;
	cs->ctx.n_sockets = cfg->socket_count;
	cs->ctx.allow_files = true;
	cs->server = control_open(cfg->control_path, cfg->socket_mode, &cs->ctx, err, errlen);
	return cs->server ? 0 : -EIO;
}

static void close_control(struct control_setup *cs)
{
	control_close(cs->server);
	free(cs->ctx.buses);
	free((int *)cs->ctx.socket_bus);
	memset(cs, 0, sizeof(*cs));
}

/* --user/--group must exist: found now, a bad name is a bad command line (exit 2). */
static int check_accounts(const struct vi2c_config *cfg, char *err, size_t errlen)
{
	if (cfg->user && !getpwnam(cfg->user)) {
		snprintf(err, errlen, "invalid --user '%s': no such user", cfg->user);
		return -ENOENT;
	}
	if (cfg->group && !getgrnam(cfg->group)) {
		snprintf(err, errlen, "invalid --group '%s': no such group", cfg->group);
		return -ENOENT;
	}
	return 0;
}

static int open_sockets(const struct vi2c_config *cfg, struct guest_socket *gs,
			const struct bus_set *sets, int quit_fd, unsigned *created, char *err,
			size_t errlen)
{
	for (*created = 0; *created < cfg->socket_count; (*created)++) {
		unsigned i = *created;
		struct guest_socket *g = &gs[i];
		int guest, n;

		config_devices_for(cfg, i, &guest);
		g->listen_fd = -1;
		g->conn_fd = -1;
		g->quit_fd = quit_fd;
		g->bus = sets[guest + 1].bus;
		g->mode = cfg->socket_mode;
		g->main_thread = pthread_self();
		if (cfg->fd >= 0) {
			if (guest_socket_adopt(g, cfg->fd, err, errlen))
				return -EINVAL;
			continue;
		}
		n = snprintf(g->path, sizeof(g->path), "%s%u", cfg->socket_path, i);
		if (n < 0 || (size_t)n >= sizeof(g->path)) {
			snprintf(err, errlen, "socket path '%s%u' is too long", cfg->socket_path,
				 i);
			return -ENAMETOOLONG;
		}
		if (guest_socket_listen(g, err, errlen))
			return -EIO;
	}
	return 0;
}

/* Waits for the end: SIGTERM/SIGINT, or the hang-up of a connected --fd. SIGUSR1 logs counters. */
static void wait_for_signals(const sigset_t *sigs, const struct guest_socket *gs,
			     const struct bus_set *sets, size_t nsets)
{
	siginfo_t si;
	int sig;

	for (;;) {
		sig = sigwaitinfo(sigs, &si);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			log_err("sigwaitinfo: %s", strerror(errno));
			return;
		}
		if (sig == SIGUSR1) {
			log_counters(sets, nsets);
			continue;
		}
		if (sig == SIGTERM && guest_socket_hung_up(&gs[0])) {
			log_info("the VMM of --fd hung up: exiting");
			return;
		}
		log_info("signal %d: shutting down", sig);
		return;
	}
}

int main(int argc, char **argv)
{
	struct vi2c_config cfg;
	struct guest_socket *gs = NULL;
	struct bus_set *sets = NULL;
	struct control_setup control = {0};
	size_t nsets = 0;
	char err[512];
	sigset_t sigs;
	int quit_fd = -1, status = EXIT_FAILURE;
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
	if (cfg.syslog)
		log_use_syslog("vhost-user-i2c");

	status = EXIT_BAD_INPUT;
	if ((cfg.socket_path && check_socket_dir(cfg.socket_path, err, sizeof(err))) ||
	    (cfg.control_path && control_check_dir(cfg.control_path, err, sizeof(err))) ||
	    check_accounts(&cfg, err, sizeof(err)) ||
	    (cfg.trace && trace_open(cfg.trace_path, err, sizeof(err)))) {
		fail_line(err);
		goto out_config;
	}
	status = EXIT_FAILURE;
	nsets = cfg.n_guests + 1;
	sets = calloc(nsets, sizeof(*sets));
	if (!sets) {
		fail_line("out of memory");
		goto out_config;
	}
	if (build_buses(&cfg, sets, &status, err, sizeof(err))) {
		fail_line(err);
		goto out_sockets;
	}

	raise_fd_limit();
	/* Signals are taken synchronously by main; threads never see them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	status = EXIT_FAILURE;
	quit_fd = eventfd(0, EFD_CLOEXEC);
	gs = calloc(cfg.socket_count, sizeof(*gs));
	if (quit_fd < 0 || !gs) {
		fail_line("out of resources at start-up");
		goto out_sockets;
	}
	if (open_sockets(&cfg, gs, sets, quit_fd, &created, err, sizeof(err))) {
		/* A bad --fd is a bad command line; the socket just adopted is not ours to close.
		 */
		if (cfg.fd >= 0)
			status = EXIT_BAD_INPUT;
		fail_line(err);
		goto out_sockets;
	}
	if (cfg.control_path && open_control(&cfg, sets, nsets, &control, err, sizeof(err))) {
		fail_line(err);
		goto out_sockets;
	}

	/* Every socket is bound and every device and file open; no thread runs yet. */
	if (!cfg.no_sandbox) {
		struct sandbox_opts so = {
			.user = cfg.user,
			.group = cfg.group,
			.syslog = cfg.syslog,
			.open_files = cfg.control_path != NULL};

		if (sandbox_enter(&so, err, sizeof(err))) {
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
	if (control.server && control_start(control.server, quit_fd)) {
		fail_line("cannot start the control thread");
		goto out_threads;
	}
	log_info("serving %u socket(s)", created);

	wait_for_signals(&sigs, gs, nsets ? sets : NULL, nsets);
	status = EXIT_SUCCESS;

out_threads:
	eventfd_write(quit_fd, 1);
	if (!join_all(gs, created, control.server)) {
		/* A thread is stuck on its VMM: remove our sockets and leave without freeing. */
		for (unsigned i = 0; i < created; i++)
			guest_socket_close(&gs[i]);
		control_unlink(control.server);
		_exit(status);
	}
out_sockets:
	close_control(&control);
	for (unsigned i = 0; gs && i < created; i++)
		guest_socket_close(&gs[i]);
	free(gs);
	if (quit_fd >= 0)
		close(quit_fd);
	free_buses(sets, nsets);
	trace_close();
out_config:
	config_free(&cfg);
	return status;
}
