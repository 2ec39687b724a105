// SPDX-License-Identifier: MIT
#include "sandbox.h"

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <linux/capability.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/i2c-dev.h>

/*
 * What serving guests needs once set-up is over, including what the glibc,
 * libjansson and libseccomp functions the daemon calls make of it. Audited
 * against strace of every integration test (the Release daemon after its
 * seccomp() call) and the binary's imports; the package is linux-any, so the
 * calls other architectures make for the same function (aarch64 has no poll,
 * epoll_wait, unlink or rename) stay. Not listed, as nothing reaches them
 * after set-up: readv, preadv, sendmsg (replies carry no fds: send()),
 * accept (accept4), shutdown, getsockopt (--fd is checked before the filter),
 * open (openat since glibc 2.26), nanosleep (clock_nanosleep since 2.31; the
 * sanitizer runtimes still call it).
 */
static const int allowed_syscalls[] = {
	/* I/O on sockets, eventfds, device nodes and EEPROM files */
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(writev), /* glibc's own fatal-error messages (malloc, assert) */
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(recvmsg),  /* vhost-user messages with their fds */
	SCMP_SYS(recvfrom), /* recv() */
	SCMP_SYS(sendto),   /* send(): vhost-user and control replies, syslog */
	SCMP_SYS(accept4),
	SCMP_SYS(close),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll), /* poll() where there is no poll syscall (aarch64) */
	SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), /* epoll_wait() on aarch64 */
	SCMP_SYS(fdatasync),   /* EEPROM files are written through */
	SCMP_SYS(fsync),
	SCMP_SYS(lseek), /* stdio repositions a stream it flushes (log file, trace) */
	SCMP_SYS(fstat), /* fstat() before glibc 2.33 and in the sanitizer runtimes */
	SCMP_SYS(newfstatat),
	SCMP_SYS(fcntl),
	/* guest memory from the VMM's fds */
	SCMP_SYS(mmap),
	SCMP_SYS(munmap),
	SCMP_SYS(mprotect),
	SCMP_SYS(madvise), /* glibc: finished threads' stacks, trimmed heap */
	SCMP_SYS(brk),
	SCMP_SYS(mremap), /* realloc() of a large block */
	/* threads, locks, time, signals */
	SCMP_SYS(futex),
	SCMP_SYS(clone), /* pthread_create() where clone3 is missing (Linux < 5.3) */
	SCMP_SYS(clone3),
	SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq),
	SCMP_SYS(sched_yield),	 /* libjansson's hash-seed set-up, on the first object */
	SCMP_SYS(clock_gettime), /* these two when the vDSO cannot answer; */
	SCMP_SYS(gettimeofday),	 /* also libjansson's seed */
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigtimedwait),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(getpid), /* these three: raise() (the SIGSYS handler, abort()) */
	SCMP_SYS(gettid),
	SCMP_SYS(tgkill),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(restart_syscall), /* the kernel restarting an interrupted sleep */
	SCMP_SYS(getrandom),	   /* glibc's malloc (tcache key) in some versions */
	/* removing our socket files at exit */
	SCMP_SYS(unlink),
	SCMP_SYS(unlinkat), /* unlink() on aarch64 */
};

