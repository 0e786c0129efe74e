/* groups.c: the supervisor's phase: start groups by priority with their
 * delays, the stop of everything in reverse order, and the shutdown budget. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/util.h"

/* The start sequence. A group starts once the one before is settled and its
 * startDelay has passed. Settled: each server started so far is ready
 * (running), or has failed (fatal; in backoff after quick deaths in a row,
 * or after an exec that failed), or is down for good (its restart policy,
 * stopped by request, removed). A server exec'd and not yet ready, or being
 * restarted at once after its first failure, keeps the group waiting: it may
 * still become ready. A failed one does not: waiting for it would hold every
 * later group, and `start` itself, hostage to one broken server, while its
 * restart policy keeps trying it (an essential fatal one stops everything).
 * So a startTimeout bounds the wait for a server never ready (it fails,
 * is restarted once at once, then backs off); without one, the wait for a
 * server that is running but not ready has no limit, as asked, and the trace
 * log names it each startDelay (every 5 s when that is 0). */
static int64_t delay_until, report_every;

static bool settled(const struct svc *v)
{
	return v->state == S_WAITING || v->state == S_RUNNING || v->state == S_BACKOFF || v->state == S_DOWN ||
	       v->state == S_FATAL || v->held || v->removed;
}

/* The servers the sequence waits for, into b; how many. */
static unsigned unsettled(struct buf *b, int64_t now)
{
	unsigned n = 0;
	for (size_t i = 0; i < D.nsvc; i++) {
		const struct svc *v = D.svcs[i];
		if (settled(v))
			continue;
		if (b)
			buf_printf(b, "%s%s (%s, %.1f s)", n ? ", " : "", v->id, svc_state_name(v->state),
				   (double)(now - v->start_mono) / SEC);
		n++;
	}
	return n;
}

/* Every group has started and settled. */
static void sequence_done(void)
{
	D.phase = PHASE_RUNNING;
	D.trim = true;
	D.next_group_at = 0;
	struct buf b = {0};
	unsigned up = 0, failed = 0;
	for (size_t i = 0; i < D.nsvc; i++) {
		if (D.svcs[i]->state == S_RUNNING)
			up++;
		else if (!D.svcs[i]->held)
			buf_printf(&b, "%s%s", failed++ ? ", " : "", D.svcs[i]->id);
	}
	if (failed)
		trace(TRACE_WARNING, NULL, "every start group started and settled: %u running, %u not: %s", up, failed,
		      buf_str(&b));
	else
		trace(TRACE_INFO, NULL, "every start group started and settled: all %u servers running", up);
	buf_free(&b);
	ready_report();
	sdnotify_ready();
	mark();
}

/* Start the waiting servers of priority next_prio (and any lower one a
 * reload added); the delay before the next group, in seconds, in *delay. */
static bool start_group(int64_t now, unsigned *delay)
{
	unsigned spawned = 0, lowest = 0;
	bool any = false;
	for (size_t i = 0; i < D.nsvc; i++)
		if (D.svcs[i]->state == S_WAITING && (!any || D.svcs[i]->want->priority < lowest)) {
			lowest = D.svcs[i]->want->priority;
			any = true;
		}
	if (!any)
		return false;
	if (lowest > D.next_prio)
		D.next_prio = lowest;
	*delay = 0;
	for (size_t i = 0; i < D.nsvc; i++) {
		struct svc *v = D.svcs[i];
		if (v->state != S_WAITING || v->want->priority > D.next_prio)
			continue;
		if (v->want->start_delay > *delay)
			*delay = v->want->start_delay;
		if (v->held)
			svc_event(v, E_STOP, 0, now);
		else
			svc_event(v, E_GO, WHY_FIRST, now);
		if (++spawned % 32 == 0)
			state_write();  /* a large group: its pids known as it goes */
	}
	/* Record the group's pids before anything reports it started: a
	 * SIGKILL from here on leaves them known. */
	state_write();
	trace(TRACE_DEBUG, NULL, "priority group %u started", D.next_prio);
	return true;
}

/* Go as far through the sequence as readiness and delays allow. */
static void advance(int64_t now)
{
	while (D.phase == PHASE_STARTING) {
		if (now < delay_until) {
			D.next_group_at = delay_until;
			return;
		}
		if (unsettled(NULL, now)) {
			if (now >= D.next_group_at) {
				struct buf b = {0};
				buf_puts(&b, "waiting for ");
				unsettled(&b, now);
				trace(TRACE_INFO, NULL, "start sequence %s", buf_str(&b));
				ready_progress(buf_str(&b));
				buf_free(&b);
				D.next_group_at = now + report_every;
			}
			return;
		}
		unsigned delay;
		if (!start_group(now, &delay)) {
			sequence_done();
			return;
		}
		/* The delay runs from when the group has been started (its
		 * spawns done), not from before. */
		now = mono_ns();
		delay_until = now + (int64_t)delay * SEC;
		report_every = delay ? (int64_t)delay * SEC : 5 * SEC;
		D.next_group_at = delay ? delay_until : now + report_every;
	}
}

