/* lifecycle.c: unit tests of the server lifecycle (daemon/server.c), printing
 * TAP. Every cell of the state × event table is driven through stub side
 * effects, without processes, plus the restart policy's branches and the
 * intent rules (held, removed, stopping everything). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "daemon/daemon.h"
#include "lib/log.h"
#include "lib/util.h"

#include "tap.h"

/* ---- stub side effects: they record what the lifecycle asked for ---- */
static struct {
	int launches, fail_launch;
	pid_t next_pid;
	int sigs[8], nsig;
	int exited, drops, fatals;
} st;
static int kill_result;  /* what a SIGKILL returns: 0, or -EPERM (a set-user-ID server) */

static int stub_launch(struct svc *v, int64_t now)
{
	(void)now;
	st.launches++;
	if (st.fail_launch) {
		snprintf(v->last_error, sizeof v->last_error, "exec /nope: No such file or directory");
		return -1;
	}
	v->pid = st.next_pid++;
	v->inst_signal = v->cfg->stop_signal;
	return 0;
}
static int stub_signal(struct svc *v, int sig)
{
	(void)v;
	if (st.nsig < 8)
		st.sigs[st.nsig++] = sig;
	return sig == SIGKILL ? kill_result : 0;
}
static void stub_exited(struct svc *v, pid_t old)
{
	(void)v;
	(void)old;
	st.exited++;
}
static void stub_drop(struct svc *v)
{
	(void)v;
	st.drops++;
}
static void stub_fatal(struct svc *v)
{
	(void)v;
	st.fatals++;
}
static const struct svc_ops stubs = {stub_launch, stub_signal, stub_exited, stub_drop, stub_fatal};

/* ---- fixtures ---- */
static struct server cfg;
static struct regref *ref;
static const int64_t T0 = 1000 * SEC;

static void reset_cfg(void)
{
	memset(&cfg, 0, sizeof cfg);
	cfg.id = "s";
	cfg.description = "";
	cfg.priority = 1;
	cfg.stop_timeout = 10;
	cfg.stop_signal = SIGTERM;
	cfg.restart = RESTART_ALWAYS;
	cfg.min_uptime = 10;
	cfg.restart_delay_max = 60;
}

/* A server put in state s, consistent with the invariants. */
static struct svc *in_state(enum svstate s)
{
	memset(&st, 0, sizeof st);
	st.next_pid = 500;
	D.phase = PHASE_RUNNING;
	D.stop_deadline = 0;
	D.scale_num = D.scale_den = 1;
	struct svc *v = svc_new(&cfg, ref);
	v->state = s;
	v->started_once = s != S_WAITING;
	v->start_mono = T0;
	if (s == S_STARTING || s == S_RUNNING || s == S_STOPPING || s == S_KILLED)
		v->pid = 400;
	if (s == S_STOPPING || s == S_BACKOFF)
		v->deadline = T0 + 5 * SEC;
	return v;
}

#define CRASH (1 << 8)                 /* wait status: exit 1 */
#define TERMED (SIGTERM)               /* wait status: killed by TERM */

static const char *sn(enum svstate s) { return svc_state_name(s); }

/* One cell: state s, event ev at time now; expect state want. */
static struct svc *cell(enum svstate s, enum svevent ev, int arg, int64_t now, enum svstate want, const char *what)
{
	static const char *evn[] = {"GO", "STOP", "EXIT", "TIMER", "READY", "FAIL"};
	struct svc *v = in_state(s);
	svc_event(v, ev, arg, now);
	ok(v->state == want, "%s + %s -> %s: %s (got %s)", sn(s), evn[ev], sn(want), what, sn(v->state));
	return v;
}

static void done(struct svc *v) { svc_free(v); }

