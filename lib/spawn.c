/* spawn.c: vfork + exec of a server. The child only makes system calls (raw
 * ones for credentials, which must change only the child) and reports a
 * failure through a CLOEXEC pipe: an empty read means exec succeeded. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

enum stage { ST_SETSID = 1, ST_STDIO, ST_CHDIR, ST_SETGROUPS, ST_SETGID, ST_SETUID, ST_PDEATH, ST_EXEC };

struct failure {
	int stage, err;
};

struct prep {
	const struct spawn_req *r;
	char **envp;
	int errfd, nullfd;
	pid_t parent;
	uid_t uid;
	gid_t gid;
	int have_uid, have_gid;
	const char *dir;
};

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int resolve_creds(const struct server *s, uid_t *uid, gid_t *gid, int *have_uid, int *have_gid, char *why, size_t n)
{
	*have_uid = *have_gid = 0;
	if (s->user) {
		if (all_digits(s->user)) {
			*uid = (uid_t)strtoul(s->user, NULL, 10);
			*gid = *uid;
			struct passwd *pw = getpwuid(*uid);
			if (pw)
				*gid = pw->pw_gid;
		} else {
			struct passwd *pw = getpwnam(s->user);
			if (!pw) {
				snprintf(why, n, "unknown user %s", s->user);
				return -1;
			}
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
		}
		*have_uid = *have_gid = 1;
	}
	if (s->group) {
		if (all_digits(s->group)) {
			*gid = (gid_t)strtoul(s->group, NULL, 10);
		} else {
			struct group *gr = getgrnam(s->group);
			if (!gr) {
				snprintf(why, n, "unknown group %s", s->group);
				return -1;
			}
			*gid = gr->gr_gid;
		}
		*have_gid = 1;
	}
	return 0;
}

static char *env_pair(const char *k, const char *v)
{
	size_t a = strlen(k), b = strlen(v);
	char *e = xmalloc(a + b + 2);
	memcpy(e, k, a);
	e[a] = '=';
	memcpy(e + a + 1, v, b + 1);
	return e;
}

/* The server's environment: ours; USER, LOGNAME and HOME of the user it runs
 * as (if it names one); its own additions, which win; and
 * IMAGESERVING_SERVER=id, which lets the supervisor recognise its
 * descendants later. */
static char **make_env(const struct server *s, const char *uname, const char *home)
{
	const char *ident[3][2] = {{"USER", uname}, {"LOGNAME", uname}, {"HOME", home}};
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = xcalloc(n + s->nenv + 5, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool replaced = len == 19 && strncmp(environ[i], "IMAGESERVING_SERVER", 19) == 0;
		for (size_t j = 0; j < s->nenv && !replaced; j++)
			replaced = strlen(s->env[j].name) == len && strncmp(s->env[j].name, environ[i], len) == 0;
		for (size_t j = 0; j < 3 && !replaced; j++)
			replaced = ident[j][1] && strlen(ident[j][0]) == len && strncmp(ident[j][0], environ[i], len) == 0;
		if (!replaced)
			env[k++] = xstrdup(environ[i]);
	}
	for (size_t j = 0; j < 3; j++) {
		bool own = false;
		for (size_t i = 0; i < s->nenv && !own; i++)
			own = strcmp(s->env[i].name, ident[j][0]) == 0;
		if (ident[j][1] && !own)
			env[k++] = env_pair(ident[j][0], ident[j][1]);
	}
	for (size_t j = 0; j < s->nenv; j++)
		env[k++] = env_pair(s->env[j].name, s->env[j].value);
	env[k++] = env_pair("IMAGESERVING_SERVER", s->id);
	env[k] = NULL;
	return env;
}

static void free_env(char **env)
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
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
	const struct spawn_req *r = p->r;
	if (setsid() < 0)
		child_fail(p, ST_SETSID);
	if (dup2(p->nullfd, 0) < 0 || (r->out_fd >= 0 && dup2(r->out_fd, 1) < 0) ||
	    (r->err_fd >= 0 && dup2(r->err_fd, 2) < 0))
		child_fail(p, ST_STDIO);
	if (chdir(p->dir) < 0)
		child_fail(p, ST_CHDIR);
	if (p->have_gid) {
		gid_t g = p->gid;
		/* Only root may change groups; a non-root supervisor keeps its own. */
		if (syscall(SYS_setgroups, 1, &g) < 0 && errno != EPERM)
			child_fail(p, ST_SETGROUPS);
		if (syscall(SYS_setgid, g) < 0)
			child_fail(p, ST_SETGID);
	}
	if (p->have_uid && syscall(SYS_setuid, p->uid) < 0)
		child_fail(p, ST_SETUID);
	/* After the credential change, which would clear it. */
	if (r->pdeathsig) {
		if (prctl(PR_SET_PDEATHSIG, r->pdeathsig) < 0)
			child_fail(p, ST_PDEATH);
		if (getppid() != p->parent)
			_exit(127);  /* the supervisor is already gone */
	}
	if (r->nofile_soft) {
		struct rlimit rl;
		if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) == 0) {
			rl.rlim_cur = r->nofile_soft;
			(void)syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, NULL);
		}
	}
	/* Default dispositions before unblocking: no handler of the supervisor's
	 * may run here, on the stack this child borrows. */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int i = 0; i < r->nreset; i++)
		sigaction(r->reset[i], &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	const char *exe = r->s->argv[0];
	if (strchr(exe, '/'))
		execve(exe, (char *const *)r->s->argv, p->envp);
	else
		execvpe(exe, (char *const *)r->s->argv, p->envp);
	child_fail(p, ST_EXEC);
}

pid_t spawn_server(const struct spawn_req *r, char *why, size_t n)
{
	const struct server *s = r->s;
	struct prep p = {.r = r, .parent = getpid(), .dir = s->workdir ? s->workdir : r->default_dir};
	if (resolve_creds(s, &p.uid, &p.gid, &p.have_uid, &p.have_gid, why, n) != 0)
		return -1;
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		snprintf(why, n, "pipe: %s", strerror(errno));
		return -1;
	}
	static int nullfd = -1;  /* opened once, kept */
	if (nullfd < 0)
		nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0) {
		snprintf(why, n, "/dev/null: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	p.nullfd = nullfd;
	p.errfd = pipefd[1];
	char *uname = NULL, *home = NULL;
	if (p.have_uid) {
		struct passwd *pw = getpwuid(p.uid);
		if (pw) {
			uname = xstrdup(pw->pw_name);
			home = xstrdup(pw->pw_dir);
		}
	}
	p.envp = make_env(s, uname, home);
	free(uname);
	free(home);
#ifdef IS_SANITIZE
	pid_t pid = fork();  /* the sanitizers' runtimes do not support vfork */
#else
	pid_t pid = vfork();
#endif
	if (pid == 0)
		child(&p);
	int fork_errno = errno;
	close(pipefd[1]);
	free_env(p.envp);
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
	static const char *stage[] = {"", "setsid", "redirect output", "chdir", "setgroups", "setgid", "setuid",
				      "set parent-death signal", "exec"};
	const char *what = f.stage >= 1 && f.stage <= ST_EXEC ? stage[f.stage] : "start";
	if (f.stage == ST_EXEC)
		snprintf(why, n, "exec %s: %s", s->argv[0], strerror(f.err));
	else if (f.stage == ST_CHDIR)
		snprintf(why, n, "chdir %s: %s", p.dir, strerror(f.err));
	else
		snprintf(why, n, "%s: %s", what, strerror(f.err));
	return -1;
}
