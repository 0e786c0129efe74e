/* main.c: the daemon's start-up and teardown, in one readable sequence:
 * registry → detach → run directory and lock → logs → signals and loop →
 * servers; then stop, clean up, and exit (or re-execute in place). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "applets/applets.h"
#include "daemon.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/proto.h"
#include "lib/runfile.h"
#include "lib/util.h"

#define LOCK_ENV "IMAGESERVING_LOCK_FD"

extern struct source signal_source;

static const int handled[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE};

static void noop(int sig) { (void)sig; }

/* Block the signals we read from the signalfd; give every other signal its
 * default disposition so that servers inherit clean ones. */
static int setup_signals(void)
{
	/* Raw system call: libc refuses its own internal real-time signals, and
	 * an ignored one would pass to every server through exec. An all-zero
	 * kernel sigaction is SIG_DFL, no flags, empty mask, on every layout. */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP) {
			unsigned long ksa[4] = {0};
			(void)syscall(SYS_rt_sigaction, s, ksa, NULL, (size_t)8);
		}
	/* A file size limit makes writes fail with EFBIG, handled like a full
	 * disk; its signal must not end the supervisor. */
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigaction(SIGXFSZ, &ign, NULL);
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
		sigaddset(&set, handled[i]);
	sigaddset(&set, CMD_SIGNAL);
	/* As PID 1 a signal with the default disposition is dropped; a handler
	 * that never runs (the signals stay blocked) keeps them coming. */
	struct sigaction sa = {.sa_handler = noop};
	for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
		if (handled[i] != SIGCHLD && handled[i] != SIGPIPE)
			sigaction(handled[i], &sa, NULL);
	sigaction(CMD_SIGNAL, &sa, NULL);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	D.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return D.sigfd < 0 ? -1 : 0;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	D.nofile_soft = (unsigned long)rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			D.nofile_soft = 0;
	} else {
		D.nofile_soft = 0;
	}
}

static void cleanup_files(void)
{
	char *p = path_join(D.rundir, STATE_FILE);
	unlink(p);
	free(p);
	p = path_join(D.rundir, "supervisor.pid");
	unlink(p);
	free(p);
}

/* Re-executed in place: the lock comes with us, with the run directory it
 * is in, whatever the registry says now (a new <temp> is for the next start). */
static void lock_inherited(void)
{
	const char *e = getenv(LOCK_ENV);
	if (!e)
		return;
	char *end;
	long fd = strtol(e, &end, 10);
	if (end[0] == ' ' && end[1] == '/') {
		free(D.rundir);
		D.rundir = xstrdup(end + 1);
	}
	if (fd >= 3 && fd <= INT_MAX && fcntl((int)fd, F_GETFD) >= 0)
		D.lock_fd = (int)fd;
	unsetenv(LOCK_ENV);
}

/* The lock: inherited across a re-execution in place, else taken. */
static void take_lock(void)
{
	if (D.lock_fd >= 0) {
		set_cloexec(D.lock_fd);
		return;
	}
	D.lock_fd = lock_take(D.rundir);
	if (D.lock_fd == -EAGAIN) {
		pid_t holder = lock_holder(D.rundir);
		if (D.ready_fd >= 0) {
			dprintf(D.ready_fd, "A%d\n", (int)holder);
			exit(EX_FAIL);
		}
		ready_fail(EX_FAIL, "already running (pid %d, run directory %s)", (int)holder, D.rundir);
	}
	char why[512];
	if (D.lock_fd == -EPERM && runfile_check(D.rundir, "supervisor.lock", why, sizeof why) != 0)
		ready_fail(EX_FAIL, "%s", why);
	if (D.lock_fd < 0)
		ready_fail(EX_FAIL, "cannot lock %s/supervisor.lock: %s", D.rundir, strerror(-D.lock_fd));
}

/* Detached: stdin from /dev/null, stdout and stderr (where "-" servers
 * write) into the trace log, not a terminal that may be gone. */