static void table(void)
{
	struct svc *v;
	int64_t later = T0 + 60 * SEC;  /* long after the start: not a quick death */

	/* WAITING */
	v = cell(S_WAITING, E_GO, WHY_FIRST, T0, S_RUNNING, "its group came: launched");
	ok(st.launches == 1 && v->pid == 500 && v->restarts == 0 && v->requested == 0, "first launch counts no restart");
	done(v);
	v = cell(S_WAITING, E_STOP, 0, T0, S_DOWN, "stopped before its group came");
	ok(st.launches == 0 && st.nsig == 0, "nothing launched or signalled");
	done(v);
	done(cell(S_WAITING, E_EXIT, CRASH, T0, S_WAITING, "no process: ignored"));
	done(cell(S_WAITING, E_TIMER, 0, T0, S_WAITING, "no timer: ignored"));

	/* STARTING and RUNNING behave alike until readiness exists */
	for (enum svstate s = S_STARTING; s <= S_RUNNING; s++) {
		done(cell(s, E_GO, WHY_ASKED, T0, s, "already up: nothing"));
		v = cell(s, E_STOP, 0, T0, S_STOPPING, "stop signal sent");
		ok(st.nsig == 2 && st.sigs[0] == SIGTERM && st.sigs[1] == SIGCONT, "%s: TERM then CONT to the group", sn(s));
		ok(v->deadline == T0 + 10 * SEC, "%s: KILL due after stopTimeout", sn(s));
		done(v);
		v = cell(s, E_EXIT, CRASH, later, S_RUNNING, "a crash after minUptime: relaunched at once");
		ok(st.exited == 1 && st.launches == 1 && v->pid == 500 && v->restarts == 1 && v->requested == 0,
		   "%s: leftovers noted, one restart counted as ours", sn(s));
		done(v);
		if (s == S_RUNNING)
			done(cell(s, E_TIMER, 0, T0, s, "no timer: nothing"));
		else
			done(cell(s, E_TIMER, 0, T0, S_STOPPING, "startTimeout passed: stopped to be restarted"));
	}

	/* STOPPING */
	done(cell(S_STOPPING, E_GO, WHY_ASKED, T0, S_STOPPING, "stopping: GO waits for the exit"));
	v = in_state(S_STOPPING);
	D.stop_deadline = T0 + 2 * SEC;
	svc_event(v, E_STOP, 0, T0);
	ok(v->state == S_STOPPING && v->deadline == T0 + 2 * SEC, "stopping + STOP -> stopping: deadline clamped to the budget");
	done(v);
	v = cell(S_STOPPING, E_EXIT, TERMED, T0 + SEC, S_RUNNING, "stopped while wanted up (restart ID): launched again");
	ok(v->requested == 1 && v->restarts == 0 && st.launches == 1, "the relaunch counts as asked for, not as ours");
	done(v);
	v = cell(S_STOPPING, E_TIMER, 0, T0 + 5 * SEC, S_KILLED, "timeout: KILL");
	ok(st.nsig == 1 && st.sigs[0] == SIGKILL && v->deadline == 0, "KILL sent, no timer left");
	done(v);
	kill_result = -EPERM;
	v = cell(S_STOPPING, E_TIMER, 0, T0 + 5 * SEC, S_DOWN, "timeout, KILL refused (EPERM): let go, down");
	ok(v->pid == 0 && strstr(v->last_error, "cannot be killed") && st.launches == 0,
	   "no pid kept, the error says it cannot be killed, no second copy launched");
	kill_result = 0;
	done(v);

	/* KILLED */
	done(cell(S_KILLED, E_GO, WHY_ASKED, T0, S_KILLED, "GO waits for the exit"));
	done(cell(S_KILLED, E_STOP, 0, T0, S_KILLED, "already killed"));
	done(cell(S_KILLED, E_TIMER, 0, T0, S_KILLED, "no timer"));
	v = cell(S_KILLED, E_EXIT, SIGKILL, T0, S_RUNNING, "gone, wanted up: launched again");
	done(v);

	/* BACKOFF */
	v = cell(S_BACKOFF, E_GO, WHY_ASKED, T0, S_RUNNING, "start ID during backoff: launched now");
	ok(v->requested == 1, "counted as asked for");
	done(v);
	done(cell(S_BACKOFF, E_STOP, 0, T0, S_DOWN, "stop during backoff: down, nothing to signal"));
	done(cell(S_BACKOFF, E_EXIT, CRASH, T0, S_BACKOFF, "no process: ignored"));
	v = cell(S_BACKOFF, E_TIMER, 0, T0 + 5 * SEC, S_RUNNING, "backoff over: launched");
	ok(v->restarts == 1 && v->requested == 0, "counted as our own restart");
	done(v);

	/* DOWN */
	v = cell(S_DOWN, E_GO, WHY_ASKED, T0, S_RUNNING, "start ID: launched");
	done(v);
	done(cell(S_DOWN, E_STOP, 0, T0, S_DOWN, "already down"));
	done(cell(S_DOWN, E_EXIT, CRASH, T0, S_DOWN, "no process"));
	done(cell(S_DOWN, E_TIMER, 0, T0, S_DOWN, "no timer"));

	/* FATAL */
	v = in_state(S_FATAL);
	v->quick_deaths = 9;
	svc_event(v, E_GO, WHY_ASKED, T0);
	ok(v->state == S_RUNNING && v->quick_deaths == 0, "fatal + GO -> running: tries again from scratch");
	done(v);
	done(cell(S_FATAL, E_STOP, 0, T0, S_FATAL, "stays fatal"));
	done(cell(S_FATAL, E_EXIT, CRASH, T0, S_FATAL, "no process"));
	done(cell(S_FATAL, E_TIMER, 0, T0, S_FATAL, "no timer"));
}

