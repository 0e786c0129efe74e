/* fields.c: the settings table, one row per element a <server> or a <profile>
 * may hold. A row drives the element's parsing, its default, how profiles and
 * the server compose it, whether changing it means another process on reload
 * (server_same_process), and its line in `imageserving check`'s plan: adding
 * a setting is adding a row here and a field to struct server. */
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

enum ftype { T_TEXT, T_EXE, T_ARGS, T_ENV, T_PATH, T_NAME, T_UINT, T_SIGNAL, T_ENUM, T_BOOL, T_HEALTH };

struct field {
	const char *name;          /* the element */
	enum ftype type;
	size_t off, size;          /* the value in struct server (scalar types) */
	unsigned min, max;         /* T_UINT */
	unsigned def;              /* default of T_UINT, T_SIGNAL, T_ENUM, T_BOOL */
	const char *sdef;          /* default of T_TEXT */
	const char *const *names;  /* T_ENUM: its values in enum order, NULL-terminated */
	bool process;              /* part of the process: a change restarts it on reload */
	bool dash;                 /* T_PATH: "-" is the supervisor's own output */
	bool pass;                 /* T_ENV: names passed through, not values */
	const char *label;         /* in the plan: NULL = the element, "" = not a line of its own */
	const char *unit;          /* T_UINT, in the plan */
	const char *zero;          /* T_UINT: what 0 means, in the plan */
	const char *unset;         /* what no value means, in the plan */
};

static const char *const restart_names[] = {"always", "on-failure", "never", NULL};
static const char *const readiness_names[] = {"auto", "exec", "health", "notify", NULL};
_Static_assert(sizeof(enum restart_policy) == sizeof(int) && sizeof(enum readiness) == sizeof(int),
	       "T_ENUM values are stored as int");

#define AT(m) .off = offsetof(struct server, m), .size = sizeof(((struct server *)0)->m)
static const struct field fields[] = {
	{.name = "description", .type = T_TEXT, AT(description), .sdef = "", .label = ""},  /* in the heading */
	{.name = "executable", .type = T_EXE, .process = true, .label = ""},                 /* in argv */
	{.name = "arguments", .type = T_ARGS, .process = true, .label = "argv"},
	{.name = "environment", .type = T_ENV, .process = true, .unset = "(none added)"},
	{.name = "passEnvironment", .type = T_ENV, .pass = true, .process = true, .unset = "(none)"},
	{.name = "workingDirectory", .type = T_PATH, AT(workdir), .process = true, .unset = "(the registry's directory)"},
	{.name = "user", .type = T_NAME, AT(user), .process = true, .unset = "(unchanged)"},
	{.name = "group", .type = T_NAME, AT(group), .process = true, .unset = "(the user's, or unchanged)"},
	{.name = "stdout", .type = T_PATH, AT(stdout_path), .process = true, .dash = true},
	{.name = "stderr", .type = T_PATH, AT(stderr_path), .process = true, .dash = true},
	{.name = "startPriority", .type = T_UINT, AT(priority), .max = MAX_PRIORITY, .def = 1},
	{.name = "startDelay", .type = T_UINT, AT(start_delay), .max = REG_MAX_SECONDS, .unit = " s"},
	{.name = "stopSignal", .type = T_SIGNAL, AT(stop_signal), .def = SIGTERM},
	{.name = "stopTimeout", .type = T_UINT, AT(stop_timeout), .max = REG_MAX_SECONDS, .def = 10, .unit = " s"},
	{.name = "restartPolicy", .type = T_ENUM, AT(restart), .names = restart_names, .def = RESTART_ALWAYS},
	{.name = "minUptime", .type = T_UINT, AT(min_uptime), .max = REG_MAX_SECONDS, .def = 10, .unit = " s"},
	{.name = "restartDelayMax", .type = T_UINT, AT(restart_delay_max), .max = REG_MAX_SECONDS, .def = 60,
	 .unit = " s"},
	{.name = "maxRestarts", .type = T_UINT, AT(max_restarts), .max = MAX_COUNT, .zero = " (never give up)"},
	{.name = "essential", .type = T_BOOL, AT(essential)},
	{.name = "timestamps", .type = T_BOOL, AT(timestamps)},
	{.name = "healthCheck", .type = T_HEALTH, AT(health)},
	{.name = "readiness", .type = T_ENUM, AT(readiness), .names = readiness_names, .def = READY_AUTO},
	{.name = "startTimeout", .type = T_UINT, AT(start_timeout), .max = REG_MAX_SECONDS, .unit = " s",
	 .zero = " (no limit)"},
	{.name = "watchdog", .type = T_UINT, AT(watchdog), .max = REG_MAX_SECONDS, .unit = " s", .zero = " (off)"},
};
#define NFIELDS (sizeof fields / sizeof fields[0])
_Static_assert(NFIELDS <= 64, "struct settings has a 64-bit mask of the rows given");

