/* health.c: the health engine (SPEC §5): per server, when its next probe is
 * due, the probe's timeout, failures counted in a row, the start period's
 * grace; the outcome turned into lifecycle events (E_READY at the first pass
 * of a server with readiness health, E_FAIL after `failures` in a row).
 *
 * Timing as Docker's: probes every `interval` seconds (counted from the start
 * of the previous one, so that a hung target is caught within failures ×
 * interval + timeout), every `startInterval` during `startPeriod`, the first
 * one interval (or start interval) after the exec; failures during the start
 * period do not count and the first pass ends it. Probes run only while the
 * server is starting or running; each new instance starts afresh. The engine
 * holds no timer of its own: the loop asks health_deadline() for the
 * earliest of the probes' (one per server: the running probe's timeout, or
 * the next one due) and calls health_timers() in its tail. With no check
 * configured it costs nothing. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "health.h"
#include "lib/log.h"

static bool watched(const struct svc *v)
{
	return (v->state == S_STARTING || v->state == S_RUNNING) && v->cfg->health.kind != HEALTH_NONE;
}

const struct health *probe_check(const struct probe *p)
{
	return &p->v->cfg->health;
}

/* v->health, the one-line summary status shows; the state file is rewritten
 * only when it changes (an "ok" every second costs no write). */
static void summary(struct svc *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void summary(struct svc *v, const char *fmt, ...)
{
	char s[sizeof v->health];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s, sizeof s, fmt, ap);
	va_end(ap);
	if (strcmp(s, v->health) != 0) {
		memcpy(v->health, s, sizeof s);
		mark();
	}
}

/* v->hc, the last result as status --json gives it: written (and the
 * state file with it) only when the result, the count or the reason
 * changes; `since` is when the result began. */
static void result(struct svc *v, const char *status, unsigned failures, const char *why)
{
	if (strcmp(v->hc.status, status) == 0 && v->hc.failures == failures &&
	    strncmp(v->hc.error, why, sizeof v->hc.error - 1) == 0)
		return;
	if (strcmp(v->hc.status, status) != 0)
		v->hc.since = *status ? real_ns() / SEC : 0;
	snprintf(v->hc.status, sizeof v->hc.status, "%s", status);
	v->hc.failures = failures;
	snprintf(v->hc.error, sizeof v->hc.error, "%s", why);
	mark();
}

/* Stop the probe under way, if any; its outcome no longer matters. */
static void cancel(struct probe *p)
{
	probe_close(p);
	if (p->pid > 0)
		exec_probe_kill(p);
	p->running = false;
	p->deadline = 0;
}

