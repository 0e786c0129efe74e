/* supervisor.c: the daemon. One process, one epoll loop over a signalfd and
 * the servers' output pipes; every wait is a deadline on CLOCK_MONOTONIC, and
 * the loop sleeps without a timeout when nothing is due. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "applets.h"
#include "lib/control.h"
#include "lib/log.h"
#include "lib/opts.h"
#include "lib/proc.h"
#include "lib/registry.h"
#include "lib/runfile.h"
#include "lib/spawn.h"
#include "lib/util.h"

const char supervisor_usage[] =
	"Usage: imageserving supervisor [-f] [-c FILE]\n"
	"Run the Server Supervisor: start the registry's servers by priority group,\n"
	"restart any that exit, stop them all on SIGTERM/SIGINT.\n"
	"  -f, --foreground  stay in the foreground (systemd Type=simple, containers,\n"
	"                    PID 1); without it, daemonize and return once every\n"
	"                    server has been started\n"
	"  -c FILE           the registry\n"
	"Signals: TERM/INT stop, HUP reload, USR1 reopen logs, USR2 stats line now.\n"
	"Also as: supervisor, S7Supervisor.\n";

#define MS (1000000LL)
#define SEC (1000000000LL)
#define BACKOFF_BASE (100 * MS)

/* S_STARTING belongs to the health checks (not run yet): until then a server
 * is running as soon as its exec succeeded. */
enum sstate { S_STOPPED, S_STARTING, S_RUNNING, S_BACKOFF, S_STOPPING, S_FATAL };
static const char *state_names[] = {"stopped", "starting", "running", "backoff", "stopping", "fatal"};

enum after { AFTER_NOTHING, AFTER_START, AFTER_REMOVE };

struct svc;

struct extra {
	pid_t pid;
	unsigned long long start;  /* /proc starttime: the same process, not a reused pid */
};

struct extralist {
	struct extra *p;
	size_t n, cap;
};

/* One output destination of a server: a file fed from a pipe we read. The
 * file is opened for each batch of output rather than held: one fd per server
 * instead of two (every exec pays for each fd the supervisor holds), and a
 * rotated or deleted log file is simply created again. */
struct outlog {
	struct svc *owner;
	char *path;            /* owned: registries come and go on reload */
	int pipe;              /* our read end; -1: none */
	unsigned long long dropped;
};

struct svc {
	const struct server *cfg;
	struct registry *reg;          /* owns cfg */
	const struct server *next_cfg; /* config for the start after this stop */
	struct registry *next_reg;
	char id[REG_ID_MAX + 1];
	enum sstate state;
	pid_t pid;
	int64_t start_mono, start_boot;
	unsigned long long proc_start;
	unsigned restarts, quick_deaths;
	int last_status;               /* wait status; -1: none */
	char last_error[160];
	int64_t deadline;              /* 0: none */
	bool held;                     /* stopped by request */
	bool pending;                  /* waiting for its start group */
	bool stop_asked;
	bool killed;
	bool started_once;
	enum after after;
	struct extralist extras;       /* descendants outside the process group */
	struct outlog out, err;        /* err.path NULL: shares out */
};

enum phase { PH_STARTING, PH_RUNNING, PH_STOPPING };

static struct registry *reg;
static char *reg_path;
static struct registry **old_regs;
static size_t n_old;
static struct svc **svcs;
static size_t nsvc;
static enum phase phase;
static unsigned next_prio;       /* PH_STARTING: the next group to start */
static int64_t next_group_at;
static int64_t stop_started, stop_deadline; /* PH_STOPPING; deadline 0: none */
static uint64_t stop_scale_num = 1, stop_scale_den = 1;
static int exit_code;
static unsigned long generation = 1, serial;
static bool dirty;
static int64_t stats_at;
static int epfd = -1, sigfd = -1, lock_fd = -1;
static int notify_fd = -1;
static char *rundir;
static int64_t start_boot, start_real;
static unsigned long nofile_soft;
static bool foreground;
static unsigned long long pidns;

static int64_t state_retry_at;  /* a failed state write is retried then */

static void mark(void) { dirty = true; }

/* Signals whose disposition setup_signals changes: servers get them back at
 * their default. */
static int changed_sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGXFSZ, 0};

/* Running servers by pid: an open-addressing table, so that reaping and
 * orphan scans stay O(1) per process with thousands of servers. */
static struct svc **pidtab;
static size_t pidcap, pidused;

static size_t pid_slot(pid_t pid, size_t cap)
{
	return ((size_t)pid * 2654435761u) & (cap - 1);
}

static struct svc *find_pid(pid_t pid)
{
	if (!pidcap || pid <= 0)
		return NULL;
	for (size_t i = pid_slot(pid, pidcap);; i = (i + 1) & (pidcap - 1)) {
		if (!pidtab[i])
			return NULL;
		if (pidtab[i]->pid == pid)
			return pidtab[i];
	}
}

static void pid_insert(struct svc *v)
{
	if ((pidused + 1) * 2 > pidcap) {
		size_t cap = pidcap ? pidcap * 2 : 64;
		struct svc **t = xcalloc(cap, sizeof *t);
		for (size_t i = 0; i < pidcap; i++)
			if (pidtab[i]) {
				size_t k = pid_slot(pidtab[i]->pid, cap);
				while (t[k])
					k = (k + 1) & (cap - 1);
				t[k] = pidtab[i];
			}
		free(pidtab);
		pidtab = t;
		pidcap = cap;
	}
	size_t k = pid_slot(v->pid, pidcap);
	while (pidtab[k])
		k = (k + 1) & (pidcap - 1);
	pidtab[k] = v;
	pidused++;
}

/* Remove v (whose pid is still set) and re-seat the entries after it. */
static void pid_remove(struct svc *v)
{
	if (!pidcap)
		return;
	size_t i = pid_slot(v->pid, pidcap);
	while (pidtab[i] && pidtab[i] != v)
		i = (i + 1) & (pidcap - 1);
	if (!pidtab[i])
		return;
	pidtab[i] = NULL;
	pidused--;
	for (size_t k = (i + 1) & (pidcap - 1); pidtab[k]; k = (k + 1) & (pidcap - 1)) {
		struct svc *w = pidtab[k];
		pidtab[k] = NULL;
		size_t j = pid_slot(w->pid, pidcap);
		while (pidtab[j])
			j = (j + 1) & (pidcap - 1);
		pidtab[j] = w;
	}
}

/* ---- output ---- */

static void outlog_close(struct outlog *o)
{
	if (o->pipe >= 0)
		close(o->pipe);
	o->pipe = -1;
	free(o->path);
	o->path = NULL;
}

