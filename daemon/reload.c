/* reload.c: a new registry applied to running servers: the diff, the "same
 * process?" policy, and registry lifetimes (reference counts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/util.h"

struct regref *regref_new(struct registry *r)
{
	struct regref *g = xcalloc(1, sizeof *g);
	g->r = r;
	g->refs = 1;
	return g;
}

void regref_hold(struct regref *g)
{
	g->refs++;
}

void regref_drop(struct regref *g)
{
	if (g && --g->refs == 0) {
		registry_free(g->r);
		free(g);
	}
}

/* Forget v (a dropped server): indexes after it move, hence a new generation. */
void svcs_remove(struct svc *v)
{
	for (size_t i = 0; i < D.nsvc; i++)
		if (D.svcs[i] == v) {
			memmove(&D.svcs[i], &D.svcs[i + 1], (D.nsvc - i - 1) * sizeof *D.svcs);
			D.nsvc--;
			break;
		}
	D.generation++;
	mark();
}

/* The trace log gets every line of a loader report. */
static void trace_diag(enum trace_level l, const char *prefix, const struct diag *d)
{
	const char *t = d->text.p ? d->text.p : "";
	while (*t) {
		const char *nl = strchr(t, '\n');
		int len = nl ? (int)(nl - t) : (int)strlen(t);
		trace(l, NULL, "%s%.*s", prefix, len, t);
		t += len + (nl ? 1 : 0);
	}
}

/* One server of the new registry against the one running under its id. */
static void apply_one(struct svc *v, const struct server *s, struct regref *nr, int64_t now, unsigned *changed)
{
	bool same = server_same_process(v->cfg, s);
	v->removed = false;
	svc_set_want(v, s, nr);
	if (same) {
		/* The running instance keeps its process; other settings (stop
		 * timeout, restart policy…) apply now. Its stop signal stays the
		 * one it got as parent-death signal until its next start. */
		regref_hold(nr);
		regref_drop(v->reg);
		v->cfg = s;
		v->reg = nr;
		if (v->inst_signal != s->stop_signal && svc_alive(v))
			trace(TRACE_INFO, v->id, "new stop signal %s applies from its next start",
			      signal_name(s->stop_signal));
		return;
	}
	(*changed)++;
	if (svc_alive(v)) {
		if (svc_wants_up(v) && v->state != S_STOPPING && v->state != S_KILLED) {
			trace(TRACE_INFO, v->id, "changed by reload: restarting");
			svc_event(v, E_STOP, 0, now);  /* settles into a launch with the new settings */
		}
	} else if (v->state == S_FATAL && svc_wants_up(v)) {
		trace(TRACE_INFO, v->id, "changed by reload: trying again");
		svc_event(v, E_GO, WHY_ASKED, now);
	}
}

void reload(void)
{
	struct diag d = {0};
	struct registry *r = registry_load(D.reg_path, &d);
	D.trim = true;  /* the parser's code, whatever the outcome */
	if (!r) {
		trace(TRACE_ERROR, NULL, "reload: %s has %u error%s; keeping the running configuration", D.reg_path,
		      d.errors, d.errors == 1 ? "" : "s");
		trace_diag(TRACE_ERROR, "reload: ", &d);
		diag_free(&d);
		D.reload_failures++;
		return;
	}
	trace_diag(TRACE_WARNING, "reload: ", &d);
	diag_free(&d);
	if (strcmp(r->rundir, D.rundir) != 0)
		trace(TRACE_WARNING, NULL, "reload: the run directory changed to %s; it takes effect at the next start",
		      r->rundir);
	struct regref *nr = regref_new(r);
	int64_t now = mono_ns();
	struct svc **nv = xcalloc(r->nservers + D.nsvc + 1, sizeof *nv);
	bool *taken = xcalloc(D.nsvc + 1, sizeof *taken);
	size_t n = 0;
	unsigned added = 0, changed = 0, removed = 0, same = 0;
	for (size_t i = 0; i < r->nservers; i++) {
		const struct server *s = &r->servers[i];
		struct svc *v = NULL;
		for (size_t k = 0; k < D.nsvc && !v; k++)
			if (!taken[k] && strcmp(D.svcs[k]->id, s->id) == 0) {
				v = D.svcs[k];
				taken[k] = true;
			}
		if (v) {
			unsigned before = changed;
			apply_one(v, s, nr, now, &changed);
			same += changed == before;
		} else {
			v = svc_new(s, nr);
			added++;
			trace(TRACE_INFO, v->id, "added by reload");
		}
		nv[n++] = v;
	}
	for (size_t k = 0; k < D.nsvc; k++) {
		if (taken[k])
			continue;
		struct svc *v = D.svcs[k];
		removed++;
		if (svc_alive(v)) {
			trace(TRACE_INFO, v->id, "removed by reload: stopping");
			v->removed = true;
			if (v->state != S_STOPPING && v->state != S_KILLED)
				svc_event(v, E_STOP, 0, now);
			nv[n++] = v;
		} else {
			trace(TRACE_INFO, v->id, "removed by reload");
			svc_free(v);
		}
	}
	free(taken);
	free(D.svcs);
	D.svcs = nv;
	D.nsvc = n;
	const char *oldlog = D.reg->r->log;
	if (strcmp(r->log, oldlog) != 0) {
		int e = log_open(r->log);
		if (e < 0)
			trace(TRACE_ERROR, NULL, "reload: cannot open trace log %s: %s", r->log, strerror(-e));
	}
	regref_drop(D.reg);
	D.reg = nr;
	D.stop_budget = stop_budget_ns(r);
	log_set_level(r->tracelevel);
	D.stats_at = r->stats_interval ? now + (int64_t)r->stats_interval * SEC : 0;
	D.generation++;
	D.reloads++;
	endpoint_apply();
	/* New servers start now, or with their group if groups are still starting. */
	if (D.phase == PHASE_RUNNING)
		for (size_t i = 0; i < D.nsvc; i++)
			if (D.svcs[i]->state == S_WAITING)
				svc_event(D.svcs[i], E_GO, WHY_FIRST, now);
	mark();
	trace(TRACE_INFO, NULL, "reloaded %s: %u added, %u changed, %u removed, %u unchanged", D.reg_path, added, changed,
	      removed, same);
}