static char *signature(const struct health *h)
{
	struct buf b = {0};
	health_show(h, &b);
	char *s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

/* "starting (grace until 07:31:05Z)", and why the last probe failed. */
static void grace_summary(struct probe *p, int64_t now, const char *why)
{
	time_t t = (time_t)((real_ns() + (p->grace_until - now)) / SEC);
	struct tm tm;
	gmtime_r(&t, &tm);
	summary(p->v, "starting (grace until %02d:%02d:%02dZ)%s%s", tm.tm_hour, tm.tm_min, tm.tm_sec, *why ? ": " : "",
		why);
}

/* A new schedule: for a new instance, or a check a reload changed. */
static void reset(struct probe *p, int64_t now)
{
	struct svc *v = p->v;
	const struct health *h = &v->cfg->health;
	cancel(p);
	p->inst = v->pid;
	p->inst_start = v->start_mono;
	p->fails = 0;
	p->grace_until = h->start_period ? v->start_mono + (int64_t)h->start_period * SEC : 0;
	bool grace = p->grace_until > now;
	p->due = v->start_mono + (int64_t)(grace ? h->start_interval : h->interval) * SEC;
	if (p->due < now)
		p->due = now;
	if (grace)
		grace_summary(p, now, "");
	else
		summary(v, "unknown (no probe yet)");
	result(v, "unknown", 0, "");
}

static struct probe *probe_of(struct svc *v)
{
	struct probe *p = v->probe;
	if (!p) {
		p = v->probe = xcalloc(1, sizeof *p);
		p->v = v;
		p->fd = -1;
	}
	return p;
}

/* Bring the schedule in line with the server: a new instance, a check
 * changed by a reload, no longer starting or running. */
static struct probe *sync_one(struct svc *v, int64_t now)
{
	struct probe *p = v->probe;
	if (!watched(v)) {
		if (p && (p->running || p->inst)) {
			cancel(p);
			p->inst = 0;  /* the next instance starts afresh */
		}
		/* No instance (or no check): no current result to show; the
		 * reason of a failure stays in last_error. */
		if ((v->cfg->health.kind == HEALTH_NONE || !v->pid) && v->health[0]) {
			v->health[0] = 0;
			mark();
		}
		if (v->cfg->health.kind == HEALTH_NONE || !v->pid)
			result(v, "", 0, "");
		/* A reload took the check away from a server waiting for it. */
		if (v->state == S_STARTING && v->cfg->readiness == READY_EXEC)
			svc_event(v, E_READY, 0, now);
		return NULL;
	}
	p = probe_of(v);
	if (p->cfg != v->cfg) {
		char *sig = signature(&v->cfg->health);
		bool changed = p->sig && strcmp(sig, p->sig) != 0;
		free(p->sig);
		p->sig = sig;
		p->cfg = v->cfg;
		if (changed && p->inst == v->pid && p->inst_start == v->start_mono) {
			trace(TRACE_INFO, v->id, "health check changed by reload: %s", sig);
			p->inst = 0;
		}
	}
	if (p->inst != v->pid || p->inst_start != v->start_mono)
		reset(p, now);
	return p;
}

static void start(struct probe *p, int64_t now)
{
	const struct health *h = probe_check(p);
	static int (*const kinds[])(struct probe *, char *, size_t) = {
		[HEALTH_TCP] = tcp_probe_start, [HEALTH_HTTP] = http_probe_start, [HEALTH_EXEC] = exec_probe_start,
	};
	char why[96];
	p->running = true;
	p->started = now;
	p->deadline = now + (int64_t)h->timeout * SEC;
	int r = kinds[h->kind](p, why, sizeof why);
	if (r == -2) {
		p->running = false;
		p->deadline = 0;
		p->due = now + (int64_t)h->interval * SEC;
		char was[sizeof p->v->health];
		memcpy(was, p->v->health, sizeof was);
		summary(p->v, "unknown: probe not run: %s", why);
		if (strcmp(was, p->v->health) != 0)
			trace(TRACE_WARNING, p->v->id, "health probe not run: %s; trying again in %u s", why, h->interval);
	} else if (r != 0) {
		probe_done(p, r > 0, why);
	}
}

static void timed_out(struct probe *p)
{
	const struct health *h = probe_check(p);
	char why[96];
	snprintf(why, sizeof why, "%s timed out after %u s",
		 h->kind == HEALTH_EXEC ? "exec" : h->kind == HEALTH_TCP ? "tcp connect" :
		 p->connected ? "http answer" : "http connect", h->timeout);
	probe_close(p);
	if (p->pid > 0)
		exec_probe_kill(p);
	probe_done(p, false, why);
}

void probe_done(struct probe *p, bool ok, const char *why)
{
	struct svc *v = p->v;
	int64_t now = mono_ns();
	p->running = false;
	p->deadline = 0;
	if (!watched(v) || p->inst != v->pid || p->inst_start != v->start_mono)
		return;  /* a probe of what no longer runs */
	const struct health *h = probe_check(p);
	bool grace = p->grace_until && now < p->grace_until;
	/* From the start of this probe, or at once if it took longer. */
	p->due = p->started + (int64_t)(grace && !ok ? h->start_interval : h->interval) * SEC;
	if (p->due < now)
		p->due = now;
	if (ok) {
		if (p->fails)
			trace(TRACE_INFO, v->id, "health check passes again after %u failure%s", p->fails,
			      p->fails == 1 ? "" : "s");
		p->fails = 0;
		p->grace_until = 0;
		summary(v, "ok");
		result(v, "passing", 0, "");
		if (v->state == S_STARTING && v->cfg->readiness == READY_HEALTH)
			svc_event(v, E_READY, 0, now);
		return;
	}
	p->failed++;
	if (grace) {
		trace(TRACE_DEBUG, v->id, "health check failed during the start period: %s", why);
		grace_summary(p, now, why);
		result(v, "unknown", 0, why);
		return;
	}
	p->grace_until = 0;
	p->fails++;
	summary(v, "failing %u/%u: %s", p->fails, h->failures, why);
	result(v, "failing", p->fails, why);
	trace(TRACE_WARNING, v->id, "health check failed (%u of %u): %s", p->fails, h->failures, why);
	if (p->fails < h->failures)
		return;
	snprintf(v->last_error, sizeof v->last_error, "health: %s (%u in a row)", why, p->fails);
	p->due = 0;
	svc_event(v, E_FAIL, 0, now);
}

/* ---- what the loop and the rest of the daemon call ---- */

void health_timers(int64_t now)
{
	for (size_t i = 0; i < D.nsvc; i++) {
		struct svc *v = D.svcs[i];
		if (!v->probe && !watched(v))
			continue;
		struct probe *p = sync_one(v, now);
		if (!p)
			continue;
		if (p->running && now >= p->deadline)
			timed_out(p);
		else if (!p->running && p->due && now >= p->due)
			start(p, now);
	}
}

int64_t health_deadline(void)
{
	int64_t d = 0;
	for (size_t i = 0; i < D.nsvc; i++) {
		const struct svc *v = D.svcs[i];
		const struct probe *p = v->probe;
		int64_t t = 0;
		if (!watched(v))
			continue;
		if (!p || p->inst != v->pid || p->inst_start != v->start_mono)
			t = 1;  /* not scheduled yet: at once */
		else
			t = p->running ? p->deadline : p->due;
		if (t && (!d || t < d))
			d = t;
	}
	return d;
}

static struct probe *probe_by_pid(pid_t pid)
{
	for (size_t i = 0; i < D.nsvc; i++)
		if (D.svcs[i]->probe && D.svcs[i]->probe->pid == pid)
			return D.svcs[i]->probe;
	return NULL;
}

bool health_owns(pid_t pid)
{
	return pid > 0 && (probe_by_pid(pid) || exec_killed_owns(pid));
}

bool health_reaped(pid_t pid, int st)
{
	struct probe *p = pid > 0 ? probe_by_pid(pid) : NULL;
	if (p)
		exec_probe_reaped(p, st);
	return p || exec_killed_reaped(pid);
}

unsigned long health_failures_total(const struct svc *v)
{
	return v->probe ? v->probe->failed : 0;
}

void health_forget(struct svc *v)
{
	struct probe *p = v->probe;
	if (!p)
		return;
	cancel(p);
	free(p->ans);
	free(p->sig);
	free(p);
	v->probe = NULL;
}
