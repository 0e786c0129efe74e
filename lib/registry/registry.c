/* registry.c: loading a registry from end to end (read, parse, walk the
 * sections in dependency order), the lenient run-directory lookup, and
 * where the registry is. The public entry points of lib/registry.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "lib/rundir_scan.h"

/* Absolute against the working directory of the moment: a daemon chdir()s
 * to / and must still find what its caller named. */
static char *abs_path(const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return xstrdup(p);
	char *j = path_join(cwd, p);
	free(cwd);
	return j;
}

/* Walk <supervisor>: variables first (everything else may use them), then
 * config (the run directory), then profiles and servers. */
static void walk(struct rctx *c, const struct xnode *root, struct registry *r)
{
	static const char *const secname[4] = {"variables", "config", "profiles", "servers"};
	const struct xnode *sec[4] = {0};
	FOR_EACH_CHILD(n, root) {
		int i = 0;
		while (i < 4 && strcmp(n->name, secname[i]) != 0)
			i++;
		if (i == 4)
			reg_warn(c, n->line, "unknown element <%s> in <supervisor> (ignored)", n->name);
		else if (sec[i])
			reg_err(c, n->line, "<%s> appears twice (first on line %d)", n->name, sec[i]->line);
		else
			sec[i] = n;
	}
	if (sec[0])
		vars_parse(c, sec[0]);
	config_parse(c, sec[1], r);
	if (c->config_only)
		return;  /* enough to find the run directory */
	if (sec[2])
		profiles_parse(c, sec[2]);
	if (sec[3])
		servers_parse(c, sec[3], r);
	else
		reg_err(c, root->line, "<supervisor> has no <servers>");
	if (sec[3] && r->nservers == 0 && c->d->errors == 0)
		reg_err(c, sec[3]->line, "<servers> lists no server");
}

static void ctx_init(struct rctx *c, const char *path, struct diag *d, struct registry *r, bool config_only)
{
	memset(c, 0, sizeof *c);
	c->config_only = config_only;
	c->file = path;
	c->d = d;
	c->a = &r->arena;
	char *ap = abs_path(path);
	r->path = arena_strdup(&r->arena, ap);
	char *dir = path_dirname(ap);
	r->dir = c->regdir = arena_strdup(&r->arena, dir);
	free(dir);
	free(ap);
}

static bool read_text(struct rctx *c, const char *path)
{
	char *text;
	size_t len;
	int e = read_file(path, REG_MAX_FILE, &text, &len);
	if (e == -EFBIG)
		reg_err(c, 0, "registry is larger than %u bytes", REG_MAX_FILE);
	else if (e == -EINVAL)
		reg_err(c, 0, "cannot read registry: not a regular file");
	else if (e < 0)
		reg_err(c, 0, "cannot read registry: %s", strerror(-e));
	if (e < 0)
		return false;
	c->text = text;
	c->len = len;
	lines_index(c);
	return true;
}

static void ctx_free(struct rctx *c)
{
	free(c->nl);
	free((char *)c->text);
	arena_free(&c->tree);
	c->nl = NULL;
	c->text = NULL;
}

/* The whole load, or (lenient) just enough of it for the run directory:
 * then a file that mini-XML refuses is read again by the tolerant scanner,
 * and its complaints are not the caller's concern. */
static bool load_into(const char *path, struct diag *d, struct registry *r, bool lenient)
{
	struct rctx c;
	ctx_init(&c, path, d, r, lenient);
	if (!read_text(&c, path))
		return false;
	size_t mark = d->text.len;
	unsigned errors = d->errors, warnings = d->warnings;
	struct xnode *root = xml_load(&c);
	if (!root && lenient) {
		d->text.len = mark;
		if (d->text.p)
			d->text.p[mark] = 0;
		d->errors = errors;
		d->warnings = warnings;
		root = xml_scan_tree(&c);
		if (!root)
			reg_err(&c, 0, "no <supervisor> element found");
	}
	if (root && strcmp(root->name, "supervisor") != 0)
		reg_err(&c, root->line, "root element is <%s>, expected <supervisor>", root->name);
	else if (root)
		walk(&c, root, r);
	ctx_free(&c);
	return d->errors == 0;
}

struct registry *registry_load(const char *path, struct diag *d)
{
	struct registry *r = xcalloc(1, sizeof *r);
	if (!load_into(path, d, r, false)) {
		registry_free(r);
		return NULL;
	}
	return r;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	arena_free(&r->arena);
	free(r);
}

/* With $IMAGESERVING_RUNDIR the registry is not even read: status and stop
 * stay fast and work without one. */
char *registry_rundir_load(const char *path, struct diag *d)
{
	struct registry *r = xcalloc(1, sizeof *r);
	if (rundir_overridden()) {
		struct rctx c;
		ctx_init(&c, path, d, r, true);
		r->rundir = rundir_resolve(&c, NULL);
	} else {
		load_into(path, d, r, true);
	}
	char *res = r->rundir ? xstrdup(r->rundir) : NULL;
	registry_free(r);
	return res;
}

/* rundir_scan answers only where its answer is the loader's (and never
 * with $IMAGESERVING_RUNDIR set). */
char *registry_rundir_find(const char *path, struct diag *d)
{
	char *res = rundir_scan(path);
	return res ? res : registry_rundir_load(path, d);
}

char *registry_rundir_lenient(const char *path)
{
	struct diag d = {0};
	char *res = registry_rundir_load(path, &d);
	diag_free(&d);
	return res;
}

/* The install root holds conf/SupervisorRegistry.xml: the binary's directory
 * (a checkout) or its parent (install_root/bin/). */
static char *locate(const char *opt_c)
{
	if (opt_c)
		return xstrdup(opt_c);
	const char *e = getenv("IMAGESERVING_REGISTRY");
	if (e && *e)
		return xstrdup(e);
	const char *rel = "conf/SupervisorRegistry.xml";
	e = getenv("IMAGESERVING_ROOT");
	if (e && *e)
		return path_join(e, rel);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *dir = path_dirname(exe);
		for (int up = 0; up < 2; up++) {
			char *cand = path_join(dir, rel);
			if (access(cand, F_OK) == 0) {
				free(dir);
				return cand;
			}
			free(cand);
			char *parent = path_dirname(dir);
			free(dir);
			dir = parent;
		}
		free(dir);
	}
	return xstrdup(rel);
}

char *registry_locate(const char *opt_c)
{
	char *p = locate(opt_c);
	char *a = abs_path(p);
	free(p);
	return a;
}
