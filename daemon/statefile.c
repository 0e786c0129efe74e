/* statefile.c: the daemon's state published as supervisor.state (schema in
 * lib/status.h), rewritten atomically, and the periodic stats lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/procmem.h"
#include "lib/runfile.h"
#include "lib/util.h"

/* src cut to fit n bytes (snprintf's work without its cost, which is
 * felt at a thousand servers per write). */
static void copy_cut(char *dst, size_t n, const char *src)
{
	size_t k = strnlen(src, n - 1);
	memcpy(dst, src, k);
	dst[k] = 0;
}

static void fill_server(struct st_server *s, const struct svc *v, unsigned index)
{
	memset(s, 0, sizeof *s);
	s->index = (int)index;
	copy_cut(s->id, sizeof s->id, v->id);
	s->state = svc_public_state(v);
	s->pid = v->pid;
	s->start_boot_ns = v->pid ? v->start_boot : 0;
	s->proc_start = (int64_t)v->proc_start;
	s->restarts = (int)v->restarts;
	s->requested = (int)v->requested;
	s->wstatus = v->last_status;
	s->held = v->held;
	s->removed = v->removed;
	s->deadline_ns = v->deadline;
	s->stop_timeout_ms = stop_timeout_of(v) / MS;
	copy_cut(s->last_error, sizeof s->last_error, v->last_error);
	copy_cut(s->description, sizeof s->description, v->want->description);
	s->ready_boot_ns = v->pid && v->ready_mono ? v->start_boot + (v->ready_mono - v->start_mono) : 0;
	copy_cut(s->health, sizeof s->health, v->health);
	copy_cut(s->notify_status, sizeof s->notify_status, v->notify_status);
	copy_cut(s->health_status, sizeof s->health_status, v->hc.status);
	s->health_failures = (int)v->hc.failures;
	s->health_since_s = v->hc.since;
	copy_cut(s->health_error, sizeof s->health_error, v->hc.error);
	copy_cut(s->readiness, sizeof s->readiness, readiness_name(v->want->readiness));
}

/* The supervisor's part of the state as the schema has it. */
static void fill_head(struct st_file *f)
{
	f->pid = getpid();
	f->pidns = (int64_t)D.pidns;
	f->start_boot_ns = D.start_boot;
	f->start_real_s = D.start_real / SEC;
	f->generation = (int64_t)D.generation;
	f->serial = (int64_t)D.serial;
	f->phase = D.phase;
	f->foreground = D.foreground;
	f->stop_budget_ms = D.stop_budget / MS;
	f->stop_deadline_ns = D.stop_deadline;
	snprintf(f->registry, sizeof f->registry, "%s", D.reg_path);
	snprintf(f->rundir, sizeof f->rundir, "%s", D.rundir);
	snprintf(f->endpoint, sizeof f->endpoint, "%s", D.endpoint);
	f->n = D.nsvc;
}

/* The whole state with an array of servers (for the endpoint's /status;
 * f->servers grows as needed, *cap its capacity). */
void state_fill(struct st_file *f, size_t *cap)
{
	if (*cap < D.nsvc + 1) {
		*cap = D.nsvc * 2 + 1;
		f->servers = xrealloc(f->servers, *cap * sizeof *f->servers);
	}
	fill_head(f);
	for (size_t i = 0; i < D.nsvc; i++)
		fill_server(&f->servers[i], D.svcs[i], (unsigned)i);
}

/* Written line by line: no array of every server's record is kept. */
void state_write(void)
{
	static struct buf b;
	static struct st_file f;
	struct st_server s;
	b.len = 0;
	D.serial++;
	fill_head(&f);
	state_format_head(&b, &f);
	for (size_t i = 0; i < D.nsvc; i++) {
		fill_server(&s, D.svcs[i], (unsigned)i);
		state_format_server(&b, &s);
	}
	int e = file_replace(D.rundir, STATE_FILE, buf_str(&b), b.len);
	if (e < 0) {
		/* Stays dirty; tried again in a second (a deadline, not a loop). */
		if (!D.state_retry_at)
			trace(TRACE_ERROR, NULL, "cannot write %s/%s: %s (retrying every second)", D.rundir, STATE_FILE,
			      strerror(-e));
		D.state_retry_at = mono_ns() + SEC;
		return;
	}
	if (D.state_retry_at)
		trace(TRACE_INFO, NULL, "%s/%s written again", D.rundir, STATE_FILE);
	D.state_retry_at = 0;
	D.dirty = false;
	ack_notify(D.serial);
}

/* Memory of every server's tree, in one pass (out: D.nsvc entries). */
void servers_rss(uint64_t *out)
{
	pid_t *pids = xcalloc(D.nsvc + 1, sizeof *pids);
	const char **ids = xcalloc(D.nsvc + 1, sizeof *ids);
	int *threads = xcalloc(D.nsvc + 1, sizeof *threads);  /* 0: not known, every thread's children */
	for (size_t i = 0; i < D.nsvc; i++) {
		pids[i] = D.svcs[i]->pid;
		ids[i] = D.svcs[i]->id;
	}
	/* The same reader as status: exact memory (statm), so that the stats
	 * lines, /metrics and /status agree with it. */
	pm_servers_rss(pids, threads, ids, D.nsvc, getpid(), 0, out);
	free(pids);
	free(ids);
	free(threads);
}

void stats_lines(void)
{
	int64_t now = mono_ns();
	uint64_t *rss = xcalloc(D.nsvc + 1, sizeof *rss);
	servers_rss(rss);
	for (size_t i = 0; i < D.nsvc; i++) {
		struct svc *v = D.svcs[i];
		char up[32] = "-", mem[32] = "-", how[32];
		if (v->pid) {
			fmt_duration(up, sizeof up, (now - v->start_mono) / SEC);
			fmt_bytes(mem, sizeof mem, rss[i]);
		}
		wstatus_text(how, sizeof how, v->last_status);
		trace(TRACE_INFO, v->id,
		      "stats: state %s, pid %d, uptime %s, memory %s, restarts %u (asked for: %u), last exit %s",
		      sv_state_name(svc_public_state(v)), (int)v->pid, up, mem, v->restarts, v->requested,
		      how[0] ? how : "-");
	}
	free(rss);
}
