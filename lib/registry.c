/* registry.c: load SupervisorRegistry.xml with mini-XML, report every problem as
 * FILE:LINE, and resolve variables, profiles and paths into struct registry.
 * This is the only file that includes mxml.h. */
#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mxml.h>

#define MAX_DEPTH     24       /* deeper elements are parsed but not kept */
#define MAX_NODES     200000   /* kept nodes; past this the file is refused */
#define MAX_VAR_DEPTH 8        /* SV:: values may refer to other variables */
#define MAX_EXPANSION (8u << 20) /* bytes made by SV:: substitution in one load */
#define MAX_PRIORITY  1000000u
#define MAX_ATTRS     256      /* per element */
#define MAX_COUNT     1000000u

/* ---- loading context ---- */

struct var {
	const char *name, *value;
	int line;
};

/* A string-keyed hash index over an array (open addressing, in the arena), so
 * that duplicate checks and lookups stay linear in the registry's size. */
struct slot {
	const char *key;
	size_t len, item;
};
struct index {
	struct slot *slot;
	size_t cap, used;
};

struct ctx {
	bool config_only;       /* stop after <config> (finding the run directory) */
	const char *file;       /* as the user named it, for messages */
	struct diag *d;
	struct arena *a;        /* where results live */
	const char *text;       /* whole file */
	size_t len;
	size_t *nl;             /* offsets of '\n' */
	size_t nnl;
	FILE *fp;               /* during the parse, for error positions */
	int depth;
	size_t kept;
	int too_many;           /* line where MAX_NODES was passed, or 0 */
	mxml_node_t *open;      /* innermost element still open */
	size_t last_end;        /* offset just past the last markup seen */
	bool xml_failed;        /* mini-XML reported an error already */
	size_t expanded;        /* bytes made by substitution so far */
	struct var *vars;
	size_t nvars, vars_cap;
	struct index varx;
	struct profile *profiles;
	size_t nprofiles, profiles_cap;
	struct index profx;
	const char *regdir;
	const char *logdir;     /* directory of the supervisor log, or NULL for "-" */
	const char *rundir;     /* found even if other parts fail */
};

static struct ctx *cur;  /* for mini-XML's global error callback */

__attribute__((format(printf, 4, 0)))
static void diag_add(struct ctx *c, int line, bool warning, const char *fmt, va_list ap)
{
	if (line > 0)
		buf_printf(&c->d->text, "%s:%d: ", c->file, line);
	else
		buf_printf(&c->d->text, "%s: ", c->file);
	if (warning)
		buf_puts(&c->d->text, "warning: ");
	char msg[600];
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* One message, one line: a value or a mini-XML message quoting the file
	 * may hold a newline or other control character; show it as \xNN. */
	for (const char *m = msg; *m; m++) {
		if ((unsigned char)*m < 0x20 || *m == 0x7f)
			buf_printf(&c->d->text, "\\x%02x", (unsigned char)*m);
		else
			buf_add(&c->d->text, m, 1);
	}
	buf_puts(&c->d->text, "\n");
	if (warning)
		c->d->warnings++;
	else
		c->d->errors++;
}

