/* client.c: the ImageServing control client: the LSB init-script actions
 * (start, stop, restart, try-restart, reload, force-reload, plus reopen) and
 * the per-server start/stop/restart ID, each waiting for its effect. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "applets.h"
#include "lib/anchor.h"
#include "lib/control.h"
#include "lib/opts.h"
#include "lib/proto.h"
#include "lib/registry.h"
#include "lib/runfile.h"
#include "lib/status.h"
#include "lib/util.h"
#include "lib/waitack.h"

const char client_usage[] =
	"Usage: ImageServing [-c FILE] start|stop|restart|try-restart [ID...] | reload | force-reload | reopen | status [--json] [ID...]\n"
	"Control the Image Serving Server Supervisor and its servers (an LSB init script).\n"
	"  start            start the supervisor in the background; returns once every\n"
	"                   server has been started (already running: success)\n"
	"  stop             stop every server and the supervisor; returns once all are\n"
	"                   gone (not running: success)\n"
	"  restart          check the registry, stop, then start, the supervisor included\n"
	"  try-restart      restart if running, else do nothing (also: condrestart)\n"
	"  start ID...      start those servers (and clear a stop by request)\n"
	"  stop ID...       stop those servers; they stay down, across reloads, until\n"
	"                   start ID\n"
	"  restart ID...    restart only those servers; returns with their new pids\n"
	"  try-restart ID...  restart those servers if the supervisor runs\n"
	"  reload           re-read the registry: stop removed servers, start new ones,\n"
	"                   restart changed ones (an invalid registry changes nothing)\n"
	"  force-reload     the same as reload\n"
	"  reopen           reopen every log file (SIGUSR1; for logrotate)\n"
	"  status           see: imageserving status --help\n"
	"  -c FILE          the registry\n"
	"Exit: 0 success, 1 failure, 2 usage or unknown ID, 3 unimplemented (reload ID),\n"
	"4 insufficient privilege, 5 not installed (no registry at the install root),\n"
	"6 registry invalid or missing, 7 supervisor not running (start ID, stop ID,\n"
	"restart ID, reload, force-reload, reopen).\n";

struct ctl {
	char *registry;
	char *rundir;
	const char *verb;
	bool from_default;  /* registry found by the install-root search (no -c, no environment) */
	bool quiet;         /* restart: one line for the whole, not one per step */
	pid_t stopped;      /* the supervisor do_stop stopped, for restart's line */
};

/* A signalling error as an exit code: EPERM is "insufficient privilege". */
static int signal_rc(int e)
{
	return e == -EPERM || e == -EACCES ? EX_NOPERM : e == -ESRCH ? EX_NOSUPERVISOR : EX_FAIL;
}

/* The server ids of the state file, "a, b, c" (or in reverse: stop order). */
static void state_ids(const struct st_file *st, bool reverse, struct buf *out)
{
	for (size_t k = 0; k < st->n; k++) {
		const struct st_server *s = &st->servers[reverse ? st->n - 1 - k : k];
		buf_printf(out, "%s%s", k ? ", " : "", s->id);
	}
}

/* A supervisor that died hard leaves supervisor.pid behind (status then
 * says "dead but the pid file exists"). Under the lock, so that a daemon
 * starting meanwhile never loses its pid file, remove it. */
static void clear_stale_pidfile(const char *rundir)
{
	int fd = lock_take(rundir);
	if (fd < 0)
		return;
	char *p = path_join(rundir, "supervisor.pid");
	if (unlink(p) == 0)
		printf("%s: removed the stale pid file of a dead supervisor (%s)\n", is_prog, p);
	free(p);
	close(fd);
}

/* How long to wait for a whole stop: the budget the daemon published (its
 * own shutdown deadline, or the sum of its groups' stop timeouts), plus
 * slack; 10 minutes if its state is unreadable. */
static int64_t stop_wait_ms(const struct ctl *c, pid_t pid)
{
	struct st_file st = {0};
	int64_t ms = 600000;
	if (state_read(c->rundir, &st) == 0 && st.pid == pid)
		ms = st.stop_budget_ms + 10000;
	state_free(&st);
	return ms;
}

