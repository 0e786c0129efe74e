/* health_exec.c: the exec check: the probe command run as the server's user
 * in its directory, in a process group of its own, with a clean environment
 * (the supervisor's PATH and IMAGESERVING_SERVER=id), its output appended to
 * the server's log; exit 0 passes. At the timeout its whole group is killed
 * and the check has failed then, not once the probe is reaped: a probe stuck
 * in the kernel must not hold up the next ones. The loop's reap step hands
 * every probe's exit here (health_reaped); what it left in its group is
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
#include "lib/vec.h"

/* A shortage of the supervisor's own (fds, processes, memory). */
static bool our_want(int e)
{
	return e == EMFILE || e == ENFILE || e == EAGAIN || e == ENOMEM;
}

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
		.cgroup_dir = -1,
	};
	char err[80];
	if (creds_resolve(s->user, s->group, &sp.cr, err, sizeof err) != 0) {
		snprintf(why, n, "exec: %s", err);
		return -1;
	}
	int log = -1;
	if (strcmp(s->stdout_path, "-") != 0 && (log = open_logfile(s->stdout_path)) < 0) {
		if (our_want(errno)) {
			snprintf(why, n, "cannot open %s: %s", s->stdout_path, strerror(errno));
			return -2;
		}
		trace(TRACE_WARNING, s->id, "health probe: cannot open %s: %s; its output is lost", s->stdout_path,
		      strerror(errno));
	}
	sp.out_fd = sp.err_fd = log;  /* -1: the supervisor's own */
	pid_t pid = spawn(&sp, err, sizeof err);
	if (log >= 0)
		close(log);
	if (pid < 0) {
		int e = errno;
		snprintf(why, n, "%s", err);
		/* no process, no fd, no memory: our want, not the server's failure */
		return our_want(e) || strncmp(err, "fork:", 5) == 0 ? -2 : -1;
	}
	p->pid = pid;
	return 0;
}

/* Killed probes not reaped yet. */
static pid_t *killed;
static size_t nkilled, capkilled;

void exec_probe_kill(struct probe *p)
{
	if (kill(-p->pid, SIGKILL) != 0)
		kill(p->pid, SIGKILL);
	killed = vec_room(killed, nkilled + 1, &capkilled, sizeof *killed);
	killed[nkilled++] = p->pid;
	p->pid = 0;
}

/* What a reaped probe left in its group goes with it: the group is still
 * its own while a member holds it, and no process answers to the pid. */
static void sweep_group(pid_t pid)
{
	struct proc_stat ps;
	if (proc_stat(pid, &ps) != 0)
		kill(-pid, SIGKILL);
}

bool exec_killed_owns(pid_t pid)
{
	for (size_t i = 0; i < nkilled; i++)
		if (killed[i] == pid)
			return true;
	return false;
}

bool exec_killed_reaped(pid_t pid)
{
	for (size_t i = 0; i < nkilled; i++)
		if (killed[i] == pid) {
			killed[i] = killed[--nkilled];
			sweep_group(pid);
			return true;
		}
	return false;
}

void exec_probe_reaped(struct probe *p, int st)
{
	pid_t pid = p->pid;
	p->pid = 0;
	sweep_group(pid);
	char why[96];
	if (WIFEXITED(st))
		snprintf(why, sizeof why, "exec exit %d", WEXITSTATUS(st));
	else
		snprintf(why, sizeof why, "exec killed by signal %s", signal_name(WTERMSIG(st)));
	probe_done(p, WIFEXITED(st) && WEXITSTATUS(st) == 0, why);
}