static void *at(const void *s, const struct field *f)
{
	return (char *)s + f->off;
}

/* A T_ENV row's list, as parsed and in a server: <environment> or <passEnvironment>. */
static struct envlist *envl(struct settings *st, const struct field *f)
{
	return f->pass ? &st->pass : &st->env;
}
static const struct env_var *senv(const struct server *s, const struct field *f, size_t *n)
{
	*n = f->pass ? s->npass : s->nenv;
	return f->pass ? s->pass_env : s->env;
}

/* ---- each type: parse, merge, same, show ---- */

/* An environment keeps the first position of a name and its last value. */
static void env_set(struct rctx *c, struct envlist *l, const char *k, const char *v)
{
	struct slot *s = index_find(&l->x, k, strlen(k));
	if (s) {
		l->v[s->item].value = v;
		return;
	}
	l->v = grow(c->a, l->v, l->n, &l->cap, sizeof *l->v);
	l->v[l->n] = (struct env_var){k, v};
	index_add(c->a, &l->x, k, l->n);
	l->n++;
}

static bool p_scalar(struct rctx *c, const struct xnode *n, const struct field *f, struct settings *st)
{
	if (f->type == T_UINT)
		return get_uint(c, n, f->min, f->max, at(&st->s, f));
	if (f->type == T_HEALTH)
		return health_parse(c, n, at(&st->s, f));
	char *t = text_of(c, n);
	if (!t)
		return false;
	void *v = at(&st->s, f);
	switch (f->type) {
	case T_PATH:
		if (!*t) {
			reg_err(c, n->line, "<%s> is empty%s", f->name, f->dash ? " (use - for the supervisor's own output)" : "");
			return false;
		}
		*(const char **)v = f->dash && strcmp(t, "-") == 0 ? "-" : reg_path(c, t);
		return true;
	case T_NAME:
		if (!*t || strchr(t, ':') || strchr(t, '/')) {
			reg_err(c, n->line, "<%s> '%s' is not a valid name or number", f->name, t);
			return false;
		}
		break;
	case T_SIGNAL: {
		int sig = signal_from_name(t);
		if (!sig || sig == SIGSTOP) {
			reg_err(c, n->line, "<%s>: '%s' is not a usable signal name or number", f->name, t);
			return false;
		}
		*(int *)v = sig;
		return true;
	}
	case T_ENUM: {
		struct buf want = {0};
		for (int i = 0; f->names[i]; i++) {
			if (strcmp(t, f->names[i]) == 0) {
				buf_free(&want);
				*(int *)v = i;
				return true;
			}
			buf_printf(&want, "%s%s", i == 0 ? "" : f->names[i + 1] ? ", " : " or ", f->names[i]);
		}
		reg_err(c, n->line, "<%s>: '%s' is not %s", f->name, t, buf_str(&want));
		buf_free(&want);
		return false;
	}
	case T_BOOL: {
		static const char *yes[] = {"true", "yes", "1", "on"}, *no[] = {"false", "no", "0", "off"};
		for (size_t i = 0; i < 4; i++)
			if (strcasecmp(t, yes[i]) == 0 || strcasecmp(t, no[i]) == 0) {
				*(bool *)v = strcasecmp(t, yes[i]) == 0;
				return true;
			}
		reg_err(c, n->line, "<%s>: '%s' is not true or false", f->name, t);
		return false;
	}
	default:
		break;
	}
	*(const char **)v = t;  /* T_TEXT, T_NAME */
	return true;
}

static bool p_exe(struct rctx *c, const struct xnode *n, const struct field *f, struct settings *st)
{
	char *t = text_of(c, n);
	if (t && !*t)
		reg_err(c, n->line, "<%s> is empty", f->name);
	if (!t || !*t)
		return false;
	st->exe = strchr(t, '/') ? reg_path(c, t) : t;  /* a bare name is looked up in PATH */
	return true;
}

static bool p_args(struct rctx *c, const struct xnode *n, const struct field *f, struct settings *st)
{
	return args_parse(c, n, &st->args);
}