static int do_stop(struct ctl *c)
{
	char why[512];
	c->stopped = 0;
	pid_t pid = daemon_find(c->rundir, why, sizeof why);
	if (pid == 0) {
		if (!c->quiet)
			printf("%s: supervisor not running\n", is_prog);
		clear_stale_pidfile(c->rundir);
		return EX_OK;
	}
	if (pid < 0) {
		warnx_("stop: %s", why);
		return EX_FAIL;
	}
	struct st_file st = {0};
	struct buf ids = {0};
	if (state_read(c->rundir, &st) == 0 && st.pid == pid)
		state_ids(&st, true, &ids);
	state_free(&st);
	int e = daemon_signal(c->rundir, pid, SIGTERM, 0);
	if (e == -ESRCH) {
		printf("%s: supervisor not running\n", is_prog);
		buf_free(&ids);
		return EX_OK;
	}
	if (e < 0) {
		warnx_("stop: %s", daemon_signal_error(pid, e, why, sizeof why));
		buf_free(&ids);
		return signal_rc(e);
	}
	if (!wait_exit(pid, stop_wait_ms(c, pid))) {
		warnx_("stop: supervisor %d is still stopping its servers", (int)pid);
		buf_free(&ids);
		return EX_FAIL;
	}
	c->stopped = pid;
	if (!c->quiet)
		printf("%s: stopped: %s%ssupervisor (pid %d)\n", is_prog, buf_str(&ids), ids.len ? " and the " : "",
		       (int)pid);
	buf_free(&ids);
	return EX_OK;
}

/* Before starting: is there a registry (5: none at the install root; 6:
 * the named one is missing), can we read it (4) and is it valid (6)? On
 * success the run directory it names is left in *rundir. */
static int registry_usable(const struct ctl *c, char **rundir)
{
	if (access(c->registry, R_OK) != 0) {
		int e = errno;
		if (e == ENOENT && c->from_default) {
			warnx_("%s: not installed: no registry at %s (give -c FILE, or set IMAGESERVING_ROOT or "
			       "IMAGESERVING_REGISTRY)",
			       c->verb, c->registry);
			return EX_NOTINSTALLED;
		}
		warnx_("%s: registry %s: %s", c->verb, c->registry, strerror(e));
		return e == EACCES || e == EPERM ? EX_NOPERM : EX_NOTCONFIG;
	}
	struct diag d = {0};
	struct registry *r = registry_load(c->registry, &d);
	if (!r) {
		fputs(buf_str(&d.text), stderr);
		warnx_("%s: %s is invalid; nothing was changed", c->verb, c->registry);
		diag_free(&d);
		return EX_NOTCONFIG;
	}
	diag_free(&d);
	if (rundir)
		*rundir = anchor_rundir(c->registry, xstrdup(r->rundir), NULL);
	registry_free(r);
	return EX_OK;
}

/* A run directory we may not create or write to is "insufficient
 * privilege" (4), before a daemon is forked to find out. */
static int rundir_usable(const char *verb, const char *rundir)
{
	char why[512];
	int e = rundir_prepare(rundir, why, sizeof why);
	if (e == 0 && access(rundir, W_OK) != 0) {
		e = -errno;
		snprintf(why, sizeof why, "run directory %s: %s", rundir, strerror(errno));
	}
	if (e == 0)
		return EX_OK;
	warnx_("%s: %s", verb, why);
	return e == -EACCES || e == -EPERM || e == -EROFS ? EX_NOPERM : EX_FAIL;
}

static bool not_starting(const struct st_file *f, void *arg)
{
	(void)arg;
	return f->phase != PHASE_STARTING;
}

/* One line for what a start did: the servers now running (ready), and any
 * that are not ready or failed (the daemon has already said why on stderr). */
static void report_started(const struct ctl *c, const char *rundir, pid_t pid)
{
	struct st_file st = {0};
	if (wait_state(rundir, pid, not_starting, NULL, 2000, &st) != 1) {
		state_free(&st);
		return;
	}
	struct buf up = {0}, down = {0};
	for (size_t i = 0; i < st.n; i++) {
		const struct st_server *s = &st.servers[i];
		bool ok = s->pid > 0 && s->state == SV_RUNNING;  /* ready */
		struct buf *b = ok ? &up : &down;
		buf_printf(b, "%s%s", b->len ? ", " : "", s->id);
		if (!ok)
			buf_printf(b, " (%s)", sv_state_name((enum sv_state)s->state));
	}
	char sup[64];
	if (c->stopped)
		snprintf(sup, sizeof sup, "supervisor pid %d -> %d", (int)c->stopped, (int)pid);
	else
		snprintf(sup, sizeof sup, "supervisor pid %d", (int)pid);
	printf("%s: %s: %s%s%s (%s)\n", is_prog, c->stopped ? "restarted" : "started", up.len ? buf_str(&up) : "none",
	       down.len ? "; not ready: " : "", buf_str(&down), sup);
	buf_free(&up);
	buf_free(&down);
	state_free(&st);
}

