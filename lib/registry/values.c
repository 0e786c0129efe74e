/* values.c: the values of elements and attributes as the settings use them:
 * trimmed and SV::-substituted text, numbers with their range, paths made
 * absolute, argument lists; and a value quoted for a shell, for the plan. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static char *trim_dup(struct arena *a, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return arena_strndup(a, s, n);
}

/* Text content of a value element, trimmed (mini-XML keeps the blanks around
 * it); an element inside a value is an error. */
char *raw_text(struct rctx *c, const struct xnode *el)
{
	bool ok = true;
	FOR_EACH_CHILD(n, el) {
		reg_err(c, n->line, "unexpected element <%s> inside <%s>", n->name, el->name);
		ok = false;
	}
	return ok ? trim_dup(c->a, el->text, strlen(el->text)) : NULL;
}

char *text_of(struct rctx *c, const struct xnode *el)
{
	char *t = raw_text(c, el);
	return t ? subst(c, t, el->line) : NULL;
}

const char *x_attr(const struct xnode *el, const char *name)
{
	for (const struct xattr *a = el->attrs; a; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a->value;
	return NULL;
}

char *attr_of(struct rctx *c, const struct xnode *el, const char *name)
{
	const char *v = x_attr(el, name);
	if (!v)
		return NULL;
	return subst(c, trim_dup(c->a, v, strlen(v)), el->line);
}

bool get_uint(struct rctx *c, const struct xnode *el, uint64_t min, uint64_t max, unsigned *out)
{
	char *t = text_of(c, el);
	if (!t)
		return false;
	uint64_t v;
	int r = parse_uint(t, max, &v);
	if (r == -1) {
		reg_err(c, el->line, "<%s>: '%s' is not a non-negative whole number", el->name, t);
		return false;
	}
	if (r == -2 || v < min) {
		reg_err(c, el->line, "<%s>: %s is out of range (%llu to %llu)", el->name, t, (unsigned long long)min,
			(unsigned long long)max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

bool uint_attr(struct rctx *c, const struct xnode *el, const char *attr, uint64_t min, uint64_t max, unsigned *out)
{
	char *t = attr_of(c, el, attr);
	if (!t)
		return false;
	uint64_t v;
	int r = parse_uint(t, max, &v);
	if (r == -1 || r == -2 || v < min) {
		reg_err(c, el->line, "<%s %s=\"%s\">: expected a whole number from %llu to %llu", el->name, attr, t,
			(unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

/* Relative paths resolve against the registry's own directory (SPEC §3). */
const char *reg_path(struct rctx *c, const char *p)
{
	if (p[0] == '/')
		return p;
	char *j = path_join(c->regdir, p);
	const char *r = arena_strdup(c->a, j);
	free(j);
	return r;
}

bool args_parse(struct rctx *c, const struct xnode *el, struct strlist *l)
{
	bool ok = true;
	FOR_EACH_CHILD(a, el) {
		if (strcmp(a->name, "argument") != 0) {
			reg_warn(c, a->line, "unknown element <%s> in <%s> (ignored)", a->name, el->name);
			continue;
		}
		if (l->n >= REG_MAX_ARGS) {
			reg_err(c, a->line, "more than %d arguments", REG_MAX_ARGS);
			return false;
		}
		char *t = text_of(c, a);
		if (t)
			strlist_push(c->a, l, t);
		ok &= t != NULL;
	}
	return ok;
}

/* Quoted so that a printed command line can be pasted into a shell. */
void put_word(struct buf *b, const char *w)
{
	bool plain = *w != 0;
	for (const char *p = w; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_./=:,+@%", *p))
			plain = false;
	if (plain) {
		buf_puts(b, w);
		return;
	}
	buf_puts(b, "'");
	for (const char *p = w; *p; p++)
		buf_puts(b, *p == '\'' ? "'\\''" : (char[]){*p, 0});
	buf_puts(b, "'");
}
