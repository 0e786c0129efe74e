/* spawn.c: vfork + exec of a plain spec. The child only makes system calls
 * (raw ones for credentials, which must change only the child) and reports a
 * failure through a CLOEXEC pipe: an empty read means exec succeeded. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

enum stage { ST_SETSID = 1, ST_STDIO, ST_CHDIR, ST_SETGROUPS, ST_SETGID, ST_SETUID, ST_PDEATH, ST_EXEC };

struct failure {
	int stage, err;
};

struct prep {
	const struct spawn_spec *sp;
	int errfd, infd;
	pid_t parent;
};

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

static _Noreturn void child_fail(const struct prep *p, int stage)
{
	struct failure f = {stage, errno};
	(void)!write(p->errfd, &f, sizeof f);
	_exit(127);
}

/* Runs in the vfork child: system calls only, then exec. */
static _Noreturn void child(const struct prep *p)
{
	const struct spawn_spec *sp = p->sp;
	if (setsid() < 0)
		child_fail(p, ST_SETSID);
	/* Into the server's cgroup before anything can fork; without it the
	 * server still runs (its strays are then found by their markers). */
	if (sp->cgroup_fd > 2)
		(void)!write(sp->cgroup_fd, "0", 1);
	if (dup2(p->infd, 0) < 0 || (sp->out_fd >= 0 && dup2(sp->out_fd, 1) < 0) ||
	    (sp->err_fd >= 0 && dup2(sp->err_fd, 2) < 0))
		child_fail(p, ST_STDIO);
	/* dup2(fd, fd) does nothing, close-on-exec included: clear it. */
	for (int fd = 0; fd < 3; fd++)
		(void)fcntl(fd, F_SETFD, 0);
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
	 * may run here, on the stack this child borrows. */
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

pid_t spawn(const struct spawn_spec *sp, char *why, size_t n)
{
	struct prep p = {.sp = sp, .parent = getpid(), .infd = null_input()};
	if (p.infd < 0) {
		snprintf(why, n, "no /dev/null and no pipe for standard input: %s", strerror(errno));
		return -1;
	}
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		snprintf(why, n, "pipe: %s", strerror(errno));
		return -1;
	}
	p.errfd = pipefd[1];
#ifdef IS_SANITIZE
	pid_t pid = fork();  /* the sanitizers' runtimes do not support vfork */
#else
	pid_t pid = vfork();
#endif
	if (pid == 0)
		child(&p);
	int fork_errno = errno;
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		snprintf(why, n, "fork: %s", strerror(fork_errno));
		return -1;
	}
	struct failure f;
	ssize_t got = read_full(pipefd[0], &f, sizeof f);
	close(pipefd[0]);
	if (got == 0)
		return pid;
	/* The child failed before exec: reap it here, report why. */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (got != (ssize_t)sizeof f) {
		snprintf(why, n, "start failed (no report from the child)");
		return -1;
	}
	static const char *const stage[] = {"", "setsid", "redirect output", "chdir", "setgroups", "setgid",
					    "setuid", "set parent-death signal", "exec"};
	const char *what = f.stage >= 1 && f.stage <= ST_EXEC ? stage[f.stage] : "start";
	if (f.stage == ST_EXEC)
		snprintf(why, n, "exec %s: %s", sp->argv[0], strerror(f.err));
	else if (f.stage == ST_CHDIR)
		snprintf(why, n, "chdir %s: %s", sp->dir, strerror(f.err));
	else
		snprintf(why, n, "%s: %s", what, strerror(f.err));
	return -1;
}
