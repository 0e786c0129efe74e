/* spawn.c: a child started by clone3(CLONE_VM|CLONE_VFORK|CLONE_FILES) on a
 * stack of its own, then exec. The parent is suspended until the child has
 * exec'd or died, so an exec error comes back through memory the two share,
 * and a cgroup is joined at creation (CLONE_INTO_CGROUP), not by a
 * migration. The child shares the fd table only until its first call, which
 * keeps fds 0-2 alone (close_range with CLOSE_RANGE_UNSHARE): no copy of the
 * supervisor's thousand descriptors, none closed one by one at exec. The
 * parent puts standard input, output and error in its own 0-2 just around
 * the clone, with every signal blocked, and puts its own back. Nothing is
 * allocated per spawn; not thread-safe (one stack, one report). */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clone3.h"
#include "util.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define UNSHARE_FILES 2u                   /* CLOSE_RANGE_UNSHARE (5.9) */
#define STACK_SIZE (64 * 1024)

enum stage { ST_SETSID = 1, ST_STDIO, ST_CHDIR, ST_SETGROUPS, ST_SETGID, ST_SETUID, ST_PDEATH, ST_EXEC };

struct failure {
	int stage, err;
};

/* What the child leaves in memory the parent sees, also without CLONE_VM. */
struct report {
	struct failure f;
	struct timespec born;  /* CLOCK_BOOTTIME, first thing in the child */
};

struct prep {
	const struct spawn_spec *sp;
	int errfd;      /* >= 0: the fallback's report pipe (and the table is not unshared) */
	const int *src; /* the fallback's: fds the child itself puts in 0-2 (-1: keep) */
	int cloexec[3]; /* fds 0-2 that were already in place: clear close-on-exec */
	pid_t parent;
};

static char *stack_top;                   /* mapped once, a guard page below */
static volatile struct report *report;    /* MAP_SHARED: seen also without CLONE_VM */
static int cgroup_err;
static unsigned long long started_ticks;  /* the last child's /proc starttime; 0: unknown */

int null_input(void)
{
	static int fd = -1;
	if (fd >= 0)
		return fd;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) != 0)
		return -1;
	close(pp[1]);
	return fd = pp[0];
}

int spawn_cgroup_errno(void)
{
	return cgroup_err;
}

unsigned long long spawn_starttime(void)
{
	return started_ticks;
}

/* A CLOCK_BOOTTIME reading in clock ticks, the unit of /proc's starttime. */
static unsigned long long ticks(struct timespec ts)
{
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0 || 1000000000L % hz)
		return 0;
	return (unsigned long long)ts.tv_sec * (unsigned long long)hz +
	       (unsigned long long)(ts.tv_nsec / (1000000000L / hz));
}

static _Noreturn void child_fail(const struct prep *p, int stage)
{
	struct failure f = {stage, errno};
	report->f.stage = f.stage;
	report->f.err = f.err;
	if (p->errfd >= 0)
		(void)!write(p->errfd, &f, sizeof f);
	_exit(127);
}

/* Runs in the child, on its own stack, every signal blocked: system calls
 * only (raw ones for credentials, which must change only the child), then
 * exec. Memory is the parent's: nothing here may allocate or take a lock. */
