/* check.c: validate a registry and print the resolved plan, like `nginx -t`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applets.h"
#include "lib/creds.h"
#include "lib/opts.h"
#include "lib/registry.h"
#include "lib/serverenv.h"
#include "lib/util.h"

const char check_usage[] =
	"Usage: imageserving check [-c FILE]\n"
	"Validate the registry and print the resolved plan: per server, in start\n"
	"order, its priority group, start delay, stop timeout, exact argv,\n"
	"environment additions and the whole environment it would run with, working\n"
	"directory, user/group and log files.\n"
	"Every error is reported as FILE:LINE: message.\n"
	"Exit: 0 valid, 2 usage, 6 registry invalid.\n";

/* The executable may appear later (a mounted volume), so a missing one is
 * only a warning. Bare names are looked up in PATH. */
static void check_exec(const char *file, const struct server *s, unsigned *warnings)
{
	const char *exe = s->argv[0];
	if (strchr(exe, '/')) {
		if (access(exe, X_OK) != 0) {
			fprintf(stderr, "%s:%d: warning: server %s: executable %s: %s\n", file, s->line, s->id, exe,
				strerror(errno));
			(*warnings)++;
		}
		return;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char *copy = xstrdup(path);
	bool found = false;
	for (char *save, *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *cand = path_join(dir, exe);
		found = access(cand, X_OK) == 0;
		free(cand);
	}
	free(copy);
	if (!found) {
		fprintf(stderr, "%s:%d: warning: server %s: executable %s not found in PATH\n", file, s->line, s->id,
			exe);
		(*warnings)++;
	}
}

/* One line per row of the registry's settings table, so that a new setting
 * shows up here without a change to this file. */
static void print_settings(const struct server *s)
{
	struct buf text = {0};
	const char *label;
	for (size_t i = 0; server_setting(i, s, &label, &text); i++) {
		if (label)
			printf("    %s:%*s%s\n", label, (int)(17 - strlen(label)), "", buf_str(&text));
		text.len = 0;
	}
	buf_free(&text);
}

/* The whole environment the server would get from a supervisor started
 * with ours (only PATH, LANG, LC_*, TZ and what <passEnvironment> names come
 * from it), one variable a line. */
static void print_env(const struct registry *r, const struct server *s)
{
	struct creds cr;
	char why[160];
	if (creds_resolve(s->user, s->group, &cr, why, sizeof why) != 0) {
		printf("    runs with:         (%s)\n", why);
		return;
	}
	char **env = server_env(s, &cr, r->rundir, NULL);
	printf("    runs with:\n");
	for (size_t i = 0; env[i]; i++)
		printf("      %s\n", env[i]);
	serverenv_free(env);
}

static void print_plan(const struct registry *r)
{
	printf("registry:    %s\n", r->path);
	printf("run dir:     %s\n", r->rundir);
	printf("trace log:   %s (level %s", strcmp(r->log, "-") == 0 ? "standard error" : r->log,
	       trace_level_name(r->tracelevel));
	if (r->stats_interval)
		printf(", stats every %u s)\n", r->stats_interval);
	else
		printf(", no periodic stats)\n");
	if (r->tcpport)
		printf("status port: 127.0.0.1:%u (read-only)\n", r->tcpport);
	else
		printf("status port: off\n");
	if (r->shutdown_timeout)
		printf("shutdown:    whole stop within %u s\n", r->shutdown_timeout);
	else
		printf("shutdown:    no overall deadline\n");

	size_t ngroups = 0;
	for (size_t i = 0; i < r->nservers;) {
		const struct server *g = &r->servers[i];
		unsigned delay = 0;
		size_t j = i;
		for (; j < r->nservers && r->servers[j].priority == g->priority; j++)
			if (r->servers[j].start_delay > delay)
				delay = r->servers[j].start_delay;
		ngroups++;
		printf("\npriority %u", g->priority);
		if (j < r->nservers)
			printf(" (then wait %u s before priority %u)", delay, r->servers[j].priority);
		printf(":\n");
		for (; i < j; i++) {
			const struct server *s = &r->servers[i];
			printf("  %s", s->id);
			if (*s->description)
				printf("  %s", s->description);
			putchar('\n');
			print_settings(s);
			print_env(r, s);
		}
	}
	printf("\n%zu server%s in %zu priority group%s: registry OK\n", r->nservers, r->nservers == 1 ? "" : "s",
	       ngroups, ngroups == 1 ? "" : "s");
}

int check_main(int argc, char **argv)
{
	struct opts o;
	if (!opts_parse(argc, argv, "c", check_usage, &o))
		return EX_USAGE;
	if (o.help) {
		usage_print(check_usage, true);
		free(o.pos);
		return EX_OK;
	}
	if (o.npos) {
		warnx_("check: unexpected argument: %s", o.pos[0]);
		usage_print(check_usage, false);
		free(o.pos);
		return EX_USAGE;
	}
	char *path = registry_locate(o.registry);
	struct diag d = {0};
	struct registry *r = registry_load(path, &d);
	fputs(buf_str(&d.text), stderr);
	int rc;
	if (!r) {
		fprintf(stderr, "%s: %u error%s: registry invalid, nothing would start\n", path, d.errors,
			d.errors == 1 ? "" : "s");
		rc = EX_NOTCONFIG;
	} else {
		unsigned w = 0;
		for (size_t i = 0; i < r->nservers; i++)
			check_exec(path, &r->servers[i], &w);
		print_plan(r);
		rc = EX_OK;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn_("check: writing the plan");
		rc = EX_FAIL;
	}
	registry_free(r);
	diag_free(&d);
	free(o.pos);
	free(path);
	return rc;
}
