/* scan.c: a small tokenizer that reads markup the way mini-XML does, without
 * mini-XML, for two jobs it cannot do: counting an element's attributes
 * before it parses (it is quadratic in them), and finding <config><temp> in
 * a registry that is no longer well-formed XML (registry_rundir_lenient). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct scan {
	const char *s;
	size_t len;
	void *arg;
	bool stop;
	/* a start tag's name, each of its attributes, its end: the end of
	 * "<x .../>" or a close tag "</x>" (self tells which) */
	void (*open)(struct scan *sc, const char *name, size_t n, size_t off);
	void (*attr)(struct scan *sc, const char *name, size_t nn, const char *value, size_t vn);
	void (*end)(struct scan *sc, const char *name, size_t n, bool self);
	void (*text)(struct scan *sc, const char *t, size_t n, bool cdata);
};

static bool xspace(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';  /* mini-XML's set */
}

static bool starts(const struct scan *sc, size_t i, const char *p)
{
	size_t n = strlen(p);
	return sc->len - i >= n && memcmp(sc->s + i, p, n) == 0;
}

/* Offset just past the first pat at or after i, or the end. */
static size_t past(const struct scan *sc, size_t i, const char *pat)
{
	size_t n = strlen(pat);
	const char *p = i < sc->len ? memmem(sc->s + i, sc->len - i, pat, n) : NULL;
	return p ? (size_t)(p - sc->s) + n : sc->len;
}

/* A comment ends at the first "-->" with at least three characters of
 * content whose '-' pair is not preceded by another '-' (mini-XML's rule:
 * where it ends, we must end too, or an element could hide in it). */
static size_t comment_end(const struct scan *sc, size_t i)
{
	size_t c0 = i + 4;
	for (size_t k = c0; k < sc->len; k++)
		if (sc->s[k] == '>' && k - c0 >= 3 && sc->s[k - 1] == '-' && sc->s[k - 2] == '-' && sc->s[k - 3] != '-')
			return k + 1;
	return sc->len;
}

/* A name or a value: quoted up to its quote, else its first character
 * whatever it is (as mini-XML reads it) and then up to a blank or one of
 * stops. */
static size_t token(const struct scan *sc, size_t p, const char *stops)
{
	const char *s = sc->s;
	if (p < sc->len && (s[p] == '"' || s[p] == '\'')) {
		const char *q = memchr(s + p + 1, s[p], sc->len - p - 1);
		return q ? (size_t)(q - s) + 1 : sc->len;
	}
	if (p < sc->len)
		p++;
	while (p < sc->len && !xspace(s[p]) && !strchr(stops, s[p]))
		p++;
	return p;
}

static size_t skip_space(const struct scan *sc, size_t p)
{
	while (p < sc->len && xspace(sc->s[p]))
		p++;
	return p;
}

/* The attributes of a start tag, from p (just past its name) to its '>'. */
static size_t attributes(struct scan *sc, size_t p)
{
	const char *s = sc->s;
	for (;;) {
		p = skip_space(sc, p);
		if (p >= sc->len || s[p] == '<')
			return p;  /* mini-XML: a bare '<' is an error */
		if (s[p] == '/' || s[p] == '?' || s[p] == '>')
			return p;
		size_t n0 = p;
		p = token(sc, p, "=/>?");
		size_t n1 = p;
		p = skip_space(sc, p);
		if (p >= sc->len || s[p] != '=')
			return p;  /* mini-XML: "missing value", an error */
		p = skip_space(sc, p + 1);
		size_t v0 = p;
		p = token(sc, p, "=/>");
		if (sc->attr)
			sc->attr(sc, s + n0, n1 - n0, s + v0, p - v0);
		if (sc->stop)
			return p;
		if (p < sc->len && s[p] == '=')
			p++;  /* an unquoted value ends at it, and it is used up */
	}
}

