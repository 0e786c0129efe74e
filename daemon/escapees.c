/* escapees.c: a server's processes outside its process group (setsid'd
 * descendants, orphans we adopted as subreaper), what a dead instance left
 * behind, strays of a supervisor killed hard, and our leftovers at exit. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/util.h"
#include "lib/vec.h"

struct pidlist {
	pid_t *p;
	size_t n, cap;
};

static void pidlist_add(struct pidlist *l, pid_t pid)
{
	l->p = vec_room(l->p, l->n + 1, &l->cap, sizeof *l->p);
	l->p[l->n++] = pid;
}

static void add_children(struct pidlist *l, pid_t pid)
{
	static pid_t buf[8192];
	int k = proc_children(pid, buf, 8192);
	for (int i = 0; i < k; i++)
		pidlist_add(l, buf[i]);
}

static void extra_add(struct extralist *l, pid_t pid, unsigned long long start)
{
	for (size_t k = 0; k < l->n; k++)
		if (l->p[k].pid == pid)
			return;
	l->p = vec_room(l->p, l->n + 1, &l->cap, sizeof *l->p);
	l->p[l->n].pid = pid;
	l->p[l->n++].start = start;
}

/* Our children that are no server's main process: orphans we adopted. Read
 * once per batch (a mass exit, or a group's stop, would otherwise read it
 * once per server). Batches nest. */
static struct pidlist adopted;
static int batch;
static bool adopted_valid;

void escapees_batch(bool on)
{
	batch += on ? 1 : -1;
	adopted_valid = false;
}

static const struct pidlist *adopted_children(void)
{
	if (adopted_valid)
		return &adopted;
	static pid_t buf[8192];
	int k = proc_children(getpid(), buf, 8192);
	adopted.n = 0;
	for (int i = 0; i < k; i++)
		if (!pidtab_find(buf[i]) && !health_owns(buf[i]))  /* a probe is no server's */
			pidlist_add(&adopted, buf[i]);
	adopted_valid = batch > 0;
	return &adopted;
}

/* Descendants of an instance (root: its main pid, alive or not) outside its
 * process group: setsid'd children still below it, and adopted orphans with
 * its marker; with group_too, also the members of its group among them.
 * Added to l. No cap: a server may have thousands. */
static void collect_into(const char *id, pid_t root, struct extralist *l, bool group_too)
{
	static struct pidlist todo;  /* kept: no allocation per exit */
	todo.n = 0;
	pidlist_add(&todo, root);
	const struct pidlist *ours = adopted_children();
	for (size_t i = 0; i < ours->n; i++) {
		struct proc_stat ps;
		/* a member of its group reparented to us, or one carrying its marker */
		if ((proc_stat(ours->p[i], &ps) == 0 && ps.pgrp == root) || proc_marked(ours->p[i], id))
			pidlist_add(&todo, ours->p[i]);
	}
	for (size_t i = 0; i < todo.n && todo.n < 1000000; i++)
		add_children(&todo, todo.p[i]);
	for (size_t i = 1; i < todo.n; i++) {
		struct proc_stat ps;
		if (proc_stat(todo.p[i], &ps) != 0 || (ps.pgrp == root && !group_too) || ps.state == 'Z')
			continue;
		extra_add(l, todo.p[i], ps.starttime);
	}
}

void escapees_collect(struct svc *v)
{
	collect_into(v->id, v->pid, &v->extras, false);
}

/* Signal the listed processes (and their groups) that are still the ones we saw. */
void escapees_signal(const struct extralist *l, int sig)
{
	for (size_t i = 0; i < l->n; i++) {
		struct proc_stat ps;
		pid_t p = l->p[i].pid;
		if (p > 1 && proc_stat(p, &ps) == 0 && ps.starttime == l->p[i].start && ps.state != 'Z') {
			if (ps.pgrp == p)
				kill(-p, sig);
			kill(p, sig);
		}
	}
}