/* Open a log for appending, never through a symbolic link someone may have
 * planted; create its directory if that is what is missing. */
static int open_logfile(const char *path)
{
	const int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
	int fd = open(path, flags, 0644);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	char *dir = path_dirname(path);
	char why[256];
	(void)rundir_prepare(dir, why, sizeof why);  /* open() below reports failure */
	free(dir);
	return open(path, flags, 0644);
}

/* Move what the server wrote into its log file; when the file cannot take it
 * (disk full), drop it rather than block the server. */
static void outlog_drain(struct outlog *o)
{
	static char buf[65536];
	int file = -1;
	for (;;) {
		ssize_t n = read(o->pipe, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				close(o->pipe);
				o->pipe = -1;
			}
			break;
		}
		if (file < 0)
			file = open_logfile(o->path);
		if (file < 0 || write_full(file, buf, (size_t)n) != 0) {
			if (!o->dropped)
				trace(TRACE_ERROR, o->owner->id, "cannot write %s: %s; dropping output", o->path,
				      strerror(errno));
			o->dropped += (unsigned long long)n;
		} else if (o->dropped) {
			trace(TRACE_WARNING, o->owner->id, "%s writable again; %llu bytes of output were lost", o->path,
			      o->dropped);
			o->dropped = 0;
		}
	}
	if (file >= 0)
		close(file);
}

/* Prepare fd for one stream: "-" keeps ours (-1); else a pipe into the file. */
static int outlog_prepare(struct svc *v, struct outlog *o, const char *path, char *why, size_t n)
{
	if (o->pipe >= 0) {
		outlog_drain(o);
		if (o->pipe >= 0) {
			close(o->pipe);
			o->pipe = -1;
		}
	}
	if (o->path && strcmp(o->path, path) != 0) {
		free(o->path);
		o->path = NULL;
	}
	o->owner = v;
	if (!o->path)
		o->path = xstrdup(path);
	if (strcmp(path, "-") == 0)
		return -1;
	/* Find out now, not at the first output, if the log cannot be written. */
	int f = open_logfile(path);
	if (f < 0) {
		snprintf(why, n, "log %s: %s", path, strerror(errno));
		return -2;
	}
	close(f);
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) != 0) {
		snprintf(why, n, "pipe: %s", strerror(errno));
		return -2;
	}
	set_nonblock(pp[0]);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = o};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, pp[0], &ev) != 0) {
		snprintf(why, n, "epoll: %s", strerror(errno));
		close(pp[0]);
		close(pp[1]);
		return -2;
	}
	o->pipe = pp[0];
	return pp[1];
}

static void reopen_logs(void)
{
	int e = log_reopen();
	if (e < 0)
		trace(TRACE_ERROR, NULL, "cannot reopen trace log: %s", strerror(-e));
	if (!foreground && e == 0 && strcmp(reg->log, "-") != 0) {
		/* Our own stdout/stderr (where "-" servers write) follow the log. */
		int fd = open_logfile(reg->log);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
	}
	/* Servers' logs are opened for each batch of output; create them now so
	 * that a rotated file is back in place at once. */
	for (size_t i = 0; i < nsvc; i++) {
		struct outlog *os[2] = {&svcs[i]->out, &svcs[i]->err};
		for (int k = 0; k < 2; k++) {
			if (!os[k]->path || strcmp(os[k]->path, "-") == 0 || (k == 1 && os[1]->pipe < 0))
				continue;
			int fd = open_logfile(os[k]->path);
			if (fd < 0)
				trace(TRACE_ERROR, svcs[i]->id, "cannot reopen %s: %s", os[k]->path, strerror(errno));
			else
				close(fd);
		}
	}
	trace(TRACE_INFO, NULL, "log files reopened");
}

/* ---- state file ---- */

static void fill_exit(char *out, size_t n, int status)
{
	if (status < 0)
		out[0] = 0;
	else if (WIFEXITED(status))
		snprintf(out, n, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, n, "signal %s", signal_name(WTERMSIG(status)));
	else
		snprintf(out, n, "status %d", status);
}

static void write_state(void)
{
	static struct buf b;
	b.len = 0;
	static const char *phases[] = {"starting", "running", "stopping"};
	struct st_file f = {
		.pid = getpid(),
		.pidns = pidns,
		.start_boot_ns = start_boot,
		.start_real_s = start_real / SEC,
		.generation = generation,
		.serial = ++serial,
	};
	snprintf(f.phase, sizeof f.phase, "%s", phases[phase]);
	snprintf(f.registry, sizeof f.registry, "%s", reg->path);
	state_put_header(&b, &f);
	for (size_t i = 0; i < nsvc; i++) {
		struct svc *v = svcs[i];
		struct st_server s = {
			.index = (unsigned)i,
			.pid = v->pid,
			.start_boot_ns = v->pid ? v->start_boot : 0,
			.restarts = v->restarts,
			.held = v->held,
			.proc_start = v->proc_start,
		};
		snprintf(s.id, sizeof s.id, "%s", v->id);
		snprintf(s.state, sizeof s.state, "%s", state_names[v->state]);
		fill_exit(s.last_exit, sizeof s.last_exit, v->last_status);
		snprintf(s.last_error, sizeof s.last_error, "%s", v->last_error);
		snprintf(s.description, sizeof s.description, "%s", v->cfg->description);
		state_put_server(&b, &s);
	}
	int e = file_replace(rundir, "supervisor.state", buf_str(&b), b.len);
	if (e < 0) {
		/* Stays dirty; try again in a second (a deadline, not a loop). */
		if (!state_retry_at)
			trace(TRACE_ERROR, NULL, "cannot write %s/supervisor.state: %s (retrying every second)", rundir,
			      strerror(-e));
		state_retry_at = mono_ns() + SEC;
		return;
	}
	if (state_retry_at)
		trace(TRACE_INFO, NULL, "%s/supervisor.state written again", rundir);
	state_retry_at = 0;
	dirty = false;
}

/* ---- starting and stopping one server ---- */

