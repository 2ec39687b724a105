// SPDX-License-Identifier: MIT
/*
 * vhost-user-i2c: gives virtual machines an I2C bus over vhost-user.
 * main() owns the process: command line, devices, sockets, signals.
 * Exit status: 0 on SIGTERM/SIGINT and the other termination signals listed
 * in shutdown_signals (or when the VMM of a connected --fd hangs up), 1 on
 * runtime failure (also a connected --fd closed for an error), 2 on a bad
 * command line. SIGHUP does not stop it. Never daemonizes: the service
 * manager (or whoever started it) owns the process.
 */
#include <dirent.h>
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
#include "clock.h"
#include "control.h"
#include "counters.h"
#include "emul.h"
#include "guest_fault.h"
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
			/* EINVAL: the spec does not suit the model (a bad command line); else files. */
			int e = errno == EINVAL ? -EINVAL : -EIO;

			i2c_bus_free(bus);
			return e;
		}
		ret = i2c_bus_add_emul(bus, dev);
		if (ret) {
			char why[96];

			/* Plain duplicates are caught by config: this involves a shared address. */
			i2c_bus_add_strerror(dev, ret, why, sizeof(why));
			snprintf(err, errlen, "--emulate '%s': %s", cfg->emuls[i].spec, why);
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
						       h->access);
			if (ret == -EEXIST)
				snprintf(err, errlen,
					 "--device-list '%s': guest address 0x%02x already in use",
					 a->spec, h->guest_addr);
		}
	}
	free(numbers);
	return ret;
}

/* Open fds of this process now, or 0 if /proc cannot tell. */
static unsigned long count_open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	unsigned long n = 0;
	struct dirent *e;

	if (!dir)
		return 0;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n ? n - 1 : 0; /* not the directory's own fd */
}

/*
 * Many guests each hold a few fds (socket, kick, call, memory): lift the soft
 * limit, and say so at start if -c N still cannot fit (accepting then stalls
 * once fds run out; see guest_socket.c).
 */
static void raise_fd_limit(unsigned sockets)
{
	unsigned long need;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	need = count_open_fds() + guest_socket_fds_needed(sockets);
	if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
		log_warn("%u socket(s) need about %lu file descriptors, but the open-file limit "
			 "(RLIMIT_NOFILE) is %llu: VMMs will wait to be accepted once it is "
			 "reached; raise it (ulimit -n, systemd LimitNOFILE=)",
			 sockets, need, (unsigned long long)rl.rlim_cur);
}

/* Joins every thread, giving up after a grace period (a VMM may be stuck mid-message). */
static bool join_all(struct guest_socket *gs, unsigned n, struct control_server *control)
{
	struct timespec deadline;
	bool all = true;

	deadline = clock_deadline_ms(CLOCK_REALTIME, SHUTDOWN_GRACE_MS);
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
		int ret;

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
		ret = build_bus(b->devs, &b->bus, err, errlen);
		if (ret) {
			*status = ret == -EEXIST || ret == -EINVAL ? EXIT_BAD_INPUT : EXIT_FAILURE;
			return ret;
		}
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

/* Who the daemon serves guests as (after the sandbox), and so who owns its socket files. */
struct serving_ids {
	uid_t uid;
	gid_t gid;
	bool switching; /* --user/--group given */
};

/* --control: what the control socket acts on (the buses of main's sets). */
struct control_setup {
	struct control_ctx ctx;
	struct control_server *server; /* NULL without --control */
};

static int open_control(const struct vi2c_config *cfg, const struct bus_set *sets, size_t nsets,
			const struct serving_ids *ids, struct control_setup *cs, char *err,
			size_t errlen)
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
	/* Owned like the guest sockets: by whom the daemon becomes. */
	cs->server = control_open(cfg->control_path, cfg->socket_mode,
				  ids->switching && geteuid() == 0 ? ids->uid : (uid_t)-1,
				  ids->switching && geteuid() == 0 ? ids->gid : (gid_t)-1, &cs->ctx, err,
				  errlen);
	return cs->server ? 0 : -EIO;
}