/* One start tag at i ('<' then a name character). Returns where to go on. */
static size_t start_tag(struct scan *sc, size_t i)
{
	const char *s = sc->s;
	size_t p = i + 1;
	while (p < sc->len && !xspace(s[p]) && s[p] != '>' && s[p] != '<' && !(s[p] == '/' && p > i + 1))
		p++;
	const char *name = s + i + 1;
	size_t n = p - i - 1;
	if (sc->open)
		sc->open(sc, name, n, i);
	if (sc->stop)
		return p;
	if (p < sc->len && xspace(s[p]))
		p = attributes(sc, p);
	if (sc->stop)
		return p;
	if (p < sc->len && (s[p] == '/' || s[p] == '?')) {
		if (sc->end)
			sc->end(sc, name, n, true);
		p++;
	}
	return p < sc->len && s[p] == '>' ? p + 1 : p;
}

/* Every piece of the file in order, until the end or until a callback sets
 * stop. Each step moves on, so the time is linear in the file. */
static void scan_run(struct scan *sc)
{
	const char *s = sc->s;
	size_t i = 0;
	while (i < sc->len && !sc->stop) {
		if (s[i] != '<') {
			const char *lt = memchr(s + i, '<', sc->len - i);
			size_t j = lt ? (size_t)(lt - s) : sc->len;
			if (sc->text)
				sc->text(sc, s + i, j - i, false);
			i = j;
		} else if (starts(sc, i, "<!--")) {
			i = comment_end(sc, i);
		} else if (starts(sc, i, "<![CDATA[")) {
			size_t e = past(sc, i + 9, "]]>");
			if (sc->text)
				sc->text(sc, s + i + 9, (e == sc->len ? e : e - 3) - (i + 9), true);
			i = e;
		} else if (starts(sc, i, "<?")) {
			i = past(sc, i + 1, "?>");  /* "<?>" is a whole one */
		} else if (starts(sc, i, "<!")) {
			i = past(sc, i + 2, ">");
		} else if (starts(sc, i, "</")) {
			size_t e = past(sc, i + 2, ">");
			size_t n = 0;
			while (i + 2 + n < e && !xspace(s[i + 2 + n]) && s[i + 2 + n] != '>')
				n++;
			if (sc->end)
				sc->end(sc, s + i + 2, n, false);
			i = e;
		} else {
			i = start_tag(sc, i);
		}
	}
}

/* ---- attribute counts ---- */

struct count {
	unsigned n, max;
	size_t tag;
	long over;
};

static void count_open(struct scan *sc, const char *name, size_t n, size_t off)
{
	struct count *k = sc->arg;
	k->n = 0;
	k->tag = off;
}

static void count_attr(struct scan *sc, const char *name, size_t nn, const char *value, size_t vn)
{
	struct count *k = sc->arg;
	if (++k->n > k->max) {
		k->over = (long)k->tag;
		sc->stop = true;
	}
}

long xml_attrs_over(const char *s, size_t len, unsigned max)
{
	struct count k = {.max = max, .over = -1};
	struct scan sc = {.s = s, .len = len, .arg = &k, .open = count_open, .attr = count_attr};
	scan_run(&sc);
	return k.over;
}

/* ---- a best-effort tree ---- */

/* Open elements, innermost last. A typo in a close tag must not hide the
 * rest of the file (see tree_end). Only MAX_DEPTH levels get nodes. */
struct open {
	const char *name;
	size_t n;
	struct xnode *node;     /* NULL past MAX_DEPTH */
	struct xnode **child;   /* where its next child goes */
	struct buf text;
};

struct tree {
	struct rctx *c;
	struct open *st;
	size_t depth, cap;
	struct xnode *top, **topnext;
};

/* Entities as mini-XML knows them: the five named ones and numeric ones. */
static void unescape(struct buf *b, const char *s, size_t n)
{
	static const char *const names[] = {"lt;<", "gt;>", "amp;&", "quot;\"", "apos;'"};
	for (size_t i = 0; i < n; i++) {
		const char *semi = s[i] == '&' ? memchr(s + i, ';', n - i) : NULL;
		if (!semi) {
			buf_add(b, s + i, 1);
			continue;
		}
		size_t en = (size_t)(semi - s) - i - 1;
		bool done = false;
		for (size_t k = 0; k < 5 && !done; k++)
			if (strlen(names[k]) - 2 == en && memcmp(s + i + 1, names[k], en) == 0) {
				buf_add(b, names[k] + en + 1, 1);
				done = true;
			}
		char num[16];
		if (!done && en >= 2 && en - 1 < sizeof num && s[i + 1] == '#') {
			snprintf(num, sizeof num, "%.*s", (int)(en - 1), s + i + 2);
			char *e;
			unsigned long v = num[0] == 'x' ? strtoul(num + 1, &e, 16) : strtoul(num, &e, 10);
			if (*e == 0 && v > 0 && v < 0x80) {
				char ch = (char)v;
				buf_add(b, &ch, 1);
				done = true;
			}
		}
		if (done)
			i += en + 1;
		else
			buf_add(b, s + i, 1);
	}
}

