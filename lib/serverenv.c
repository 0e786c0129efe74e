/* serverenv.c: a server's environment, the same whatever shell, cron job,
 * init system or container started the supervisor: a short documented base,
 * what the registry passes through or sets, and the supervisor's markers. */
#include "serverenv.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

struct envb {
	char **v;
	size_t n, cap, uniq;
	bool registry;  /* adding <environment>: its names are unique */
};

static size_t name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* Set name (its first k bytes) to value: in place if among the first
 * e->uniq entries, else at the end (entries past e->uniq have names known
 * to differ from it: the registry's, unique already). */
static void put(struct envb *e, const char *name, size_t k, const char *value)
{
	size_t vl = strlen(value);
	char *entry = xmalloc(k + vl + 2);
	memcpy(entry, name, k);
	entry[k] = '=';
	memcpy(entry + k + 1, value, vl + 1);
	for (size_t i = 0; i < e->uniq; i++)
		if (name_len(e->v[i]) == k && memcmp(e->v[i], name, k) == 0) {
			free(e->v[i]);
			e->v[i] = entry;
			return;
		}
	if (e->n + 1 >= e->cap) {
		e->cap = e->cap ? 2 * e->cap : 16;
		e->v = xrealloc(e->v, e->cap * sizeof *e->v);
	}
	e->v[e->n++] = entry;
	e->v[e->n] = NULL;
	if (!e->registry)
		e->uniq = e->n;
}

static void put_ours(struct envb *e, const char *name)
{
	const char *v = getenv(name);
	if (v)
		put(e, name, strlen(name), v);
}

/* Who we are, when the server keeps our user: from the passwd database, so
 * that it does not depend on the shell (no passwd entry: the uid and /). */
static void own_identity(struct creds *c)
{
	static struct creds me;
	static uid_t cached = (uid_t)-1;
	uid_t uid = geteuid();
	if (cached != uid) {
		struct passwd *pw = getpwuid(uid);
		if (pw)
			snprintf(me.name, sizeof me.name, "%s", pw->pw_name);
		else
			snprintf(me.name, sizeof me.name, "%u", (unsigned)uid);
		snprintf(me.home, sizeof me.home, "%s", pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
		cached = uid;
	}
	*c = me;
}

char **server_env(const struct server *s, const struct creds *cr, const char *rundir, const char *const *extra)
{
	struct envb e = {0};
	const char *path = getenv("PATH");
	put(&e, "PATH", 4, path && *path ? path : SERVER_PATH_DEFAULT);
	put_ours(&e, "LANG");
	for (char **p = environ; p && *p; p++)
		if (strncmp(*p, "LC_", 3) == 0 && strchr(*p, '='))
			put(&e, *p, name_len(*p), strchr(*p, '=') + 1);
	put_ours(&e, "TZ");
	struct creds me;
	if (!cr->set_uid)
		own_identity(&me);
	const struct creds *who = cr->set_uid ? cr : &me;
	put(&e, "HOME", 4, who->home);
	put(&e, "USER", 4, who->name);
	put(&e, "LOGNAME", 7, who->name);
	for (size_t i = 0; i < s->npass; i++)
		put_ours(&e, s->pass_env[i].name);
	e.registry = true;
	for (size_t i = 0; i < s->nenv; i++)
		put(&e, s->env[i].name, strlen(s->env[i].name), s->env[i].value);
	e.registry = false;
	e.uniq = e.n;
	put(&e, "IMAGESERVING_SERVER", 19, s->id);
	put(&e, "IMAGESERVING_SUPERVISOR", 23, rundir);
	for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2)
		put(&e, extra[i], strlen(extra[i]), extra[i + 1]);
	return e.v;
}

void serverenv_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}