static void detach_stdio(void)
{
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		close(nul);
	}
	const char *log = D.reg->r->log;
	int out = strcmp(log, "-") == 0 ? open("/dev/null", O_WRONLY | O_CLOEXEC) : open_logfile(log);
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
		close(out);
	}
	if (chdir("/") != 0)
		trace(TRACE_WARNING, NULL, "chdir /: %s", strerror(errno));
}

static void create_servers(void)
{
	struct registry *r = D.reg->r;
	D.svcs = xcalloc(r->nservers + 1, sizeof *D.svcs);
	D.nsvc = 0;
	for (size_t i = 0; i < r->nservers; i++)
		D.svcs[D.nsvc++] = svc_new(&r->servers[i], D.reg);
	D.phase = PHASE_STARTING;
	D.next_prio = D.nsvc ? r->servers[0].priority : 0;
	D.stop_deadline = 0;
	D.stop_budget = stop_budget_ns(r);
	D.generation++;
	log_set_level(r->tracelevel);
	int64_t now = mono_ns();
	D.stats_at = r->stats_interval ? now + (int64_t)r->stats_interval * SEC : 0;
}

static void free_servers(void)
{
	for (size_t i = 0; i < D.nsvc; i++)
		svc_free(D.svcs[i]);
	free(D.svcs);
	D.svcs = NULL;
	D.nsvc = 0;
}

/* Every server has stopped: run the binary again under the same pid, the
 * lock handed over, so that a foreground supervisor (PID 1, systemd
 * Type=simple) restarts without its manager seeing it exit. Returns only if
 * that failed. */
static void reexec(void)
{
	char num[4200];
	snprintf(num, sizeof num, "%d %s", D.lock_fd, D.rundir);
	int flags = fcntl(D.lock_fd, F_GETFD);
	trace(TRACE_INFO, NULL, "every server stopped; restarting the supervisor in place (pid %d)", (int)getpid());
	if (flags >= 0 && fcntl(D.lock_fd, F_SETFD, flags & ~FD_CLOEXEC) == 0 && setenv(LOCK_ENV, num, 1) == 0) {
		sdnotify_env(true);
		char *argv[] = {"imageserving", "supervisor", "-f", "-c", D.reg_path, NULL};
		execv(self_exe(), argv);
		trace(TRACE_ERROR, NULL, "cannot re-execute /proc/self/exe: %s; restarting the servers in this process",
		      strerror(errno));
	}
	unsetenv(LOCK_ENV);
	sdnotify_env(false);
	set_cloexec(D.lock_fd);
}

/* The servers again, from the registry as it is now (kept if now invalid). */
static void restart_in_process(void)
{
	struct diag d = {0};
	struct registry *r = registry_load(D.reg_path, &d);
	diag_free(&d);
	free_servers();
	if (r) {
		regref_drop(D.reg);
		D.reg = regref_new(r);
	}
	create_servers();
	endpoint_apply();
	groups_start_next(mono_ns());
}

/* The registry's warnings, for the trace log once it is open. */
static struct diag warnings;

static bool load_registry(bool detached)
{
	struct diag d = {0};
	struct registry *r = registry_load(D.reg_path, &d);
	if (!r) {
		if (detached)
			ready_fail(EX_NOTCONFIG, "%s is invalid; nothing started: %s", D.reg_path, buf_str(&d.text));
		fputs(buf_str(&d.text), stderr);
		warnx_("supervisor: %s is invalid; nothing started", D.reg_path);
		diag_free(&d);
		return false;
	}
	if (!detached)
		fputs(buf_str(&d.text), stderr);
	warnings = d;
	D.reg = regref_new(r);
	return true;
}

static void trace_warnings(void)
{
	const char *t = buf_str(&warnings.text);
	while (*t) {
		const char *nl = strchr(t, '\n');
		int len = nl ? (int)(nl - t) : (int)strlen(t);
		trace(TRACE_WARNING, NULL, "%.*s", len, t);
		t += len + (nl ? 1 : 0);
	}
	diag_free(&warnings);
}

/* Whatever fds we inherited beyond 0-2 must not reach the servers. */
#ifndef SYS_close_range
#define SYS_close_range 436  /* the same on every architecture; older libc headers lack it */
#endif