/* Start the daemon through a child (the daemonizing code exits when the
 * daemon is ready), then say what runs. */
static int do_start(const struct ctl *c)
{
	char *rundir = NULL;
	int rc = registry_usable(c, &rundir);
	if (rc != EX_OK)
		return rc;
	char why[512];
	pid_t before = daemon_find(rundir, why, sizeof why);
	if (before == 0 && (rc = rundir_usable(c->verb, rundir)) != EX_OK) {
		free(rundir);
		return rc;
	}
	int64_t t0 = boot_ns();
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		warnx_("%s: fork: %s", c->verb, strerror(errno));
		free(rundir);
		return EX_FAIL;
	}
	if (child == 0)
		exit(supervisor_run(c->registry, false, true));
	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : EX_FAIL;
	pid_t pid = daemon_find(rundir, why, sizeof why);
	struct st_file st = {0};
	/* Report only a supervisor that this call saw start. */
	if (before == 0 && pid > 0 && state_read(rundir, &st) == 0 && st.pid == pid && st.start_boot_ns >= t0)
		report_started(c, rundir, pid);
	state_free(&st);
	free(rundir);
	return rc;
}

static bool newer(const struct st_file *f, void *arg)
{
	return f->generation > *(int64_t *)arg;
}

/* The value of name in a NUL-separated environment block, or NULL. */
static const char *env_value(const char *env, size_t len, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < len; i += strlen(env + i) + 1)
		if (strncmp(env + i, name, n) == 0 && env[i + n] == '=')
			return env + i + n + 1;
	return NULL;
}

/* The daemon reads SV_name variables from its own environment (fixed when
 * it started), on every reload: one rule. A client whose SV_* differ says
 * so plainly, and validates with the daemon's values, the ones that count. */
static void sv_env_sync(pid_t pid)
{
	extern char **environ;
	char path[64], *env;
	size_t len;
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	if (read_file(path, 1u << 20, &env, &len) != 0)
		return;
	struct buf ours = {0};  /* our SV_* entries, NUL-separated */
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "SV_", 3) == 0)
			buf_add(&ours, *e, strlen(*e) + 1);
	for (size_t i = 0; i < ours.len; i += strlen(ours.p + i) + 1) {
		const char *e = ours.p + i;
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(e, "="), e);
		const char *theirs = env_value(env, len, name);
		if (!theirs || strcmp(theirs, e + strlen(name) + 1) != 0)
			printf("%s: note: %s is set here, but the supervisor (pid %d) has %s%s%s; it reads SV_ "
			       "variables from its own environment (restart it to change them)\n",
			       is_prog, e, (int)pid, theirs ? name : "it unset", theirs ? "=" : "", theirs ? theirs : "");
		unsetenv(name);
	}
	for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
		const char *eq = strchr(env + i, '=');
		if (strncmp(env + i, "SV_", 3) != 0 || !eq)
			continue;
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)(eq - (env + i)), env + i);
		if (!env_value(ours.p ? ours.p : "", ours.len, name))
			printf("%s: note: the supervisor (pid %d) has %s, unset here; it uses its own\n", is_prog,
			       (int)pid, env + i);
		setenv(name, eq + 1, 1);
	}
	buf_free(&ours);
	free(env);
}