static int child(void *arg)
{
	const struct prep *p = arg;
	const struct spawn_spec *sp = p->sp;
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);  /* the vDSO: no system call */
	report->born = now;
	/* A table of our own with 0-2 only; before 5.9 the exec does it (slowly). */
	if (p->errfd < 0)
		(void)syscall(SYS_close_range, 3u, ~0u, UNSHARE_FILES);
	if (setsid() < 0)
		child_fail(p, ST_SETSID);
	for (int fd = 0; fd < 3 && p->src; fd++)
		if (p->src[fd] >= 0 && p->src[fd] != fd && dup2(p->src[fd], fd) < 0)
			child_fail(p, ST_STDIO);
	for (int fd = 0; fd < 3; fd++)
		if (p->cloexec[fd] && fcntl(fd, F_SETFD, 0) < 0)
			child_fail(p, ST_STDIO);
	if (chdir(sp->dir) < 0)
		child_fail(p, ST_CHDIR);
	if (sp->cr.set_gid) {
		gid_t g = sp->cr.gid;
		/* Only root may change groups; a non-root supervisor keeps its own. */
		if (syscall(SYS_setgroups, 1, &g) < 0 && errno != EPERM)
			child_fail(p, ST_SETGROUPS);
		if (syscall(SYS_setgid, g) < 0)
			child_fail(p, ST_SETGID);
	}
	if (sp->cr.set_uid && syscall(SYS_setuid, sp->cr.uid) < 0)
		child_fail(p, ST_SETUID);
	/* After the credential change, which would clear it. */
	if (sp->pdeathsig) {
		if (prctl(PR_SET_PDEATHSIG, sp->pdeathsig) < 0)
			child_fail(p, ST_PDEATH);
		if (getppid() != p->parent)
			_exit(127);  /* the supervisor is already gone */
	}
	if (sp->nofile_soft) {
		struct rlimit rl;
		if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) == 0) {
			rl.rlim_cur = sp->nofile_soft;
			(void)syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, NULL);
		}
	}
	/* Default dispositions before unblocking: no handler of the supervisor's
	 * may run here, in its memory. */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int i = 0; i < sp->nreset; i++)
		sigaction(sp->reset[i], &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	const char *exe = sp->argv[0];
	if (strchr(exe, '/'))
		execve(exe, sp->argv, sp->envp);
	else
		execvpe(exe, sp->argv, sp->envp);
	child_fail(p, ST_EXEC);
}

static int map_once(void)
{
	if (stack_top)
		return 0;
	long page = sysconf(_SC_PAGESIZE);
	size_t guard = page > 0 ? (size_t)page : 4096;
	char *s = mmap(NULL, guard + STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		       -1, 0);
	if (s == MAP_FAILED)
		return -1;
	void *r = mmap(NULL, sizeof *report, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED || mprotect(s, guard, PROT_NONE) != 0) {
		munmap(s, guard + STACK_SIZE);
		if (r != MAP_FAILED)
			munmap(r, sizeof *report);
		return -1;
	}
	report = r;
	stack_top = s + guard + STACK_SIZE;
	return 0;
}

/* Fds 0-2 of the child put in place in ours for the clone; saved[] gets
 * ours back (-1: it was closed, -2: left alone). */
static int stdio_in(const int src[3], int saved[3], struct prep *p)
{
	for (int fd = 0; fd < 3; fd++)
		saved[fd] = -2;
	for (int fd = 0; fd < 3; fd++) {
		int s = src[fd];
		p->cloexec[fd] = s == fd;
		if (s < 0 || s == fd)
			continue;
		if (s < fd && saved[s] != -2)
			s = saved[s];  /* one of ours already replaced: its original */
		saved[fd] = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);  /* musl's fcntl adds an F_SETFD */
		if (saved[fd] < 0 && errno != EBADF)
			return -1;
		if (dup2(s, fd) < 0)
			return -1;
	}
	return 0;
}

static void stdio_out(int saved[3])
{
	for (int fd = 0; fd < 3; fd++) {
		if (saved[fd] == -1) {
			close(fd);
		} else if (saved[fd] >= 0) {
			(void)dup2(saved[fd], fd);
			close(saved[fd]);
		}
	}
}

/* The child started by clone3, the parent back here once it has exec'd or
 * died: its pid, or -1 with errno (no clone3: ENOSYS). */
static pid_t start3(struct prep *p, int cgroup_dir)
{
	int flags = CLONE_VM | CLONE_VFORK | CLONE_FILES;
	struct clone3_args ca = {.flags = (uint64_t)flags, .exit_signal = SIGCHLD,
				 .stack = (uint64_t)(uintptr_t)(stack_top - STACK_SIZE), .stack_size = STACK_SIZE};
#ifdef IS_SANITIZE
	/* The sanitizers' runtimes can neither share memory with a child nor
	 * follow a switch of stacks: a copy, as fork, on a copy of this stack. */
	ca.flags &= ~(uint64_t)CLONE_VM;
	ca.stack = ca.stack_size = 0;
#endif
	if (cgroup_dir >= 0 && !cgroup_err) {
		ca.flags |= INTO_CGROUP;
		ca.cgroup = (uint64_t)cgroup_dir;
	}
	long r = clone3_run(&ca, child, p);
	if (r < 0 && r != -ENOSYS && (ca.flags & INTO_CGROUP)) {
		/* Refused into the cgroup (an older kernel, no delegation): the
		 * caller hears of it; the server starts anyway. */
		cgroup_err = (int)-r;
		ca.flags &= ~INTO_CGROUP;
		ca.cgroup = 0;
		r = clone3_run(&ca, child, p);
	}
	errno = r < 0 ? (int)-r : 0;
	return r < 0 ? -1 : (pid_t)r;
}

