/* spawn.c: unit test of lib/spawn.c with real children (/bin/sh): the exec
 * and set-up errors come back word for word; the child gets fds 0-2 and
 * nothing else, however many the caller holds; an empty signal mask and
 * default dispositions; the caller's own fds 0-2, signal mask and fd count
 * are as before; the starttime known from the clock is /proc's; a child
 * asked into a cgroup starts there. Prints TAP. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/proc.h"
#include "lib/spawn.h"
#include "lib/util.h"
#include "tap.h"

extern char **environ;

static const int resets[] = {SIGPIPE, SIGTERM, SIGUSR1};

static struct spawn_spec spec(char *const *argv, int out)
{
	struct spawn_spec sp = {.argv = argv, .envp = environ, .dir = "/", .out_fd = out, .err_fd = out,
				.reset = resets, .nreset = 3, .cgroup_dir = -1};
	return sp;
}

/* Run sh -c script with its output in a pipe; the output, and its exit
 * status in *st (-1 if it could not start, why then in out). */
static char *run_sh(const char *script, int cgroup_dir, int *st)
{
	static char out[8192];
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) != 0)
		abort();
	struct spawn_spec sp = spec(argv, pp[1]);
	sp.cgroup_dir = cgroup_dir;
	pid_t pid = spawn(&sp, out, sizeof out);
	close(pp[1]);
	*st = -1;
	if (pid < 0) {
		close(pp[0]);
		return out;
	}
	ssize_t n = read_full(pp[0], out, sizeof out - 1);
	out[n > 0 ? n : 0] = 0;
	close(pp[0]);
	while (waitpid(pid, st, 0) < 0 && errno == EINTR)
		;
	return out;
}

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 4096; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void test_errors(const char *tmp)
{
	char why[512];
	char *missing[] = {"/nonexistent/server", NULL};
	struct spawn_spec sp = spec(missing, -1);
	ok(spawn(&sp, why, sizeof why) == -1 && strcmp(why, "exec /nonexistent/server: No such file or directory") == 0,
	   "a missing executable: %s", why);

	char plain[4096];
	snprintf(plain, sizeof plain, "%s/plain", tmp);
	int fd = open(plain, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	(void)!write(fd, "#!/bin/sh\n", 10);
	close(fd);
	char *noexec[] = {plain, NULL};
	sp = spec(noexec, -1);
	char want[4200];
	snprintf(want, sizeof want, "exec %s: Permission denied", plain);
	ok(spawn(&sp, why, sizeof why) == -1 && strcmp(why, want) == 0, "a file that is not executable: %s", why);

	char *sh[] = {"/bin/sh", "-c", "exit 0", NULL};
	sp = spec(sh, -1);
	sp.dir = "/nonexistent/dir";
	ok(spawn(&sp, why, sizeof why) == -1 && strcmp(why, "chdir /nonexistent/dir: No such file or directory") == 0,
	   "a missing working directory: %s", why);

	sp = spec(sh, 9999);
	ok(spawn(&sp, why, sizeof why) == -1 && strcmp(why, "redirect output: Bad file descriptor") == 0,
	   "an output fd that is not open: %s", why);

	if (geteuid() != 0) {
		sp = spec(sh, -1);
		sp.cr.set_uid = true;
		sp.cr.uid = 0;
		ok(spawn(&sp, why, sizeof why) == -1 && strcmp(why, "setuid: Operation not permitted") == 0,
		   "a user we may not become: %s", why);
	} else {
		ok(1, "# SKIP a user we may not become (we are root)");
	}
	/* The failed children were reaped by spawn. */
	ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "no child is left after a failed start");
}