__attribute__((format(printf, 3, 4)))
static void err(struct ctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_add(c, line, false, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void warn(struct ctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_add(c, line, true, fmt, ap);
	va_end(ap);
}

/* Line number (1-based) of a byte offset. */
static int line_of(const struct ctx *c, size_t off)
{
	size_t lo = 0, hi = c->nnl;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->nl[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)lo + 1;
}

static int line_now(const struct ctx *c)
{
	long pos = c->fp ? ftell(c->fp) : -1;
	if (pos <= 0)
		return 1;
	size_t off = (size_t)pos - 1;
	if (off >= c->len)
		off = c->len ? c->len - 1 : 0;
	return line_of(c, off);
}

/* mini-XML reports errors through a global callback; its own line counts miss
 * some newlines, so we name the line from the stream position instead. */
static int node_line(mxml_node_t *n)
{
	return (int)(intptr_t)mxmlGetUserData(n);
}

/* mini-XML stops at its first error; anything it says after that is a
 * consequence (one bad entity also reports "Bad control character
 * 0xffffffff"), so only the first message is kept. Messages about a close
 * tag name the open element and its line, never our own #top node. */
static void mxml_err_cb(const char *msg)
{
	struct ctx *c = cur;
	if (!c || c->xml_failed)
		return;
	c->xml_failed = true;
	char text[512];
	snprintf(text, sizeof text, "%s", msg);
	char *on = strstr(text, " on line ");
	if (on)
		*on = 0;
	size_t n = strlen(text);
	while (n && (text[n - 1] == '.' || text[n - 1] == '\n'))
		text[--n] = 0;
	bool top_open = !c->open || !mxmlGetParent(c->open);
	const char *open = top_open ? NULL : mxmlGetElement(c->open);
	char tag[128];
	if (strncmp(text, "Missing close tag ", 18) == 0 && open) {
		err(c, node_line(c->open), "XML: <%s> is never closed (the file ends on line %d)", open, line_now(c));
	} else if (strncmp(text, "Mismatched close tag <", 22) == 0 &&
		   sscanf(text + 22, "%127[^>]", tag) == 1) {
		if (open)
			err(c, line_now(c), "XML: close tag <%s> does not match <%s> opened on line %d", tag, open,
			    node_line(c->open));
		else
			err(c, line_now(c), "XML: close tag <%s> outside any open element", tag);
	} else {
		err(c, line_now(c), "XML: %s", text);
	}
}

/* Line of the first non-blank byte of the text that ends at the '<' just
 * read (where mini-XML emits a text node). */
static int text_line(const struct ctx *c)
{
	long pos = ftell(c->fp);
	size_t end = pos > 0 ? (size_t)pos - 1 : 0;
	if (end > c->len)
		end = c->len;
	size_t off = end;
	while (off > 0 && c->text[off - 1] != '>')
		off--;
	while (off < end && isspace((unsigned char)c->text[off]))
		off++;
	return line_of(c, off);
}

/* Keep nodes up to MAX_DEPTH and tag elements with the line of their '<'. */
static void sax_cb(mxml_node_t *node, mxml_sax_event_t ev, void *data)
{
	struct ctx *c = data;
	long pos = ftell(c->fp);
	c->last_end = pos > 0 ? (size_t)pos : 0;
	switch (ev) {
	case MXML_SAX_ELEMENT_OPEN: {
		c->depth++;
		c->open = node;
		size_t off = c->last_end;
		if (off > c->len)
			off = c->len;
		while (off > 0 && c->text[off - 1] != '<')
			off--;
		int line = line_of(c, off ? off - 1 : 0);
		mxmlSetUserData(node, (void *)(intptr_t)line);
		if (c->depth <= MAX_DEPTH && c->kept < MAX_NODES) {
			mxmlRetain(node);
			c->kept++;
		} else if (c->kept >= MAX_NODES && !c->too_many) {
			c->too_many = line;
		}
		break;
	}
	case MXML_SAX_ELEMENT_CLOSE:
		c->depth--;
		c->open = mxmlGetParent(node);
		break;
	case MXML_SAX_DATA:
	case MXML_SAX_CDATA:
		if (c->depth + 1 <= MAX_DEPTH && c->kept < MAX_NODES) {
			if (ev == MXML_SAX_CDATA)
				mxmlSetUserData(node, (void *)(intptr_t)line_now(c));
			else if (c->depth == 0)
				mxmlSetUserData(node, (void *)(intptr_t)text_line(c));
			mxmlRetain(node);
			c->kept++;
		} else if (c->kept >= MAX_NODES && !c->too_many) {
			c->too_many = line_now(c);
		}
		break;
	default:
		break;  /* comments and directives are not kept */
	}
}

/* ---- tree helpers ---- */

static bool is_element(mxml_node_t *n)
{
	if (mxmlGetType(n) != MXML_ELEMENT)
		return false;
	const char *name = mxmlGetElement(n);
	return name && name[0] != '?' && name[0] != '!';  /* not a directive, comment or CDATA */
}

static bool is_cdata(mxml_node_t *n)
{
	if (mxmlGetType(n) != MXML_ELEMENT)
		return false;
	const char *name = mxmlGetElement(n);
	return name && strncmp(name, "![CDATA[", 8) == 0;
}

static mxml_node_t *first_elem(mxml_node_t *parent)
{
	mxml_node_t *n = mxmlGetFirstChild(parent);
	while (n && !is_element(n))
		n = mxmlGetNextSibling(n);
	return n;
}

static mxml_node_t *next_elem(mxml_node_t *n)
{
	n = mxmlGetNextSibling(n);
	while (n && !is_element(n))
		n = mxmlGetNextSibling(n);
	return n;
}

#define FOR_EACH_CHILD(var, parent) \
	for (mxml_node_t *var = first_elem(parent); var; var = next_elem(var))

static bool all_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

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

/* Text content of a value element (opaque text and CDATA), trimmed; an
 * element inside a value is an error. Returns NULL on error. */
static char *raw_text(struct ctx *c, mxml_node_t *el)
{
	struct buf b = {0};
	bool ok = true;
	for (mxml_node_t *n = mxmlGetFirstChild(el); n; n = mxmlGetNextSibling(n)) {
		if (mxmlGetType(n) == MXML_OPAQUE) {
			const char *t = mxmlGetOpaque(n);
			if (t)
				buf_puts(&b, t);
		} else if (is_cdata(n)) {
			/* "![CDATA[" and the content: the loader has already dropped
			 * the "]]>", so a "]]" still at the end is content. */
			buf_puts(&b, mxmlGetElement(n) + 8);
		} else if (is_element(n)) {
			err(c, node_line(n), "unexpected element <%s> inside <%s>", mxmlGetElement(n), mxmlGetElement(el));
			ok = false;
		}
	}
	char *r = ok ? trim_dup(c->a, buf_str(&b), b.len) : NULL;
	buf_free(&b);
	return r;
}

/* ---- growable arrays and the index ---- */

/* Make room for item n in an arena array of capacity *cap, doubling it. */
static void *grow(struct ctx *c, void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	size_t nc = *cap ? *cap * 2 : 8;
	void *nv = arena_alloc(c->a, nc * size);
	if (n)
		memcpy(nv, v, n * size);
	*cap = nc;
	return nv;
}

static size_t hash_key(const char *k, size_t n)
{
	uint64_t h = 14695981039346656037u;  /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211u;
	return (size_t)h;
}

static struct slot *index_find(const struct index *x, const char *k, size_t n)
{
	if (!x->cap)
		return NULL;
	for (size_t i = hash_key(k, n) & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
		struct slot *s = &x->slot[i];
		if (!s->key)
			return NULL;
		if (s->len == n && memcmp(s->key, k, n) == 0)
			return s;
	}
}

/* Add key (which must not be there yet, and must outlive the index) for item. */
static void index_add(struct ctx *c, struct index *x, const char *k, size_t item)
{
	if (2 * (x->used + 1) > x->cap) {
		struct index nx = {0};
		nx.cap = x->cap ? x->cap * 2 : 16;
		nx.slot = arena_alloc(c->a, nx.cap * sizeof *nx.slot);
		for (size_t i = 0; i < x->cap; i++)
			if (x->slot[i].key)
				index_add(c, &nx, x->slot[i].key, x->slot[i].item);
		*x = nx;
	}
	size_t n = strlen(k);
	size_t i = hash_key(k, n) & (x->cap - 1);
	while (x->slot[i].key)
		i = (i + 1) & (x->cap - 1);
	x->slot[i] = (struct slot){k, n, item};
	x->used++;
}

/* ---- variables ---- */

static bool var_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

static const char *var_lookup(struct ctx *c, const char *name, size_t n)
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
static char *subst_depth(struct ctx *c, const char *s, int line, int depth)
{
	if (!strstr(s, "SV::"))
		return arena_strdup(c->a, s);
	if (depth > MAX_VAR_DEPTH) {
		err(c, line, "variables nest more than %d deep (a variable that refers to itself?)", MAX_VAR_DEPTH);
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
			err(c, line, "'SV::' without a variable name");
			ok = false;
			break;
		}
		const char *v = var_lookup(c, name, n);
		if (!v) {
			err(c, line, "undefined variable SV::%.*s (define it in <variables> or set SV_%.*s)",
			    (int)n, name, (int)n, name);
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
			err(c, line, "variables expand to more than %u bytes (at SV::%.*s; a variable that refers to others "
				     "too many times?)", MAX_EXPANSION, (int)n, name);
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

static char *subst(struct ctx *c, const char *s, int line)
{
	return subst_depth(c, s, line, 0);
}

/* Text of a value element with variables substituted. */
static char *text_of(struct ctx *c, mxml_node_t *el)
{
	char *t = raw_text(c, el);
	return t ? subst(c, t, node_line(el)) : NULL;
}

static char *attr_of(struct ctx *c, mxml_node_t *el, const char *name)
{
	const char *v = mxmlElementGetAttr(el, name);
	if (!v)
		return NULL;
	char *t = trim_dup(c->a, v, strlen(v));
	return subst(c, t, node_line(el));
}

/* ---- values ---- */

static bool get_uint(struct ctx *c, mxml_node_t *el, uint64_t min, uint64_t max, unsigned *out)
{
	char *t = text_of(c, el);
	if (!t)
		return false;
	uint64_t v;
	int r = parse_uint(t, max, &v);
	if (r == -1) {
		err(c, node_line(el), "<%s>: '%s' is not a non-negative whole number", mxmlGetElement(el), t);
		return false;
	}
	if (r == -2 || v < min) {
		err(c, node_line(el), "<%s>: %s is out of range (%llu to %llu)", mxmlGetElement(el), t,
		    (unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

static bool uint_attr(struct ctx *c, mxml_node_t *el, const char *attr, uint64_t min, uint64_t max,
		      unsigned *out)
{
	char *t = attr_of(c, el, attr);
	if (!t)
		return false;
	uint64_t v;
	int r = parse_uint(t, max, &v);
	if (r == -1 || r == -2 || v < min) {
		err(c, node_line(el), "<%s %s=\"%s\">: expected a whole number from %llu to %llu",
		    mxmlGetElement(el), attr, t, (unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

static bool valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > REG_ID_MAX || id[0] == '-' || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
			return false;
	return true;
}

/* A value for a one-line message: control characters (a newline, a tab or
 * DEL, all valid XML) shown as \xNN. */
static const char *printable(struct ctx *c, const char *s)
{
	struct buf b = {0};
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			buf_printf(&b, "\\x%02x", (unsigned char)*s);
		else
			buf_add(&b, s, 1);
	}
	char *r = arena_strdup(c->a, buf_str(&b));
	buf_free(&b);
	return r;
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
	return "may hold only letters, digits, '-', '_' and '.'";
}

/* A path in the registry: relative ones resolve against the registry's own
 * directory; "-" stays as is when allowed. */
static const char *reg_path(struct ctx *c, const char *p)
{
	if (p[0] == '/' || (p[0] == '-' && p[1] == 0))
		return p;
	char *j = path_join(c->regdir, p);
	const char *r = arena_strdup(c->a, j);
	free(j);
	return r;
}

/* ---- settings shared by profiles and servers ---- */

enum field {
	F_DESCRIPTION, F_EXECUTABLE, F_PRIORITY, F_START_DELAY, F_STOP_TIMEOUT, F_WORKDIR,
	F_USER, F_GROUP, F_STDOUT, F_STDERR, F_STOP_SIGNAL, F_RESTART, F_MIN_UPTIME,
	F_DELAY_MAX, F_MAX_RESTARTS, F_ESSENTIAL, F_HEALTH, F_NFIELDS
};

struct arglist {
	const char **v;
	size_t n, cap;
};

struct settings {
	uint32_t set;          /* bit per enum field */
	struct server s;       /* values of the fields that are set */
	const char *exe;
	struct arglist args;
	struct env_var *env;
	size_t nenv;
	size_t env_cap;
	struct index envx;
	const char **refs;     /* server only: profile refs, in order */
	int *ref_lines;
	size_t nrefs, refs_cap;
};

struct profile {
	const char *id;
	int line;
	struct settings st;
};

static void arg_push(struct ctx *c, struct arglist *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		const char **v = arena_alloc(c->a, cap * sizeof *v);
		if (l->n)
			memcpy(v, l->v, l->n * sizeof *v);
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
}

static bool parse_args(struct ctx *c, mxml_node_t *el, struct arglist *l)
{
	bool ok = true;
	FOR_EACH_CHILD(a, el) {
		if (strcmp(mxmlGetElement(a), "argument") != 0) {
			warn(c, node_line(a), "unknown element <%s> in <%s> (ignored)", mxmlGetElement(a), mxmlGetElement(el));
			continue;
		}
		if (l->n >= REG_MAX_ARGS) {
			err(c, node_line(a), "more than %d arguments", REG_MAX_ARGS);
			return false;
		}
		char *t = text_of(c, a);
		if (!t)
			ok = false;
		else
			arg_push(c, l, t);
	}
	return ok;
}

/* An environment list keeps the first position of a name and its last value. */
struct envlist {
	struct env_var **v;
	size_t *n, *cap;
	struct index *x;
};

static void env_set(struct ctx *c, struct envlist l, const char *k, const char *v)
{
	struct slot *s = index_find(l.x, k, strlen(k));
	if (s) {
		(*l.v)[s->item].value = v;
		return;
	}
	*l.v = grow(c, *l.v, *l.n, l.cap, sizeof **l.v);
	(*l.v)[*l.n] = (struct env_var){k, v};
	index_add(c, l.x, k, *l.n);
	(*l.n)++;
}

static bool parse_env(struct ctx *c, mxml_node_t *el, struct settings *st)
{
	bool ok = true;
	FOR_EACH_CHILD(v, el) {
		if (strcmp(mxmlGetElement(v), "variable") != 0) {
			warn(c, node_line(v), "unknown element <%s> in <environment> (ignored)", mxmlGetElement(v));
			continue;
		}
		char *k = attr_of(c, v, "name");
		if (!k) {
			if (!mxmlElementGetAttr(v, "name"))
				err(c, node_line(v), "<variable> in <environment> needs a name attribute");
			ok = false;
			continue;
		}
		if (!*k || strchr(k, '=')) {
			err(c, node_line(v), "environment variable name '%s' is empty or holds '='", k);
			ok = false;
			continue;
		}
		char *val = text_of(c, v);
		if (!val) {
			ok = false;
			continue;
		}
		env_set(c, (struct envlist){&st->env, &st->nenv, &st->env_cap, &st->envx}, k, val);
	}
	return ok;
}

static bool parse_health(struct ctx *c, mxml_node_t *el, struct health *h)
{
	bool ok = true;
	int kinds = 0;
	memset(h, 0, sizeof *h);
	h->interval = 10;
	h->timeout = 2;
	h->failures = 3;
	h->start_period = 0;
	FOR_EACH_CHILD(n, el) {
		const char *name = mxmlGetElement(n);
		int line = node_line(n);
		if (strcmp(name, "tcp") == 0) {
			kinds++;
			h->kind = HEALTH_TCP;
			char *host = attr_of(c, n, "host");
			h->host = host && *host ? host : "127.0.0.1";
			if (!mxmlElementGetAttr(n, "port")) {
				err(c, line, "<tcp> needs a port attribute");
				ok = false;
			} else if (!uint_attr(c, n, "port", 1, 65535, &h->port)) {
				ok = false;
			}
		} else if (strcmp(name, "http") == 0) {
			kinds++;
			h->kind = HEALTH_HTTP;
			h->status = 200;
			char *url = attr_of(c, n, "url");
			if (!url) {
				if (!mxmlElementGetAttr(n, "url"))
					err(c, line, "<http> needs a url attribute");
				ok = false;
				continue;
			}
			h->url = url;
			if (strncmp(url, "http://", 7) != 0) {
				err(c, line, "<http url=\"%s\">: only http:// URLs are supported", url);
				ok = false;
				continue;
			}
			const char *hp = url + 7;
			const char *slash = strchr(hp, '/');
			size_t hl = slash ? (size_t)(slash - hp) : strlen(hp);
			char *hostport = arena_strndup(c->a, hp, hl);
			h->http_path = slash ? slash : "/";
			h->port = 80;
			char *colon = strrchr(hostport, ':');
			if (colon) {
				*colon = 0;
				uint64_t p;
				if (parse_uint(colon + 1, 65535, &p) != 0 || p == 0) {
					err(c, line, "<http url=\"%s\">: bad port", url);
					ok = false;
				}
				else
					h->port = (unsigned)p;
			}
			if (!*hostport) {
				err(c, line, "<http url=\"%s\">: no host", url);
				ok = false;
			}
			h->http_host = hostport;
			if (mxmlElementGetAttr(n, "status") && !uint_attr(c, n, "status", 100, 599, &h->status))
				ok = false;
		} else if (strcmp(name, "exec") == 0) {
			kinds++;
			h->kind = HEALTH_EXEC;
			struct arglist l = {0};
			if (!parse_args(c, n, &l))
				ok = false;
			else if (l.n == 0) {
				err(c, line, "<exec> needs at least one <argument>");
				ok = false;
			} else {
				l.v[0] = strchr(l.v[0], '/') ? reg_path(c, l.v[0]) : l.v[0];
				arg_push(c, &l, NULL);
				h->argv = l.v;
			}
		} else if (strcmp(name, "interval") == 0) {
			ok &= get_uint(c, n, 1, REG_MAX_SECONDS, &h->interval);
		} else if (strcmp(name, "timeout") == 0) {
			ok &= get_uint(c, n, 1, REG_MAX_SECONDS, &h->timeout);
		} else if (strcmp(name, "failures") == 0) {
			ok &= get_uint(c, n, 1, 1000, &h->failures);
		} else if (strcmp(name, "startPeriod") == 0) {
			ok &= get_uint(c, n, 0, REG_MAX_SECONDS, &h->start_period);
		} else {
			warn(c, line, "unknown element <%s> in <healthCheck> (ignored)", name);
		}
	}
	if (kinds == 0) {
		err(c, node_line(el), "<healthCheck> needs one of <tcp>, <http> or <exec>");
		ok = false;
	} else if (kinds > 1) {
		err(c, node_line(el), "<healthCheck> may hold only one of <tcp>, <http> or <exec>");
		ok = false;
	}
	return ok;
}

static bool parse_bool(const char *t, bool *out)
{
	static const char *yes[] = {"true", "yes", "1", "on"}, *no[] = {"false", "no", "0", "off"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(t, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(t, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

/* One element of a profile or a server. Returns false on error; an element it
 * does not know makes a warning. */
static bool parse_setting(struct ctx *c, mxml_node_t *n, struct settings *st, bool is_server)
{
	const char *name = mxmlGetElement(n);
	int line = node_line(n);
	struct server *s = &st->s;
	char *t;

	if (strcmp(name, "arguments") == 0)
		return parse_args(c, n, &st->args);
	if (strcmp(name, "environment") == 0)
		return parse_env(c, n, st);
	if (strcmp(name, "profile") == 0) {
		if (!is_server) {
			warn(c, line, "<profile ref> inside a profile is not supported (ignored)");
			return true;
		}
		char *ref = attr_of(c, n, "ref");
		if (!ref) {
			if (!mxmlElementGetAttr(n, "ref"))
				err(c, line, "<profile> in a server needs a ref attribute");
			return false;
		}
		size_t cap = st->refs_cap;
		st->refs = grow(c, st->refs, st->nrefs, &st->refs_cap, sizeof *st->refs);
		st->ref_lines = grow(c, st->ref_lines, st->nrefs, &cap, sizeof *st->ref_lines);
		st->refs[st->nrefs] = ref;
		st->ref_lines[st->nrefs] = line;
		st->nrefs++;
		return true;
	}
	if (strcmp(name, "healthCheck") == 0) {
		st->set |= 1u << F_HEALTH;
		return parse_health(c, n, &s->health);
	}

	static const struct {
		const char *name;
		enum field f;
	} names[] = {
		{"description", F_DESCRIPTION}, {"executable", F_EXECUTABLE},
		{"startPriority", F_PRIORITY}, {"startDelay", F_START_DELAY},
		{"stopTimeout", F_STOP_TIMEOUT}, {"workingDirectory", F_WORKDIR},
		{"user", F_USER}, {"group", F_GROUP}, {"stdout", F_STDOUT}, {"stderr", F_STDERR},
		{"stopSignal", F_STOP_SIGNAL}, {"restartPolicy", F_RESTART},
		{"minUptime", F_MIN_UPTIME}, {"restartDelayMax", F_DELAY_MAX},
		{"maxRestarts", F_MAX_RESTARTS}, {"essential", F_ESSENTIAL},
	};
	enum field f = F_NFIELDS;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i].name) == 0)
			f = names[i].f;
	if (f == F_NFIELDS) {
		warn(c, line, "unknown element <%s> in <%s> (ignored)", name, is_server ? "server" : "profile");
		return true;
	}

	bool ok = true;
	switch (f) {
	case F_PRIORITY:
		ok = get_uint(c, n, 0, MAX_PRIORITY, &s->priority);
		break;
	case F_START_DELAY:
		ok = get_uint(c, n, 0, REG_MAX_SECONDS, &s->start_delay);
		break;
	case F_STOP_TIMEOUT:
		ok = get_uint(c, n, 0, REG_MAX_SECONDS, &s->stop_timeout);
		break;
	case F_MIN_UPTIME:
		ok = get_uint(c, n, 0, REG_MAX_SECONDS, &s->min_uptime);
		break;
	case F_DELAY_MAX:
		ok = get_uint(c, n, 0, REG_MAX_SECONDS, &s->restart_delay_max);
		break;
	case F_MAX_RESTARTS:
		ok = get_uint(c, n, 0, MAX_COUNT, &s->max_restarts);
		break;
	default:
		if (!(t = text_of(c, n)))
			return false;
		switch (f) {
		case F_DESCRIPTION:
			s->description = t;
			break;
		case F_EXECUTABLE:
			if (!*t) {
				err(c, line, "<executable> is empty");
				return false;
			}
			st->exe = strchr(t, '/') ? reg_path(c, t) : t;
			break;
		case F_WORKDIR:
			if (!*t) {
				err(c, line, "<workingDirectory> is empty");
				return false;
			}
			s->workdir = reg_path(c, t);
			break;
		case F_USER:
		case F_GROUP:
			if (!*t || strchr(t, ':') || strchr(t, '/')) {
				err(c, line, "<%s> '%s' is not a valid name or number", name, t);
				return false;
			}
			if (f == F_USER)
				s->user = t;
			else
				s->group = t;
			break;
		case F_STDOUT:
		case F_STDERR:
			if (!*t) {
				err(c, line, "<%s> is empty (use - for the supervisor's own output)", name);
				return false;
			}
			if (f == F_STDOUT)
				s->stdout_path = reg_path(c, t);
			else
				s->stderr_path = reg_path(c, t);
			break;
		case F_STOP_SIGNAL:
			if (!(s->stop_signal = signal_from_name(t)) || s->stop_signal == SIGSTOP) {
				err(c, line, "<stopSignal>: '%s' is not a usable signal name or number", t);
				return false;
			}
			break;
		case F_RESTART:
			if (strcmp(t, "always") == 0)
				s->restart = RESTART_ALWAYS;
			else if (strcmp(t, "on-failure") == 0)
				s->restart = RESTART_ON_FAILURE;
			else if (strcmp(t, "never") == 0)
				s->restart = RESTART_NEVER;
			else {
				err(c, line, "<restartPolicy>: '%s' is not always, on-failure or never", t);
				return false;
			}
			break;
		case F_ESSENTIAL:
			if (!parse_bool(t, &s->essential)) {
				err(c, line, "<essential>: '%s' is not true or false", t);
				return false;
			}
			break;
		default:
			break;
		}
	}
	if (ok)
		st->set |= 1u << f;
	return ok;
}

static bool parse_settings(struct ctx *c, mxml_node_t *el, struct settings *st, bool is_server)
{
	bool ok = true;
	FOR_EACH_CHILD(n, el)
		ok &= parse_setting(c, n, st, is_server);
	return ok;
}

/* Copy the fields set in src over dst. */
static void apply(struct ctx *c, struct server *dst, const char **exe, struct envlist env,
		  const struct settings *src)
{
	const struct server *s = &src->s;
	uint32_t m = src->set;
#define TAKE(F, field) if (m & (1u << (F))) dst->field = s->field
	TAKE(F_DESCRIPTION, description);
	TAKE(F_PRIORITY, priority);
	TAKE(F_START_DELAY, start_delay);
	TAKE(F_STOP_TIMEOUT, stop_timeout);
	TAKE(F_WORKDIR, workdir);
	TAKE(F_USER, user);
	TAKE(F_GROUP, group);
	TAKE(F_STDOUT, stdout_path);
	TAKE(F_STDERR, stderr_path);
	TAKE(F_STOP_SIGNAL, stop_signal);
	TAKE(F_RESTART, restart);
	TAKE(F_MIN_UPTIME, min_uptime);
	TAKE(F_DELAY_MAX, restart_delay_max);
	TAKE(F_MAX_RESTARTS, max_restarts);
	TAKE(F_ESSENTIAL, essential);
	TAKE(F_HEALTH, health);
#undef TAKE
	if (src->exe)
		*exe = src->exe;
	for (size_t i = 0; i < src->nenv; i++)
		env_set(c, env, src->env[i].name, src->env[i].value);
}

static struct profile *find_profile(struct ctx *c, const char *id)
{
	struct slot *s = index_find(&c->profx, id, strlen(id));
	return s ? &c->profiles[s->item] : NULL;
}

/* Resolve one <server> into s. Returns false on error. */
static bool build_server(struct ctx *c, mxml_node_t *el, struct server *s)
{
	int line = node_line(el);
	memset(s, 0, sizeof *s);
	s->line = line;
	const char *id = attr_of(c, el, "id");
	if (!id) {
		if (!mxmlElementGetAttr(el, "id"))
			err(c, line, "<server> needs an id attribute");
		return false;
	}
	if (!valid_id(id)) {
		err(c, line, "server id '%s' %s", printable(c, id), describe_bad_id(id));
		return false;
	}
	s->id = id;

	struct settings own = {0};
	bool ok = parse_settings(c, el, &own, true);

	/* defaults */
	s->description = "";
	s->priority = 1;
	s->start_delay = 0;
	s->stop_timeout = 10;
	s->stop_signal = SIGTERM;
	s->restart = RESTART_ALWAYS;
	s->min_uptime = 10;
	s->restart_delay_max = 60;
	s->max_restarts = 0;
	const char *exe = NULL;
	size_t env_cap = 0;
	struct index envx = {0};
	struct envlist env = {&s->env, &s->nenv, &env_cap, &envx};

	for (size_t i = 0; i < own.nrefs; i++) {
		struct profile *p = find_profile(c, own.refs[i]);
		if (!p) {
			err(c, own.ref_lines[i], "server %s: unknown profile '%s'", id, own.refs[i]);
			ok = false;
			continue;
		}
		apply(c, s, &exe, env, &p->st);
	}
	apply(c, s, &exe, env, &own);
	if (!ok)
		return false;

	if (!exe) {
		err(c, line, "server %s: no executable (set <executable> in the server or one of its profiles)", id);
		return false;
	}
	/* argv: executable, the server's own arguments, then each profile's. */
	struct arglist argv = {0};
	arg_push(c, &argv, exe);
	for (size_t i = 0; i < own.args.n; i++)
		arg_push(c, &argv, own.args.v[i]);
	for (size_t i = 0; i < own.nrefs && argv.n <= REG_MAX_ARGS; i++) {
		struct profile *p = find_profile(c, own.refs[i]);
		for (size_t k = 0; k < p->st.args.n && argv.n <= REG_MAX_ARGS; k++)
			arg_push(c, &argv, p->st.args.v[k]);
	}
	if (argv.n > REG_MAX_ARGS) {
		err(c, line, "server %s: more than %d arguments", id, REG_MAX_ARGS);
		return false;
	}
	s->argc = argv.n;
	arg_push(c, &argv, NULL);
	s->argv = argv.v;

	if (!s->stdout_path) {
		if (c->logdir) {
			char *name = arena_printf(c->a, "%s.log", id);
			char *j = path_join(c->logdir, name);
			s->stdout_path = arena_strdup(c->a, j);
			free(j);
		} else {
			s->stdout_path = "-";
		}
	}
	if (!s->stderr_path)
		s->stderr_path = s->stdout_path;
	return true;
}

static void parse_variables(struct ctx *c, mxml_node_t *el)
{
	FOR_EACH_CHILD(v, el) {
		int line = node_line(v);
		if (strcmp(mxmlGetElement(v), "variable") != 0) {
			warn(c, line, "unknown element <%s> in <variables> (ignored)", mxmlGetElement(v));
			continue;
		}
		const char *name = mxmlElementGetAttr(v, "name");
		if (!name) {
			err(c, line, "<variable> needs a name attribute");
			continue;
		}
		bool good = *name != 0;
		for (const char *p = name; *p; p++)
			good &= var_char(*p);
		if (!good) {
			err(c, line, "variable name '%s' may hold only letters, digits and '_'", name);
			continue;
		}
		struct slot *old = index_find(&c->varx, name, strlen(name));
		if (old) {
			err(c, line, "variable '%s' is defined twice (first on line %d)", name, c->vars[old->item].line);
			continue;
		}
		char *val = raw_text(c, v);  /* substituted when used */
		if (!val)
			continue;
		c->vars = grow(c, c->vars, c->nvars, &c->vars_cap, sizeof *c->vars);
		c->vars[c->nvars] = (struct var){arena_strdup(c->a, name), val, line};
		index_add(c, &c->varx, c->vars[c->nvars].name, c->nvars);
		c->nvars++;
	}
}

static void default_rundir(struct ctx *c, struct registry *r)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	if (getuid() == 0)
		r->rundir = "/run/imageserving";
	else if (x && x[0] == '/')
		r->rundir = arena_printf(c->a, "%s/imageserving", x);
	else
		r->rundir = arena_printf(c->a, "/tmp/imageserving-%u", (unsigned)getuid());
}

static void parse_config(struct ctx *c, mxml_node_t *el, struct registry *r)
{
	FOR_EACH_CHILD(n, el) {
		const char *name = mxmlGetElement(n);
		int line = node_line(n);
		if (strcmp(name, "tcpport") == 0) {
			get_uint(c, n, 0, 65535, &r->tcpport);
		} else if (strcmp(name, "log") == 0) {
			char *t = text_of(c, n);
			if (t && !*t)
				err(c, line, "<log> is empty (use - for standard error)");
			else if (t)
				r->log = reg_path(c, t);
		} else if (strcmp(name, "temp") == 0) {
			char *t = text_of(c, n);
			if (t && !*t)
				err(c, line, "<temp> is empty");
			else if (t && strcmp(t, "-") == 0)
				err(c, line, "<temp> must be a directory, not -");
			else if (t)
				r->rundir = reg_path(c, t);
		} else if (strcmp(name, "tracelevel") == 0) {
			char *t = text_of(c, n);
			if (!t)
				continue;
			static const char *lv[] = {"error", "warning", "info", "debug"};
			bool found = false;
			for (int i = 0; i < 4; i++)
				if (strcasecmp(t, lv[i]) == 0 || (t[0] == '0' + i && !t[1])) {
					r->tracelevel = (enum trace_level)i;
					found = true;
				}
			if (!found)
				err(c, line, "<tracelevel>: '%s' is not error, warning, info, debug or 0-3", t);
		} else if (strcmp(name, "tracestatsinterval") == 0) {
			get_uint(c, n, 0, REG_MAX_SECONDS, &r->stats_interval);
		} else if (strcmp(name, "shutdownTimeout") == 0) {
			get_uint(c, n, 0, REG_MAX_SECONDS, &r->shutdown_timeout);
		} else {
			warn(c, line, "unknown element <%s> in <config> (ignored)", name);
		}
	}
}

static void parse_profiles(struct ctx *c, mxml_node_t *el)
{
	FOR_EACH_CHILD(n, el) {
		int line = node_line(n);
		if (strcmp(mxmlGetElement(n), "profile") != 0) {
			warn(c, line, "unknown element <%s> in <profiles> (ignored)", mxmlGetElement(n));
			continue;
		}
		char *id = attr_of(c, n, "id");
		if (!id) {
			if (!mxmlElementGetAttr(n, "id"))
				err(c, line, "<profile> needs an id attribute");
			continue;
		}
		if (!*id) {
			err(c, line, "profile id is empty");
			continue;
		}
		struct profile *old = find_profile(c, id);
		if (old) {
			err(c, line, "profile '%s' is defined twice (first on line %d)", id, old->line);
			continue;
		}
		struct profile p = {.id = id, .line = line};
		parse_settings(c, n, &p.st, false);
		c->profiles = grow(c, c->profiles, c->nprofiles, &c->profiles_cap, sizeof *c->profiles);
		c->profiles[c->nprofiles] = p;
		index_add(c, &c->profx, id, c->nprofiles);
		c->nprofiles++;
	}
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

static void parse_servers(struct ctx *c, mxml_node_t *el, struct registry *r)
{
	size_t n = 0;
	FOR_EACH_CHILD(s, el)
		n++;
	if (n > REG_MAX_SERVERS) {
		err(c, node_line(el), "more than %d servers", REG_MAX_SERVERS);
		return;
	}
	struct server *sv = arena_alloc(c->a, (n ? n : 1) * sizeof *sv);
	size_t k = 0;
	FOR_EACH_CHILD(s, el) {
		if (strcmp(mxmlGetElement(s), "server") != 0) {
			warn(c, node_line(s), "unknown element <%s> in <servers> (ignored)", mxmlGetElement(s));
			continue;
		}
		if (!build_server(c, s, &sv[k]))
			continue;
		for (size_t i = 0; i < k; i++)
			if (strcmp(sv[i].id, sv[k].id) == 0) {
				err(c, sv[k].line, "duplicate server id '%s' (first on line %d)", sv[k].id, sv[i].line);
				k--;
				break;
			}
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

/* Walk <supervisor>: variables first (everything else may use them), then
 * config, profiles and servers. */
static void walk(struct ctx *c, mxml_node_t *root, struct registry *r)
{
	mxml_node_t *sec[4] = {0};
	static const char *secname[4] = {"variables", "config", "profiles", "servers"};
	FOR_EACH_CHILD(n, root) {
		const char *name = mxmlGetElement(n);
		bool known = false;
		for (int i = 0; i < 4; i++)
			if (strcmp(name, secname[i]) == 0) {
				known = true;
				if (sec[i])
					err(c, node_line(n), "<%s> appears twice (first on line %d)", name, node_line(sec[i]));
				else
					sec[i] = n;
			}
		if (!known)
			warn(c, node_line(n), "unknown element <%s> in <supervisor> (ignored)", name);
	}
	if (sec[0])
		parse_variables(c, sec[0]);
	r->log = "-";
	r->tracelevel = TRACE_INFO;
	default_rundir(c, r);
	if (sec[1])
		parse_config(c, sec[1], r);
	const char *env_rundir = getenv("IMAGESERVING_RUNDIR");
	if (env_rundir && *env_rundir) {
		char *cwd = getcwd(NULL, 0);
		char *j = path_join(cwd ? cwd : "/", env_rundir);
		r->rundir = arena_strdup(c->a, j);
		free(j);
		free(cwd);
	}
	c->rundir = r->rundir;
	if (strcmp(r->log, "-") != 0) {
		char *d = path_dirname(r->log);
		c->logdir = arena_strdup(c->a, d);
		free(d);
	}
	if (c->config_only)
		return;  /* enough to find the run directory */
	if (sec[2])
		parse_profiles(c, sec[2]);
	if (sec[3])
		parse_servers(c, sec[3], r);
	else
		err(c, node_line(root), "<supervisor> has no <servers>");
	if (sec[3] && r->nservers == 0 && c->d->errors == 0)
		err(c, node_line(sec[3]), "<servers> lists no server");
}

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

/* Parse and walk; fills r as far as it gets (rundir even on errors). With
 * config_only, profiles and servers are not resolved. */
static bool load_into(const char *path, struct diag *d, struct registry *r, struct ctx *c, bool config_only)
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

	char *text;
	size_t len;
	int e = read_file(path, REG_MAX_FILE, &text, &len);
	if (e == -EFBIG) {
		err(c, 0, "registry is larger than %u bytes", REG_MAX_FILE);
		return false;
	}
	if (e == -EINVAL) {
		err(c, 0, "cannot read registry: not a regular file");
		return false;
	}
	if (e < 0) {
		err(c, 0, "cannot read registry: %s", strerror(-e));
		return false;
	}
	c->text = text;
	c->len = len;
	size_t cap = 64;
	c->nl = xmalloc(cap * sizeof *c->nl);
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n') {
			if (c->nnl == cap)
				c->nl = xrealloc(c->nl, (cap *= 2) * sizeof *c->nl);
			c->nl[c->nnl++] = i;
		}
	/* after the newline index, which names its line */
	if (memchr(text, 0, len))
		err(c, line_of(c, (size_t)((char *)memchr(text, 0, len) - text)), "registry holds a NUL byte");
	/* 0xFE and 0xFF never occur in UTF-8. mini-XML takes such a pair anywhere
	 * for a UTF-16 byte order mark and switches encodings mid-file (then reads
	 * past the end with an undefined shift of EOF). */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] >= 0xfe) {
			err(c, line_of(c, i), "registry is not UTF-8 text (byte 0x%02x)", (unsigned char)text[i]);
			break;
		}
	/* mini-XML's time grows with the square of an element's attribute
	 * count: refuse absurd counts before parsing (a reload must not stall
	 * the daemon). An '=' between '<' and '>' counts as an attribute. */
	size_t eqs = 0, tag = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '<') {
			eqs = 0;
			tag = i;
		} else if (text[i] == '>') {
			eqs = 0;
		} else if (text[i] == '=' && ++eqs > MAX_ATTRS) {
			err(c, line_of(c, tag), "an element with more than %d attributes", MAX_ATTRS);
			break;
		}
	}

	bool ok = false;
	mxml_node_t *top = NULL;
	if (all_blank(text)) {
		err(c, 1, "registry is empty (expected <supervisor>)");
		goto out;
	}
	if (d->errors)
		goto out;
	c->fp = fmemopen(text, len, "r");
	if (!c->fp) {
		err(c, 0, "cannot read registry: %s", strerror(errno));
		goto out;
	}
	top = mxmlNewElement(MXML_NO_PARENT, "#top");
	cur = c;
	mxmlSetErrorCallback(mxml_err_cb);
	mxml_node_t *res = mxmlSAXLoadFile(top, c->fp, MXML_OPAQUE_CALLBACK, sax_cb, c);
	mxmlSetErrorCallback(NULL);
	cur = NULL;
	fclose(c->fp);
	c->fp = NULL;
	if (c->too_many) {
		err(c, c->too_many, "registry has more than %d elements and text nodes", MAX_NODES);
		goto out;
	}
	if (!res || d->errors) {
		if (!d->errors)
			err(c, line_of(c, len ? len - 1 : 0), "XML: cannot parse the registry");
		goto out;
	}
	/* mini-XML drops text that trails the last markup at the end of the
	 * file without a word; it is not well-formed XML. */
	for (size_t i = c->last_end; i < len; i++)
		if (!isspace((unsigned char)text[i])) {
			err(c, line_of(c, i), "XML: text outside the root element");
			goto out;
		}

	/* Exactly one element at the top, and it is <supervisor>. */
	mxml_node_t *root = NULL;
	for (mxml_node_t *n = mxmlGetFirstChild(top); n; n = mxmlGetNextSibling(n)) {
		if (is_element(n)) {
			if (root) {
				err(c, node_line(n), "XML: a second top-level element <%s> after <%s>", mxmlGetElement(n),
				    mxmlGetElement(root));
				goto out;
			}
			root = n;
		} else if (mxmlGetType(n) == MXML_OPAQUE && !all_blank(mxmlGetOpaque(n) ? mxmlGetOpaque(n) : "")) {
			err(c, node_line(n), "XML: text outside the root element");
			goto out;
		} else if (is_cdata(n)) {
			err(c, node_line(n), "XML: CDATA outside the root element");
			goto out;
		}
	}
	if (!root) {
		err(c, 1, "no root element (expected <supervisor>)");
		goto out;
	}
	if (strcmp(mxmlGetElement(root), "supervisor") != 0) {
		err(c, node_line(root), "root element is <%s>, expected <supervisor>", mxmlGetElement(root));
		goto out;
	}
	walk(c, root, r);
	ok = d->errors == 0;
out:
	if (top)
		mxmlDelete(top);
	free(c->nl);
	c->nl = NULL;
	free(text);
	c->text = NULL;
	return ok;
}

struct registry *registry_load(const char *path, struct diag *d)
{
	struct registry *r = xcalloc(1, sizeof *r);
	struct ctx c;
	if (!load_into(path, d, r, &c, false)) {
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

void diag_free(struct diag *d)
{
	buf_free(&d->text);
	d->errors = d->warnings = 0;
}

/* When the XML itself no longer parses, look for <temp> by hand. */
static char *scan_temp(const char *path)
{
	char *text;
	if (read_file(path, REG_MAX_FILE, &text, NULL) != 0)
		return NULL;
	char *res = NULL;
	char *p = strstr(text, "<temp>");
	char *q = p ? strstr(p, "</temp>") : NULL;
	if (p && q) {
		p += 6;
		while (p < q && isspace((unsigned char)*p))
			p++;
		while (q > p && isspace((unsigned char)q[-1]))
			q--;
		*q = 0;
		if (!strstr(p, "SV::") && *p) {
			char *ap = abs_path(path);
			char *dir = path_dirname(ap);
			res = path_join(dir, p);
			free(dir);
			free(ap);
		}
	}
	free(text);
	return res;
}

char *registry_rundir_lenient(const char *path)
{
	const char *env = getenv("IMAGESERVING_RUNDIR");
	if (env && *env)
		return abs_path(env);
	struct registry *r = xcalloc(1, sizeof *r);
	struct diag d = {0};
	struct ctx c;
	load_into(path, &d, r, &c, true);
	char *res = c.rundir ? xstrdup(c.rundir) : scan_temp(path);
	registry_free(r);
	diag_free(&d);
	return res;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool server_same_process(const struct server *a, const struct server *b)
{
	if (a->argc != b->argc || a->nenv != b->nenv)
		return false;
	for (size_t i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return false;
	for (size_t i = 0; i < a->nenv; i++)
		if (strcmp(a->env[i].name, b->env[i].name) != 0 || strcmp(a->env[i].value, b->env[i].value) != 0)
			return false;
	return str_eq(a->workdir, b->workdir) && str_eq(a->user, b->user) && str_eq(a->group, b->group) &&
	       str_eq(a->stdout_path, b->stdout_path) && str_eq(a->stderr_path, b->stderr_path);
}

const char *trace_level_name(enum trace_level l)
{
	static const char *n[] = {"error", "warning", "info", "debug"};
	return (unsigned)l < 4 ? n[l] : "?";
}

const char *restart_policy_name(enum restart_policy p)
{
	static const char *n[] = {"always", "on-failure", "never"};
	return (unsigned)p < 3 ? n[p] : "?";
}

/* The install root holds conf/SupervisorRegistry.xml: the binary's directory
 * (a checkout) or its parent (install_root/bin/). */
char *registry_locate(const char *opt_c)
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
