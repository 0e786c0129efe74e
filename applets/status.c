/* status.c: report the supervisor and its servers from the state file and
 * /proc, as an aligned table or as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applets.h"
#include "lib/control.h"
#include "lib/opts.h"
#include "lib/proc.h"
#include "lib/registry.h"
#include "lib/runfile.h"
#include "lib/util.h"

const char status_usage[] =
	"Usage: imageserving status [--json] [-c FILE] [ID...]\n"
	"Report the supervisor (pid, uptime, memory) and each server (or the named\n"
	"ones): state, pid, uptime, resident memory of its process tree, restart\n"
	"count, last exit and last error. --json prints one JSON object:\n"
	"  {\"supervisor\": {\"pid\", \"state\", \"uptime_s\", \"rss_bytes\", \"registry\"},\n"
	"   \"servers\": [{\"id\", \"description\", \"state\", \"pid\", \"uptime_s\",\n"
	"   \"rss_bytes\", \"restarts\", \"last_exit\", \"last_error\", \"stopped_by_request\"}]}\n"
	"Also as: isstatus, ImageServing status.\n"
	"Exit: 0 all requested servers running, 1 supervisor running but a requested\n"
	"server is not, 3 supervisor not running, 4 unknown.\n";

struct row {
	const struct st_server *s;
	int64_t uptime;  /* -1: none */
	uint64_t rss;
	bool have_rss;
};

static void json_str(struct buf *b, const char *s)
{
	if (!s || !*s) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_add(b, (const char *)p, 1);
	}
	buf_puts(b, "\"");
}

static void json_int(struct buf *b, bool have, long long v)
{
	if (have)
		buf_printf(b, "%lld", v);
	else
		buf_puts(b, "null");
}

static int print_not_running(bool json, const char *rundir, const char *registry)
{
	if (json) {
		struct buf b = {0};
		buf_puts(&b, "{\"supervisor\": {\"pid\": null, \"state\": \"stopped\", \"uptime_s\": null, "
			     "\"rss_bytes\": null, \"registry\": ");
		json_str(&b, registry);
		buf_puts(&b, "}, \"servers\": []}\n");
		fputs(buf_str(&b), stdout);
		buf_free(&b);
	} else {
		printf("%s: the supervisor is not running (run directory %s)\n", is_prog, rundir);
	}
	return EX_NOTRUNNING;
}

static bool state_of(const struct st_file *f, void *arg)
{
	(void)f;
	(void)arg;
	return true;
}