static void test_child(void)
{
	/* Many descriptors of ours, close-on-exec or not: none reaches the child. */
	int held[600], nheld = 0;
	for (int i = 0; i < 300; i++) {
		int pp[2];
		if (pipe2(pp, i % 2 ? O_CLOEXEC : 0) != 0)
			break;
		held[nheld++] = pp[0];
		held[nheld++] = pp[1];
	}
	struct stat before[3], after[3];
	for (int fd = 0; fd < 3; fd++)
		fstat(fd, &before[fd]);
	sigset_t mask, now;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* A known start: nothing ignored but what we ignore here, whatever we
	 * inherited (the C library's sigaction refuses its reserved signals,
	 * 32-34, which a glibc parent may pass on ignored: the raw call). */
	for (int sig = 1; sig < 65; sig++) {
		struct {
			void *handler;
			unsigned long flags;
			void *restorer;
			unsigned long mask;
		} k = {SIG_DFL, 0, NULL, 0};
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof k.mask);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	int fds = count_fds(), st;

	/* 3 is the shell's own, for the glob: the lowest free one. */
	char *out = run_sh("for f in /proc/$$/fd/*; do printf '%s ' \"${f##*/}\"; done", -1, &st);
	ok(st == 0 && strcmp(out, "0 1 2 3 ") == 0, "the child holds fds 0-2 only, beside our %d: %s", nheld, out);
	out = run_sh("sed -n 's/^\\(Sig[A-Z][a-z]*\\):[[:space:]]*/\\1 /p' /proc/$$/status | tr '\\n' ' '", -1, &st);
	ok(st == 0 && strstr(out, "SigBlk 0000000000000000") && strstr(out, "SigIgn 0000000000000000"),
	   "the child has no signal blocked or ignored: %s", out);
	out = run_sh("read x; echo \"[$x] $?\"", -1, &st);
	ok(st == 0 && strcmp(out, "[] 1\n") == 0, "its standard input gives end of file: %s", out);
	out = run_sh("echo out; echo err >&2", -1, &st);
	ok(st == 0 && strcmp(out, "out\nerr\n") == 0, "its output and errors go where asked");

	for (int fd = 0; fd < 3; fd++)
		fstat(fd, &after[fd]);
	bool same = true;
	for (int fd = 0; fd < 3; fd++)
		same = same && before[fd].st_dev == after[fd].st_dev && before[fd].st_ino == after[fd].st_ino;
	ok(same, "our own fds 0-2 are as before");
	ok(count_fds() == fds, "we hold as many fds as before (%d)", count_fds());
	sigprocmask(SIG_BLOCK, NULL, &now);
	ok(sigismember(&now, SIGTERM) && sigismember(&now, SIGCHLD) && !sigismember(&now, SIGUSR2),
	   "our signal mask is as before");
	for (int i = 0; i < nheld; i++)
		close(held[i]);
}

/* fds 0-2 of ours closed: the child still gets its own, and ours stay closed. */
static void test_closed_stdio(void)
{
	int keep = fcntl(0, F_DUPFD_CLOEXEC, 3);
	close(0);
	int st;
	char *out = run_sh("read x; echo \"[$x] $?\"", -1, &st);
	ok(st == 0 && strcmp(out, "[] 1\n") == 0 && fcntl(0, F_GETFD) < 0,
	   "with our fd 0 closed, the child still reads end of file, and ours stays closed: %s", out);
	dup2(keep, 0);
	close(keep);
}

/* The starttime known without /proc is /proc's, whenever it is known. */
static void test_starttime(void)
{
	int known = 0, wrong = 0;
	char why[256], *argv[] = {"/bin/sh", "-c", "exit 0", NULL};
	for (int i = 0; i < 40; i++) {
		struct spawn_spec sp = spec(argv, -1);
		pid_t pid = spawn(&sp, why, sizeof why);
		unsigned long long t = spawn_starttime();
		struct proc_stat ps;
		/* the child is a zombie at worst until we wait: its stat is there */
		if (pid > 0 && t) {
			known++;
			wrong += proc_stat(pid, &ps) != 0 || ps.starttime != t;
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	ok(known > 0 && wrong == 0, "the child's starttime from the clock is /proc's (%d known of 40, %d wrong)", known,
	   wrong);
}

static void test_cgroup(const char *tmp)
{
	(void)tmp;
	const char *mnt = NULL;
	const char *cands[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	for (int i = 0; i < 2 && !mnt; i++) {
		struct statfs sf;
		if (statfs(cands[i], &sf) == 0 && (unsigned long)sf.f_type == 0x63677270 && access(cands[i], W_OK) == 0)
			mnt = cands[i];
	}
	char dir[512];
	snprintf(dir, sizeof dir, "%s/imageserving-unit.%d", mnt ? mnt : "", (int)getpid());
	if (!mnt || mkdir(dir, 0755) != 0) {
		ok(1, "# SKIP no writable cgroup v2");
		return;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), st;
	char *out = run_sh("grep '^0::' /proc/$$/cgroup", dfd, &st);
	char want[600];
	snprintf(want, sizeof want, "0::%s\n", dir + strlen(mnt));
	if (spawn_cgroup_errno())
		ok(1, "# SKIP the kernel would not start a child in a cgroup: %s", strerror(spawn_cgroup_errno()));
	else
		ok(st == 0 && strstr(out, want), "a child asked into a cgroup starts in it: %s", out);
	close(dfd);
	rmdir(dir);
}

int main(void)
{
	char tmp[] = "/tmp/spawn-unit.XXXXXX";
	if (!mkdtemp(tmp))
		return 1;
	test_errors(tmp);
	test_child();
	test_closed_stdio();
	test_starttime();
	test_cgroup(tmp);
	char plain[4096];
	snprintf(plain, sizeof plain, "%s/plain", tmp);
	unlink(plain);
	rmdir(tmp);
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
