/* report.c: build the status report's rows (liveness and memory from /proc,
 * lib/procmem.c) and render them as a table or as JSON. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "procmem.h"

int report_build(struct report *r, struct st_file *st, pid_t pid, char *const *ids, int nids,
		 const char **unknown)
{
	memset(r, 0, sizeof *r);
	r->st = st;
	r->pid = pid;
	r->n = nids ? (size_t)nids : r->st->n;
	r->rows = xcalloc(r->n + 1, sizeof *r->rows);
	int64_t now = boot_ns();
	pid_t *pids = xcalloc(r->n + 1, sizeof *pids);
	int *threads = xcalloc(r->n + 1, sizeof *threads);
	for (size_t i = 0; i < r->n; i++) {
		const struct st_server *s = nids ? state_find(r->st, ids[i]) : &r->st->servers[i];
		if (!s) {
			*unknown = ids[i];
			free(pids);
			free(threads);
			return -1;
		}
		struct report_row *w = &r->rows[i];
		w->s = s;
		w->uptime = -1;
		/* Alive: the pid is still the process that was started, not a zombie. */
		struct pm_stat ps;
		if (s->pid > 0 && pm_stat(s->pid, &ps) == 0 && (int64_t)ps.starttime == s->proc_start &&
		    ps.state != 'Z') {
			w->alive = true;
			w->uptime = (now - s->start_boot_ns) / 1000000000;
			pids[i] = s->pid;
			threads[i] = ps.threads;
		}
	}
	const char **idv = xcalloc(r->n + 1, sizeof *idv);
	uint64_t *rss = xcalloc(r->n + 1, sizeof *rss);
	for (size_t i = 0; i < r->n; i++)
		idv[i] = r->rows[i].s->id;
	struct pm_stat sp;
	r->have_sup_rss = pm_stat(pid, &sp) == 0;
	pm_servers_rss(pids, threads, idv, r->n, pid, r->have_sup_rss ? sp.threads : 0, rss);
	for (size_t i = 0; i < r->n; i++)
		r->rows[i].rss = rss[i];
	free(pids);
	free(threads);
	free(idv);
	free(rss);
	r->sup_rss = r->have_sup_rss ? pm_rss(pid) : 0;
	r->sup_up = (now - r->st->start_boot_ns) / 1000000000;
	return 0;
}

void report_free(struct report *r)
{
	free(r->rows);
}

bool report_all_running(const struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (!r->rows[i].alive || r->rows[i].s->state != SV_RUNNING)
			return false;
	return true;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;
	unsigned min;
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	unsigned v = c & (0x3fu >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return n;
}

void json_str(struct buf *b, const char *s)
{
	if (!s || !*s) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);
		if (n == 0) {
			buf_puts(b, "\xef\xbf\xbd");
			p++;
		} else if (*p == '"' || *p == '\\') {
			buf_printf(b, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(b, "\\u%04x", *p++);
		} else {
			buf_add(b, (const char *)p, n);
			p += n;
		}
	}
	buf_puts(b, "\"");
}

static void json_str_or_null(struct buf *b, const char *s)
{
	if (*s)
		json_str(b, s);
	else
		buf_puts(b, "null");
}

/* null without a check running; else {"status", "failures", "last_error",
 * "since", "summary"}. */
static void json_health(struct buf *b, const struct st_server *s)
{
	if (!s->health_status[0]) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "{\"status\": ");
	json_str(b, s->health_status);
	buf_printf(b, ", \"failures\": %d, \"last_error\": ", s->health_failures);
	json_str_or_null(b, s->health_error);
	buf_printf(b, ", \"since\": %lld, \"summary\": ", (long long)s->health_since_s);
	json_str(b, s->health);
	buf_puts(b, "}");
}

static void json_int(struct buf *b, bool have, long long v)
{
	if (have)
		buf_printf(b, "%lld", v);
	else
		buf_puts(b, "null");
}

void report_json_stopped(struct buf *b, const char *registry)
{
	buf_puts(b, "{\"supervisor\": {\"pid\": null, \"state\": \"stopped\", \"uptime_s\": null, "
		    "\"rss_bytes\": null, \"registry\": ");
	json_str(b, registry);
	buf_puts(b, "}, \"servers\": []}\n");
}

void report_json(struct buf *b, const struct report *r)
{
	buf_printf(b, "{\"supervisor\": {\"pid\": %d, \"state\": ", (int)r->pid);
	json_str(b, sup_phase_name((enum sup_phase)r->st->phase));
	buf_printf(b, ", \"uptime_s\": %lld, \"rss_bytes\": ", (long long)r->sup_up);
	json_int(b, r->have_sup_rss, (long long)r->sup_rss);
	buf_puts(b, ", \"registry\": ");
	json_str(b, r->st->registry);
	buf_puts(b, ", \"generation\": ");
	json_int(b, true, r->st->generation);
	buf_puts(b, ", \"endpoint\": ");
	json_str(b, r->st->endpoint);
	buf_puts(b, "}, \"servers\": [");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];
		const struct st_server *s = w->s;
		char how[32];
		wstatus_text(how, sizeof how, s->wstatus);
		buf_puts(b, i ? ", {\"id\": " : "{\"id\": ");
		json_str(b, s->id);
		buf_puts(b, ", \"description\": ");
		json_str(b, s->description);
		buf_puts(b, ", \"state\": ");
		json_str(b, sv_state_name((enum sv_state)s->state));
		buf_puts(b, ", \"pid\": ");
		json_int(b, s->pid > 0, s->pid);
		buf_puts(b, ", \"uptime_s\": ");
		json_int(b, w->uptime >= 0, w->uptime);
		buf_puts(b, ", \"rss_bytes\": ");
		json_int(b, w->alive, (long long)w->rss);
		buf_printf(b, ", \"restarts\": %d, \"restarts_requested\": %d, \"last_exit\": ", s->restarts,
			   s->requested);
		json_str(b, how);
		buf_puts(b, ", \"last_wait_status\": ");
		json_int(b, s->wstatus >= 0, s->wstatus);
		buf_puts(b, ", \"last_error\": ");
		json_str(b, s->last_error);
		buf_printf(b, ", \"ready\": %s, \"readiness\": ", w->alive && s->state == SV_RUNNING ? "true" : "false");
		json_str_or_null(b, s->readiness);
		buf_puts(b, ", \"health\": ");
		json_health(b, s);
		buf_puts(b, ", \"notify_status\": ");
		json_str_or_null(b, s->notify_status);
		buf_printf(b, ", \"alive\": %s", w->alive ? "true" : "false");
		buf_printf(b, ", \"stopped_by_request\": %s, \"start_time_boot_ns\": ", s->held ? "true" : "false");
		json_int(b, s->pid > 0, s->start_boot_ns);
		buf_puts(b, ", \"process_start\": ");
		json_int(b, s->pid > 0, s->proc_start);
		buf_puts(b, "}");
	}
	buf_puts(b, "]}\n");
}