static void spawn(struct svc *v, int64_t now)
{
	char why[sizeof v->last_error] = "";
	if (v->next_cfg) {
		v->cfg = v->next_cfg;
		v->reg = v->next_reg;
		v->next_cfg = NULL;
		v->next_reg = NULL;
	}
	const struct server *s = v->cfg;
	struct spawn_req r = {
		.s = s,
		.default_dir = v->reg->dir,
		.pdeathsig = s->stop_signal,
		.nofile_soft = nofile_soft,
		.reset = changed_sigs,
		.nreset = sizeof changed_sigs / sizeof changed_sigs[0],
	};
	int ofd = outlog_prepare(v, &v->out, s->stdout_path, why, sizeof why), efd = ofd;
	if (ofd != -2 && strcmp(s->stderr_path, s->stdout_path) != 0)
		efd = outlog_prepare(v, &v->err, s->stderr_path, why, sizeof why);
	else if (v->err.pipe >= 0 || v->err.path)
		outlog_close(&v->err);
	pid_t pid = -1;
	if (ofd != -2 && efd != -2) {
		r.out_fd = ofd;
		r.err_fd = efd;
		pid = spawn_server(&r, why, sizeof why);
	}
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0 && efd != ofd)
		close(efd);
	if (v->started_once)
		v->restarts++;
	v->started_once = true;
	v->start_mono = now;
	v->start_boot = boot_ns();
	v->deadline = 0;
	v->stop_asked = v->killed = false;
	v->extras.n = 0;
	v->after = AFTER_NOTHING;
	mark();
	if (pid < 0) {
		snprintf(v->last_error, sizeof v->last_error, "%s", why);
		trace(TRACE_ERROR, v->id, "cannot start: %s", why);
		v->pid = 0;
		v->last_status = -1;
		v->state = S_STOPPED;
		return;  /* the caller applies the restart policy */
	}
	v->pid = pid;
	pid_insert(v);
	struct proc_stat ps;
	v->proc_start = proc_stat(pid, &ps) == 0 ? ps.starttime : 0;
	v->state = S_RUNNING;
	v->last_error[0] = 0;
	trace(TRACE_INFO, v->id, "started, pid %d", (int)pid);
}

static int64_t backoff_delay(const struct svc *v)
{
	if (v->quick_deaths <= 1)
		return 0;
	int64_t cap = (int64_t)v->cfg->restart_delay_max * SEC;
	int64_t d = BACKOFF_BASE;
	for (unsigned i = 2; i < v->quick_deaths && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

static void begin_stop_all(int code, const char *why);

/* A server died (or could not start) without being asked to: apply its
 * restart policy. */
static void after_unexpected(struct svc *v, int64_t now, bool start_failed)
{
	const struct server *s = v->cfg;
	int st = v->last_status;
	bool clean = !start_failed && st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (start_failed || now - v->start_mono < (int64_t)s->min_uptime * SEC)
		v->quick_deaths++;
	else
		v->quick_deaths = 1;
	if (s->restart == RESTART_NEVER || (s->restart == RESTART_ON_FAILURE && clean)) {
		v->state = S_STOPPED;
		trace(TRACE_INFO, v->id, "not restarted (restart policy %s)", restart_policy_name(s->restart));
		return;
	}
	if (s->max_restarts && v->quick_deaths > s->max_restarts) {
		v->state = S_FATAL;
		trace(TRACE_ERROR, v->id, "fatal: died %u times in a row within %u s of starting", v->quick_deaths,
		      s->min_uptime);
		if (s->essential && phase != PH_STOPPING)
			begin_stop_all(1, "an essential server is fatal");
		return;
	}
	int64_t d = backoff_delay(v);
	if (d == 0 && !start_failed) {
		spawn(v, now);
		if (v->pid == 0)
			after_unexpected(v, now, true);
		return;
	}
	if (d == 0)
		d = BACKOFF_BASE;
	v->state = S_BACKOFF;
	v->deadline = now + d;
	trace(TRACE_WARNING, v->id, "restarting in %.1f s", (double)d / SEC);
}

static void start_svc(struct svc *v, int64_t now)
{
	v->pending = false;
	spawn(v, now);
	if (v->pid == 0)
		after_unexpected(v, now, true);
}


/* Whether pid's environment carries IMAGESERVING_SERVER=id (every server's
 * does, and its descendants usually inherit it). */
static bool marked_for(pid_t pid, const char *id)
{
	char path[64], *env;
	size_t len;
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	if (read_file(path, 1u << 20, &env, &len) != 0)
		return false;
	bool found = false;
	size_t idn = strlen(id);
	for (size_t i = 0; i < len && !found; i += strlen(env + i) + 1)
		found = strncmp(env + i, "IMAGESERVING_SERVER=", 20) == 0 && strncmp(env + i + 20, id, idn) == 0 &&
			env[i + 20 + idn] == 0;
	free(env);
	return found;
}

struct pidlist {
	pid_t *p;
	size_t n, cap;
};

static void pidlist_add(struct pidlist *l, pid_t pid)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->p = xrealloc(l->p, l->cap * sizeof *l->p);
	}
	l->p[l->n++] = pid;
}

/* Append pid's children (of every thread) to l. */
static void add_children(struct pidlist *l, pid_t pid)
{
	static pid_t buf[8192];
	int k = proc_children(pid, buf, 8192);
	for (int i = 0; i < k; i++)
		pidlist_add(l, buf[i]);
}

/* Our children that are no server's main process: orphans we adopted. Read
 * once per reap pass (a mass exit would otherwise read the list once per
 * server), else afresh. */
static struct pidlist adopted;
static bool in_reap, adopted_valid;

static const struct pidlist *adopted_children(void)
{
	if (adopted_valid)
		return &adopted;
	static pid_t buf[8192];
	int k = proc_children(getpid(), buf, 8192);
	adopted.n = 0;
	for (int i = 0; i < k; i++)
		if (!find_pid(buf[i]))
			pidlist_add(&adopted, buf[i]);
	adopted_valid = in_reap;
	return &adopted;
}

/* Descendants of a server instance (main process root, alive or not) that
 * are not in its process group: setsid'd children still below it, and
 * orphans of it that we adopted as subreaper (recognised by their
 * environment marker). Added to l. No cap: a server may have thousands. */
static void collect_into(const char *id, pid_t root, struct extralist *l)
{
	static struct pidlist todo;  /* kept: no allocation per exit */
	todo.n = 0;
	pidlist_add(&todo, root);
	const struct pidlist *ours = adopted_children();
	for (size_t i = 0; i < ours->n; i++)
		if (marked_for(ours->p[i], id))
			pidlist_add(&todo, ours->p[i]);
	for (size_t i = 0; i < todo.n && todo.n < 1000000; i++)
		add_children(&todo, todo.p[i]);
	for (size_t i = 1; i < todo.n; i++) {
		struct proc_stat ps;
		if (proc_stat(todo.p[i], &ps) != 0 || ps.pgrp == root || ps.state == 'Z')
			continue;
		bool seen = false;
		for (size_t k = 0; k < l->n && !seen; k++)
			seen = l->p[k].pid == todo.p[i];
		if (seen)
			continue;
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 8;
			l->p = xrealloc(l->p, l->cap * sizeof *l->p);
		}
		l->p[l->n].pid = todo.p[i];
		l->p[l->n++].start = ps.starttime;
	}
}