/* settle(): after a stop, the intent decides. */
static void intent(void)
{
	struct svc *v = in_state(S_STOPPING);
	v->held = true;
	svc_event(v, E_EXIT, TERMED, T0);
	ok(v->state == S_DOWN && st.launches == 0, "held (stop ID) and gone: down");
	done(v);

	v = in_state(S_STOPPING);
	v->held = true;
	v->removed = true;
	svc_event(v, E_EXIT, TERMED, T0);
	ok(st.drops == 1, "removed by a reload and gone: dropped (held or not)");
	done(v);

	v = in_state(S_STOPPING);
	D.phase = PHASE_STOPPING;
	svc_event(v, E_EXIT, TERMED, T0);
	ok(v->state == S_DOWN && st.launches == 0, "gone while everything stops: down");
	done(v);

	v = in_state(S_RUNNING);
	D.phase = PHASE_STOPPING;
	svc_event(v, E_EXIT, CRASH, T0 + 60 * SEC);
	ok(v->state == S_DOWN && st.launches == 0, "a crash while everything stops: not restarted");
	done(v);

	v = in_state(S_RUNNING);
	D.phase = PHASE_RESTARTING;
	ok(!svc_wants_up(v), "restarting in place counts as stopping everything");
	done(v);

	v = in_state(S_STOPPING);
	D.scale_num = 1;
	D.scale_den = 4;
	D.phase = PHASE_STOPPING;
	ok(stop_timeout_of(v) == 10 * SEC / 4, "stop timeouts scale down to the shutdown budget");
	cfg.stop_timeout = REG_MAX_SECONDS;
	D.scale_num = REG_MAX_SECONDS - 1;
	D.scale_den = REG_MAX_SECONDS;
	int64_t t = stop_timeout_of(v);
	ok(t > 0 && t < (int64_t)REG_MAX_SECONDS * SEC, "a year's stop timeout scales without overflow (%lld)", (long long)t);
	reset_cfg();
	done(v);
}

