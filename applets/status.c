/* status.c: the status reporter's front end: find the daemon and its state,
 * then print lib/report's table or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applets.h"
#include "lib/anchor.h"
#include "lib/control.h"
#include "lib/opts.h"
#include "lib/proc.h"
#include "lib/registry.h"
#include "lib/report.h"
#include "lib/runfile.h"
#include "lib/util.h"

const char status_usage[] =
	"Usage: imageserving status [--json] [-c FILE] [ID...]\n"
	"Report the supervisor (pid, uptime, memory) and each server (or the named\n"
	"ones): state, pid, uptime, resident memory of its process tree, restart\n"
	"count, last exit and last error. --json prints one JSON object:\n"
	"  {\"supervisor\": {\"pid\", \"state\", \"uptime_s\", \"rss_bytes\", \"registry\"},\n"
	"   \"servers\": [{\"id\", \"description\", \"state\", \"pid\", \"uptime_s\",\n"
	"   \"rss_bytes\", \"restarts\", \"last_exit\", \"last_error\", \"ready\", \"health\",\n"
	"   \"notify_status\", \"stopped_by_request\", ...}]}\n"
	"Also as: isstatus, ImageServing status.\n"
	"Exit: 0 all requested servers running, 1 supervisor running but a requested\n"
	"server is not, or supervisor dead but its pid file remains, 3 supervisor not\n"
	"running, 4 unknown.\n";

static int print_not_running(bool json, const char *rundir, const char *registry)
{
	if (json) {
		struct buf b = {0};
		report_json_stopped(&b, registry);
		fputs(buf_str(&b), stdout);
		buf_free(&b);
	} else {
		printf("%s: the supervisor is not running (run directory %s)\n", is_prog, rundir);
	}
	return EX_NOTRUNNING;
}

/* LSB status 1: no supervisor holds the lock, yet its pid file remains
 * (it was killed hard). Says so on stderr. */
static bool dead_with_pidfile(const char *rundir)
{
	char *p = path_join(rundir, "supervisor.pid");
	char *text = NULL;
	bool dead = read_file(p, 64, &text, NULL) == 0;
	if (dead)
		warnx_("status: the supervisor is dead but its pid file remains (%s: pid %.*s); ImageServing stop "
		       "clears it",
		       p, (int)strcspn(text, "\n"), text);
	free(text);
	free(p);
	return dead;
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
	/* A running supervisor's anchor wins over what the registry now says.
	 * The lookup sees the supervisor (the lock's holder): not asked twice. */
	pid_t seen;
	char *rundir = anchor_rundir(registry, registry_rundir_find(registry, &rd), &seen);
	fputs(rundir ? "" : buf_str(&rd.text), stderr);
	diag_free(&rd);
	struct st_file st = {0};
	struct report rep = {0};
	char why[512];
	pid_t pid;
	if (!rundir) {
		warnx_("status: cannot find the run directory: registry %s is unreadable", registry);
		rc = EX_UNKNOWN;
		goto out;
	}
	pid = seen > 0 ? seen : daemon_find(rundir, why, sizeof why);
	if (pid == 0) {
		rc = print_not_running(o.json, rundir, registry);
		if (dead_with_pidfile(rundir))
			rc = EX_FAIL;
		goto out;
	}
	if (pid < 0) {
		warnx_("status: %s", why);
		rc = EX_UNKNOWN;
		goto out;
	}
	/* A daemon that has just taken the lock may not have written its state. */
	if (state_read(rundir, &st) != 0 || st.pid != pid) {
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
	const char *unknown = NULL;
	if (report_build(&rep, &st, pid, o.pos, o.npos, &unknown) != 0) {
		warnx_("status: no server '%s'", unknown);
		rc = EX_UNKNOWN;
		goto out;
	}
	if (!report_all_running(&rep))
		rc = EX_FAIL;
	struct buf b = {0};
	if (o.json)
		report_json(&b, &rep);
	else
		report_text(&b, &rep);
	fputs(buf_str(&b), stdout);
	buf_free(&b);
out:
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn_("status: writing the report");
		rc = EX_FAIL;
	}
	report_free(&rep);
	state_free(&st);
	free(rundir);
	free(registry);
	free(o.pos);
	return rc;
}