static void collect_extras(struct svc *v)
{
	collect_into(v->id, v->pid, &v->extras);
}

/* Signal the listed processes that are still the ones we saw. */
static void signal_list(const struct extralist *l, int sig)
{
	for (size_t i = 0; i < l->n; i++) {
		struct proc_stat ps;
		pid_t p = l->p[i].pid;
		if (proc_stat(p, &ps) == 0 && ps.starttime == l->p[i].start && ps.state != 'Z') {
			kill(-p, sig);
			kill(p, sig);
		}
	}
}

static void signal_extras(struct svc *v, int sig)
{
	signal_list(&v->extras, sig);
}

static void begin_stop(struct svc *v, int64_t now, int64_t timeout)
{
	if (!v->pid) {
		if (v->state == S_BACKOFF || v->state == S_STARTING)
			v->state = S_STOPPED;
		v->deadline = 0;
		mark();
		return;
	}
	if (v->state == S_STOPPING)
		return;
	v->state = S_STOPPING;
	v->stop_asked = true;
	collect_extras(v);
	int sig = v->cfg->stop_signal;
	if (kill(-v->pid, sig) != 0 && kill(v->pid, sig) != 0)
		trace(TRACE_WARNING, v->id, "kill %d: %s", (int)v->pid, strerror(errno));
	signal_extras(v, sig);
	if (sig != SIGCONT)
		kill(-v->pid, SIGCONT);  /* a stopped process must wake to act on it */
	v->deadline = now + timeout;
	if (stop_deadline && v->deadline > stop_deadline)
		v->deadline = stop_deadline;
	if (v->deadline <= now)
		v->deadline = now + 1;
	trace(TRACE_INFO, v->id, "stopping: %s sent to process group %d, KILL in %.3f s", signal_name(sig),
	      (int)v->pid, (double)(v->deadline - now) / SEC);
	mark();
}

static int64_t server_stop_timeout(const struct svc *v)
{
	return (int64_t)v->cfg->stop_timeout * SEC;
}

static void kill_now(struct svc *v)
{
	collect_extras(v);
	kill(-v->pid, SIGKILL);
	kill(v->pid, SIGKILL);
	signal_extras(v, SIGKILL);
	v->killed = true;
	v->deadline = 0;
	trace(TRACE_WARNING, v->id, "did not stop in time: process group %d killed", (int)v->pid);
}

/* ---- the supervisor's stop ---- */

static bool alive(const struct svc *v) { return v->pid > 0; }

static void stop_progress(int64_t now)
{
	bool any = false;
	unsigned top = 0;
	for (size_t i = 0; i < nsvc; i++)
		if (alive(svcs[i]) && (!any || svcs[i]->cfg->priority > top)) {
			top = svcs[i]->cfg->priority;
			any = true;
		}
	if (!any)
		return;
	for (size_t i = 0; i < nsvc; i++) {
		struct svc *v = svcs[i];
		if (alive(v) && v->cfg->priority == top && v->state != S_STOPPING) {
			int64_t t = server_stop_timeout(v) * (int64_t)stop_scale_num / (int64_t)stop_scale_den;
			begin_stop(v, now, t);
		}
	}
}

static void begin_stop_all(int code, const char *why)
{
	if (phase == PH_STOPPING)
		return;
	int64_t now = mono_ns();
	phase = PH_STOPPING;
	if (code)
		exit_code = code;
	stop_started = now;
	trace(TRACE_INFO, NULL, "stopping every server: %s", why);
	for (size_t i = 0; i < nsvc; i++) {
		struct svc *v = svcs[i];
		v->after = AFTER_NOTHING;
		v->pending = false;
		if (!alive(v) && (v->state == S_BACKOFF || v->state == S_STARTING)) {
			v->state = S_STOPPED;
			v->deadline = 0;
		}
	}
	/* The shutdown budget caps the sum of the groups' stop timeouts. */
	if (reg->shutdown_timeout) {
		stop_deadline = now + (int64_t)reg->shutdown_timeout * SEC;
		uint64_t sum = 0;
		unsigned last = 0;
		bool first = true;
		/* svcs are in priority order; sum each group's largest timeout */
		uint64_t group_max = 0;
		for (size_t i = 0; i < nsvc; i++) {
			const struct svc *v = svcs[i];
			if (!alive(v))
				continue;
			if (first || v->cfg->priority != last) {
				sum += group_max;
				group_max = 0;
				last = v->cfg->priority;
				first = false;
			}
			if (v->cfg->stop_timeout > group_max)
				group_max = v->cfg->stop_timeout;
		}
		sum += group_max;
		if (sum > reg->shutdown_timeout) {
			stop_scale_num = reg->shutdown_timeout;
			stop_scale_den = sum;
		}
	}
	if (notify_fd >= 0) {
		dprintf(notify_fd, "E1 supervisor stopped while starting: %s\n", why);
		close(notify_fd);
		notify_fd = -1;
	}
	stop_progress(now);
	mark();
}

/* ---- startup groups ---- */

static void notify_ready(void)
{
	if (notify_fd < 0)
		return;
	struct buf b = {0};
	for (size_t i = 0; i < nsvc; i++)
		if (svcs[i]->last_error[0])
			buf_printf(&b, "F%s: %s\n", svcs[i]->id, svcs[i]->last_error);
	buf_printf(&b, "R%d\n", (int)getpid());
	(void)write_full(notify_fd, buf_str(&b), b.len);
	buf_free(&b);
	close(notify_fd);
	notify_fd = -1;
}

/* Start the group of priority next_prio, then schedule the next one. */
static void start_next_group(int64_t now)
{
	unsigned delay = 0;
	bool found = false, more = false;
	unsigned following = 0;
	for (size_t i = 0; i < nsvc; i++) {
		struct svc *v = svcs[i];
		if (!v->pending)
			continue;
		if (v->cfg->priority <= next_prio) {
			found = true;
			if (v->cfg->start_delay > delay)
				delay = v->cfg->start_delay;
			if (!v->held)
				start_svc(v, now);
			v->pending = false;
		} else if (!more || v->cfg->priority < following) {
			following = v->cfg->priority;
			more = true;
		}
	}
	if (found)
		trace(TRACE_DEBUG, NULL, "priority group %u started", next_prio);
	if (!more) {
		phase = PH_RUNNING;
		next_group_at = 0;
		trace(TRACE_INFO, NULL, "all servers started");
		notify_ready();
		mark();
		return;
	}
	next_prio = following;
	next_group_at = now + (int64_t)delay * SEC;
	if (next_group_at <= now)
		start_next_group(now);
}