int status_main(int argc, char **argv)
{
	struct opts o;
	if (!opts_parse(argc, argv, "cj", status_usage, &o))
		return EX_USAGE;
	if (o.help) {
		usage_print(status_usage, true);
		free(o.pos);
		return EX_OK;
	}
	int rc = EX_OK;
	char *registry = registry_locate(o.registry);
	struct diag rd = {0};
	char *rundir = registry_rundir_find(registry, &rd);
	fputs(rundir ? "" : buf_str(&rd.text), stderr);
	diag_free(&rd);
	struct st_file st = {0};
	struct row *rows = NULL;
	if (!rundir) {
		warnx_("status: cannot find the run directory: registry %s is unreadable", registry);
		rc = EX_UNKNOWN;
		goto out;
	}
	char why[512];
	pid_t pid = daemon_find(rundir, why, sizeof why);
	if (pid == 0) {
		rc = print_not_running(o.json, rundir, registry);
		goto out;
	}
	if (pid < 0) {
		warnx_("status: %s", why);
		rc = EX_UNKNOWN;
		goto out;
	}
	/* Pids in the state file are those of the daemon's pid namespace. */
	if (state_read(rundir, &st) == 0 && st.pidns && st.pidns != proc_pidns(getpid())) {
		warnx_("status: the supervisor (pid %d here) runs in another pid namespace; its servers' pids mean "
		       "something else here: run status inside its namespace",
		       (int)pid);
		rc = EX_UNKNOWN;
		goto out;
	}
	/* A daemon that has just taken the lock may not have written its state. */
	if (st.pid != pid) {
		state_free(&st);
		if (wait_state(rundir, pid, state_of, NULL, 2000, &st) != 1) {
			state_free(&st);
			if (daemon_find(rundir, why, sizeof why) == 0) {
				rc = print_not_running(o.json, rundir, registry);
				goto out;
			}
			warnx_("status: supervisor %d holds the lock but its state in %s is unreadable", (int)pid, rundir);
			rc = EX_UNKNOWN;
			goto out;
		}
	}

	/* Which servers: all, or the named ones in the order named. */
	size_t nrows = o.npos ? (size_t)o.npos : st.n;
	rows = xcalloc(nrows + 1, sizeof *rows);
	int64_t now = boot_ns();
	for (size_t i = 0; i < nrows; i++) {
		const struct st_server *s = o.npos ? state_find(&st, o.pos[i]) : &st.servers[i];
		if (!s) {
			warnx_("status: no server '%s'", o.pos[i]);
			rc = EX_UNKNOWN;
			goto out;
		}
		rows[i].s = s;
		rows[i].uptime = -1;
		struct proc_stat ps;
		if (s->pid > 0 && proc_stat(s->pid, &ps) == 0 && ps.starttime == s->proc_start) {
			rows[i].uptime = (now - s->start_boot_ns) / 1000000000;
			rows[i].rss = ps.rss_bytes + proc_descendants_rss(s->pid);
			rows[i].have_rss = true;
		}
		if (s->pid <= 0 || strcmp(s->state, "running") != 0)
			rc = EX_FAIL;
	}
	struct proc_stat sp;
	bool sup_mem = proc_stat(pid, &sp) == 0;
	int64_t sup_up = (now - st.start_boot_ns) / 1000000000;

	struct buf b = {0};
	if (o.json) {
		buf_printf(&b, "{\"supervisor\": {\"pid\": %d, \"state\": ", (int)pid);
		json_str(&b, st.phase);
		buf_printf(&b, ", \"uptime_s\": %lld, \"rss_bytes\": ", (long long)sup_up);
		json_int(&b, sup_mem, sup_mem ? (long long)sp.rss_bytes : 0);
		buf_puts(&b, ", \"registry\": ");
		json_str(&b, st.registry);
		buf_puts(&b, "}, \"servers\": [");
		for (size_t i = 0; i < nrows; i++) {
			const struct st_server *s = rows[i].s;
			buf_puts(&b, i ? ", {\"id\": " : "{\"id\": ");
			json_str(&b, s->id);
			buf_puts(&b, ", \"description\": ");
			json_str(&b, s->description);
			buf_puts(&b, ", \"state\": ");
			json_str(&b, s->state);
			buf_puts(&b, ", \"pid\": ");
			json_int(&b, s->pid > 0, s->pid);
			buf_puts(&b, ", \"uptime_s\": ");
			json_int(&b, rows[i].uptime >= 0, rows[i].uptime);
			buf_puts(&b, ", \"rss_bytes\": ");
			json_int(&b, rows[i].have_rss, (long long)rows[i].rss);
			buf_printf(&b, ", \"restarts\": %u, \"last_exit\": ", s->restarts);
			json_str(&b, s->last_exit);
			buf_puts(&b, ", \"last_error\": ");
			json_str(&b, s->last_error);
			buf_printf(&b, ", \"stopped_by_request\": %s}", s->held ? "true" : "false");
		}
		buf_puts(&b, "]}\n");
	} else {
		char up[32], mem[32] = "-";
		fmt_duration(up, sizeof up, sup_up);
		if (sup_mem)
			fmt_bytes(mem, sizeof mem, sp.rss_bytes);
		buf_printf(&b, "supervisor %s, pid %d, up %s, memory %s\nregistry   %s\n\n", st.phase, (int)pid, up, mem,
			   st.registry);
		int wid = 2;
		for (size_t i = 0; i < nrows; i++)
			if ((int)strlen(rows[i].s->id) > wid)
				wid = (int)strlen(rows[i].s->id);
		buf_printf(&b, "%-*s  %-20s %8s %8s %10s %8s  %-12s %s\n", wid, "ID", "STATE", "PID", "UPTIME", "MEMORY",
			   "RESTARTS", "LAST EXIT", "DESCRIPTION");
		for (size_t i = 0; i < nrows; i++) {
			const struct st_server *s = rows[i].s;
			char pidb[16] = "-", upb[32] = "-", memb[32] = "-", stb[40];
			if (s->pid > 0)
				snprintf(pidb, sizeof pidb, "%d", (int)s->pid);
			if (rows[i].uptime >= 0)
				fmt_duration(upb, sizeof upb, rows[i].uptime);
			if (rows[i].have_rss)
				fmt_bytes(memb, sizeof memb, rows[i].rss);
			snprintf(stb, sizeof stb, "%s%s", s->state, s->held ? " (by request)" : "");
			buf_printf(&b, "%-*s  %-20s %8s %8s %10s %8u  %-12s %s\n", wid, s->id, stb, pidb, upb, memb,
				   s->restarts, s->last_exit[0] ? s->last_exit : "-", s->description);
		}
		for (size_t i = 0; i < nrows; i++)
			if (rows[i].s->last_error[0])
				buf_printf(&b, "%s: last error: %s\n", rows[i].s->id, rows[i].s->last_error);
	}
	fputs(buf_str(&b), stdout);
	buf_free(&b);
out:
	if (fflush(stdout) != 0) {
		warn_("status: writing the report");
		rc = EX_UNKNOWN;
	}
	free(rows);
	state_free(&st);
	free(rundir);
	free(registry);
	free(o.pos);
	return rc;
}