static bool p_env(struct rctx *c, const struct xnode *n, const struct field *f, struct settings *st)
{
	bool ok = true;
	FOR_EACH_CHILD(v, n) {
		if (strcmp(v->name, "variable") != 0) {
			reg_warn(c, v->line, "unknown element <%s> in <%s> (ignored)", v->name, n->name);
			continue;
		}
		char *k = attr_of(c, v, "name");
		bool named = k && *k && !strchr(k, '=');
		char *val = named && !f->pass ? text_of(c, v) : NULL;
		if (!k && !x_attr(v, "name"))
			reg_err(c, v->line, "<variable> in <%s> needs a name attribute", n->name);
		else if (k && !named)
			reg_err(c, v->line, "environment variable name '%s' is empty or holds '='", k);
		if (val || (named && f->pass))
			env_set(c, envl(st, f), k, val);
		ok &= val || (named && f->pass);
	}
	return ok;
}

static void m_scalar(struct rctx *c, const struct field *f, struct settings *dst, const struct settings *src, bool own)
{
	memcpy(at(&dst->s, f), at(&src->s, f), f->size);
}

static void m_exe(struct rctx *c, const struct field *f, struct settings *dst, const struct settings *src, bool own)
{
	dst->exe = src->exe;
}

/* The server's own arguments come first, then each profile's in ref order
 * (SPEC §4: JVM options on the server before a profile's main class);
 * past REG_MAX_ARGS the rest is dropped, the caller reports it. */
static void m_args(struct rctx *c, const struct field *f, struct settings *dst, const struct settings *src, bool own)
{
	struct strlist l = {0}, *to = own ? &l : &dst->args;
	for (size_t i = 0; i < src->args.n && to->n <= REG_MAX_ARGS; i++)
		strlist_push(c->a, to, src->args.v[i]);
	for (size_t i = 0; own && i < dst->args.n && to->n <= REG_MAX_ARGS; i++)
		strlist_push(c->a, to, dst->args.v[i]);
	if (own)
		dst->args = l;
}

static void m_env(struct rctx *c, const struct field *f, struct settings *dst, const struct settings *src, bool own)
{
	const struct envlist *l = envl((struct settings *)src, f);
	for (size_t i = 0; i < l->n; i++)
		env_set(c, envl(dst, f), l->v[i].name, l->v[i].value);
}

static bool str_eq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

static bool s_str(const struct field *f, const struct server *a, const struct server *b)
{
	return str_eq(*(const char **)at(a, f), *(const char **)at(b, f));
}

static bool s_exe(const struct field *f, const struct server *a, const struct server *b)
{
	return strcmp(a->argv[0], b->argv[0]) == 0;
}

static bool s_args(const struct field *f, const struct server *a, const struct server *b)
{
	if (a->argc != b->argc)
		return false;
	for (size_t i = 1; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return false;
	return true;
}

static bool s_env(const struct field *f, const struct server *a, const struct server *b)
{
	size_t n, m;
	const struct env_var *x = senv(a, f, &n), *y = senv(b, f, &m);
	if (n != m)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(x[i].name, y[i].name) != 0 || !str_eq(x[i].value, y[i].value))
			return false;
	return true;
}

static void show_scalar(const struct field *f, const struct server *s, struct buf *b)
{
	const void *v = at(s, f);
	const char *str;
	switch (f->type) {
	case T_UINT:
		buf_printf(b, "%u%s%s", *(const unsigned *)v, f->unit ? f->unit : "",
			   *(const unsigned *)v == 0 && f->zero ? f->zero : "");
		break;
	case T_SIGNAL:
		buf_puts(b, signal_name(*(const int *)v));
		break;
	case T_ENUM:
		buf_puts(b, f->names[*(const int *)v]);
		break;
	case T_BOOL:
		buf_puts(b, *(const bool *)v ? "yes" : "no");
		break;
	case T_HEALTH:
		health_show(v, b);
		break;
	default:
		str = *(const char *const *)v;
		buf_puts(b, !str ? f->unset : f->dash && strcmp(str, "-") == 0 ? "- (the supervisor's own)" : str);
		break;
	}
}

static void show_args(const struct field *f, const struct server *s, struct buf *b)
{
	for (size_t k = 0; k < s->argc; k++) {
		if (k)
			buf_puts(b, " ");
		put_word(b, s->argv[k]);
	}
}

static void show_env(const struct field *f, const struct server *s, struct buf *b)
{
	size_t n;
	const struct env_var *e = senv(s, f, &n);
	if (!n)
		buf_puts(b, f->unset);
	for (size_t k = 0; k < n; k++) {
		buf_printf(b, "%s%s%s", k ? " " : "", e[k].name, e[k].value ? "=" : "");
		if (e[k].value)
			put_word(b, e[k].value);
	}
}