/* The restart policy. */
static void policy(void)
{
	ok(backoff_delay(0, 60) == 0 && backoff_delay(1, 60) == 0, "first quick death: no delay");
	ok(backoff_delay(2, 60) == 100 * MS && backoff_delay(3, 60) == 200 * MS && backoff_delay(4, 60) == 400 * MS,
	   "then 100 ms, doubling");
	ok(backoff_delay(40, 60) == 60 * SEC && backoff_delay(40, 0) == 0, "capped at restartDelayMax (0: none)");

	struct svc *v = in_state(S_RUNNING);
	svc_event(v, E_EXIT, CRASH, T0 + SEC / 2);  /* quick: relaunched at once the first time */
	ok(v->state == S_RUNNING && v->quick_deaths == 1, "first quick death: restarted at once");
	v->start_mono = T0 + SEC;
	svc_event(v, E_EXIT, CRASH, T0 + SEC + SEC / 2);
	ok(v->state == S_BACKOFF && v->deadline == T0 + SEC + SEC / 2 + 100 * MS, "second quick death: backoff 100 ms");
	done(v);

	cfg.min_uptime = 0;
	v = in_state(S_RUNNING);
	svc_event(v, E_EXIT, CRASH, T0 + SEC / 2);
	v->start_mono = T0 + SEC;
	svc_event(v, E_EXIT, CRASH, T0 + SEC + SEC / 2);
	ok(v->state == S_BACKOFF, "minUptime 0 still throttles deaths within %lld ms", (long long)(QUICK_FLOOR / MS));
	done(v);
	cfg.max_restarts = 2;
	cfg.essential = true;
	v = in_state(S_RUNNING);
	v->quick_deaths = 2;
	svc_event(v, E_EXIT, CRASH, T0 + SEC / 2);
	ok(v->state == S_FATAL && st.fatals == 1, "minUptime 0: maxRestarts still makes it fatal, essential acts");
	done(v);
	reset_cfg();

	cfg.restart = RESTART_NEVER;
	v = in_state(S_RUNNING);
	svc_event(v, E_EXIT, CRASH, T0 + 60 * SEC);
	ok(v->state == S_DOWN && st.launches == 0, "restartPolicy never: down");
	done(v);
	cfg.restart = RESTART_ON_FAILURE;
	v = in_state(S_RUNNING);
	svc_event(v, E_EXIT, 0, T0 + 60 * SEC);
	ok(v->state == S_DOWN, "on-failure, exit 0: down");
	done(v);
	v = in_state(S_RUNNING);
	svc_event(v, E_EXIT, CRASH, T0 + 60 * SEC);
	ok(v->state == S_RUNNING, "on-failure, exit 1: restarted");
	done(v);
	reset_cfg();

	v = in_state(S_WAITING);
	st.fail_launch = 1;
	svc_event(v, E_GO, WHY_FIRST, T0);
	ok(v->state == S_BACKOFF && v->pid == 0 && v->deadline == T0 + BACKOFF_BASE && v->last_error[0],
	   "exec failure: backoff (at least 100 ms), the error kept");
	done(v);
	cfg.max_restarts = 1;
	v = in_state(S_BACKOFF);
	st.fail_launch = 1;
	v->quick_deaths = 1;
	svc_event(v, E_TIMER, 0, T0 + 5 * SEC);
	ok(v->state == S_FATAL && st.fatals == 0, "failing again past maxRestarts: fatal (not essential: no stop)");
	done(v);
	reset_cfg();

	v = in_state(S_STOPPING);
	svc_event(v, E_EXIT, (128 + SIGTERM) << 8, T0);
	ok(v->last_status == (128 + SIGTERM) << 8 && st.exited == 1, "the raw wait status is kept");
	done(v);
}

