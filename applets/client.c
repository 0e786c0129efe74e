/* client.c: the ImageServing control client: start, stop, restart, reload, and
 * the per-server start/stop/restart ID, each waiting for its effect. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applets.h"
#include "lib/control.h"
#include "lib/opts.h"
#include "lib/proto.h"
#include "lib/registry.h"
#include "lib/runfile.h"
#include "lib/status.h"
#include "lib/util.h"

const char client_usage[] =
	"Usage: ImageServing [-c FILE] start|stop|restart [ID...] | reload | status [--json] [ID...]\n"
	"Control the Image Serving Server Supervisor and its servers.\n"
	"  start            start the supervisor in the background; returns once every\n"
	"                   server has been started (already running: success)\n"
	"  stop             stop every server and the supervisor; returns once all are\n"
	"                   gone (not running: success)\n"
	"  restart          stop, then start, the supervisor included\n"
	"  start ID...      start those servers (and clear a stop by request)\n"
	"  stop ID...       stop those servers; they stay down, across reloads, until\n"
	"                   start ID\n"
	"  restart ID...    restart only those servers; returns with their new pids\n"
	"  reload           re-read the registry: stop removed servers, start new ones,\n"
	"                   restart changed ones (an invalid registry changes nothing)\n"
	"  status           see: imageserving status --help\n"
	"  -c FILE          the registry\n"
	"Exit: 0 success, 1 failure, 2 usage, 3 supervisor not running (start ID,\n"
	"restart ID, reload), 6 registry invalid.\n";

struct ctl {
	char *registry;
	char *rundir;
	const char *verb;
};

/* How long to wait for a whole stop: the budget the daemon published (its
 * own shutdown deadline, or the sum of its groups' stop timeouts), plus
 * slack; 10 minutes if its state is unreadable. */
static int64_t stop_wait_ms(const struct ctl *c, pid_t pid)
{
	struct st_file st;
	int64_t ms = 600000;
	if (state_read(c->rundir, &st) == 0 && st.pid == pid)
		ms = st.stop_budget_ms + 10000;
	state_free(&st);
	return ms;
}

static int do_stop(const struct ctl *c)
{
	char why[512];
	pid_t pid = daemon_find(c->rundir, why, sizeof why);
	if (pid == 0) {
		printf("%s: supervisor not running\n", is_prog);
		return EX_OK;
	}
	if (pid < 0) {
		warnx_("stop: %s", why);
		return EX_FAIL;
	}
	int e = daemon_signal(c->rundir, pid, SIGTERM, 0);
	if (e == -ESRCH) {
		printf("%s: supervisor not running\n", is_prog);
		return EX_OK;
	}
	if (e < 0) {
		warnx_("stop: %s", daemon_signal_error(pid, e, why, sizeof why));
		return EX_FAIL;
	}
	if (!wait_exit(pid, stop_wait_ms(c, pid))) {
		warnx_("stop: supervisor %d is still stopping its servers", (int)pid);
		return EX_FAIL;
	}
	printf("%s: supervisor stopped (pid %d)\n", is_prog, (int)pid);
	return EX_OK;
}

static int do_start(const struct ctl *c)
{
	return supervisor_run(c->registry, false, true);
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
		return pid == 0 ? EX_NOTRUNNING : EX_FAIL;
	}
	struct st_file before;
	int64_t gen = state_read(c->rundir, &before) == 0 ? before.generation : 0;
	state_free(&before);
	int e = daemon_signal(c->rundir, pid, SIGHUP, 0);
	if (e < 0) {
		warnx_("reload: %s", daemon_signal_error(pid, e, why, sizeof why));
		return EX_FAIL;
	}
	struct st_file st;
	int w = wait_state(c->rundir, pid, newer, &gen, 10000, &st);
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
 * it stops every server and re-executes itself under the same pid. A
 * background one is stopped and started again. */
static int do_restart(const struct ctl *c)
{
	char why[512];
	pid_t pid = daemon_find(c->rundir, why, sizeof why);
	struct st_file st;
	if (pid <= 0 || state_read(c->rundir, &st) != 0 || st.pid != pid || !st.foreground) {
		if (pid > 0)
			state_free(&st);
		int rc = do_stop(c);
		return rc == EX_OK ? do_start(c) : rc;
	}
	struct reexec_wait w = {pid, st.start_boot_ns};
	int64_t wait_ms = st.stop_budget_ms + 600000;
	state_free(&st);
	int e = daemon_signal(c->rundir, pid, CMD_SIGNAL, cmd_encode(CMD_SUPERVISOR, SUP_REEXEC, 0));
	if (e < 0) {
		warnx_("restart: %s", daemon_signal_error(pid, e, why, sizeof why));
		return EX_FAIL;
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
		if (pid == 0 && cmd == CMD_STOP) {
			printf("%s: supervisor not running, so %s is not running\n", is_prog, id);
			return EX_OK;
		}
		if (pid <= 0) {
			if (pid == 0)
				warnx_("%s %s: supervisor not running (start it with: ImageServing start)", c->verb, id);
			else
				warnx_("%s %s: %s", c->verb, id, why);
			return pid == 0 ? EX_NOTRUNNING : EX_FAIL;
		}
		struct st_file st;
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
			return EX_FAIL;
		}
		struct want w = {.id = id, .cmd = cmd, .old_pid = s->pid, .old_restarts = s->restarts,
				 .old_requested = s->requested, .generation = st.generation};
		int64_t wait_ms = s->stop_timeout_ms + 10000;  /* its stop, then the start */
		int value = cmd_encode(cmd, s->index, st.generation);
		state_free(&st);
		int e = daemon_signal(c->rundir, pid, CMD_SIGNAL, value);
		if (e < 0) {
			warnx_("%s %s: %s", c->verb, id, daemon_signal_error(pid, e, why, sizeof why));
			return EX_FAIL;
		}
		int r = wait_state(c->rundir, pid, cmd_done, &w, wait_ms, &st);
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
	c.registry = registry_locate(o.registry);
	int rc = EX_OK;
	int cmd = strcmp(c.verb, "start") == 0 ? CMD_START : strcmp(c.verb, "stop") == 0 ? CMD_STOP
		  : strcmp(c.verb, "restart") == 0 ? CMD_RESTART : 0;
	if (cmd == 0 && o.npos) {
		warnx_("%s: unexpected argument: %s", c.verb, o.pos[0]);
		usage_print(client_usage, false);
		rc = EX_USAGE;
		goto out;
	}
	if (cmd == CMD_START && o.npos == 0) {
		rc = do_start(&c);
		goto out;
	}
	c.rundir = registry_rundir_lenient(c.registry);
	if (!c.rundir) {
		warnx_("%s: cannot find the run directory: registry %s is unreadable", c.verb, c.registry);
		rc = EX_NOTCONFIG;
		goto out;
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
