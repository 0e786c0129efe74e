/* internal.h: what the files of lib/registry/ share: the loading context, the
 * element tree that stands in for mini-XML's, and each file's entry points.
 * Nothing outside lib/registry/ includes it; the public API is lib/registry.h. */
#ifndef IS_REGISTRY_INTERNAL_H
#define IS_REGISTRY_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include "registry.h"

#define MAX_ATTRS     256      /* per element: mini-XML is quadratic in them */
#define MAX_DEPTH     24       /* deeper elements are parsed but not kept */
#define MAX_PRIORITY  1000000u
#define MAX_COUNT     1000000u

/* ---- the element tree (built by xml.c, or by scan.c for a broken file) ---- */

/* The registry's XML as plain structs: built once, then mini-XML's tree is
 * freed; nothing but xml.c sees mxml_node_t. Only elements are nodes; text
 * and CDATA are folded into their parent's text. */
struct xattr {
	const char *name, *value;
	struct xattr *next;
};
struct xnode {
	const char *name;
	int line;               /* of its '<' */
	struct xattr *attrs;    /* in file order */
	const char *text;       /* its text and CDATA, concatenated, untrimmed */
	struct xnode *child;    /* first child element */
	struct xnode *next;     /* next sibling element */
};
#define FOR_EACH_CHILD(var, parent) \
	for (const struct xnode *var = (parent)->child; var; var = var->next)

/* ---- index.c: growable arrays and a string-keyed hash index ---- */

/* Duplicate checks and lookups stay linear in the registry's size. */
struct slot {
	const char *key;
	size_t len, item;
};
struct index {
	struct slot *slot;
	size_t cap, used;
};
struct slot *index_find(const struct index *x, const char *k, size_t n);
void index_add(struct arena *a, struct index *x, const char *k, size_t item);
void *grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size);

struct strlist {
	const char **v;
	size_t n, cap;
};
void strlist_push(struct arena *a, struct strlist *l, const char *s);

/* ---- the loading context ---- */

struct var {
	const char *name, *value;
	int line;
};
struct profile;

struct rctx {
	bool config_only;       /* stop after <config> (finding the run directory) */
	const char *file;       /* as the user named it, for messages */
	struct diag *d;
	struct arena *a;        /* where results live (the registry's arena) */
	struct arena tree;      /* the element tree, freed after the load */
	const char *text;       /* the whole file */
	size_t len;
	size_t *nl;             /* offsets of '\n', for line numbers */
	size_t nnl;
	const char *regdir;     /* relative paths resolve against it */
	const char *logdir;     /* directory of the supervisor log, or NULL for "-" */
	size_t expanded;        /* bytes made by SV:: substitution so far */
	struct var *vars;
	size_t nvars, vars_cap;
	struct index varx;
	struct profile *profiles;
	size_t nprofiles, profiles_cap;
	struct index profx;
};

/* ---- diag.c ---- */
void lines_index(struct rctx *c);
int line_of(const struct rctx *c, size_t off);
void reg_err(struct rctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void reg_warn(struct rctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- xml.c, scan.c ---- */
/* The root element of a well-formed file, or NULL with the error reported. */
struct xnode *xml_load(struct rctx *c);
/* Where the first start tag with more than max attributes opens, or -1. */
long xml_attrs_over(const char *s, size_t len, unsigned max);
/* Best effort tree of a file that is not well-formed XML (lenient mode). */
struct xnode *xml_scan_tree(struct rctx *c);

/* ---- vars.c: SV:: substitution ---- */
void vars_parse(struct rctx *c, const struct xnode *el);
char *subst(struct rctx *c, const char *s, int line);

/* ---- values.c: element values, always substituted ---- */
char *raw_text(struct rctx *c, const struct xnode *el);   /* trimmed; NULL on error */
char *text_of(struct rctx *c, const struct xnode *el);    /* trimmed, substituted */
char *attr_of(struct rctx *c, const struct xnode *el, const char *name);
const char *x_attr(const struct xnode *el, const char *name);  /* raw, or NULL */
bool get_uint(struct rctx *c, const struct xnode *el, uint64_t min, uint64_t max, unsigned *out);
bool uint_attr(struct rctx *c, const struct xnode *el, const char *attr, uint64_t min, uint64_t max, unsigned *out);
const char *reg_path(struct rctx *c, const char *p);
bool args_parse(struct rctx *c, const struct xnode *el, struct strlist *l);
void put_word(struct buf *b, const char *w);

/* ---- fields.c: the settings table ---- */
struct envlist {
	struct env_var *v;
	size_t n, cap;
	struct index x;
};
struct ref {
	const char *id;
	int line;
};
/* What one <server> or <profile> says, before composition. */
struct settings {
	uint64_t set;           /* bit i: row i of the table was given */
	struct server s;        /* the values of the scalar rows */
	const char *exe;
	struct strlist args;
	struct envlist env, pass;
	struct ref *refs;       /* server only: <profile ref>, in order */
	size_t nrefs, refs_cap;
};
bool settings_parse(struct rctx *c, const struct xnode *el, struct settings *st, bool is_server);
void settings_defaults(struct server *s);
void settings_merge(struct rctx *c, struct settings *dst, const struct settings *src, bool own);

/* ---- health.c ---- */
bool health_parse(struct rctx *c, const struct xnode *el, struct health *h);

/* ---- build.c: profiles and servers ---- */
void profiles_parse(struct rctx *c, const struct xnode *el);
void servers_parse(struct rctx *c, const struct xnode *el, struct registry *r);

/* ---- config.c: <config> and the run directory ---- */
void config_parse(struct rctx *c, const struct xnode *el, struct registry *r);
bool rundir_overridden(void);
const char *rundir_resolve(struct rctx *c, const struct xnode *temp);

#endif