static const struct {
	bool (*parse)(struct rctx *c, const struct xnode *n, const struct field *f, struct settings *st);
	void (*merge)(struct rctx *c, const struct field *f, struct settings *dst, const struct settings *src, bool own);
	bool (*same)(const struct field *f, const struct server *a, const struct server *b);  /* NULL: never compared */
	void (*show)(const struct field *f, const struct server *s, struct buf *b);
} ops[] = {
	[T_TEXT] = {p_scalar, m_scalar, s_str, show_scalar},
	[T_EXE] = {p_exe, m_exe, s_exe, show_args},
	[T_ARGS] = {p_args, m_args, s_args, show_args},
	[T_ENV] = {p_env, m_env, s_env, show_env},
	[T_PATH] = {p_scalar, m_scalar, s_str, show_scalar},
	[T_NAME] = {p_scalar, m_scalar, s_str, show_scalar},
	[T_UINT] = {p_scalar, m_scalar, NULL, show_scalar},
	[T_SIGNAL] = {p_scalar, m_scalar, NULL, show_scalar},
	[T_ENUM] = {p_scalar, m_scalar, NULL, show_scalar},
	[T_BOOL] = {p_scalar, m_scalar, NULL, show_scalar},
	[T_HEALTH] = {p_scalar, m_scalar, NULL, show_scalar},
};

/* ---- the table at work ---- */

static const struct field *field_named(const char *name)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

/* The children of a <server> or <profile>; an element no row knows is a
 * warning (forward compatibility), <profile ref> is the server's own. */
bool settings_parse(struct rctx *c, const struct xnode *el, struct settings *st, bool is_server)
{
	bool ok = true;
	FOR_EACH_CHILD(n, el) {
		const struct field *f = field_named(n->name);
		if (strcmp(n->name, "profile") == 0 && !is_server) {
			reg_warn(c, n->line, "<profile ref> inside a profile is not supported (ignored)");
		} else if (strcmp(n->name, "profile") == 0) {
			char *ref = attr_of(c, n, "ref");
			if (!ref && !x_attr(n, "ref"))
				reg_err(c, n->line, "<profile> in a server needs a ref attribute");
			if (ref) {
				st->refs = grow(c->a, st->refs, st->nrefs, &st->refs_cap, sizeof *st->refs);
				st->refs[st->nrefs++] = (struct ref){ref, n->line};
			}
			ok &= ref != NULL;
		} else if (!f) {
			reg_warn(c, n->line, "unknown element <%s> in <%s> (ignored)", n->name, el->name);
		} else if (ops[f->type].parse(c, n, f, st)) {
			st->set |= UINT64_C(1) << (f - fields);
		} else {
			ok = false;
		}
	}
	return ok;
}

void settings_defaults(struct server *s)
{
	for (const struct field *f = fields; f < fields + NFIELDS; f++) {
		void *v = at(s, f);
		if (f->type == T_TEXT)
			*(const char **)v = f->sdef;
		else if (f->type == T_UINT)
			*(unsigned *)v = f->def;
		else if (f->type == T_SIGNAL || f->type == T_ENUM)
			*(int *)v = (int)f->def;
		else if (f->type == T_BOOL)
			*(bool *)v = f->def != 0;
	}
}

/* Copy what src gives over dst: profiles in ref order, then the server's
 * own (own), so that a later ref wins and the server wins over them all. */
void settings_merge(struct rctx *c, struct settings *dst, const struct settings *src, bool own)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (src->set & (UINT64_C(1) << i))
			ops[fields[i].type].merge(c, &fields[i], dst, src, own);
	dst->set |= src->set;
}

bool server_same_process(const struct server *a, const struct server *b)
{
	for (const struct field *f = fields; f < fields + NFIELDS; f++)
		if (f->process && !ops[f->type].same(f, a, b))
			return false;
	return true;
}

bool server_setting(size_t i, const struct server *s, const char **label, struct buf *text)
{
	if (i >= NFIELDS)
		return false;
	const struct field *f = &fields[i];
	*label = f->label ? (*f->label ? f->label : NULL) : f->name;
	if (*label)
		ops[f->type].show(f, s, text);
	return true;
}

const char *server_setting_element(size_t i)
{
	return i < NFIELDS ? fields[i].name : NULL;
}

bool server_setting_process(size_t i)
{
	return i < NFIELDS && fields[i].process;
}

const char *restart_policy_name(enum restart_policy p)
{
	return (unsigned)p < 3 ? restart_names[p] : "?";
}

const char *readiness_name(enum readiness r)
{
	return (unsigned)r < 4 ? readiness_names[r] : "?";
}