/* Readiness and failures while alive: READY, FAIL, and STARTING's timer. */
static void readiness(void)
{
	cfg.readiness = READY_NOTIFY;
	struct svc *v = cell(S_WAITING, E_GO, WHY_FIRST, T0, S_STARTING, "readiness notify: starting at exec");
	ok(v->deadline == 0 && v->ready_mono == 0, "no startTimeout: no timer, not ready");
	svc_event(v, E_READY, 0, T0 + 2 * SEC);
	ok(v->state == S_RUNNING && v->ready_mono == T0 + 2 * SEC, "READY: running, ready since then");
	svc_event(v, E_READY, 0, T0 + 3 * SEC);
	ok(v->state == S_RUNNING && v->ready_mono == T0 + 2 * SEC, "a second READY changes nothing");
	done(v);

	cfg.start_timeout = 30;
	v = cell(S_WAITING, E_GO, WHY_FIRST, T0, S_STARTING, "startTimeout: starting with a timer");
	ok(v->deadline == T0 + 30 * SEC, "the timer is the startTimeout");
	svc_event(v, E_TIMER, 0, T0 + 30 * SEC);
	ok(v->state == S_STOPPING && v->failing && st.nsig >= 1 && st.sigs[0] == SIGTERM &&
	   strstr(v->last_error, "startTimeout"),
	   "not ready in time: stopped with its stop signal, the reason kept (%s)", v->last_error);
	svc_event(v, E_EXIT, TERMED, T0 + 31 * SEC);
	ok(v->state == S_STARTING && v->restarts == 1 && v->quick_deaths == 1 && strstr(v->last_error, "startTimeout"),
	   "then relaunched as after a first crash, counted, last_error kept beside the new instance");
	svc_event(v, E_TIMER, 0, v->deadline);
	svc_event(v, E_EXIT, TERMED, T0 + 62 * SEC);
	ok(v->state == S_BACKOFF && v->quick_deaths == 2,
	   "never ready twice: a quick death each time (however long it took), so it backs off");
	done(v);
	reset_cfg();

	v = in_state(S_RUNNING);
	v->start_mono = T0 - 60 * SEC;
	snprintf(v->last_error, sizeof v->last_error, "health: tcp connect refused (3 in a row)");
	svc_event(v, E_FAIL, 0, T0);
	ok(v->state == S_STOPPING && v->failing && v->deadline == T0 + 10 * SEC, "FAIL: stop signal, stopTimeout");
	svc_event(v, E_TIMER, 0, T0 + 10 * SEC);
	ok(v->state == S_KILLED && st.sigs[st.nsig - 1] == SIGKILL, "hung: KILL of the group at stopTimeout");
	svc_event(v, E_EXIT, SIGKILL, T0 + 10 * SEC + MS);
	ok(v->state == S_RUNNING && v->restarts == 1 && !v->failing && strstr(v->last_error, "health"),
	   "restarted at once like a first crash, counted, the reason shown");
	done(v);

	cfg.restart = RESTART_ON_FAILURE;
	v = in_state(S_RUNNING);
	v->start_mono = T0 - 60 * SEC;
	svc_event(v, E_FAIL, 0, T0);
	svc_event(v, E_EXIT, 0, T0 + MS);
	ok(v->state == S_RUNNING, "on-failure: a failed server that then exits 0 is still restarted");
	done(v);
	reset_cfg();

	cfg.max_restarts = 1;
	v = in_state(S_RUNNING);
	v->quick_deaths = 1;
	svc_event(v, E_FAIL, 0, T0 + SEC / 2);
	svc_event(v, E_EXIT, TERMED, T0 + SEC / 2 + MS);
	ok(v->state == S_FATAL, "failing quickly past maxRestarts: fatal");
	done(v);
	reset_cfg();

	v = in_state(S_RUNNING);
	svc_event(v, E_FAIL, 0, T0);
	v->held = true;
	svc_event(v, E_STOP, 0, T0 + MS);
	svc_event(v, E_EXIT, TERMED, T0 + 2 * MS);
	ok(v->state == S_DOWN && st.launches == 0, "stop ID during a failure's stop: down, not restarted");
	done(v);

	for (enum svstate s = S_STOPPING; s < S_N; s++) {
		v = in_state(s);
		svc_event(v, E_READY, 0, T0);
		svc_event(v, E_FAIL, 0, T0);
		ok(v->state == s && !v->failing, "%s: READY and FAIL ignored", sn(s));
		done(v);
	}
	v = in_state(S_WAITING);
	svc_event(v, E_FAIL, 0, T0);
	ok(v->state == S_WAITING, "waiting: FAIL ignored");
	done(v);
}

/* The shutdown budget's sum of group maxima, whatever the order (a reload
 * leaves removed servers after the others). */
static void budget(void)
{
	struct server sv[4];
	unsigned prio[4] = {1, 2, 1, 3}, stop[4] = {4, 6, 9, 1};
	for (int i = 0; i < 4; i++) {
		memset(&sv[i], 0, sizeof sv[i]);
		sv[i].priority = prio[i];
		sv[i].stop_timeout = stop[i];
	}
	struct registry r = {.servers = sv, .nservers = 4};
	ok(stop_budget_ns(&r) == 16 * SEC, "groups 1 (max 9), 2 (6), 3 (1) out of order: 16 s");
	r.shutdown_timeout = 10;
	ok(stop_budget_ns(&r) == 10 * SEC, "capped by shutdownTimeout");
}

int main(void)
{
	log_set_level(TRACE_ERROR);
	log_open("/dev/null");
	svc_ops = &stubs;
	reset_cfg();
	struct registry *r = xcalloc(1, sizeof *r);
	r->dir = "/";
	ref = regref_new(r);
	table();
	readiness();
	intent();
	policy();
	budget();
	regref_drop(ref);
	printf("1..%d\n", tests);
	return failures != 0;
}