static void cloexec_inherited(void)
{
	if (syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) == 0)
		return;
	/* Before Linux 5.11: every fd below our limit, without /proc. */
	struct rlimit rl;
	rlim_t top = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 65536;
	if (top == RLIM_INFINITY || top > (1u << 20))
		top = 1u << 20;
	for (int fd = 3; (rlim_t)fd < top; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			set_cloexec(fd);
}

int supervisor_run(const char *registry_opt, bool fg, bool ok_if_running)
{
	D.ready_fd = ready_inherited();
	bool detached = D.ready_fd >= 0;
	D.foreground = (fg || getpid() == 1) && !detached;
	D.reg_path = registry_locate(registry_opt);
	if (D.reg_path[0] != '/') {  /* we chdir to / later: keep it absolute */
		char *cwd = getcwd(NULL, 0), *abs = path_join(cwd ? cwd : "/", D.reg_path);
		free(cwd);
		free(D.reg_path);
		D.reg_path = abs;
	}
	if (!load_registry(detached))
		return EX_NOTCONFIG;
	D.rundir = xstrdup(D.reg->r->rundir);  /* the registry is replaced on reload */
	lock_inherited();
	if (!D.foreground && !detached) {
		int rc = ready_spawn_daemon(D.reg_path, ok_if_running, &D.ready_fd);
		if (rc >= 0) {
			regref_drop(D.reg);
			diag_free(&warnings);
			return rc;
		}
	}
	cloexec_inherited();
	char why[512];
	if (rundir_prepare(D.rundir, why, sizeof why) != 0)
		ready_fail(EX_FAIL, "%s", why);
	take_lock();
	int e = log_open(D.reg->r->log);
	if (e < 0)
		ready_fail(EX_FAIL, "cannot open trace log %s: %s", D.reg->r->log, open_append_error(-e));
	log_set_level(D.reg->r->tracelevel);
	sdnotify_init();  /* before any server: none inherits $NOTIFY_SOCKET */
	rundir_anchor();
	if (!D.foreground)
		detach_stdio();
	D.start_boot = boot_ns();
	D.start_real = real_ns();
	D.pidns = proc_pidns(getpid());
	if (setup_signals() != 0)
		ready_fail(EX_FAIL, "cannot set up signals: %s", strerror(errno));
	D.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (D.epfd < 0)
		ready_fail(EX_FAIL, "epoll_create1: %s", strerror(errno));
	if (loop_add(D.sigfd, &signal_source, EPOLLIN) != 0)
		ready_fail(EX_FAIL, "epoll_ctl: %s", strerror(errno));
	loop_timer_init();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		trace(TRACE_WARNING, NULL, "cannot become a child subreaper: %s", strerror(errno));
	raise_nofile();
	kill_strays();
	e = pidfile_write(D.rundir, getpid());
	if (e < 0)
		ready_fail(EX_FAIL, "cannot write %s/supervisor.pid: %s", D.rundir, strerror(-e));
	rundir_watch();

	trace(TRACE_INFO, NULL, "supervisor %s started, pid %d%s, registry %s, %zu servers", IS_VERSION,
	      (int)getpid(), getpid() == 1 ? " (as PID 1)" : "", D.reg_path, D.reg->r->nservers);
	trace_warnings();
	if (strcmp(D.rundir, D.reg->r->rundir) != 0)
		trace(TRACE_WARNING, NULL, "run directory %s kept across the restart in place; the registry's %s takes "
					   "effect at the next start",
		      D.rundir, D.reg->r->rundir);
	create_servers();
	endpoint_apply();
	state_write();
	groups_start_next(mono_ns());

	int rc;
	for (;;) {
		rc = loop_run();
		if (D.phase != PHASE_RESTARTING)
			break;
		kill_adopted();
		reexec();
		restart_in_process();
	}
	kill_adopted();
	cleanup_files();
	rundir_anchor_release();
	trace(rc ? TRACE_ERROR : TRACE_INFO, NULL, "supervisor stopped%s", rc ? " (an essential server failed)" : "");
	ready_abandon("it stopped");
	free_servers();
	pidtab_free();
	regref_drop(D.reg);
	free(D.reg_path);
	free(D.rundir);
	close(D.lock_fd);
	return rc;
}
