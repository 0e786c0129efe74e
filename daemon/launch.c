/* launch.c: the lifecycle's real side effects: a server's settings turned
 * into a plain spawn spec, signals to its process group and escapees, and
 * what happens when it is dropped or fatal. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/creds.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/proto.h"
#include "lib/spawn.h"
#include "lib/util.h"

extern char **environ;

/* Signals whose disposition the daemon changes: servers get them back at
 * their default (the command signal is added by the signal setup). */
const int changed_sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGXFSZ, SIGPIPE, 0};
const int n_changed_sigs = sizeof changed_sigs / sizeof changed_sigs[0];
static int reset_sigs[sizeof changed_sigs / sizeof changed_sigs[0]];

static char *env_pair(const char *k, const char *v)
{
	size_t a = strlen(k), b = strlen(v);
	char *e = xmalloc(a + b + 2);
	memcpy(e, k, a);
	e[a] = '=';
	memcpy(e + a + 1, v, b + 1);
	return e;
}

static bool env_named(const char *entry, const char *name)
{
	size_t n = strlen(name);
	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* The server's environment: ours; USER, LOGNAME and HOME of the user it runs
 * as (if it names one); its own additions, which win; and
 * IMAGESERVING_SERVER=id and IMAGESERVING_SUPERVISOR=run directory, by which
 * this supervisor (or the next one, after a hard kill) recognises its
 * descendants later. */
static char **make_env(const struct server *s, const struct creds *cr)
{
	const char *ident[3][2] = {{"USER", cr->name}, {"LOGNAME", cr->name}, {"HOME", cr->home}};
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = xcalloc(n + s->nenv + 8, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool replaced = env_named(environ[i], "IMAGESERVING_SERVER") ||
				env_named(environ[i], "IMAGESERVING_SUPERVISOR");
		for (size_t j = 0; j < s->nenv && !replaced; j++)
			replaced = env_named(environ[i], s->env[j].name);
		for (size_t j = 0; j < 3 && !replaced; j++)
			replaced = cr->set_uid && env_named(environ[i], ident[j][0]);
		if (!replaced)
			env[k++] = xstrdup(environ[i]);
	}
	for (size_t j = 0; j < 3 && cr->set_uid; j++) {
		bool own = false;
		for (size_t i = 0; i < s->nenv && !own; i++)
			own = strcmp(s->env[i].name, ident[j][0]) == 0;
		if (!own)
			env[k++] = env_pair(ident[j][0], ident[j][1]);
	}
	for (size_t j = 0; j < s->nenv; j++)
		env[k++] = env_pair(s->env[j].name, s->env[j].value);
	env[k++] = env_pair("IMAGESERVING_SERVER", s->id);
	env[k++] = env_pair("IMAGESERVING_SUPERVISOR", D.rundir ? D.rundir : "");
	/* readiness notify: NOTIFY_SOCKET, WATCHDOG_USEC (notify.c), last */
	k += notify_env(s, env + k);
	env[k] = NULL;
	return env;
}

static void free_env(char **env)
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}

static int real_launch(struct svc *v, int64_t now)
{
	(void)now;
	const struct server *s = v->cfg;
	char *why = v->last_error;
	size_t wn = sizeof v->last_error;
	struct spawn_spec sp = {
		.argv = (char *const *)s->argv,
		.dir = s->workdir ? s->workdir : v->reg->r->dir,
		.pdeathsig = s->stop_signal,
		.nofile_soft = D.nofile_soft,
		.reset = reset_sigs,
		.nreset = n_changed_sigs,
	};
	for (int i = 0; i < n_changed_sigs; i++)
		reset_sigs[i] = changed_sigs[i] ? changed_sigs[i] : CMD_SIGNAL;
	v->extras.n = 0;
	if (creds_resolve(s->user, s->group, &sp.cr, why, wn) != 0 || notify_prepare(v, why, wn) != 0)
		return -1;
	int ofd = outlog_prepare(v, &v->out, s->stdout_path, why, wn), efd = ofd;
	if (ofd != -2 && strcmp(s->stderr_path, s->stdout_path) != 0)
		efd = outlog_prepare(v, &v->err, s->stderr_path, why, wn);
	else if (v->err.pipe >= 0 || v->err.path)
		outlog_close(&v->err);
	pid_t pid = -1;
	if (ofd != -2 && efd != -2) {
		char **env = make_env(s, &sp.cr);
		sp.envp = env;
		sp.out_fd = ofd;
		sp.err_fd = efd;
		sp.cgroup_fd = cgroup_procs_fd(v->id);
		pid = spawn(&sp, why, wn);
		if (sp.cgroup_fd >= 0)
			close(sp.cgroup_fd);
		free_env(env);
	}
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0 && efd != ofd)
		close(efd);
	v->start_boot = boot_ns();
	if (pid < 0)
		return -1;
	v->pid = pid;
	v->inst_signal = s->stop_signal;
	pidtab_insert(v);
	struct proc_stat ps;
	v->proc_start = proc_stat(pid, &ps) == 0 ? ps.starttime : 0;
	trace(TRACE_INFO, v->id, "started, pid %d", (int)pid);
	return 0;
}

static int real_signal(struct svc *v, int sig)
{
	int r = 0;
	if (v->pid <= 1)
		return -ESRCH;  /* never kill(-1) or kill(0): no pid, no signal */
	if (sig != SIGCONT)
		escapees_collect(v);  /* find them while the group still holds them */
	if (kill(-v->pid, sig) != 0 && kill(v->pid, sig) != 0) {
		/* EPERM: it became another user (a set-user-ID program) */
		r = -errno;
		if (sig != SIGCONT)
			trace(TRACE_WARNING, v->id, "kill %d: %s", (int)v->pid, strerror(errno));
	}
	if (sig == SIGKILL)
		kill(v->pid, SIGKILL);  /* a leader that left its group */
	escapees_signal(&v->extras, sig);
	return r;
}

static void real_drop(struct svc *v)
{
	if (v->out.pipe >= 0)
		outlog_drain(&v->out);
	if (v->err.pipe >= 0)
		outlog_drain(&v->err);
	svcs_remove(v);
	svc_free(v);
}

static void real_fatal(struct svc *v)
{
	(void)v;
	D.exit_code = 1;
	snprintf(D.stop_why, sizeof D.stop_why, "an essential server is fatal");
	D.work |= W_STOP;
}

const struct svc_ops real_ops = {
	.launch = real_launch,
	.signal = real_signal,
	.exited = escapees_note_exit,
	.drop = real_drop,
	.fatal = real_fatal,
};
