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
#include "lib/registry.h"
#include "lib/runfile.h"
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

/* How long to wait for a whole stop: the registry's budget, else the sum of
 * the stop timeouts, plus slack; 10 minutes if the registry is unreadable. */
static int64_t stop_wait_ms(const struct ctl *c)
{
	struct diag d = {0};
	struct registry *r = registry_load(c->registry, &d);
	diag_free(&d);
	if (!r)
		return 600000;
	int64_t s = 0;
	if (r->shutdown_timeout)
		s = r->shutdown_timeout;
	else
		for (size_t i = 0; i < r->nservers; i++)
			s += r->servers[i].stop_timeout;
	registry_free(r);
	return (s + 10) * 1000;
}

static int server_wait_ms(const struct ctl *c, const char *id)
{
	struct diag d = {0};
	struct registry *r = registry_load(c->registry, &d);
	diag_free(&d);
	int64_t s = 60;
	for (size_t i = 0; r && i < r->nservers; i++)
		if (strcmp(r->servers[i].id, id) == 0)
			s = r->servers[i].stop_timeout + 10;
	registry_free(r);
	return (int)(s * 1000);
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
	if (!wait_exit(pid, stop_wait_ms(c))) {
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
	return f->generation > *(unsigned long *)arg;
}

static int do_reload(const struct ctl *c)
{
	struct diag d = {0};
	struct registry *r = registry_load(c->registry, &d);
	fputs(buf_str(&d.text), stderr);
	diag_free(&d);
	if (!r) {
		warnx_("reload: %s is invalid; the supervisor keeps its configuration", c->registry);
		return EX_NOTCONFIG;
	}
	registry_free(r);
	char why[512];
	pid_t pid = daemon_find(c->rundir, why, sizeof why);
	if (pid <= 0) {
		if (pid == 0)
			warnx_("reload: supervisor not running");
		else
			warnx_("reload: %s", why);
		return pid == 0 ? EX_NOTRUNNING : EX_FAIL;
	}
	struct st_file before;
	unsigned long gen = state_read(c->rundir, &before) == 0 ? before.generation : 0;
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

/* ---- per-server commands ---- */

struct want {
	const char *id;
	int cmd;
	pid_t old_pid;
	unsigned old_restarts;
	unsigned long generation;
	bool regen;  /* generation moved: send again */
};

static bool cmd_done(const struct st_file *f, void *arg)
{
	struct want *w = arg;
	if (f->generation != w->generation) {
		w->regen = true;
		return true;
	}
	const struct st_server *s = state_find(f, w->id);
	if (!s)
		return true;
	bool tried = s->restarts != w->old_restarts || s->pid != w->old_pid;
	switch (w->cmd) {
	case CMD_STOP:
		return s->pid == 0 && strcmp(s->state, "stopping") != 0;
	case CMD_START:
		return (s->pid != 0 && strcmp(s->state, "running") == 0) || strcmp(s->state, "fatal") == 0 ||
		       (tried && strcmp(s->state, "backoff") == 0) || (s->last_error[0] && s->pid == 0 && tried);
	default:
		return (s->pid != 0 && s->pid != w->old_pid && strcmp(s->state, "running") == 0) ||
		       strcmp(s->state, "fatal") == 0 || (tried && strcmp(s->state, "backoff") == 0);
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
				 .generation = st.generation};
		int value = cmd_encode(cmd, s->index, st.generation);
		state_free(&st);
		int e = daemon_signal(c->rundir, pid, CMD_SIGNAL, value);
		if (e < 0) {
			warnx_("%s %s: %s", c->verb, id, daemon_signal_error(pid, e, why, sizeof why));
			return EX_FAIL;
		}
		int r = wait_state(c->rundir, pid, cmd_done, &w, server_wait_ms(c, id), &st);
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
		} else if (cmd != CMD_STOP && (s->pid == 0 || strcmp(s->state, "running") != 0)) {
			warnx_("%s %s: %s%s%s", c->verb, id, s->state, s->last_error[0] ? ": " : "", s->last_error);
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
	struct diag rd = {0};
	c.rundir = registry_rundir_find(c.registry, &rd);
	fputs(c.rundir ? "" : buf_str(&rd.text), stderr);
	diag_free(&rd);
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
		rc = do_stop(&c);
		if (rc == EX_OK)
			rc = do_start(&c);
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