/* ---- child exits ---- */


static void svc_free(struct svc *v)
{
	outlog_close(&v->out);
	outlog_close(&v->err);
	free(v->extras.p);
	free(v);
}

static void drop_svc(struct svc *v)
{
	for (size_t i = 0; i < nsvc; i++)
		if (svcs[i] == v) {
			memmove(&svcs[i], &svcs[i + 1], (nsvc - i - 1) * sizeof *svcs);
			nsvc--;
			break;
		}
	if (v->out.pipe >= 0)
		outlog_drain(&v->out);
	if (v->err.pipe >= 0)
		outlog_drain(&v->err);
	svc_free(v);
	generation++;
}

static bool clean_stop_status(const struct svc *v, int st)
{
	int sig = v->cfg->stop_signal;
	if (WIFEXITED(st))
		return WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 128 + sig;
	return WIFSIGNALED(st) && (WTERMSIG(st) == sig || (v->killed && WTERMSIG(st) == SIGKILL));
}

static void child_exited(pid_t pid, int st, int64_t now)
{
	struct svc *v = find_pid(pid);
	if (!v) {
		trace(TRACE_DEBUG, NULL, "reaped orphan %d", (int)pid);
		return;
	}
	char how[32], id[REG_ID_MAX + 1];
	fill_exit(how, sizeof how, st);
	snprintf(id, sizeof id, "%s", v->id);  /* v may be dropped below */
	pid_remove(v);
	/* The escapees found at stop time go with the old instance; the next
	 * instance starts with an empty list (buffers swapped, not freed). */
	static struct extralist gone;
	struct extralist t = v->extras;
	v->extras = gone;
	v->extras.n = 0;
	gone = t;
	v->pid = 0;
	v->last_status = st;
	v->deadline = 0;
	mark();
	if (v->state == S_STOPPING) {
		double up = (double)(now - v->start_mono) / SEC;
		if (clean_stop_status(v, st))
			trace(TRACE_INFO, v->id, "stopped (%s) after %.1f s up", how, up);
		else
			trace(TRACE_WARNING, v->id, "stopped uncleanly (%s)", how);
		v->state = S_STOPPED;
		if (phase != PH_STOPPING && v->after == AFTER_REMOVE) {
			trace(TRACE_INFO, v->id, "removed from the registry");
			drop_svc(v);
		} else if (phase != PH_STOPPING && v->after == AFTER_START) {
			v->quick_deaths = 0;
			start_svc(v, now);
		}
	} else {
		trace(TRACE_WARNING, v->id, "exited unexpectedly (%s) after %.1f s", how,
		      (double)(now - v->start_mono) / SEC);
		if (phase == PH_STOPPING)
			v->state = S_STOPPED;
		else
			after_unexpected(v, now, false);
	}
	/* Restart first, then clear away what the old instance left: the rest
	 * of its process group, and descendants that escaped it (found before
	 * the group dies, while still below a living member or adopted by us). */
	collect_into(id, pid, &gone);
	kill(-pid, SIGKILL);
	signal_list(&gone, SIGKILL);
}

/* Reap every exited child first, then handle them: one read of our children
 * list serves the whole batch. */
static void reap(int64_t now)
{
	static struct {
		pid_t pid;
		int st;
	} *done;
	static size_t cap;
	size_t n = 0;
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			done = xrealloc(done, cap * sizeof *done);
		}
		done[n].pid = pid;
		done[n++].st = st;
	}
	in_reap = true;
	adopted_valid = false;
	for (size_t i = 0; i < n; i++)
		child_exited(done[i].pid, done[i].st, now);
	in_reap = adopted_valid = false;
}

/* ---- reload ---- */

static struct svc *new_svc(const struct server *s, struct registry *r)
{
	struct svc *v = xcalloc(1, sizeof *v);
	v->cfg = s;
	v->reg = r;
	snprintf(v->id, sizeof v->id, "%s", s->id);
	v->last_status = -1;
	v->out.pipe = v->err.pipe = -1;
	v->out.owner = v->err.owner = v;
	return v;
}

static bool reg_in_use(const struct registry *r)
{
	for (size_t i = 0; i < nsvc; i++)
		if (svcs[i]->reg == r || svcs[i]->next_reg == r)
			return true;
	return false;
}

static void sweep_registries(void)
{
	for (size_t i = 0; i < n_old;) {
		if (!reg_in_use(old_regs[i])) {
			registry_free(old_regs[i]);
			old_regs[i] = old_regs[--n_old];
		} else {
			i++;
		}
	}
}

static void apply_config(void)
{
	log_set_level(reg->tracelevel);
	int64_t now = mono_ns();
	stats_at = reg->stats_interval ? now + (int64_t)reg->stats_interval * SEC : 0;
}