static int do_reload(const struct ctl *c)
{
	char why[512];
	pid_t pid = daemon_find(c->rundir, why, sizeof why);
	if (pid > 0)
		sv_env_sync(pid);
	struct diag d = {0};
	struct registry *r = registry_load(c->registry, &d);
	fputs(buf_str(&d.text), stderr);
	diag_free(&d);
	if (!r) {
		warnx_("reload: %s is invalid; the supervisor keeps its configuration", c->registry);
		return EX_NOTCONFIG;
	}
	registry_free(r);
	if (pid <= 0) {
		if (pid == 0)
			warnx_("reload: supervisor not running");
		else
			warnx_("reload: %s", why);
		return pid == 0 ? EX_NOSUPERVISOR : EX_FAIL;
	}
	struct st_file before;
	int64_t gen = state_read(c->rundir, &before) == 0 ? before.generation : 0;
	state_free(&before);
	ack_block();  /* the daemon answers a reload too (lib/waitack.h) */
	int e = daemon_signal(c->rundir, pid, SIGHUP, 0);
	if (e < 0) {
		warnx_("reload: %s", daemon_signal_error(pid, e, why, sizeof why));
		return signal_rc(e);
	}
	struct st_file st = {0};
	int w = wait_state_ack(c->rundir, pid, newer, &gen, 10000, &st);
	state_free(&st);
	if (w != 1) {
		warnx_("reload: the supervisor did not confirm the reload (see its trace log)");
		return EX_FAIL;
	}
	printf("%s: registry reloaded\n", is_prog);
	return EX_OK;
}

struct reexec_wait {
	pid_t pid;
	int64_t old_start;
};

static bool restarted(const struct st_file *f, void *arg)
{
	const struct reexec_wait *w = arg;
	return f->pid == w->pid && f->start_boot_ns != w->old_start && f->phase != PHASE_STARTING;
}

/* A foreground supervisor (PID 1, systemd Type=simple) restarts in place:
 * it stops every server and re-executes itself under the same pid. -1 if
 * the supervisor is not one (a background one is stopped and started). */
static int restart_in_place(const struct ctl *c)
{
	char why[512];
	pid_t pid = daemon_find(c->rundir, why, sizeof why);
	struct st_file st = {0};
	if (pid <= 0 || state_read(c->rundir, &st) != 0 || st.pid != pid || !st.foreground) {
		if (pid > 0)
			state_free(&st);
		return -1;
	}
	struct reexec_wait w = {pid, st.start_boot_ns};
	int64_t wait_ms = st.stop_budget_ms + 600000;
	state_free(&st);
	int e = daemon_signal(c->rundir, pid, CMD_SIGNAL, cmd_encode(CMD_SUPERVISOR, SUP_REEXEC, 0));
	if (e < 0) {
		warnx_("restart: %s", daemon_signal_error(pid, e, why, sizeof why));
		return signal_rc(e);
	}
	int r = wait_state(c->rundir, pid, restarted, &w, wait_ms, &st);
	bool ok = r == 1 && st.phase == PHASE_RUNNING;
	state_free(&st);
	if (!ok) {
		warnx_("restart: the supervisor (pid %d) did not come back running (see its trace log)", (int)pid);
		return EX_FAIL;
	}
	printf("%s: supervisor restarted in place (pid %d)\n", is_prog, (int)pid);
	return EX_OK;
}

/* ---- per-server commands ---- */

struct want {
	const char *id;
	int cmd;
	pid_t old_pid;
	int old_restarts, old_requested;
	int64_t generation;
	bool regen;     /* generation moved: send again */
	bool stopping;  /* the supervisor is stopping: the command was refused */
};

static bool cmd_done(const struct st_file *f, void *arg)
{
	struct want *w = arg;
	if (f->phase == PHASE_STOPPING || f->phase == PHASE_RESTARTING) {
		w->stopping = true;
		return true;
	}
	if (f->generation != w->generation) {
		w->regen = true;
		return true;
	}
	const struct st_server *s = state_find(f, w->id);
	if (!s)
		return true;
	bool tried = s->restarts != w->old_restarts || s->requested != w->old_requested || s->pid != w->old_pid;
	bool up = s->pid != 0 && (s->state == SV_RUNNING || s->state == SV_STARTING);
	switch (w->cmd) {
	case CMD_STOP:
		return s->pid == 0 && s->state != SV_STOPPING;
	case CMD_START:
		/* A fatal or backing-off server counts only once it was tried
		 * again: before that, the state is the one the command changes. */
		return up || (tried && (s->state == SV_FATAL || s->state == SV_BACKOFF || (s->pid == 0 && s->last_error[0])));
	default:
		return (up && s->pid != w->old_pid) || (tried && (s->state == SV_FATAL || s->state == SV_BACKOFF));
	}
}

