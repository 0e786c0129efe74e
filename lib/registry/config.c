/* config.c: <config> (SPEC §4), and the run directory, decided here and
 * nowhere else (SPEC §3), for the loader and for the lenient lookup that
 * status and stop rely on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

static const char *const trace_names[] = {"error", "warning", "info", "debug"};

const char *trace_level_name(enum trace_level l)
{
	return (unsigned)l < 4 ? trace_names[l] : "?";
}

bool rundir_overridden(void)
{
	const char *e = getenv("IMAGESERVING_RUNDIR");
	return e && *e;
}

/* The run directory: $IMAGESERVING_RUNDIR, else <temp> (temp, relative to
 * the registry), else a default from the uid alone. Every client must find
 * the daemon's, whatever shell, cron job or init system it runs from, so
 * the override must be absolute (a relative one means another directory in
 * each working directory) and the default never comes from the caller's
 * environment ($XDG_RUNTIME_DIR is set in a login shell, not under cron).
 * Returns NULL, reported, when it cannot be known. */
const char *rundir_resolve(struct rctx *c, const struct xnode *temp)
{
	const char *env = getenv("IMAGESERVING_RUNDIR");
	const char *t = temp ? text_of(c, temp) : NULL;
	if (t && !*t)
		reg_err(c, temp->line, "<temp> is empty");
	else if (t && strcmp(t, "-") == 0)
		reg_err(c, temp->line, "<temp> must be a directory, not -");
	if (env && *env) {
		if (env[0] == '/')
			return arena_strdup(c->a, env);
		reg_err(c, 0, "IMAGESERVING_RUNDIR must be an absolute path: %s", env);
		return NULL;
	}
	if (temp)
		return t && *t && strcmp(t, "-") != 0 ? reg_path(c, t) : NULL;
	char *d = registry_rundir_default();
	const char *r = arena_strdup(c->a, d);
	free(d);
	return r;
}

char *registry_rundir_default(void)
{
	char d[64];
	if (getuid() == 0)
		return xstrdup("/run/imageserving");
	snprintf(d, sizeof d, "/tmp/imageserving-%u", (unsigned)getuid());
	return xstrdup(d);
}

static void tracelevel_parse(struct rctx *c, const struct xnode *n, struct registry *r)
{
	char *t = text_of(c, n);
	if (!t)
		return;
	for (int i = 0; i < 4; i++)
		if (strcasecmp(t, trace_names[i]) == 0 || (t[0] == '0' + i && !t[1])) {
			r->tracelevel = (enum trace_level)i;
			return;
		}
	reg_err(c, n->line, "<tracelevel>: '%s' is not error, warning, info, debug or 0-3", t);
}

/* el may be NULL (no <config>): the defaults, and the run directory still. */
void config_parse(struct rctx *c, const struct xnode *el, struct registry *r)
{
	const struct xnode *temp = NULL;
	r->log = "-";
	r->tracelevel = TRACE_INFO;
	r->cgroups = true;  /* where a cgroup v2 is writable and the kernel starts a child in one */
	for (const struct xnode *n = el ? el->child : NULL; n; n = n->next) {
		if (strcmp(n->name, "tcpport") == 0) {
			get_uint(c, n, 0, 65535, &r->tcpport);
		} else if (strcmp(n->name, "log") == 0) {
			char *t = text_of(c, n);
			if (t && !*t)
				reg_err(c, n->line, "<log> is empty (use - for standard error)");
			else if (t)
				r->log = strcmp(t, "-") == 0 ? "-" : reg_path(c, t);
		} else if (strcmp(n->name, "temp") == 0) {
			temp = n;  /* the last one, as for every single value */
		} else if (strcmp(n->name, "tracelevel") == 0) {
			tracelevel_parse(c, n, r);
		} else if (strcmp(n->name, "tracestatsinterval") == 0) {
			get_uint(c, n, 0, REG_MAX_SECONDS, &r->stats_interval);
		} else if (strcmp(n->name, "shutdownTimeout") == 0) {
			get_uint(c, n, 0, REG_MAX_SECONDS, &r->shutdown_timeout);
		} else if (strcmp(n->name, "cgroups") == 0) {
			char *t = text_of(c, n);
			if (t && (strcasecmp(t, "true") == 0 || strcmp(t, "1") == 0))
				r->cgroups = true;
			else if (t && (strcasecmp(t, "false") == 0 || strcmp(t, "0") == 0))
				r->cgroups = false;
			else if (t)
				reg_err(c, n->line, "<cgroups>: '%s' is not true or false", t);
		} else {
			reg_warn(c, n->line, "unknown element <%s> in <config> (ignored)", n->name);
		}
	}
	r->rundir = rundir_resolve(c, temp);
	if (strcmp(r->log, "-") != 0) {
		char *d = path_dirname(r->log);
		c->logdir = arena_strdup(c->a, d);
		free(d);
	}
}