/* How many bytes at p put_clean copies as they are (a printable character,
 * valid UTF-8), or 0 for one byte it shows as \xNN: a control character
 * (C0, DEL, C1 such as the 8-bit CSI) or a byte of no valid character. */
static size_t clean_run(const unsigned char *p)
{
	size_t n = utf8_len(p);
	if (n == 1 && (*p < 0x20 || *p == 0x7f))
		return 0;
	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 0;
	return n;
}

/* Width of s as put_clean shows it, in bytes (for padding). */
static size_t clean_len(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = clean_run(p);
		w += n ? n : 4;
		p += n ? n : 1;
	}
	return w;
}

/* Printable on one line: control characters and bad bytes shown as \xNN. */
static void put_clean(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = clean_run(p);
		if (n) {
			buf_add(b, (const char *)p, n);
			p += n;
		} else {
			buf_printf(b, "\\x%02x", *p++);
		}
	}
}

/* "ID: health: SUMMARY (since HH:MM:SSZ; readiness R)": the check's last
 * result, when it began, and how the server becomes ready. */
static void health_line(struct buf *b, const struct st_server *s)
{
	if (!s->health[0])
		return;
	put_clean(b, s->id);
	buf_puts(b, ": health: ");
	put_clean(b, s->health);
	if (s->health_since_s > 0) {
		time_t t = (time_t)s->health_since_s;
		struct tm tm;
		gmtime_r(&t, &tm);
		buf_printf(b, " (since %02d:%02d:%02dZ; readiness ", tm.tm_hour, tm.tm_min, tm.tm_sec);
		put_clean(b, s->readiness);
		buf_puts(b, ")");
	}
	buf_puts(b, "\n");
}

/* "ID: label: text" under the table, when there is text. */
static void detail_line(struct buf *b, const char *id, const char *label, const char *text)
{
	if (!*text)
		return;
	put_clean(b, id);
	buf_printf(b, ": %s: ", label);
	put_clean(b, text);
	buf_puts(b, "\n");
}

void report_text(struct buf *b, const struct report *r)
{
	char up[32], mem[32] = "-";
	fmt_duration(up, sizeof up, r->sup_up);
	if (r->have_sup_rss)
		fmt_bytes(mem, sizeof mem, r->sup_rss);
	buf_printf(b, "supervisor %s, pid %d, up %s, memory %s\nregistry   ",
		   sup_phase_name((enum sup_phase)r->st->phase), (int)r->pid, up, mem);
	put_clean(b, r->st->registry);
	buf_puts(b, "\n\n");
	int wid = 2;
	for (size_t i = 0; i < r->n; i++)
		if ((int)clean_len(r->rows[i].s->id) > wid)
			wid = (int)clean_len(r->rows[i].s->id);
	buf_printf(b, "%-*s  %-20s %8s %8s %10s %8s  %-12s %s\n", wid, "ID", "STATE", "PID", "UPTIME", "MEMORY",
		   "RESTARTS", "LAST EXIT", "DESCRIPTION");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];
		const struct st_server *s = w->s;
		char pidb[16] = "-", upb[32] = "-", memb[32] = "-", stb[48], how[32];
		if (s->pid > 0)
			snprintf(pidb, sizeof pidb, "%d", s->pid);
		if (w->uptime >= 0)
			fmt_duration(upb, sizeof upb, w->uptime);
		if (w->alive)
			fmt_bytes(memb, sizeof memb, w->rss);
		wstatus_text(how, sizeof how, s->wstatus);
		snprintf(stb, sizeof stb, "%s%s%s", sv_state_name((enum sv_state)s->state),
			 s->held ? " (by request)" : "", s->pid > 0 && !w->alive ? " (gone)" : "");
		put_clean(b, s->id);
		buf_printf(b, "%*s  %-20s %8s %8s %10s %8d  %-12s ", wid - (int)clean_len(s->id), "", stb, pidb, upb,
			   memb, s->restarts, how[0] ? how : "-");
		put_clean(b, s->description);
		buf_puts(b, "\n");
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct st_server *s = r->rows[i].s;
		health_line(b, s);
		detail_line(b, s->id, "status", s->notify_status);  /* what a notify server said of itself */
		detail_line(b, s->id, "last error", s->last_error);
	}
}
