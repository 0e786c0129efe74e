/* rundir_scan.c: the run directory of a registry whose <config><temp> is a
 * plain path, found without mini-XML by a scan of the file's head that stops
 * at </config>: status runs at every monitoring poll, and the full parse of
 * the registry was the largest part of its time.
 *
 * It answers only when the head is simple, and the answer is then the one
 * the loader gives (registry_rundir_load): a root <supervisor> without
 * attributes, before its <config> only comments and elements with quoted
 * attributes, and in <config> a <temp> whose text holds no SV:: variable, no
 * entity and no CDATA (the last <temp> wins, relative paths resolve against
 * the registry's directory). Anything else, and $IMAGESERVING_RUNDIR, is
 * left to the full lookup: NULL. */
#include "rundir_scan.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define HEAD_MAX 65536  /* <config> comes first in practice; later: the full lookup */
#define DEPTH_MAX 24

struct sc {
	const char *s, *end;
	const char *name[DEPTH_MAX];
	size_t len[DEPTH_MAX];
	int depth;
	const char *temp;   /* the last <supervisor><config><temp> text */
	size_t temp_len;
};

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       c == '.' || c == ':';
}

static bool is(const struct sc *c, int depth, const char *name)
{
	return c->depth > depth && c->len[depth] == strlen(name) && memcmp(c->name[depth], name, c->len[depth]) == 0;
}

/* A comment from p ("<!--"): past its end, or NULL when mini-XML's rule for
 * where it ends (a "-->" after three characters, not "--->") might differ. */
static const char *comment(const char *p, const char *end)
{
	const char *c0 = p + 4;
	const char *e = memmem(c0, (size_t)(end - c0), "-->", 3);
	if (!e || e - c0 < 1 || e[-1] == '-')
		return NULL;
	return e + 3;
}

/* A start tag's attributes, from p to its '>' or "/>": quoted values only. */
static const char *attributes(const char *p, const char *end, bool *any)
{
	for (;;) {
		while (p < end && blank(*p))
			p++;
		if (p >= end)
			return NULL;
		if (*p == '>' || *p == '/')
			return p;
		const char *n = p;
		while (p < end && name_char(*p))
			p++;
		if (p == n || p >= end || *p != '=' || p + 1 >= end || (p[1] != '"' && p[1] != '\''))
			return NULL;
		const char *q = memchr(p + 2, p[1], (size_t)(end - p - 2));
		if (!q)
			return NULL;
		*any = true;
		p = q + 1;
	}
}

/* One step at c->s ('<'). 1: go on, 0: </config> of <supervisor> reached, -1: give up. */
static int step(struct sc *c)
{
	const char *p = c->s, *end = c->end;
	bool in_config = c->depth == 2 && is(c, 0, "supervisor") && is(c, 1, "config");
	if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
		c->s = comment(p, end);
		return c->s ? 1 : -1;
	}
	if (end - p >= 2 && (p[1] == '!' || p[1] == '?'))
		return -1;  /* CDATA, DOCTYPE, a processing instruction past the prolog */
	if (end - p >= 2 && p[1] == '/') {
		const char *n = p + 2, *q = n;
		while (q < end && name_char(*q))
			q++;
		if (c->depth == 0 || q >= end || *q != '>' || (size_t)(q - n) != c->len[c->depth - 1] ||
		    memcmp(n, c->name[c->depth - 1], (size_t)(q - n)) != 0)
			return -1;
		c->depth--;
		c->s = q + 1;
		return c->depth == 1 && is(c, 0, "supervisor") && q - n == 6 && memcmp(n, "config", 6) == 0 ? 0 : 1;
	}
	const char *n = p + 1, *q = n;
	while (q < end && name_char(*q))
		q++;
	if (q == n || q >= end || c->depth >= DEPTH_MAX)
		return -1;
	bool attrs = false;
	const char *t = attributes(q, end, &attrs);
	if (!t)
		return -1;
	bool empty = *t == '/';
	if (empty && (t + 1 >= end || t[1] != '>'))
		return -1;
	/* The root, <config> and what is in it: no attributes to think about. */
	if (attrs && (c->depth == 0 || in_config || (c->depth == 1 && q - n == 6 && memcmp(n, "config", 6) == 0)))
		return -1;
	if (c->depth == 0 && (empty || q - n != 10 || memcmp(n, "supervisor", 10) != 0))
		return -1;
	c->s = t + (empty ? 2 : 1);
	if (empty)
		return in_config && q - n == 4 && memcmp(n, "temp", 4) == 0 ? -1 : 1;
	c->name[c->depth] = n;
	c->len[c->depth++] = (size_t)(q - n);
	if (in_config && q - n == 4 && memcmp(n, "temp", 4) == 0) {
		/* Its text, up to its close tag: nothing but characters. */
		const char *lt = memchr(c->s, '<', (size_t)(end - c->s));
		if (!lt || end - lt < 7 || memcmp(lt, "</temp>", 7) != 0)
			return -1;
		c->temp = c->s;
		c->temp_len = (size_t)(lt - c->s);
		c->s = lt + 7;
		c->depth--;
	}
	return 1;
}

/* The text between elements: anything where it is skipped, blanks where it
 * would count (<supervisor> and <config> themselves). */
static bool text(struct sc *c)
{
	const char *lt = memchr(c->s, '<', (size_t)(c->end - c->s));
	if (!lt)
		return false;
	if (c->depth <= 2 && !(c->depth == 2 && !is(c, 1, "config")))
		for (const char *p = c->s; p < lt; p++)
			if (!blank(*p))
				return false;
	c->s = lt;
	return true;
}

static char *settle(const struct sc *c, const char *registry)
{
	const char *t = c->temp;
	size_t n = c->temp_len;
	while (n && blank(*t))
		t++, n--;
	while (n && blank(t[n - 1]))
		n--;
	if (!t || n == 0 || (n == 1 && *t == '-') || memmem(t, n, "SV::", 4))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == '&' || t[i] == 0x7f)
			return NULL;
	char *path = xmalloc(n + 1);
	memcpy(path, t, n);
	path[n] = 0;
	if (path[0] == '/')
		return path;
	char *dir = path_dirname(registry);
	char *j = path_join(dir, path);
	free(dir);
	free(path);
	return j;
}

char *rundir_scan(const char *registry)
{
	const char *env = getenv("IMAGESERVING_RUNDIR");
	if ((env && *env) || registry[0] != '/')
		return NULL;
	int fd = openat(AT_FDCWD, registry, O_RDONLY | O_CLOEXEC);  /* musl: open adds an fcntl */
	if (fd < 0)
		return NULL;
	static char buf[HEAD_MAX];  /* only what is read is touched */
	ssize_t got = read_full(fd, buf, HEAD_MAX);
	close(fd);
	char *res = NULL;
	struct sc c = {.s = buf, .end = buf + (got > 0 ? got : 0)};
	/* The prolog: an XML declaration first, if any. */
	if (c.end - c.s >= 5 && memcmp(c.s, "<?xml", 5) == 0) {
		const char *e = memmem(c.s, (size_t)(c.end - c.s), "?>", 2);
		c.s = e ? e + 2 : c.end;
	}
	int r = 1;
	while (r == 1 && c.s < c.end && text(&c))
		r = step(&c);
	if (r == 0 && c.temp)
		res = settle(&c, registry);
	return res;
}