static void close_control(struct control_setup *cs)
{
	control_close(cs->server);
	free(cs->ctx.buses);
	free((int *)cs->ctx.socket_bus);
	memset(cs, 0, sizeof(*cs));
}

/*
 * --user/--group must exist: found now, a bad name is a bad command line
 * (exit 2). Fills ids as sandbox.c will switch (the group defaults to the
 * user's primary group).
 */
static int check_accounts(const struct vi2c_config *cfg, struct serving_ids *ids, char *err,
			  size_t errlen)
{
	struct passwd *pw = cfg->user ? getpwnam(cfg->user) : NULL;
	struct group *gr = cfg->group ? getgrnam(cfg->group) : NULL;

	ids->uid = geteuid();
	ids->gid = getegid();
	ids->switching = cfg->user || cfg->group;
	if (cfg->user && !pw) {
		snprintf(err, errlen, "invalid --user '%s': no such user", cfg->user);
		return -ENOENT;
	}
	if (cfg->group && !gr) {
		snprintf(err, errlen, "invalid --group '%s': no such group", cfg->group);
		return -ENOENT;
	}
	if (pw) {
		ids->uid = pw->pw_uid;
		ids->gid = pw->pw_gid;
	}
	if (gr)
		ids->gid = gr->gr_gid;
	return 0;
}

/*
 * The socket files are removed at exit, by then without capabilities and
 * perhaps as --user: that needs write permission on their directory. Checked
 * before anything is created, when the sandbox will take root's powers away
 * (a non-root daemon could bind there, so it can unlink there too).
 */
static int check_socket_dir_removable(const struct vi2c_config *cfg, const struct serving_ids *ids,
				      char *err, size_t errlen)
{
	if (!cfg->socket_path || cfg->no_sandbox || geteuid() != 0)
		return 0;
	return guest_socket_check_dir(cfg->socket_path, ids->uid, ids->gid, !ids->switching, err,
				      errlen);
}