static void reload(void)
{
	struct diag d = {0};
	struct registry *nr = registry_load(reg_path, &d);
	if (!nr) {
		trace(TRACE_ERROR, NULL, "reload: %s has %u error%s; keeping the running configuration", reg_path,
		      d.errors, d.errors == 1 ? "" : "s");
		const char *t = buf_str(&d.text);
		while (*t) {
			const char *nl = strchr(t, '\n');
			int len = nl ? (int)(nl - t) : (int)strlen(t);
			trace(TRACE_ERROR, NULL, "reload: %.*s", len, t);
			t += len + (nl ? 1 : 0);
		}
		diag_free(&d);
		return;
	}
	diag_free(&d);
	if (strcmp(nr->rundir, rundir) != 0)
		trace(TRACE_WARNING, NULL, "reload: the run directory changed to %s; it takes effect at the next start",
		      nr->rundir);
	int64_t now = mono_ns();
	struct svc **nv = xcalloc(nr->nservers + nsvc + 1, sizeof *nv);
	size_t n = 0;
	unsigned added = 0, changed = 0, removed = 0, same = 0;
	bool *taken = xcalloc(nsvc + 1, sizeof *taken);
	for (size_t i = 0; i < nr->nservers; i++) {
		const struct server *s = &nr->servers[i];
		struct svc *v = NULL;
		for (size_t k = 0; k < nsvc && !v; k++)
			if (!taken[k] && strcmp(svcs[k]->id, s->id) == 0) {
				v = svcs[k];
				taken[k] = true;
			}
		if (!v) {
			v = new_svc(s, nr);
			added++;
			trace(TRACE_INFO, v->id, "added by reload");
			if (phase == PH_STARTING && s->priority >= next_prio)
				v->pending = true;
			else if (phase != PH_STOPPING)
				start_svc(v, now);
		} else if (v->after == AFTER_REMOVE) {
			/* removed earlier, back again: start it after its stop */
			v->after = AFTER_START;
			v->next_cfg = s;
			v->next_reg = nr;
			changed++;
		} else if (server_same_process(v->cfg, s)) {
			if (v->next_cfg) {
				v->next_cfg = s;
				v->next_reg = nr;
			} else {
				v->cfg = s;
				v->reg = nr;
			}
			same++;
		} else {
			changed++;
			if (alive(v) && !v->held) {
				trace(TRACE_INFO, v->id, "changed by reload: restarting");
				v->next_cfg = s;
				v->next_reg = nr;
				v->after = AFTER_START;
				begin_stop(v, now, server_stop_timeout(v));
			} else if (alive(v)) {
				v->next_cfg = s;
				v->next_reg = nr;
			} else {
				v->cfg = s;
				v->reg = nr;
				if (v->state == S_FATAL && !v->held) {
					trace(TRACE_INFO, v->id, "changed by reload: trying again");
					v->quick_deaths = 0;
					start_svc(v, now);
				}
			}
		}
		nv[n++] = v;
	}
	for (size_t k = 0; k < nsvc; k++) {
		if (taken[k])
			continue;
		struct svc *v = svcs[k];
		if (alive(v)) {
			removed++;
			trace(TRACE_INFO, v->id, "removed by reload: stopping");
			v->after = AFTER_REMOVE;
			v->next_cfg = NULL;
			v->next_reg = NULL;
			begin_stop(v, now, server_stop_timeout(v));
			nv[n++] = v;
		} else {
			removed++;
			trace(TRACE_INFO, v->id, "removed by reload");
			svc_free(v);
		}
	}
	free(taken);
	free(svcs);
	svcs = nv;
	nsvc = n;
	old_regs = xrealloc(old_regs, (n_old + 1) * sizeof *old_regs);
	old_regs[n_old++] = reg;
	reg = nr;
	if (strcmp(reg->log, old_regs[n_old - 1]->log) != 0) {
		int e = log_open(reg->log);
		if (e < 0)
			trace(TRACE_ERROR, NULL, "reload: cannot open trace log %s: %s", reg->log, strerror(-e));
	}
	apply_config();
	generation++;
	sweep_registries();
	mark();
	trace(TRACE_INFO, NULL, "reloaded %s: %u added, %u changed, %u removed, %u unchanged", reg_path, added, changed,
	      removed, same);
}

/* ---- commands ---- */

static void command(int value, pid_t from)
{
	int cmd;
	unsigned index, gen;
	cmd_decode(value, &cmd, &index, &gen);
	if (gen != (generation & 0x1fff) || index >= nsvc) {
		trace(TRACE_WARNING, NULL, "ignored a command from pid %d for server %u of generation %u (now %lu)",
		      (int)from, index, gen, generation);
		mark();  /* a fresh state file tells the client to look again */
		return;
	}
	if (phase == PH_STOPPING)
		return;
	struct svc *v = svcs[index];
	int64_t now = mono_ns();
	switch (cmd) {
	case CMD_RESTART:
		trace(TRACE_INFO, v->id, "restart requested by pid %d", (int)from);
		v->held = false;
		v->pending = false;
		if (alive(v)) {
			if (v->state != S_STOPPING)
				begin_stop(v, now, server_stop_timeout(v));
			if (v->after != AFTER_REMOVE)
				v->after = AFTER_START;
		} else {
			v->quick_deaths = 0;
			start_svc(v, now);
		}
		break;
	case CMD_STOP:
		trace(TRACE_INFO, v->id, "stop requested by pid %d", (int)from);
		v->held = true;
		v->pending = false;
		if (v->after == AFTER_START)
			v->after = AFTER_NOTHING;
		begin_stop(v, now, server_stop_timeout(v));
		break;
	case CMD_START:
		trace(TRACE_INFO, v->id, "start requested by pid %d", (int)from);
		v->held = false;
		v->pending = false;
		if (alive(v)) {
			if (v->state == S_STOPPING && v->after == AFTER_NOTHING)
				v->after = AFTER_START;
		} else {
			v->quick_deaths = 0;
			start_svc(v, now);
		}
		break;
	default:
		trace(TRACE_WARNING, NULL, "ignored unknown command %d from pid %d", cmd, (int)from);
	}
	mark();
}

static void stats_line(void)
{
	int64_t now = mono_ns();
	for (size_t i = 0; i < nsvc; i++) {
		struct svc *v = svcs[i];
		char up[32] = "-", mem[32] = "-", how[32];
		if (v->pid) {
			fmt_duration(up, sizeof up, (now - v->start_mono) / SEC);
			fmt_bytes(mem, sizeof mem, proc_tree_rss(v->pid));
		}
		fill_exit(how, sizeof how, v->last_status);
		trace(TRACE_INFO, v->id,
		      "stats: state %s, pid %d, uptime %s, memory %s, restarts %u, last exit %s", state_names[v->state],
		      (int)v->pid, up, mem, v->restarts, how[0] ? how : "-");
	}
}

/* ---- setup ---- */

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
	changed_sigs[sizeof changed_sigs / sizeof changed_sigs[0] - 1] = CMD_SIGNAL;  /* not a constant in musl */
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return sigfd < 0 ? -1 : 0;
}

/* Processes a previous supervisor (killed hard) left running: kill the ones
 * that are still the very processes it recorded. */
static void kill_strays(void)
{
	struct st_file f;
	if (state_read(rundir, &f) != 0)
		return;
	for (size_t i = 0; i < f.n; i++) {
		const struct st_server *s = &f.servers[i];
		struct proc_stat ps;
		if (s->pid <= 0)
			continue;
		/* The leader still alive as the same process, or gone: then its
		 * group id cannot have been reused while members remain, so what
		 * answers to it is what is left of that server. A leader alive
		 * with another start time is a reused pid: leave it alone. */
		bool known = proc_stat(s->pid, &ps) == 0;
		bool same = known && ps.starttime == s->proc_start;  /* a zombie leader still names its group */
		bool gone = !known && kill(s->pid, 0) != 0 && errno == ESRCH;
		if (!same && !(gone && kill(-s->pid, 0) == 0))
			continue;
		trace(TRACE_WARNING, s->id, "killing stray process group %d left by supervisor %d", (int)s->pid,
		      (int)f.pid);
		kill(-s->pid, SIGKILL);
		if (same && ps.state != 'Z')
			kill(s->pid, SIGKILL);
	}
	state_free(&f);
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	nofile_soft = (unsigned long)rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			nofile_soft = 0;
	} else {
		nofile_soft = 0;
	}
}