void groups_start_next(int64_t now)
{
	delay_until = 0;
	D.next_group_at = 0;
	advance(now);
}

/* Each loop turn while starting: readiness arrives from any source. */
void groups_timer(int64_t now)
{
	if (D.phase == PHASE_STARTING)
		advance(now);
}

/* ---- stop ---- */

struct gmax {
	unsigned prio;
	uint64_t timeout;
};

static int cmp_gmax(const void *a, const void *b)
{
	const struct gmax *x = a, *y = b;
	return x->prio < y->prio ? -1 : x->prio > y->prio;
}

/* The sum over priority groups of each group's largest stop timeout (s), of
 * the servers that pick() accepts, whatever order they are in. */
static uint64_t group_sum(const struct server *const *s, size_t n)
{
	struct gmax *g = xcalloc(n + 1, sizeof *g);
	for (size_t i = 0; i < n; i++)
		g[i] = (struct gmax){s[i]->priority, s[i]->stop_timeout};
	qsort(g, n, sizeof *g, cmp_gmax);
	uint64_t sum = 0;
	for (size_t i = 0; i < n;) {
		uint64_t m = 0;
		size_t k = i;
		for (; k < n && g[k].prio == g[i].prio; k++)
			if (g[k].timeout > m)
				m = g[k].timeout;
		sum += m;
		i = k;
	}
	free(g);
	return sum;
}

/* The longest a whole stop of this registry may take. */
int64_t stop_budget_ns(const struct registry *r)
{
	const struct server **s = xcalloc(r->nservers + 1, sizeof *s);
	for (size_t i = 0; i < r->nservers; i++)
		s[i] = &r->servers[i];
	uint64_t sum = group_sum(s, r->nservers);
	free(s);
	if (r->shutdown_timeout && r->shutdown_timeout < sum)
		sum = r->shutdown_timeout;
	return (int64_t)sum * SEC;
}

int64_t stop_timeout_of(const struct svc *v)
{
	int64_t t = (int64_t)v->cfg->stop_timeout * SEC;
	if (stopping_all() && D.scale_den > D.scale_num)
		t = (int64_t)((__int128)t * D.scale_num / D.scale_den);  /* no overflow for a year's timeout */
	return t;
}

bool all_down(void)
{
	for (size_t i = 0; i < D.nsvc; i++)
		if (svc_alive(D.svcs[i]))
			return false;
	return true;
}

/* Stop the highest priority group still running; called each loop turn
 * while stopping everything. */
void stop_all_progress(int64_t now)
{
	bool any = false;
	unsigned top = 0;
	for (size_t i = 0; i < D.nsvc; i++)
		if (svc_alive(D.svcs[i]) && (!any || D.svcs[i]->cfg->priority > top)) {
			top = D.svcs[i]->cfg->priority;
			any = true;
		}
	escapees_batch(true);  /* one read of our children for the whole group */
	for (size_t i = 0; any && i < D.nsvc; i++) {
		struct svc *v = D.svcs[i];
		if ((v->state == S_RUNNING || v->state == S_STARTING) && v->cfg->priority == top)
			svc_event(v, E_STOP, 0, now);
	}
	escapees_batch(false);
}

void stop_all_begin(int code, const char *why, enum sup_phase phase)
{
	if (stopping_all())
		return;
	int64_t now = mono_ns();
	D.phase = phase;
	if (code)
		D.exit_code = code;
	D.next_group_at = 0;
	trace(TRACE_INFO, NULL, "stopping every server: %s", why);
	ready_abandon(why);
	sdnotify_stopping(why, phase == PHASE_RESTARTING);
	endpoint_close();  /* before the servers stop: probes see the supervisor go */
	for (size_t i = 0; i < D.nsvc; i++) {
		struct svc *v = D.svcs[i];
		if (v->state == S_WAITING || v->state == S_BACKOFF)
			svc_event(v, E_STOP, 0, now);
	}
	/* The shutdown budget caps the sum of the groups' stop timeouts. */
	D.scale_num = D.scale_den = 1;
	D.stop_deadline = 0;
	unsigned budget = D.reg->r->shutdown_timeout;
	if (budget) {
		D.stop_deadline = now + (int64_t)budget * SEC;
		const struct server **s = xcalloc(D.nsvc + 1, sizeof *s);
		size_t n = 0;
		for (size_t i = 0; i < D.nsvc; i++)
			if (svc_alive(D.svcs[i]))
				s[n++] = D.svcs[i]->cfg;
		uint64_t sum = group_sum(s, n);
		free(s);
		if (sum > budget) {
			D.scale_num = budget;
			D.scale_den = sum;
		}
		for (size_t i = 0; i < D.nsvc; i++)
			if (D.svcs[i]->state == S_STOPPING)
				svc_event(D.svcs[i], E_STOP, 0, now);  /* clamp to the budget */
	}
	stop_all_progress(now);
	mark();
}