static int open_sockets(const struct vi2c_config *cfg, const struct serving_ids *ids,
			struct guest_socket *gs, const struct bus_set *sets, int quit_fd,
			unsigned *created, char *err, size_t errlen)
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
		g->poll_max_ns = cfg->poll_max_ns;
		g->max_guest_memory = cfg->max_guest_memory;
		/* Owned by whom the daemon becomes: its group may connect, it may remove them. */
		g->owner_uid = ids->switching && geteuid() == 0 ? ids->uid : (uid_t)-1;
		g->owner_gid = ids->switching && geteuid() == 0 ? ids->gid : (gid_t)-1;
		g->main_thread = pthread_self();
		if (cfg->fd >= 0) {
			int ret = guest_socket_adopt(g, cfg->fd, err, errlen);

			/* A wrong fd number is a bad command line; a useless socket is not. */
			if (ret)
				return ret == -ENOTCONN ? -ENOTCONN : -EINVAL;
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

/*
 * Signals whose default action would kill the daemon with its sockets left
 * behind: each ends it cleanly instead, like SIGTERM. (SIGHUP, SIGUSR1 are
 * handled apart; faults such as SIGSEGV keep their default action.)
 */
static const int shutdown_signals[] = {SIGTERM, SIGINT,	 SIGUSR2, SIGALRM,  SIGVTALRM,
				       SIGPROF, SIGPOLL, SIGPWR,  SIGSTKFLT};

/*
 * Waits for the end: a shutdown signal, or the end of a connected --fd.
 * SIGUSR1 logs counters; SIGHUP (a closing terminal) is logged and ignored:
 * there is nothing to reload. Returns the exit status.
 */
static int wait_for_signals(const sigset_t *sigs, const struct guest_socket *gs,
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
			return EXIT_FAILURE;
		}
		if (sig == SIGUSR1) {
			log_counters(sets, nsets);
			continue;
		}
		if (sig == SIGHUP) {
			log_warn("SIGHUP: nothing to reload; still serving");
			continue;
		}
		if (sig == SIGTERM && guest_socket_hung_up(&gs[0])) {
			if (guest_socket_end_error(&gs[0])) {
				log_err("the connection of --fd was closed after an error: "
					"exiting");
				return EXIT_FAILURE;
			}
			log_info("the VMM of --fd hung up: exiting");
			return EXIT_SUCCESS;
		}
		log_info("signal %d (SIG%s): shutting down", sig, sigabbrev_np(sig));
		return EXIT_SUCCESS;
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
	struct serving_ids ids;
	sigset_t sigs;
	int quit_fd = -1, status = EXIT_FAILURE, ret;
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
	    check_accounts(&cfg, &ids, err, sizeof(err)) ||
	    (cfg.trace && trace_open(cfg.trace_path, err, sizeof(err)))) {
		fail_line(err);
		goto out_config;
	}
	status = EXIT_FAILURE;
	if (check_socket_dir_removable(&cfg, &ids, err, sizeof(err))) {
		fail_line(err);
		goto out_config;
	}
	nsets = cfg.n_guests + 1;
	sets = calloc(nsets, sizeof(*sets));
	if (!sets) {
		fail_line("out of memory");
		goto out_config;
	}
	/* A file-size limit fails that EEPROM write (EFBIG, ERR to the guest), not the daemon. */
	signal(SIGXFSZ, SIG_IGN);
	if (build_buses(&cfg, sets, &status, err, sizeof(err))) {
		fail_line(err);
		goto out_sockets;
	}

	raise_fd_limit(cfg.socket_count);
	/* Signals are taken synchronously by main; threads never see them. */
	sigemptyset(&sigs);
	for (size_t i = 0; i < sizeof(shutdown_signals) / sizeof(shutdown_signals[0]); i++)
		sigaddset(&sigs, shutdown_signals[i]);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A VMM truncating its memory file must end its own connection, not the daemon. */
	if (guest_fault_install()) {
		fail_line("cannot install the SIGBUS handler");
		goto out_sockets;
	}

	status = EXIT_FAILURE;
	quit_fd = eventfd(0, EFD_CLOEXEC);
	gs = calloc(cfg.socket_count, sizeof(*gs));
	if (quit_fd < 0 || !gs) {
		fail_line("out of resources at start-up");
		goto out_sockets;
	}
	ret = open_sockets(&cfg, &ids, gs, sets, quit_fd, &created, err, sizeof(err));
	if (ret) {
		/* A bad --fd is a bad command line; the socket just adopted is not ours to close.
		 */
		if (cfg.fd >= 0 && ret != -ENOTCONN)
			status = EXIT_BAD_INPUT;
		fail_line(err);
		goto out_sockets;
	}
	if (cfg.control_path && open_control(&cfg, sets, nsets, &ids, &control, err, sizeof(err))) {
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

	ret = log_start_ticker();
	if (ret) {
		snprintf(err, sizeof(err), "cannot start the logging thread: %s", strerror(-ret));
		fail_line(err);
		goto out_sockets;
	}
	for (unsigned i = 0; i < created; i++) {
		ret = guest_socket_start(&gs[i]);
		if (ret) {
			snprintf(err, sizeof(err), "cannot start the thread of socket %u: %s", i,
				 strerror(-ret));
			fail_line(err);
			goto out_threads;
		}
	}
	if (control.server && control_start(control.server, quit_fd)) {
		fail_line("cannot start the control thread");
		goto out_threads;
	}
	log_info("serving %u socket(s)", created);

	status = wait_for_signals(&sigs, gs, nsets ? sets : NULL, nsets);

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
	log_stop_ticker();
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