/* Opening files after start-up (sandbox_opts.open_files). */
static const int file_syscalls[] = {
	/* open() and fopen() are openat since glibc 2.26 */
	SCMP_SYS(openat), SCMP_SYS(flock), SCMP_SYS(ftruncate),
	/* an EEPROM file created by a hot-plug `add`: a temporary file renamed into place */
	SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define VI2C_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VI2C_SANITIZED 1
#endif
#endif

#ifdef VI2C_SANITIZED
/*
 * ASan/UBSan/LSan runtimes (test builds only): reports, symbolizing, the leak
 * check at exit (its tracer process blocks every signal, so a trapped call
 * there would kill it silently and leave the daemon waiting for it forever).
 */
static const int sanitizer_syscalls[] = {
	SCMP_SYS(open),	       SCMP_SYS(openat),     SCMP_SYS(readlink),
	SCMP_SYS(readlinkat),  SCMP_SYS(getdents64), SCMP_SYS(getdents),
	SCMP_SYS(ptrace),      SCMP_SYS(prctl),	     SCMP_SYS(sched_getaffinity),
	SCMP_SYS(sigaltstack), SCMP_SYS(wait4),	     SCMP_SYS(waitid),
	SCMP_SYS(pipe2),       SCMP_SYS(getppid),    SCMP_SYS(kill),
	SCMP_SYS(stat),	       SCMP_SYS(lstat),	     SCMP_SYS(dup2),
	SCMP_SYS(dup3),	       SCMP_SYS(execve),     SCMP_SYS(uname),
	SCMP_SYS(statx),       SCMP_SYS(access),     SCMP_SYS(getuid),
	SCMP_SYS(geteuid),     SCMP_SYS(getrlimit),  SCMP_SYS(prlimit64),
	SCMP_SYS(setrlimit),   SCMP_SYS(fork),	     SCMP_SYS(vfork),
	SCMP_SYS(getcwd),
	SCMP_SYS(nanosleep), /* internal_usleep(); glibc's sleeps are clock_nanosleep */
};
#endif

/* The only ioctls a guest's requests can cause (i2c-dev); FIONBIO etc. are not needed. */
static const unsigned long allowed_ioctls[] = {
	I2C_SLAVE, I2C_FUNCS, I2C_RDWR, I2C_SMBUS,
#ifdef VI2C_SANITIZED
	TCGETS, /* isatty() when a sanitizer prints a report */
#endif
};

static void on_sigsys(int sig, siginfo_t *info, void *uctx)
{
	char msg[128];
	int n;

	(void)uctx;
	n = snprintf(msg, sizeof(msg),
		     "vhost-user-i2c: error: sandbox: forbidden system call %d; terminating\n",
		     info->si_syscall);
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

static int switch_user(const struct sandbox_opts *o, char *err, size_t errlen)
{
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (!o->user && !o->group)
		return 0;
	if (geteuid() != 0) {
		snprintf(err, errlen, "--user/--group need the daemon to be started as root");
		return -EPERM;
	}
	if (o->user) {
		struct passwd *pw = getpwnam(o->user);

		if (!pw) {
			snprintf(err, errlen, "unknown user '%s' in --user", o->user);
			return -ENOENT;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (o->group) {
		struct group *gr = getgrnam(o->group);

		if (!gr) {
			snprintf(err, errlen, "unknown group '%s' in --group", o->group);
			return -ENOENT;
		}
		gid = gr->gr_gid;
	}
	/* Group first: once the uid changes we may no longer change groups. */
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot switch to uid %u gid %u: %s", (unsigned)uid,
			 (unsigned)gid, strerror(e));
		return -e;
	}
	return 0;
}

static int drop_capabilities(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	/* The bounding set needs CAP_SETPCAP to shrink; without it there is nothing to drop. */
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
			break;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(e));
		return -e;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(e));
		return -e;
	}
	return 0;
}

static int install_filter(const struct sandbox_opts *o, char *err, size_t errlen)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	scmp_filter_ctx ctx;
	int ret = 0;

	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(err, errlen, "cannot create the seccomp filter");
		return -ENOMEM;
	}
	for (size_t i = 0; i < sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]) && !ret; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_syscalls[i], 0);
#ifdef VI2C_SANITIZED
	for (size_t i = 0; i < sizeof(sanitizer_syscalls) / sizeof(sanitizer_syscalls[0]) && !ret;
	     i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_syscalls[i], 0);
#endif
	for (size_t i = 0; i < sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]) && !ret; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i]));
	if (!ret && o->syslog) {
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				       SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
		if (!ret)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(connect), 0);
	}
	/*
	 * The control socket's `add` opens an EEPROM's file= (created if
	 * missing, locked) or a regmap's map=: only with --control.
	 */
	for (size_t i = 0; i < sizeof(file_syscalls) / sizeof(file_syscalls[0]) && !ret &&
			   o->open_files;
	     i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, file_syscalls[i], 0);
	/* The handler must be in place before the filter can trap. */
	if (!ret && sigaction(SIGSYS, &sa, NULL) < 0)
		ret = -errno;
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret)
		snprintf(err, errlen, "cannot install the seccomp filter: %s", strerror(-ret));
	return ret;
}

int sandbox_enter(const struct sandbox_opts *opts, char *err, size_t errlen)
{
	int ret;

	/*
	 * glibc's malloc reads /sys/devices/system/cpu/online the first time it
	 * needs more arenas than it has (at the 9th busy thread on 2 CPUs):
	 * with a fixed arena limit it never asks, so the filter never sees it.
	 */
	mallopt(M_ARENA_MAX, 1);
	/* strftime() (trace timestamps) loads /etc/localtime on first use: load it now. */
	tzset();

	ret = switch_user(opts, err, errlen);
	if (!ret)
		ret = drop_capabilities(err, errlen);
	if (!ret)
		ret = install_filter(opts, err, errlen);
	return ret;
}

bool sandbox_active(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	bool active = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "Seccomp:", 8) == 0)
			active = atoi(line + 8) != 0;
	fclose(f);
	return active;
}