static int server_command(const struct ctl *c, int cmd, const char *id)
{
	static const char *done[] = {"", "restarted", "stopped", "started"};
	char why[512];
	for (int attempt = 0; attempt < 3; attempt++) {
		pid_t pid = daemon_find(c->rundir, why, sizeof why);
		if (pid <= 0) {
			if (pid == 0)
				warnx_("%s %s: supervisor not running (start it with: ImageServing start)", c->verb, id);
			else
				warnx_("%s %s: %s", c->verb, id, why);
			return pid == 0 ? EX_NOSUPERVISOR : EX_FAIL;
		}
		struct st_file st = {0};
		if (state_read(c->rundir, &st) != 0 || st.pid != pid) {
			warnx_("%s %s: cannot read the supervisor's state in %s", c->verb, id, c->rundir);
			state_free(&st);
			return EX_FAIL;
		}
		const struct st_server *s = state_find(&st, id);
		if (!s) {
			struct buf known = {0};
			for (size_t i = 0; i < st.n; i++)
				buf_printf(&known, "%s%s", i ? ", " : "", st.servers[i].id);
			warnx_("%s: no server '%s' (the supervisor runs: %s)", c->verb, id, buf_str(&known));
			buf_free(&known);
			state_free(&st);
			return EX_USAGE;
		}
		struct want w = {.id = id, .cmd = cmd, .old_pid = s->pid, .old_restarts = s->restarts,
				 .old_requested = s->requested, .generation = st.generation};
		int64_t wait_ms = s->stop_timeout_ms + 10000;  /* its stop, then the start */
		int value = cmd_encode(cmd, s->index, st.generation);
		state_free(&st);
		ack_block();  /* before the command: the daemon answers only if it is blocked */
		int e = daemon_signal(c->rundir, pid, CMD_SIGNAL, value);
		if (e < 0) {
			warnx_("%s %s: %s", c->verb, id, daemon_signal_error(pid, e, why, sizeof why));
			return signal_rc(e);
		}
		int r = wait_state_ack(c->rundir, pid, cmd_done, &w, wait_ms, &st);
		if (r == 1 && w.stopping) {
			warnx_("%s %s: the supervisor is stopping", c->verb, id);
			state_free(&st);
			return EX_FAIL;
		}
		if (r == 1 && w.regen) {
			state_free(&st);
			continue;  /* the registry was reloaded meanwhile: look up the index again */
		}
		if (r != 1) {
			warnx_("%s %s: %s", c->verb, id,
			       r == 0 ? "no confirmation in time (see the trace log)" : "the supervisor went away");
			state_free(&st);
			return EX_FAIL;
		}
		s = state_find(&st, id);
		int rc = EX_OK;
		if (!s) {
			warnx_("%s %s: the server is gone from the supervisor", c->verb, id);
			rc = EX_FAIL;
		} else if (cmd != CMD_STOP && (s->pid == 0 || (s->state != SV_RUNNING && s->state != SV_STARTING))) {
			warnx_("%s %s: %s%s%s", c->verb, id, sv_state_name(s->state), s->last_error[0] ? ": " : "",
			       s->last_error);
			rc = EX_FAIL;
		} else if (cmd == CMD_STOP) {
			printf("%s: %s\n", id, done[cmd]);
		} else {
			printf("%s: %s (pid %d)\n", id, done[cmd], (int)s->pid);
		}
		state_free(&st);
		return rc;
	}
	warnx_("%s %s: the registry keeps changing; try again", c->verb, id);
	return EX_FAIL;
}

/* restart: check the registry first (an invalid one stops nothing), then
 * stop and start, said in one line. */
static int do_restart(struct ctl *c)
{
	int rc = registry_usable(c, NULL);
	if (rc != EX_OK)
		return rc;
	if ((rc = restart_in_place(c)) >= 0)
		return rc;
	c->quiet = true;
	rc = do_stop(c);
	if (rc == EX_OK)
		rc = do_start(c);
	return rc;
}

/* reopen: SIGUSR1 makes the daemon reopen its trace log and every server
 * log (logrotate's postrotate). */