/* What exited instances left, killed after the batch's respawns (restart
 * first, then clear away): their process groups and escapees. */
static struct extralist leftovers;
static struct pidlist groups;

void escapees_note_exit(struct svc *v, pid_t old)
{
	/* The escapees found at stop time go with the old instance. */
	for (size_t i = 0; i < v->extras.n; i++)
		extra_add(&leftovers, v->extras.p[i].pid, v->extras.p[i].start);
	v->extras.n = 0;
	/* Whatever it left is in its cgroup, if it started in one (a worker
	 * that cleared its environment and left its session too): no new
	 * instance is in it yet. Otherwise its descendants and adopted
	 * orphans, from /proc (our whole children list: O(servers) per exit). */
	if (!v->in_cgroup)
		collect_into(v->id, old, &leftovers, true);
	static pid_t buf[8192];
	int k = cgroup_pids(v->id, buf, 8192);
	for (int i = 0; i < k; i++) {
		struct proc_stat ps;
		if (proc_stat(buf[i], &ps) == 0 && ps.state != 'Z')
			extra_add(&leftovers, buf[i], ps.starttime);
	}
	pidlist_add(&groups, old);
}

void escapees_sweep(void)
{
	for (size_t i = 0; i < groups.n; i++) {
		pid_t g = groups.p[i];
		/* The old leader is reaped: a process that answers to its pid now is
		 * a new one (a reused pid, maybe our respawned server): then its
		 * group id is not the old group's, so leave it alone. */
		struct proc_stat ps;
		if (g > 1 && !pidtab_find(g) && proc_stat(g, &ps) != 0)
			kill(-g, SIGKILL);
	}
	escapees_signal(&leftovers, SIGKILL);
	groups.n = 0;
	leftovers.n = 0;
}

/* Whether pid is provably what the dead supervisor f left of one of its
 * servers: it carries that server's marker (a pid, a process group or a
 * state file can be reused or planted; whoever marks a process of their
 * own can only get that one killed, never a victim), it started after that
 * supervisor and before we took its lock, and it carries our run
 * directory's marker as well (or, without one, is in a recorded group). */
static const struct st_server *stray_of(const struct st_file *f, pid_t pid, const struct proc_stat *ps,
					int64_t now_boot, long hz)
{
	int64_t born = (int64_t)(ps->starttime * (1000000000ull / (unsigned long long)hz));
	if (born + 2 * 1000000000ll / hz < f->start_boot_ns || born > now_boot)
		return NULL;
	char id[256], dir[4096];
	if (!proc_env(pid, "IMAGESERVING_SERVER", id, sizeof id))
		return NULL;
	const struct st_server *s = state_find(f, id);
	if (!s)
		return NULL;
	/* Another supervisor's server (its own run directory) is never ours;
	 * one without that marker (started by an older version) only in a
	 * recorded group. */
	if (proc_env(pid, "IMAGESERVING_SUPERVISOR", dir, sizeof dir))
		return strcmp(dir, D.rundir) == 0 ? s : NULL;
	return s->pid > 1 && ps->pgrp == s->pid ? s : NULL;
}

/* Processes a previous supervisor (killed hard) left running: kill the ones
 * proven to be its servers' (stray_of), one by one, never a whole process
 * group on the word of a file. */
