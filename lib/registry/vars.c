/* vars.c: SV::name substitution (SPEC §4): <variables>, the SV_name
 * environment override, and the limits on nesting and on expansion. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_VAR_DEPTH 8          /* SV:: values may refer to other variables */
#define MAX_EXPANSION (8u << 20) /* bytes made by SV:: substitution in one load */

static bool var_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/* The environment wins, so that one registry serves several installs. */
static const char *var_lookup(struct rctx *c, const char *name, size_t n)
{
	char env[80 + REG_ID_MAX];
	if (n < sizeof env - 4) {
		snprintf(env, sizeof env, "SV_%.*s", (int)n, name);
		const char *v = getenv(env);
		if (v)
			return v;
	}
	struct slot *s = index_find(&c->varx, name, n);
	return s ? c->vars[s->item].value : NULL;
}

/* Replace every SV::name in s (also inside words). NULL on error. */
static char *subst_depth(struct rctx *c, const char *s, int line, int depth)
{
	if (!strstr(s, "SV::"))
		return arena_strdup(c->a, s);
	if (depth > MAX_VAR_DEPTH) {
		reg_err(c, line, "variables nest more than %d deep (a variable that refers to itself?)", MAX_VAR_DEPTH);
		return NULL;
	}
	struct buf b = {0};
	bool ok = true;
	while (*s) {
		const char *p = strstr(s, "SV::");
		if (!p) {
			buf_puts(&b, s);
			break;
		}
		buf_add(&b, s, (size_t)(p - s));
		const char *name = p + 4;
		size_t n = 0;
		while (var_char(name[n]))
			n++;
		if (n == 0) {
			reg_err(c, line, "'SV::' without a variable name");
			ok = false;
			break;
		}
		const char *v = var_lookup(c, name, n);
		if (!v) {
			reg_err(c, line, "undefined variable SV::%.*s (define it in <variables> or set SV_%.*s)", (int)n,
				name, (int)n, name);
			ok = false;
			break;
		}
		char *sv = subst_depth(c, v, line, depth + 1);
		if (!sv) {
			ok = false;
			break;
		}
		/* Bound the work and memory of values that refer to each other many
		 * times over ("billion laughs"): every lookup and byte counts. */
		size_t svn = strlen(sv);
		if (c->expanded > MAX_EXPANSION) {
			ok = false;  /* reported once, below */
			break;
		}
		c->expanded += svn + 64;
		if (c->expanded > MAX_EXPANSION) {
			reg_err(c, line, "variables expand to more than %u bytes (at SV::%.*s; a variable that refers to "
					 "others too many times?)", MAX_EXPANSION, (int)n, name);
			ok = false;
			break;
		}
		buf_add(&b, sv, svn);
		s = name + n;
	}
	char *r = ok ? arena_strdup(c->a, buf_str(&b)) : NULL;
	buf_free(&b);
	return r;
}

char *subst(struct rctx *c, const char *s, int line)
{
	return subst_depth(c, s, line, 0);
}

/* Values are substituted where they are used, so a variable may refer to
 * one defined after it. */
void vars_parse(struct rctx *c, const struct xnode *el)
{
	FOR_EACH_CHILD(v, el) {
		if (strcmp(v->name, "variable") != 0) {
			reg_warn(c, v->line, "unknown element <%s> in <variables> (ignored)", v->name);
			continue;
		}
		const char *name = x_attr(v, "name");
		if (!name) {
			reg_err(c, v->line, "<variable> needs a name attribute");
			continue;
		}
		bool good = *name != 0;
		for (const char *p = name; *p; p++)
			good &= var_char(*p);
		if (!good) {
			reg_err(c, v->line, "variable name '%s' may hold only letters, digits and '_'", name);
			continue;
		}
		struct slot *old = index_find(&c->varx, name, strlen(name));
		if (old) {
			reg_err(c, v->line, "variable '%s' is defined twice (first on line %d)", name,
				c->vars[old->item].line);
			continue;
		}
		char *val = raw_text(c, v);
		if (!val)
			continue;
		c->vars = grow(c->a, c->vars, c->nvars, &c->vars_cap, sizeof *c->vars);
		c->vars[c->nvars] = (struct var){arena_strdup(c->a, name), val, v->line};
		index_add(c->a, &c->varx, c->vars[c->nvars].name, c->nvars);
		c->nvars++;
	}
}
