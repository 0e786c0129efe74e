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
#include "lib/serverenv.h"
#include "lib/spawn.h"
#include "lib/util.h"

/* Signals whose disposition the daemon changes: servers get them back at
 * their default (the command signal is added by the signal setup). */
const int changed_sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGXFSZ, SIGPIPE, 0};
const int n_changed_sigs = sizeof changed_sigs / sizeof changed_sigs[0];
static int reset_sigs[sizeof changed_sigs / sizeof changed_sigs[0]];

/* The server's environment (lib/serverenv.h): the minimal base, the
 * registry's, our markers; then what only a running supervisor can give,
 * per server and per instance: this list is the one place to add it. */
static char **make_env(const struct server *s, const struct creds *cr)
{
	const char *per_instance[5];
	per_instance[notify_env(s, per_instance)] = NULL;  /* readiness notify: NOTIFY_SOCKET, WATCHDOG_USEC */
	return server_env(s, cr, D.rundir ? D.rundir : "", per_instance);
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
	bool in_cgroup = false;
	if (ofd != -2 && efd != -2) {
		char **env = make_env(s, &sp.cr);
		sp.envp = env;
		sp.out_fd = ofd;
		sp.err_fd = efd;
		sp.cgroup_dir = cgroup_dir_fd(v->id);
		pid = spawn(&sp, why, wn);
		in_cgroup = sp.cgroup_dir >= 0 && !spawn_cgroup_errno();
		if (sp.cgroup_dir >= 0)
			close(sp.cgroup_dir);
		serverenv_free(env);
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
	v->in_cgroup = in_cgroup;
	pidtab_insert(v);
	struct proc_stat ps;
	v->proc_start = spawn_starttime();
	if (!v->proc_start)
		v->proc_start = proc_stat(pid, &ps) == 0 ? ps.starttime : 0;
	static const char *const reasons[] = {"first start", "restart after it exited", "start requested",
					      "restart requested"};
	trace(TRACE_INFO, v->id, "started, pid %d (%s)", (int)pid, reasons[v->why]);
	outlog_mark(v, reasons[v->why]);
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
