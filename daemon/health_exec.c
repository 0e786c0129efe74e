/* health_exec.c: the exec check: the probe command run as the server's user
 * in its directory, in a process group of its own, with a clean environment
 * (the supervisor's PATH and IMAGESERVING_SERVER=id), its output appended to
 * the server's log; exit 0 passes. At the timeout its whole group is killed;
 * it is reaped by the loop (health_reaped), and what it left in its group is
 * killed then. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "health.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/proto.h"
#include "lib/spawn.h"

int exec_probe_start(struct probe *p, char *why, size_t n)
{
	const struct server *s = p->v->cfg;
	char marker[REG_ID_MAX + 32], path[4096];
	const char *env_path = getenv("PATH");
	snprintf(marker, sizeof marker, "IMAGESERVING_SERVER=%s", s->id);
	snprintf(path, sizeof path, "PATH=%s", env_path ? env_path : "/usr/local/bin:/usr/bin:/bin");
	char *env[] = {path, marker, NULL};
	int reset[16], nreset = 0;
	for (int i = 0; i < n_changed_sigs && nreset < 16; i++)
		reset[nreset++] = changed_sigs[i] ? changed_sigs[i] : CMD_SIGNAL;
	struct spawn_spec sp = {
		.argv = (char *const *)s->health.argv,
		.envp = env,
		.dir = s->workdir ? s->workdir : p->v->reg->r->dir,
		.out_fd = -1,
		.err_fd = -1,
		.pdeathsig = SIGKILL,
		.nofile_soft = D.nofile_soft,
		.reset = reset,
		.nreset = nreset,
		.cgroup_fd = -1,
	};
	char err[80];
	if (creds_resolve(s->user, s->group, &sp.cr, err, sizeof err) != 0) {
		snprintf(why, n, "exec: %s", err);
		return -1;
	}
	int log = -1;
	if (strcmp(s->stdout_path, "-") != 0 && (log = open_logfile(s->stdout_path)) < 0)
		trace(TRACE_WARNING, s->id, "health probe: cannot open %s: %s; its output is lost", s->stdout_path,
		      strerror(errno));
	sp.out_fd = sp.err_fd = log;  /* -1: the supervisor's own */
	pid_t pid = spawn(&sp, err, sizeof err);
	if (log >= 0)
		close(log);
	if (pid < 0) {
		snprintf(why, n, "%s", err);
		/* no fork, no pipe: our want, not the server's failure */
		return strncmp(err, "fork:", 5) == 0 || strncmp(err, "pipe:", 5) == 0 ? -2 : -1;
	}
	p->pid = pid;
	return 0;
}

void exec_probe_kill(struct probe *p)
{
	if (p->pid > 1 && kill(-p->pid, SIGKILL) != 0)
		kill(p->pid, SIGKILL);
}

void exec_probe_reaped(struct probe *p, int st)
{
	pid_t pid = p->pid;
	struct proc_stat ps;
	p->pid = 0;
	/* What it left in its group goes with it; the group is still its own
	 * while a member holds it, and no process answers to the reaped pid. */
	if (proc_stat(pid, &ps) != 0)
		kill(-pid, SIGKILL);
	if (!p->running)
		return;  /* cancelled: its outcome no longer matters */
	char why[96];
	if (p->timed_out)
		snprintf(why, sizeof why, "exec timed out after %u s", probe_check(p)->timeout);
	else if (WIFEXITED(st))
		snprintf(why, sizeof why, "exec exit %d", WEXITSTATUS(st));
	else
		snprintf(why, sizeof why, "exec killed by signal %s", signal_name(WTERMSIG(st)));
	probe_done(p, !p->timed_out && WIFEXITED(st) && WEXITSTATUS(st) == 0, why);
}