static void cleanup_files(void)
{
	char *p = path_join(rundir, "supervisor.state");
	unlink(p);
	free(p);
	p = path_join(rundir, "supervisor.pid");
	unlink(p);
	free(p);
}

/* Orphans adopted as subreaper that outlived their servers: kill and reap,
 * again and again while killing them makes more orphans (bounded). */
static void kill_adopted(void)
{
	for (int round = 0; round < 100; round++) {
		struct pidlist kids = {0};
		add_children(&kids, getpid());
		if (!kids.n) {
			free(kids.p);
			return;
		}
		size_t live = 0;
		for (size_t i = 0; i < kids.n; i++) {
			struct proc_stat ps;
			if (proc_stat(kids.p[i], &ps) == 0 && ps.state == 'Z')
				continue;  /* already dead, only to be reaped */
			live++;
			kill(kids.p[i], SIGKILL);
		}
		if (live)
			trace(TRACE_WARNING, NULL, "killed %zu leftover process%s", live, live == 1 ? "" : "es");
		for (size_t i = 0; i < kids.n; i++)
			while (waitpid(kids.p[i], NULL, 0) < 0 && errno == EINTR)
				;
		free(kids.p);
	}
}

static void handle_signals(bool *reload_req)
{
	struct signalfd_siginfo si[16];
	for (;;) {
		ssize_t n = read(sigfd, si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
			int sig = (int)si[i].ssi_signo;
			if (sig == SIGCHLD || sig == SIGPIPE) {
				/* reaped below */
			} else if (sig == SIGTERM || sig == SIGINT) {
				begin_stop_all(0, sig == SIGTERM ? "SIGTERM" : "SIGINT");
			} else if (sig == SIGHUP) {
				*reload_req = true;
			} else if (sig == SIGUSR1) {
				reopen_logs();
			} else if (sig == SIGUSR2) {
				stats_line();
			} else if (sig == CMD_SIGNAL) {
				if (si[i].ssi_code == SI_QUEUE &&
				    (si[i].ssi_uid == getuid() || si[i].ssi_uid == 0))
					command(si[i].ssi_int, (pid_t)si[i].ssi_pid);
				else
					trace(TRACE_WARNING, NULL, "ignored a command signal from pid %d uid %u",
					      (int)si[i].ssi_pid, si[i].ssi_uid);
			}
		}
	}
}

static int64_t next_deadline(void)
{
	int64_t d = 0;
#define CONSIDER(t) do { if ((t) && (!d || (t) < d)) d = (t); } while (0)
	if (phase == PH_STARTING)
		CONSIDER(next_group_at);
	if (phase != PH_STOPPING)
		CONSIDER(stats_at);
	if (dirty)
		CONSIDER(state_retry_at);
	for (size_t i = 0; i < nsvc; i++)
		CONSIDER(svcs[i]->deadline);
#undef CONSIDER
	return d;
}

static void timers(int64_t now)
{
	if (phase == PH_STARTING && next_group_at && now >= next_group_at)
		start_next_group(now);
	if (stats_at && now >= stats_at && phase != PH_STOPPING) {
		stats_line();
		stats_at = now + (int64_t)reg->stats_interval * SEC;
	}
	for (size_t i = 0; i < nsvc; i++) {
		struct svc *v = svcs[i];
		if (!v->deadline || now < v->deadline)
			continue;
		if (v->state == S_BACKOFF) {
			v->deadline = 0;
			start_svc(v, now);
		} else if (v->state == S_STOPPING && v->pid) {
			kill_now(v);
			mark();
		} else {
			v->deadline = 0;
		}
	}
}

static int run_loop(void)
{
	for (;;) {
		int64_t now = mono_ns();
		timers(now);
		if (phase == PH_STOPPING) {
			stop_progress(now);
			bool any = false;
			for (size_t i = 0; i < nsvc; i++)
				any |= alive(svcs[i]);
			if (!any)
				break;
		}
		if (dirty && (!state_retry_at || mono_ns() >= state_retry_at))
			write_state();
		int64_t due = next_deadline();
		int timeout = -1;
		if (due) {
			int64_t ms = (due - mono_ns() + MS - 1) / MS;
			timeout = ms < 0 ? 0 : ms > 86400000 ? 86400000 : (int)ms;
		}
		struct epoll_event ev[64];
		int n = epoll_wait(epfd, ev, 64, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			trace(TRACE_ERROR, NULL, "epoll_wait: %s", strerror(errno));
			return 1;
		}
		bool reload_req = false, sig = false;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL)
				sig = true;
			else
				outlog_drain(ev[i].data.ptr);
		}
		if (sig) {
			handle_signals(&reload_req);
			reap(mono_ns());
			if (reload_req && phase != PH_STOPPING)
				reload();
		}
	}
	return exit_code;
}

static void wait_ready(pid_t holder);

/* Detach from the terminal; the parent returns once the daemon reports it
 * has started every server (or why it could not). */
static int daemonize(bool ok_if_running)
{
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) != 0)
		die_(EX_FAIL, "supervisor: pipe: %s", strerror(errno));
	fflush(NULL);  /* else the daemon would write the client's buffered output again */
	pid_t pid = fork();
	if (pid < 0)
		die_(EX_FAIL, "supervisor: fork: %s", strerror(errno));
	if (pid > 0) {
		close(pp[1]);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		struct buf b = {0};
		char chunk[512];
		ssize_t r;
		while ((r = read(pp[0], chunk, sizeof chunk)) != 0) {
			if (r < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			buf_add(&b, chunk, (size_t)r);
		}
		close(pp[0]);
		int rc = EX_FAIL, failed = 0;
		const char *t = buf_str(&b);
		bool ready = false;
		while (*t) {
			const char *nl = strchr(t, '\n');
			int len = nl ? (int)(nl - t) : (int)strlen(t);
			if (t[0] == 'R') {
				ready = true;
			} else if (t[0] == 'A') {
				pid_t holder = (pid_t)atoi(t + 1);
				if (ok_if_running) {
					printf("%s: supervisor already running (pid %d)\n", is_prog, (int)holder);
					wait_ready(holder);
					exit(EX_OK);
				}
				warnx_("supervisor already running (pid %d, run directory %s)", (int)holder, rundir);
			} else if (t[0] == 'F') {
				warnx_("server %.*s", len - 1, t + 1);
				failed++;
			} else if (t[0] == 'E') {
				rc = t[1] - '0';
				warnx_("%.*s", len - 3 > 0 ? len - 3 : 0, t + 3);
			}
			t += len + (nl ? 1 : 0);
		}
		if (ready)
			rc = failed ? EX_FAIL : EX_OK;
		else if (!b.len)
			warnx_("supervisor exited before it was ready (see its trace log)");
		buf_free(&b);
		exit(rc);
	}
	close(pp[0]);
	if (setsid() < 0)
		_exit(EX_FAIL);
	pid = fork();
	if (pid < 0)
		_exit(EX_FAIL);
	if (pid > 0)
		_exit(0);
	return pp[1];
}