static char *unescaped(struct arena *a, const char *s, size_t n)
{
	struct buf b = {0};
	unescape(&b, s, n);
	char *r = arena_strndup(a, buf_str(&b), b.len);
	buf_free(&b);
	return r;
}

static void tree_open(struct scan *sc, const char *name, size_t n, size_t off)
{
	struct tree *t = sc->arg;
	struct arena *a = &t->c->tree;
	t->st = grow(a, t->st, t->depth, &t->cap, sizeof *t->st);
	struct open *o = &t->st[t->depth];
	struct open *parent = t->depth ? &t->st[t->depth - 1] : NULL;
	*o = (struct open){.name = name, .n = n};
	if (t->depth < MAX_DEPTH && (!parent || parent->node)) {
		o->node = arena_alloc(a, sizeof *o->node);
		o->node->name = arena_strndup(a, name, n);
		o->node->line = line_of(t->c, off);
		o->node->text = "";
		o->child = &o->node->child;
		struct xnode ***at = parent ? &parent->child : &t->topnext;
		**at = o->node;
		*at = &o->node->next;
	}
	t->depth++;
}

static void tree_attr(struct scan *sc, const char *name, size_t nn, const char *value, size_t vn)
{
	struct tree *t = sc->arg;
	struct xnode *x = t->depth ? t->st[t->depth - 1].node : NULL;
	if (!x)
		return;
	if (nn >= 2 && (name[0] == '"' || name[0] == '\'')) {
		name++;
		nn -= 2;
	}
	if (vn >= 2 && (value[0] == '"' || value[0] == '\'')) {
		value++;
		vn -= 2;
	}
	struct xattr *at = arena_alloc(&t->c->tree, sizeof *at);
	*at = (struct xattr){unescaped(&t->c->tree, name, nn), unescaped(&t->c->tree, value, vn), x->attrs};
	x->attrs = at;  /* reversed; lookups by name do not care */
}

static void tree_pop(struct tree *t)
{
	struct open *o = &t->st[--t->depth];
	if (o->node)
		o->node->text = arena_strndup(&t->c->tree, buf_str(&o->text), o->text.len);
	buf_free(&o->text);
}

/* A close tag closes the innermost open element of its name and whatever
 * was left open inside it. Only the innermost 64 are searched, so that a
 * flood of stray close tags under deep nesting stays linear. */
static void tree_end(struct scan *sc, const char *name, size_t n, bool self)
{
	struct tree *t = sc->arg;
	size_t k = t->depth, low = t->depth > 64 ? t->depth - 64 : 0;
	while (k > low && !self && !(t->st[k - 1].n == n && memcmp(t->st[k - 1].name, name, n) == 0))
		k--;
	if (k == low)
		return;
	while (t->depth >= k)
		tree_pop(t);
}

static void tree_text(struct scan *sc, const char *s, size_t n, bool cdata)
{
	struct tree *t = sc->arg;
	struct open *o = t->depth ? &t->st[t->depth - 1] : NULL;
	if (!o || !o->node)
		return;
	if (cdata)
		buf_add(&o->text, s, n);
	else
		unescape(&o->text, s, n);
}

/* The first top-level <supervisor>, else the first top-level element. */
struct xnode *xml_scan_tree(struct rctx *c)
{
	struct tree t = {.c = c};
	t.topnext = &t.top;
	struct scan sc = {.s = c->text, .len = c->len, .arg = &t,
			  .open = tree_open, .attr = tree_attr, .end = tree_end, .text = tree_text};
	scan_run(&sc);
	while (t.depth)
		tree_pop(&t);
	for (struct xnode *x = t.top; x; x = x->next)
		if (strcmp(x->name, "supervisor") == 0)
			return x;
	return t.top;
}
