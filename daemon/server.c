/* server.c: the server lifecycle: one transition function over state × event,
 * the restart policy as a pure function, and the server record itself. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/util.h"

const struct svc_ops *svc_ops = &real_ops;

static const char *const names[S_N] = {
	"waiting", "starting", "running", "stopping", "killed", "backoff", "down", "fatal",
};

const char *svc_state_name(enum svstate s)
{
	return (unsigned)s < S_N ? names[s] : "?";
}

enum sv_state svc_public_state(const struct svc *v)
{
	static const enum sv_state pub[S_N] = {
		[S_WAITING] = SV_WAITING, [S_STARTING] = SV_STARTING, [S_RUNNING] = SV_RUNNING,
		[S_STOPPING] = SV_STOPPING, [S_KILLED] = SV_STOPPING, [S_BACKOFF] = SV_BACKOFF,
		[S_DOWN] = SV_STOPPED, [S_FATAL] = SV_FATAL,
	};
	return pub[v->state];
}

bool svc_alive(const struct svc *v) { return v->pid > 0; }

bool svc_wants_up(const struct svc *v)
{
	return !v->held && !v->removed && !stopping_all();
}

/* The one place that writes v->state. */
static void set_state(struct svc *v, enum svstate s, int64_t deadline)
{
	v->state = s;
	v->deadline = deadline;
	mark();
#ifdef IS_SANITIZE
	bool has_pid = s == S_STARTING || s == S_RUNNING || s == S_STOPPING || s == S_KILLED;
	bool may_timer = s == S_STARTING || s == S_STOPPING || s == S_BACKOFF;
	bool needs_timer = s == S_STOPPING || s == S_BACKOFF;
	if (has_pid != (v->pid != 0) || (deadline != 0 && !may_timer) || (needs_timer && deadline == 0))
		abort();
#endif
}