void kill_strays(void)
{
	/* What is in our cgroups is ours: only we put processes there, and we
	 * hold the run directory's lock. */
	if (D.reg->r->cgroups)
		cgroup_setup();  /* on by default: a child starts in its cgroup at no cost */
	static pid_t buf[8192];
	for (size_t i = 0; i < D.reg->r->nservers; i++) {
		const char *id = D.reg->r->servers[i].id;
		int k = cgroup_pids(id, buf, 8192);
		for (int j = 0; j < k; j++)
			if (kill(buf[j], SIGKILL) == 0)
				trace(TRACE_WARNING, id, "killed stray process %d left in its cgroup by a previous "
							 "supervisor", (int)buf[j]);
	}
	struct st_file f;
	int r = state_read(D.rundir, &f);
	if (r == -EPERM)
		trace(TRACE_WARNING, NULL, "state file in %s is not ours (owner or mode): not looking for strays", D.rundir);
	if (r != 0)
		return;
	/* An unmounted /proc is usually an empty directory. */
	DIR *d = access("/proc/self/stat", F_OK) == 0 ? opendir("/proc") : NULL;
	if (!d) {
		trace(TRACE_WARNING, NULL, "cannot look for processes left by supervisor %d (/proc: %s): any still "
					   "running are left alone", f.pid, strerror(errno));
		state_free(&f);
		return;
	}
	long hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	int64_t now = boot_ns();
	struct dirent *e;
	size_t killed = 0;
	while ((e = readdir(d))) {
		struct proc_stat ps;
		uint64_t v;
		if (parse_uint(e->d_name, INT32_MAX, &v) != 0 || v <= 1 || (pid_t)v == getpid())
			continue;
		pid_t p = (pid_t)v;
		const struct st_server *s;
		if (proc_stat(p, &ps) != 0 || ps.state == 'Z' || !(s = stray_of(&f, p, &ps, now, hz)))
			continue;
		if (kill(p, SIGKILL) == 0) {
			killed++;
			trace(TRACE_WARNING, s->id, "killed stray process %d (process group %d) left by supervisor %d", p,
			      ps.pgrp, f.pid);
		}
	}
	closedir(d);
	if (killed)
		trace(TRACE_WARNING, NULL, "killed %zu stray process%s left by supervisor %d", killed,
		      killed == 1 ? "" : "es", f.pid);
	state_free(&f);
}

/* Wait for SIGCHLD on the signalfd until deadline; false at the deadline. */
static bool wait_child(int64_t deadline)
{
	int64_t left = (deadline - mono_ns()) / MS;
	if (left <= 0)
		return false;
	struct pollfd p = {.fd = D.sigfd, .events = POLLIN};
	if (poll(&p, 1, (int)left) <= 0)
		return false;
	struct signalfd_siginfo si[16];
	while (read(D.sigfd, si, sizeof si) > 0)
		;  /* other signals are moot now: we are exiting */
	return true;
}

/* Orphans adopted as subreaper that outlived their servers: kill and reap
 * them, while killing them makes more, for at most 5 s: a process stuck in
 * uninterruptible sleep must not keep the supervisor from exiting. */
void kill_adopted(void)
{
	int64_t deadline = mono_ns() + 5 * SEC;
	for (;;) {
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			;
		struct pidlist kids = {0};
		add_children(&kids, getpid());
		size_t live = 0, refused = 0;
		for (size_t i = 0; i < kids.n; i++) {
			struct proc_stat ps;
			if (proc_stat(kids.p[i], &ps) == 0 && ps.state == 'Z')
				continue;
			if (kill(kids.p[i], SIGKILL) == 0)
				live++;
			else if (errno == EPERM)
				refused++;
		}
		free(kids.p);
		if (!live && refused)
			trace(TRACE_ERROR, NULL, "%zu leftover process%s cannot be killed (privileges we lack, "
						 "set-user-ID?): left running", refused, refused == 1 ? "" : "es");
		if (!kids.n || (!live && refused)) {
			cgroup_remove_all();
			return;
		}
		if (!live)
			continue;  /* zombies only: reaped above */
		trace(TRACE_WARNING, NULL, "killed %zu leftover process%s", live, live == 1 ? "" : "es");
		if (!wait_child(deadline)) {
			while (waitpid(-1, &st, WNOHANG) > 0)
				;
			trace(TRACE_ERROR, NULL, "leftover processes did not die within 5 s (uninterruptible?); exiting "
						 "without them");
			return;
		}
	}
}
