/* scan.c: a small tokenizer that reads markup the way mini-XML does, without
 * mini-XML, for a job it cannot do: counting an element's attributes before
 * it parses (it is quadratic in them). */
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
