/* groups.c: the supervisor's phase: start groups by priority with their
 * delays, the stop of everything in reverse order, and the shutdown budget. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/util.h"

/* Start the waiting servers of priority next_prio (and any lower one a
 * reload added), then schedule the next group. */
void groups_start_next(int64_t now)
{
	unsigned spawned = 0;
	while (D.phase == PHASE_STARTING) {
		unsigned delay = 0, following = 0;
		bool found = false, more = false;
		for (size_t i = 0; i < D.nsvc; i++) {
			struct svc *v = D.svcs[i];
			if (v->state != S_WAITING)
				continue;
			unsigned p = v->want->priority;
			if (p <= D.next_prio) {
				found = true;
				if (v->want->start_delay > delay)
					delay = v->want->start_delay;
				if (v->held)
					svc_event(v, E_STOP, 0, now);
				else
					svc_event(v, E_GO, WHY_FIRST, now);
				if (++spawned % 32 == 0)
					state_write();  /* a large group: its pids known as it goes */
			} else if (!more || p < following) {
				following = p;
				more = true;
			}
		}
		if (found) {
			/* Record the group's pids before anything reports it
			 * started: a SIGKILL from here on leaves them known. */
			state_write();
			trace(TRACE_DEBUG, NULL, "priority group %u started", D.next_prio);
		}
		if (!more) {
			D.phase = PHASE_RUNNING;
			D.next_group_at = 0;
			struct buf b = {0};
			unsigned up = 0, failed = 0;
			for (size_t i = 0; i < D.nsvc; i++) {
				if (svc_alive(D.svcs[i])) {
					up++;
				} else if (!D.svcs[i]->held) {
					buf_printf(&b, "%s%s", failed++ ? ", " : "", D.svcs[i]->id);
				}
			}
			if (failed)
				trace(TRACE_WARNING, NULL, "every start group started: %u running, %u not: %s", up, failed,
				      buf_str(&b));
			else
				trace(TRACE_INFO, NULL, "every start group started: all %u servers running", up);
			buf_free(&b);
			ready_report();
			mark();
			return;
		}
		D.next_prio = following;
		/* The delay runs from when the group has been started (its spawns
		 * done), not from before. */
		now = mono_ns();
		D.next_group_at = now + (int64_t)delay * SEC;
		if (D.next_group_at > now)
			return;
	}
}

void groups_timer(int64_t now)
{
	if (D.phase == PHASE_STARTING && D.next_group_at && now >= D.next_group_at)
		groups_start_next(now);
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
	for (size_t i = 0; any && i < D.nsvc; i++) {
		struct svc *v = D.svcs[i];
		if ((v->state == S_RUNNING || v->state == S_STARTING) && v->cfg->priority == top)
			svc_event(v, E_STOP, 0, now);
	}
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