int64_t backoff_delay(unsigned quick_deaths, unsigned delay_max_s)
{
	if (quick_deaths <= 1)
		return 0;
	int64_t cap = (int64_t)delay_max_s * SEC, d = BACKOFF_BASE;
	for (unsigned i = 2; i < quick_deaths && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

static void exit_policy(struct svc *v, int64_t now, bool start_failed, bool failed);

/* Ready: at exec (readiness exec), or when its health check or READY=1 says. */
static void become_ready(struct svc *v, int64_t now)
{
	v->ready_mono = now;
	set_state(v, S_RUNNING, 0);
}

/* Start an instance with the registry's latest settings. */
static void launch(struct svc *v, int64_t now, enum launch_why why)
{
	if (v->started_once) {
		if (why == WHY_CRASH)
			v->restarts++;
		else
			v->requested++;
	}
	v->started_once = true;
	v->why = why;
	if (v->want != v->cfg) {
		regref_hold(v->want_reg);
		regref_drop(v->reg);
		v->cfg = v->want;
		v->reg = v->want_reg;
	}
	v->start_mono = now;
	v->ready_mono = 0;
	v->failing = false;
	if (!v->keep_error)
		v->last_error[0] = 0;
	v->keep_error = false;
	if (svc_ops->launch(v, now) == 0) {
		if (v->cfg->readiness == READY_EXEC || v->cfg->readiness == READY_AUTO)
			become_ready(v, now);
		else
			set_state(v, S_STARTING, v->cfg->start_timeout ? now + (int64_t)v->cfg->start_timeout * SEC : 0);
		return;
	}
	v->pid = 0;
	v->last_status = -1;
	trace(TRACE_ERROR, v->id, "cannot start: %s", v->last_error);
	exit_policy(v, now, true, false);
}

/* A server died (or could not start, or failed and was stopped for it)
 * without being asked to. */
static void exit_policy(struct svc *v, int64_t now, bool start_failed, bool failed)
{
	const struct server *s = v->cfg;
	int st = v->last_status;
	bool clean = !start_failed && !failed && st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	int64_t quick = (int64_t)s->min_uptime * SEC;
	if (quick < QUICK_FLOOR)
		quick = QUICK_FLOOR;
	if (failed)
		v->keep_error = true;  /* why it was restarted, shown beside the new instance */
	/* A server that failed before it was ever ready (its startTimeout, a
	 * check that never passed) has not been up at all. */
	if (start_failed || (failed && !v->ready_mono) || now - v->start_mono < quick)
		v->quick_deaths++;
	else
		v->quick_deaths = 1;
	if (s->restart == RESTART_NEVER || (s->restart == RESTART_ON_FAILURE && clean)) {
		trace(TRACE_INFO, v->id, "not restarted (restart policy %s)", restart_policy_name(s->restart));
		set_state(v, S_DOWN, 0);
		return;
	}
	if (s->max_restarts && v->quick_deaths > s->max_restarts) {
		v->keep_error = false;
		trace(TRACE_ERROR, v->id, "fatal: died %u times in a row within %.1f s of starting", v->quick_deaths,
		      (double)quick / SEC);
		set_state(v, S_FATAL, 0);
		if (s->essential)
			svc_ops->fatal(v);
		return;
	}
	int64_t d = backoff_delay(v->quick_deaths, s->restart_delay_max);
	if (d == 0 && !start_failed) {
		launch(v, now, WHY_CRASH);
		return;
	}
	if (d < BACKOFF_BASE)
		d = BACKOFF_BASE;
	trace(TRACE_WARNING, v->id, "restarting in %.1f s", (double)d / SEC);
	set_state(v, S_BACKOFF, now + d);
}

/* After a stop: gone for good, up again, or down. */
static void settle(struct svc *v, int64_t now)
{
	v->failing = false;
	if (v->removed) {
		trace(TRACE_INFO, v->id, "removed from the registry");
		svc_ops->drop(v);  /* v is gone */
		return;
	}
	if (svc_wants_up(v)) {
		v->quick_deaths = 0;
		launch(v, now, WHY_RESTART);
		return;
	}
	set_state(v, S_DOWN, 0);
}

static void send_stop(struct svc *v, int64_t now)
{
	int sig = v->inst_signal;
	svc_ops->signal(v, sig);
	if (sig != SIGCONT)
		svc_ops->signal(v, SIGCONT);  /* a stopped process must wake to act on it */
	int64_t dl = now + stop_timeout_of(v);
	if (D.stop_deadline && dl > D.stop_deadline)
		dl = D.stop_deadline;
	if (dl <= now)
		dl = now + 1;
	trace(TRACE_INFO, v->id, "stopping: %s sent to process group %d, KILL in %.3f s", signal_name(sig),
	      (int)v->pid, (double)(dl - now) / SEC);
	set_state(v, S_STOPPING, dl);
}

/* A server that gained privileges we lack (a set-user-ID program) cannot be
 * killed: say so rather than "killed", and let it go, so that a stop still
 * ends in time. Its exit, if it comes, is reaped as an orphan's. */
static void abandon(struct svc *v, int64_t now)
{
	snprintf(v->last_error, sizeof v->last_error,
		 "cannot be killed: process %d runs with privileges we lack (set-user-ID?); left running", (int)v->pid);
	trace(TRACE_ERROR, v->id, "did not stop in time and %s", v->last_error);
	pidtab_remove(v);
	v->pid = 0;
	if (v->removed)
		settle(v, now);
	else
		set_state(v, S_DOWN, 0);  /* never a second copy beside it */
}

static bool clean_stop(const struct svc *v, int st, bool killed)
{
	int sig = v->inst_signal;
	if (WIFEXITED(st))
		return WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 128 + sig;
	return WIFSIGNALED(st) && (WTERMSIG(st) == sig || (killed && WTERMSIG(st) == SIGKILL));
}

static void handle_exit(struct svc *v, int st, int64_t now)
{
	char how[32];
	wstatus_text(how, sizeof how, st);
	pid_t old = v->pid;
	enum svstate was = v->state;
	double up = (double)(now - v->start_mono) / SEC;
	v->pid = 0;
	v->last_status = st;
	svc_ops->exited(v, old);
	if (was == S_STOPPING || was == S_KILLED) {
		if (clean_stop(v, st, was == S_KILLED))
			trace(TRACE_INFO, v->id, "stopped (%s) after %.1f s up", how, up);
		else
			trace(TRACE_WARNING, v->id, "stopped uncleanly (%s)", how);
		if (v->failing && svc_wants_up(v)) {
			v->failing = false;
			exit_policy(v, now, false, true);
			return;
		}
		settle(v, now);
		return;
	}
	trace(TRACE_WARNING, v->id, "exited unexpectedly (%s) after %.1f s", how, up);
	if (stopping_all() || v->removed) {
		settle(v, now);
		return;
	}
	exit_policy(v, now, false, false);
}

/* It failed while alive: stop it as any stop does, then restart it as after
 * a crash. v->last_error already says why. */
static void fail(struct svc *v, int64_t now)
{
	trace(TRACE_WARNING, v->id, "failed: %s; restarting it", v->last_error);
	v->failing = true;
	send_stop(v, now);
}

void svc_event(struct svc *v, enum svevent ev, int arg, int64_t now)
{
	switch (v->state) {
	case S_WAITING:
	case S_DOWN:
	case S_FATAL:
		if (ev == E_GO) {
			if (v->state == S_FATAL)
				v->quick_deaths = 0;
			launch(v, now, (enum launch_why)arg);
		} else if (ev == E_STOP && v->state == S_WAITING) {
			set_state(v, S_DOWN, 0);
		}
		break;
	case S_STARTING:
	case S_RUNNING:
		if (ev == E_STOP) {
			send_stop(v, now);
		} else if (ev == E_EXIT) {
			handle_exit(v, arg, now);
		} else if (ev == E_READY && v->state == S_STARTING) {
			trace(TRACE_INFO, v->id, "ready after %.3f s", (double)(now - v->start_mono) / SEC);
			become_ready(v, now);
		} else if (ev == E_FAIL) {
			fail(v, now);
		} else if (ev == E_TIMER && v->state == S_STARTING) {
			snprintf(v->last_error, sizeof v->last_error, "not ready after %u s (startTimeout)",
				 v->cfg->start_timeout);
			fail(v, now);
		}
		break;
	case S_STOPPING:
		if (ev == E_STOP && D.stop_deadline && v->deadline > D.stop_deadline) {
			set_state(v, S_STOPPING, D.stop_deadline > now ? D.stop_deadline : now + 1);
		} else if (ev == E_EXIT) {
			handle_exit(v, arg, now);
		} else if (ev == E_TIMER) {
			if (svc_ops->signal(v, SIGKILL) == -EPERM)
				abandon(v, now);
			else {
				trace(TRACE_WARNING, v->id, "did not stop in time: process group %d killed", (int)v->pid);
				set_state(v, S_KILLED, 0);
			}
		}
		break;
	case S_KILLED:
		if (ev == E_EXIT)
			handle_exit(v, arg, now);
		break;
	case S_BACKOFF:
		if (ev == E_GO)
			launch(v, now, (enum launch_why)arg);
		else if (ev == E_TIMER)
			launch(v, now, WHY_CRASH);
		else if (ev == E_STOP)
			set_state(v, S_DOWN, 0);
		break;
	case S_N:
		break;
	}
}

struct svc *svc_new(const struct server *s, struct regref *r)
{
	struct svc *v = xcalloc(1, sizeof *v);
	snprintf(v->id, sizeof v->id, "%s", s->id);
	v->cfg = v->want = s;
	v->reg = v->want_reg = r;
	regref_hold(r);
	regref_hold(r);
	v->state = S_WAITING;
	v->last_status = -1;
	v->inst_signal = s->stop_signal;
	v->out.pipe = v->err.pipe = -1;
	v->out.owner = v->err.owner = v;
	return v;
}

void svc_set_want(struct svc *v, const struct server *s, struct regref *r)
{
	regref_hold(r);
	regref_drop(v->want_reg);
	v->want = s;
	v->want_reg = r;
}

void svc_free(struct svc *v)
{
	health_forget(v);
	outlog_close(&v->out);
	outlog_close(&v->err);
	free(v->extras.p);
	regref_drop(v->reg);
	regref_drop(v->want_reg);
	free(v);
}
