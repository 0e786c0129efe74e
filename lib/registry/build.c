/* build.c: <profiles> and <servers>: each server's settings composed from its
 * profiles and its own (the rules are the table's, fields.c), its command
 * line in the documented order, its derived defaults, and the start order. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct profile {
	const char *id;
	int line;
	struct settings st;
};

static struct profile *find_profile(struct rctx *c, const char *id)
{
	struct slot *s = index_find(&c->profx, id, strlen(id));
	return s ? &c->profiles[s->item] : NULL;
}

void profiles_parse(struct rctx *c, const struct xnode *el)
{
	FOR_EACH_CHILD(n, el) {
		if (strcmp(n->name, "profile") != 0) {
			reg_warn(c, n->line, "unknown element <%s> in <profiles> (ignored)", n->name);
			continue;
		}
		char *id = attr_of(c, n, "id");
		struct profile *old = id ? find_profile(c, id) : NULL;
		if (!id && !x_attr(n, "id"))
			reg_err(c, n->line, "<profile> needs an id attribute");
		else if (id && !*id)
			reg_err(c, n->line, "profile id is empty");
		else if (old)
			reg_err(c, n->line, "profile '%s' is defined twice (first on line %d)", id, old->line);
		if (!id || !*id || old)
			continue;
		struct profile p = {.id = id, .line = n->line};
		settings_parse(c, n, &p.st, false);
		c->profiles = grow(c->a, c->profiles, c->nprofiles, &c->profiles_cap, sizeof *c->profiles);
		c->profiles[c->nprofiles] = p;
		index_add(c->a, &c->profx, id, c->nprofiles);
		c->nprofiles++;
	}
}

static const char *describe_bad_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0)
		return "is empty";
	if (n > REG_ID_MAX)
		return "is longer than 64 characters";
	if (id[0] == '-' || id[0] == '.')
		return "may not start with '-' or '.'";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
			return "may hold only letters, digits, '-', '_' and '.'";
	return NULL;
}

/* <readiness> auto is health with a check, else exec; health needs a check,
 * and the watchdog is the notify protocol's. */
static bool readiness_resolve(struct rctx *c, struct server *s)
{
	if (s->readiness == READY_AUTO)
		s->readiness = s->health.kind != HEALTH_NONE ? READY_HEALTH : READY_EXEC;
	if (s->readiness == READY_HEALTH && s->health.kind == HEALTH_NONE) {
		reg_err(c, s->line, "server %s: <readiness>health</readiness> needs a <healthCheck>", s->id);
		return false;
	}
	if (s->watchdog && s->readiness != READY_NOTIFY) {
		reg_err(c, s->line, "server %s: <watchdog> needs <readiness>notify</readiness> (it is the sd_notify WATCHDOG=1)",
			s->id);
		return false;
	}
	return true;
}

/* Resolve one <server> into s. Returns false on error. */
static bool build_server(struct rctx *c, const struct xnode *el, struct server *s)
{
	const char *id = attr_of(c, el, "id");
	if (!id) {
		if (!x_attr(el, "id"))
			reg_err(c, el->line, "<server> needs an id attribute");
		return false;
	}
	const char *bad = describe_bad_id(id);
	if (bad) {
		reg_err(c, el->line, "server id '%s' %s", id, bad);
		return false;
	}

	struct settings own = {0}, acc = {0};
	bool ok = settings_parse(c, el, &own, true);
	settings_defaults(&acc.s);
	for (size_t i = 0; i < own.nrefs; i++) {
		struct profile *p = find_profile(c, own.refs[i].id);
		if (p)
			settings_merge(c, &acc, &p->st, false);
		else
			reg_err(c, own.refs[i].line, "server %s: unknown profile '%s'", id, own.refs[i].id);
		ok &= p != NULL;
	}
	settings_merge(c, &acc, &own, true);
	if (!ok)
		return false;
	if (!acc.exe) {
		reg_err(c, el->line, "server %s: no executable (set <executable> in the server or one of its profiles)", id);
		return false;
	}
	if (acc.args.n + 1 > REG_MAX_ARGS) {
		reg_err(c, el->line, "server %s: more than %d arguments", id, REG_MAX_ARGS);
		return false;
	}

	*s = acc.s;
	s->id = id;
	s->line = el->line;
	struct strlist argv = {0};
	strlist_push(c->a, &argv, acc.exe);
	for (size_t i = 0; i < acc.args.n; i++)
		strlist_push(c->a, &argv, acc.args.v[i]);
	s->argc = argv.n;
	strlist_push(c->a, &argv, NULL);
	s->argv = argv.v;
	s->env = acc.env.v;
	s->nenv = acc.env.n;
	s->pass_env = acc.pass.v;
	s->npass = acc.pass.n;
	/* Output defaults to ID.log beside the trace log, or the supervisor's
	 * own when that is "-"; stderr follows stdout. */
	if (!s->stdout_path) {
		if (c->logdir) {
			char *j = path_join(c->logdir, arena_printf(c->a, "%s.log", id));
			s->stdout_path = arena_strdup(c->a, j);
			free(j);
		} else {
			s->stdout_path = "-";
		}
	}
	if (!s->stderr_path)
		s->stderr_path = s->stdout_path;
	return readiness_resolve(c, s);
}

/* Start order: priority, then file order. qsort is not stable and servers
 * may share a line, so the tie is broken by position in the file. */
struct order {
	unsigned priority;
	size_t pos;
};

static int cmp_priority(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void servers_parse(struct rctx *c, const struct xnode *el, struct registry *r)
{
	size_t n = 0;
	FOR_EACH_CHILD(s, el)
		n++;
	if (n > REG_MAX_SERVERS) {
		reg_err(c, el->line, "more than %d servers", REG_MAX_SERVERS);
		return;
	}
	struct server *sv = arena_alloc(c->a, (n ? n : 1) * sizeof *sv);
	struct index ids = {0};
	size_t k = 0;
	FOR_EACH_CHILD(s, el) {
		if (strcmp(s->name, "server") != 0) {
			reg_warn(c, s->line, "unknown element <%s> in <servers> (ignored)", s->name);
			continue;
		}
		if (!build_server(c, s, &sv[k]))
			continue;
		struct slot *dup = index_find(&ids, sv[k].id, strlen(sv[k].id));
		if (dup) {
			reg_err(c, sv[k].line, "duplicate server id '%s' (first on line %d)", sv[k].id, sv[dup->item].line);
			continue;
		}
		index_add(c->a, &ids, sv[k].id, k);
		k++;
	}
	struct order *ord = xcalloc(k ? k : 1, sizeof *ord);
	for (size_t i = 0; i < k; i++)
		ord[i] = (struct order){sv[i].priority, i};
	qsort(ord, k, sizeof *ord, cmp_priority);
	struct server *sorted = arena_alloc(c->a, (k ? k : 1) * sizeof *sorted);
	for (size_t i = 0; i < k; i++)
		sorted[i] = sv[ord[i].pos];
	free(ord);
	r->servers = sorted;
	r->nservers = k;
}