static int do_reopen(const struct ctl *c)
{
	char why[512];
	pid_t pid = daemon_find(c->rundir, why, sizeof why);
	if (pid <= 0) {
		warnx_("reopen: %s", pid == 0 ? "supervisor not running" : why);
		return pid == 0 ? EX_NOSUPERVISOR : EX_FAIL;
	}
	int e = daemon_signal(c->rundir, pid, SIGUSR1, 0);
	if (e < 0) {
		warnx_("reopen: %s", e == -ESRCH ? "supervisor not running" : daemon_signal_error(pid, e, why, sizeof why));
		return signal_rc(e);
	}
	printf("%s: supervisor %d reopens its log files\n", is_prog, (int)pid);
	return EX_OK;
}

/* The verbs: which per-server command each one is, and whether it runs only
 * when the supervisor does (try-restart) or needs it (force-reload). */
static const struct verb {
	const char *name;
	int cmd;            /* CMD_*, or 0: no per-server form */
	bool if_running;    /* try-restart, condrestart: not running is success */
} verbs[] = {
	{"start", CMD_START, false},      {"stop", CMD_STOP, false},        {"restart", CMD_RESTART, false},
	{"try-restart", CMD_RESTART, true}, {"condrestart", CMD_RESTART, true}, {"reload", 0, false},
	{"force-reload", 0, false},       {"reopen", 0, false},
};

int client_main(int argc, char **argv)
{
	struct opts o;
	if (!opts_parse(argc, argv, "c", client_usage, &o))
		return EX_USAGE;
	if (o.help) {
		usage_print(client_usage, true);
		free(o.pos);
		return EX_OK;
	}
	struct ctl c = {.verb = argv[0]};
	const char *env = getenv("IMAGESERVING_REGISTRY");
	c.from_default = !o.registry && !(env && *env);
	c.registry = registry_locate(o.registry);
	int rc = EX_OK;
	const struct verb *v = NULL;
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(verbs[i].name, c.verb) == 0)
			v = &verbs[i];
	if (!v) {
		warnx_("unknown verb: %s", c.verb);
		usage_print(client_usage, false);
		rc = EX_USAGE;
		goto out;
	}
	int cmd = v->cmd;
	if (cmd == 0 && o.npos) {
		warnx_("%s %s: per-server %s is not implemented (use: ImageServing restart %s)", c.verb, o.pos[0],
		       c.verb, o.pos[0]);
		rc = EX_UNIMPLEMENTED;
		goto out;
	}
	if (cmd == CMD_START && o.npos == 0) {
		rc = do_start(&c);
		goto out;
	}
	struct diag rd = {0};
	c.rundir = anchor_rundir(c.registry, registry_rundir_find(c.registry, &rd), NULL);
	fputs(c.rundir ? "" : buf_str(&rd.text), stderr);
	diag_free(&rd);
	if (!c.rundir) {
		int e = errno;
		if (access(c.registry, F_OK) != 0 && c.from_default) {
			warnx_("%s: not installed: no registry at %s", c.verb, c.registry);
			rc = EX_NOTINSTALLED;
		} else {
			warnx_("%s: cannot find the run directory: registry %s is unreadable", c.verb, c.registry);
			rc = e == EACCES ? EX_NOPERM : EX_NOTCONFIG;
		}
		goto out;
	}
	if (v->if_running || strcmp(c.verb, "force-reload") == 0) {
		char why[512];
		pid_t pid = daemon_find(c.rundir, why, sizeof why);
		if (pid < 0) {
			warnx_("%s: %s", c.verb, why);
			rc = EX_FAIL;
			goto out;
		}
		if (pid == 0 && v->if_running) {
			printf("%s: supervisor not running: nothing to restart\n", is_prog);
			goto out;
		}
		if (pid == 0) {
			warnx_("%s: supervisor not running", c.verb);
			rc = EX_NOSUPERVISOR;
			goto out;
		}
	}
	if (cmd && o.npos) {
		for (int i = 0; i < o.npos; i++) {
			int r = server_command(&c, cmd, o.pos[i]);
			if (r != EX_OK && rc == EX_OK)
				rc = r;
		}
	} else if (cmd == CMD_STOP) {
		rc = do_stop(&c);
	} else if (cmd == CMD_RESTART) {
		rc = do_restart(&c);
	} else if (strcmp(c.verb, "reopen") == 0) {
		rc = do_reopen(&c);
	} else {
		rc = do_reload(&c);
	}
out:
	free(c.registry);
	free(c.rundir);
	free(o.pos);
	if (fflush(stdout) != 0 && rc == EX_OK)
		rc = EX_FAIL;
	return rc;
}