static _Noreturn void fail_start(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_start(int code, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (notify_fd >= 0)
		dprintf(notify_fd, "E%d %s\n", code, msg);
	else
		warnx_("%s", msg);
	trace(TRACE_ERROR, NULL, "%s", msg);
	exit(code);
}

int supervisor_main(int argc, char **argv)
{
	struct opts o;
	if (!opts_parse(argc, argv, "cf", supervisor_usage, &o))
		return EX_USAGE;
	if (o.help) {
		usage_print(supervisor_usage, true);
		free(o.pos);
		return EX_OK;
	}
	if (o.npos) {
		warnx_("supervisor: unexpected argument: %s", o.pos[0]);
		usage_print(supervisor_usage, false);
		free(o.pos);
		return EX_USAGE;
	}
	const char *r = o.registry;
	free(o.pos);
	return supervisor_run(r, o.foreground, false);
}

/* The other daemon is starting too: return once it has started its servers. */
static bool is_ready(const struct st_file *f, void *arg)
{
	(void)arg;
	return strcmp(f->phase, "starting") != 0;
}

static void wait_ready(pid_t holder)
{
	struct st_file st;
	wait_state(rundir, holder, is_ready, NULL, 600000, &st);
	state_free(&st);
}

/* Whatever fds we inherited beyond 0-2 must not reach the servers. */
static void cloexec_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (fd > 2 && fd != self)
			set_cloexec(fd);
	}
	closedir(d);
}

int supervisor_run(const char *registry_opt, bool fg, bool ok_if_running)
{
	cloexec_inherited();
	foreground = fg || getpid() == 1;
	reg_path = registry_locate(registry_opt);
	struct diag d = {0};
	reg = registry_load(reg_path, &d);
	if (!reg) {
		fputs(buf_str(&d.text), stderr);
		warnx_("supervisor: %s is invalid; nothing started", reg_path);
		diag_free(&d);
		return EX_NOTCONFIG;
	}
	fputs(buf_str(&d.text), stderr);  /* warnings */
	diag_free(&d);
	rundir = xstrdup(reg->rundir);  /* reg is replaced on reload */

	if (!foreground)
		notify_fd = daemonize(ok_if_running);
	char why[512];
	if (rundir_prepare(rundir, why, sizeof why) != 0)
		fail_start(EX_FAIL, "%s", why);
	lock_fd = lock_take(rundir);
	if (lock_fd == -EAGAIN) {
		pid_t holder = lock_holder(rundir);
		if (notify_fd >= 0) {
			dprintf(notify_fd, "A%d\n", (int)holder);
			exit(EX_FAIL);
		}
		fail_start(EX_FAIL, "already running (pid %d, run directory %s)", (int)holder, rundir);
	}
	if (lock_fd < 0)
		fail_start(EX_FAIL, "cannot lock %s/supervisor.lock: %s", rundir, strerror(-lock_fd));
	int e = log_open(reg->log);
	if (e < 0)
		fail_start(EX_FAIL, "cannot open trace log %s: %s", reg->log, strerror(-e));
	log_set_level(reg->tracelevel);
	if (!foreground) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul >= 0) {
			dup2(nul, 0);
			close(nul);
		}
		/* "-" servers and stray writes land in the trace log, not on a
		 * terminal that may be gone. */
		int out = strcmp(reg->log, "-") == 0 ? open("/dev/null", O_WRONLY | O_CLOEXEC) : open_logfile(reg->log);
		if (out >= 0) {
			dup2(out, 1);
			dup2(out, 2);
			close(out);
		}
		if (chdir("/") != 0)
			trace(TRACE_WARNING, NULL, "chdir /: %s", strerror(errno));
	}
	start_boot = boot_ns();
	start_real = real_ns();
	pidns = proc_pidns(getpid());
	if (setup_signals() != 0)
		fail_start(EX_FAIL, "cannot set up signals: %s", strerror(errno));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		fail_start(EX_FAIL, "epoll_create1: %s", strerror(errno));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &ev) != 0)
		fail_start(EX_FAIL, "epoll_ctl: %s", strerror(errno));
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		trace(TRACE_WARNING, NULL, "cannot become a child subreaper: %s", strerror(errno));
	raise_nofile();
	kill_strays();
	e = pidfile_write(rundir, getpid());
	if (e < 0)
		fail_start(EX_FAIL, "cannot write %s/supervisor.pid: %s", rundir, strerror(-e));

	trace(TRACE_INFO, NULL, "supervisor %s started, pid %d%s, registry %s, %zu servers", IS_VERSION, (int)getpid(),
	      getpid() == 1 ? " (as PID 1)" : "", reg_path, reg->nservers);
	svcs = xcalloc(reg->nservers + 1, sizeof *svcs);
	for (size_t i = 0; i < reg->nservers; i++) {
		svcs[nsvc] = new_svc(&reg->servers[i], reg);
		svcs[nsvc++]->pending = true;
	}
	apply_config();
	phase = PH_STARTING;
	next_prio = nsvc ? svcs[0]->cfg->priority : 0;
	write_state();
	start_next_group(mono_ns());

	int rc = run_loop();
	kill_adopted();
	reap(mono_ns());
	cleanup_files();
	trace(rc ? TRACE_ERROR : TRACE_INFO, NULL, "supervisor stopped%s", rc ? " (an essential server failed)" : "");
	if (notify_fd >= 0) {
		dprintf(notify_fd, "E1 supervisor stopped while starting\n");
		close(notify_fd);
	}
	for (size_t i = 0; i < nsvc; i++)
		svc_free(svcs[i]);
	free(svcs);
	free(pidtab);
	for (size_t i = 0; i < n_old; i++)
		registry_free(old_regs[i]);
	free(old_regs);
	registry_free(reg);
	free(reg_path);
	close(lock_fd);
	return rc;
}