/* Before 5.3 (or under valgrind, which runs this vfork as a fork): the C
 * library's clone on the same stack, a table of the child's own in which it
 * puts its 0-2 itself, and a report pipe that the exec closes. */
static pid_t start_fallback(struct prep *p, int cgroup_dir)
{
	if (cgroup_dir >= 0)
		cgroup_err = ENOSYS;
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) != 0)
		return -1;
	p->errfd = pp[1];
	pid_t pid = clone(child, stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, p);
	int e = errno;
	close(pp[1]);
	struct failure f;
	if (pid > 0 && read_full(pp[0], &f, sizeof f) == (ssize_t)sizeof f) {
		report->f.stage = f.stage;
		report->f.err = f.err;
	}
	close(pp[0]);
	errno = e;
	return pid;
}

pid_t spawn(const struct spawn_spec *sp, char *why, size_t n)
{
	struct prep p = {.sp = sp, .errfd = -1, .parent = getpid()};
	int in = null_input();
	if (in < 0) {
		snprintf(why, n, "no /dev/null and no pipe for standard input: %s", strerror(errno));
		return -1;
	}
	if (map_once() != 0) {
		snprintf(why, n, "no memory for a child's stack: %s", strerror(errno));
		return -1;
	}
	/* No handler may run in the child before it resets them. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	report->f.stage = report->f.err = 0;
	const int src[3] = {in, sp->out_fd, sp->err_fd};
	int saved[3];
	pid_t pid = -1;
	int e = 0;
	static bool no_clone3;
	/* The kernel stamps the child's start between our reading and the
	 * child's first: where both fall in the same tick, that tick is its
	 * starttime (the window is one clone: rarely straddled). */
	struct timespec t0 = {0, 0};
	clock_gettime(CLOCK_BOOTTIME, &t0);
	report->born = (struct timespec){0, 0};
	if (!no_clone3) {
		if (stdio_in(src, saved, &p) != 0) {
			report->f.stage = ST_STDIO;
			report->f.err = errno;
		} else {
			pid = start3(&p, sp->cgroup_dir);
			e = errno;
		}
		stdio_out(saved);
		no_clone3 = pid < 0 && e == ENOSYS && !report->f.stage;
	}
	if (no_clone3) {
		p.src = src;
		for (int fd = 0; fd < 3; fd++)
			p.cloexec[fd] = src[fd] == fd;
		pid = start_fallback(&p, sp->cgroup_dir);
		e = errno;
	}
	struct timespec t1 = report->born;
	started_ticks = ticks(t0) == ticks(t1) ? ticks(t0) : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	struct failure f = {report->f.stage, report->f.err};
	if (pid < 0 && !f.stage) {
		snprintf(why, n, "fork: %s", strerror(e));  /* the word operators know */
		errno = e;
		return -1;
	}
	if (!f.stage)
		return pid;
	/* The child failed before exec: reap it here, report why. */
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	static const char *const stage[] = {"", "setsid", "redirect output", "chdir", "setgroups", "setgid",
					    "setuid", "set parent-death signal", "exec"};
	const char *what = f.stage >= 1 && f.stage <= ST_EXEC ? stage[f.stage] : "start";
	if (f.stage == ST_EXEC)
		snprintf(why, n, "exec %s: %s", sp->argv[0], strerror(f.err));
	else if (f.stage == ST_CHDIR)
		snprintf(why, n, "chdir %s: %s", sp->dir, strerror(f.err));
	else
		snprintf(why, n, "%s: %s", what, strerror(f.err));
	errno = f.err;
	return -1;
}
