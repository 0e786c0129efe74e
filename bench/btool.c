/* btool.c: the benchmark's measuring helper. Every latency is a difference of
 * CLOCK_MONOTONIC readings: ours (the moment we kill or command) and the one
 * the service stamps at exec (bench/svc.c, "NAME PID NS" lines in a stamps
 * file). Every wait has a deadline.
 *
 *   btool now                               monotonic ns
 *   btool reaper PIDFILE CMD...             run CMD under a child subreaper that
 *                                           kills and reaps the whole tree on
 *                                           SIGTERM or when its parent dies;
 *                                           PIDFILE gets "PID START_NS"
 *   btool time CMD... [';' CMD...]          run the commands one after another,
 *                                           output to /dev/null: "NS RC"
 *   btool wait-stamps FILE SINCE N MS       wait until N services stamped at or
 *                                           after SINCE: "LAST-SINCE COUNT"
 *   btool crash FILE NAME COUNT MS          SIGKILL NAME COUNT times in a row, each
 *                                           time as soon as it is back: a line
 *                                           "NS" per restart ("timeout" if none)
 *   btool massfloor STAMPS ROOT N W EXE     N vfork+execs from W processes: time
 *                                           until all stamped (the mass floor)
 *   btool masskill FILE MS                  SIGKILL every service at once:
 *                                           "LAST_BACK_NS BACK TOTAL KILL_SPAN_NS"
 *   btool stop FILE MS CMD... [; CMD...]    run CMD, wait until every service
 *                                           process is gone: "GONE_NS CMD_NS RESPAWNED"
 *   btool restart FILE NAME MS CMD...[;...] run CMD, wait for NAME's new process:
 *                                           "NEW_NS CMD_NS"
 *   btool tree ROOT [EXE]                   ROOT and its descendants, except
 *                                           processes running EXE (and theirs)
 *   btool mem PID...                        "RSS_KB PSS_KB N" summed
 *   btool snap PID...                       "CPU_NS CTXT_SWITCHES" summed
 *   btool elf FILE                          "BYTES static|dynamic"
 *   btool mkdirs TARGET|- DIR...            create DIRs, each with run -> TARGET
 * Probes for the profiling notes:
 *   btool floor DIR EXE [ARG...]            a minimal respawner (vfork+exec loop)
 *   btool fdcost N REPS EXE                 vfork+exec+wait holding N CLOEXEC fds
 *   btool inotify-close [DIR]               time to close an inotify fd with a watch
 *   btool alternate N A... -- B...          run A and B alternately, N times each
 *                                           (output to /dev/null): their medians
 *                                           and quartiles, and B's median / A's
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

extern char **environ;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static _Noreturn void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "btool: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static int pidfd_open_(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/* ---- stamps file ---- */

struct ent {
	char name[64];
	pid_t pid;     /* latest */
	int64_t ns;
	int64_t after_ns; /* first stamp at or after st.since; 0: none yet */
	pid_t after_pid;
};

static struct {
	int fd, in;
	char buf[1 << 16];
	size_t have;
	struct ent *e;
	size_t n, cap;
	int64_t since;
} st = {.fd = -1, .in = -1};

static struct ent *ent_find(const char *name, bool add)
{
	for (size_t i = 0; i < st.n; i++)
		if (strcmp(st.e[i].name, name) == 0)
			return &st.e[i];
	if (!add)
		return NULL;
	if (st.n == st.cap) {
		st.cap = st.cap ? st.cap * 2 : 64;
		st.e = realloc(st.e, st.cap * sizeof *st.e);
		if (!st.e)
			die("%s", "out of memory");
	}
	struct ent *e = &st.e[st.n++];
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", name);
	return e;
}

static void stamps_open(const char *path)
{
	st.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (st.fd < 0)
		die("cannot open stamps file %s", path);
	st.in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (st.in >= 0 && inotify_add_watch(st.in, path, IN_MODIFY) < 0) {
		close(st.in);
		st.in = -1;
	}
}

static void stamps_line(char *line)
{
	char name[64];
	int pid;
	long long ns;
	if (sscanf(line, "%63s %d %lld", name, &pid, &ns) != 3)
		return;
	struct ent *e = ent_find(name, true);
	e->pid = pid;
	e->ns = ns;
	if (!e->after_ns && ns >= st.since) {
		e->after_ns = ns;
		e->after_pid = pid;
	}
}

static void stamps_read(void)
{
	for (;;) {
		ssize_t r = read(st.fd, st.buf + st.have, sizeof st.buf - 1 - st.have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		st.have += (size_t)r;
		st.buf[st.have] = 0;
		char *p = st.buf, *nl;
		while ((nl = strchr(p, '\n'))) {
			*nl = 0;
			stamps_line(p);
			p = nl + 1;
		}
		st.have -= (size_t)(p - st.buf);
		memmove(st.buf, p, st.have);
	}
}

static void stamps_since(int64_t since)
{
	st.since = since;
	for (size_t i = 0; i < st.n; i++)
		st.e[i].after_ns = st.e[i].after_pid = 0;
}

/* Read new stamps until cond() holds or the deadline passes. */
static bool stamps_wait(int64_t deadline, bool (*cond)(void *), void *arg)
{
	for (;;) {
		stamps_read();
		if (cond(arg))
			return true;
		int64_t left = (deadline - now_ns()) / 1000000;
		if (left <= 0)
			return false;
		struct pollfd p = {.fd = st.in, .events = POLLIN};
		(void)poll(&p, 1, st.in >= 0 ? (left < 50 ? (int)left : 50) : 1);
		char ev[4096];
		while (st.in >= 0 && read(st.in, ev, sizeof ev) > 0)
			;
	}
}

static size_t count_after(void)
{
	size_t k = 0;
	for (size_t i = 0; i < st.n; i++)
		k += st.e[i].after_ns != 0;
	return k;
}

static bool enough_after(void *arg) { return count_after() >= *(size_t *)arg; }

static bool ent_back(void *arg) { return st.e[*(size_t *)arg].after_ns != 0; }

static size_t ent_index(const char *name)
{
	struct ent *e = ent_find(name, false);
	if (!e)
		die("no stamp of %s yet", name);
	return (size_t)(e - st.e);
}

static int64_t max_after(void)
{
	int64_t m = 0;
	for (size_t i = 0; i < st.n; i++)
		if (st.e[i].after_ns > m)
			m = st.e[i].after_ns;
	return m;
}

/* ---- running commands ---- */

static pid_t spawn_quiet(char **argv)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return pid;
}

/* Wait for our child with a deadline; on timeout kill it. Returns exit
 * status, or -1 on timeout. *at gets the moment it exited. */
static int wait_child(pid_t pid, int64_t deadline, int64_t *at)
{
	int fd = pidfd_open_(pid);
	for (;;) {
		int stt;
		pid_t r = waitpid(pid, &stt, WNOHANG);
		if (r == pid) {
			if (at)
				*at = now_ns();
			return WIFEXITED(stt) ? WEXITSTATUS(stt) : 128 + WTERMSIG(stt);
		}
		int64_t left = (deadline - now_ns()) / 1000000;
		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		(void)poll(&p, 1, fd >= 0 ? (int)left : 1);
	}
}

/* Run "CMD... [; CMD...]" one command after another; the status of the last
 * one that failed (0 if none, -1 if one ran past the deadline). */
static int run_seq(int argc, char **argv, int64_t deadline)
{
	int rc = 0;
	for (int i = 0; i < argc;) {
		int j = i;
		while (j < argc && strcmp(argv[j], ";") != 0)
			j++;
		argv[j] = NULL;
		pid_t pid = spawn_quiet(argv + i);
		if (pid < 0)
			die("cannot run %s", argv[i]);
		int r = wait_child(pid, deadline, NULL);
		if (r != 0)
			rc = r;
		i = j + 1;
	}
	return rc;
}

/* The same in a thread of ours, so that we can watch other things
 * meanwhile. A thread, not a forked copy of btool: a fork costs 1-2 ms on
 * a slow virtual machine, which every stop and restart row would carry
 * before the command even starts (the floors, timed by run_seq directly,
 * do not). Threads share the children: the thread's waitpid sees them. */
struct seq {
	int argc;
	char **argv;
	int64_t deadline, done_at;
	int rc;
	pthread_t thread;
};

static void *seq_run(void *arg)
{
	struct seq *q = arg;
	q->rc = run_seq(q->argc, q->argv, q->deadline);
	q->done_at = now_ns();
	return NULL;
}

static struct seq *spawn_seq(int argc, char **argv, int64_t deadline)
{
	struct seq *q = calloc(1, sizeof *q);
	if (!q)
		die("%s", "out of memory");
	*q = (struct seq){.argc = argc, .argv = argv, .deadline = deadline};
	int e = pthread_create(&q->thread, NULL, seq_run, q);
	if (e != 0)
		die("cannot start a thread: %s", strerror(e));
	return q;
}

/* The commands' status (-1: one ran past the deadline, and was killed), and
 * when the last one returned. */
static int seq_wait(struct seq *q, int64_t *at)
{
	pthread_join(q->thread, NULL);
	int rc = q->rc;
	*at = q->done_at;
	free(q);
	return rc;
}

static int cmd_time(int argc, char **argv)
{
	int64_t t0 = now_ns();
	int rc = run_seq(argc, argv, t0 + 60 * 1000000000LL);
	printf("%lld %d\n", (long long)(now_ns() - t0), rc);
	return 0;
}

/* ---- the reaper ---- */

static volatile sig_atomic_t reaper_stop;
static void on_term(int sig) { (void)sig; reaper_stop = 1; }

/* Read a whole /proc file (they come a page per read). */
static int read_small(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	for (;;) {
		ssize_t r = read(fd, buf + got, n - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0 || (got += (size_t)r) == n - 1)
			break;
	}
	close(fd);
	buf[got] = 0;
	return (int)got;
}

/* Children of pid (all its threads). */
static int children_of(pid_t pid, pid_t *out, int max)
{
	char path[64], buf[1 << 16];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (read_small(path, buf, sizeof buf) < 0)
		return 0;
	int n = 0;
	for (char *s = buf, *end; *s && n < max; s = end) {
		long v = strtol(s, &end, 10);
		if (end == s)
			break;
		out[n++] = (pid_t)v;
	}
	return n;
}

/* Descendants of root, breadth first (parents before children). */
static int descendants(pid_t root, pid_t *out, int max)
{
	int n = 0;
	out[n++] = root;
	for (int i = 0; i < n && n < max; i++)
		n += children_of(out[i], out + n, max - n);
	return n;
}

enum { MAXP = 65536 };

static int cmd_reaper(int argc, char **argv)
{
	if (argc < 2)
		die("%s", "usage: reaper PIDFILE CMD...");
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	int64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid < 0)
		die("%s", "fork failed");
	if (pid == 0) {
		/* The tree starts clean: default dispositions, nothing blocked
		 * (a background job of a shell ignores SIGINT and SIGQUIT). */
		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[0]);
	FILE *f = fopen(tmp, "w");
	if (f) {
		fprintf(f, "%d %lld\n", (int)pid, (long long)t0);
		fclose(f);
		rename(tmp, argv[0]);
	}
	int rc = 0;
	static pid_t all[MAXP];
	int64_t kill_deadline = 0;
	for (;;) {
		if (reaper_stop) {
			if (!kill_deadline)
				kill_deadline = now_ns() + 60 * 1000000000LL;
			/* Kill by pid what is below us (they are our descendants, so
			 * their pids cannot be reused while unreaped), parents first. */
			int n = descendants(getpid(), all, MAXP);
			for (int i = 1; i < n; i++)
				kill(all[i], SIGKILL);
		}
		int s;
		pid_t r = waitpid(-1, &s, reaper_stop ? WNOHANG : 0);
		if (r == pid)
			rc = WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
		if (r < 0 && errno == ECHILD)
			break;
		if (r != 0)
			continue;  /* reaped one, or interrupted: look again */
		if (now_ns() > kill_deadline)
			break;
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	return rc;
}

/* ---- stamps-driven measurements ---- */

static int cmd_wait_stamps(int argc, char **argv)
{
	if (argc != 4)
		die("%s", "usage: wait-stamps FILE SINCE N MS");
	stamps_open(argv[0]);
	int64_t since = atoll(argv[1]);
	size_t want = (size_t)atol(argv[2]);
	stamps_since(since);
	bool ok = stamps_wait(now_ns() + atoll(argv[3]) * 1000000LL, enough_after, &want);
	printf("%lld %zu\n", ok ? (long long)(max_after() - since) : -1LL, count_after());
	return ok ? 0 : 1;
}

static int cmd_crash(int argc, char **argv)
{
	if (argc != 4)
		die("%s", "usage: crash FILE NAME COUNT MS");
	stamps_open(argv[0]);
	stamps_since(INT64_MAX);
	stamps_read();
	size_t k = ent_index(argv[1]);
	int count = atoi(argv[2]);
	int64_t ms = atoll(argv[3]);
	for (int i = 0; i < count; i++) {
		pid_t old = st.e[k].pid;
		int64_t t0 = now_ns();
		stamps_since(t0);
		if (kill(old, SIGKILL) != 0)
			die("%s", "kill failed");
		if (!stamps_wait(t0 + ms * 1000000LL, ent_back, &k)) {
			printf("timeout\n");
			fflush(stdout);
			return 1;
		}
		printf("%lld\n", (long long)(st.e[k].after_ns - t0));
		fflush(stdout);
		st.e[k].pid = st.e[k].after_pid;
	}
	return 0;
}

static int cmd_masskill(int argc, char **argv)
{
	if (argc != 2)
		die("%s", "usage: masskill FILE MS");
	stamps_open(argv[0]);
	stamps_since(INT64_MAX);
	stamps_read();
	size_t total = st.n;
	pid_t *pids = malloc((total + 1) * sizeof *pids);
	for (size_t i = 0; i < total; i++)
		pids[i] = st.e[i].pid;
	int64_t t0 = now_ns();
	stamps_since(t0);
	for (size_t i = 0; i < total; i++)
		kill(pids[i], SIGKILL);
	int64_t span = now_ns() - t0;
	bool ok = stamps_wait(t0 + atoll(argv[1]) * 1000000LL, enough_after, &total);
	printf("%lld %zu %zu %lld\n", ok ? (long long)(max_after() - t0) : -1LL, count_after(), total,
	       (long long)span);
	free(pids);
	return ok ? 0 : 1;
}

static int cmd_stop(int argc, char **argv)
{
	if (argc < 3)
		die("%s", "usage: stop FILE MS CMD...");
	stamps_open(argv[0]);
	stamps_since(INT64_MAX);
	stamps_read();
	int64_t ms = atoll(argv[1]);
	size_t n = st.n, left = 0;
	struct pollfd *p = calloc(n + 1, sizeof *p);
	for (size_t i = 0; i < n; i++) {
		p[i].fd = pidfd_open_(st.e[i].pid);
		p[i].events = POLLIN;
		left += p[i].fd >= 0;
	}
	int64_t t0 = now_ns(), last = t0;
	stamps_since(t0);
	int64_t deadline = t0 + ms * 1000000LL;
	struct seq *c = spawn_seq(argc - 2, argv + 2, deadline);
	while (left) {
		int64_t wait = (deadline - now_ns()) / 1000000;
		if (wait <= 0)
			break;
		int r = poll(p, n, (int)wait);
		int64_t t = now_ns();
		if (r < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n; i++)
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				close(p[i].fd);
				p[i].fd = -1;
				left--;
				last = t;
			}
	}
	int64_t cmd_at = 0;
	int rc = seq_wait(c, &cmd_at);
	stamps_read();
	printf("%lld %lld %zu\n", left ? -1LL : (long long)(last - t0), rc < 0 ? -1LL : (long long)(cmd_at - t0),
	       count_after());
	return left ? 1 : 0;
}

static int cmd_restart(int argc, char **argv)
{
	if (argc < 4)
		die("%s", "usage: restart FILE NAME MS CMD...");
	stamps_open(argv[0]);
	stamps_since(INT64_MAX);
	stamps_read();
	size_t k = ent_index(argv[1]);
	int64_t t0 = now_ns(), deadline = t0 + atoll(argv[2]) * 1000000LL;
	stamps_since(t0);
	struct seq *c = spawn_seq(argc - 3, argv + 3, deadline);
	bool ok = stamps_wait(deadline, ent_back, &k);
	int64_t cmd_at = 0;
	int rc = seq_wait(c, &cmd_at);
	printf("%lld %lld\n", ok ? (long long)(st.e[k].after_ns - t0) : -1LL, rc < 0 ? -1LL : (long long)(cmd_at - t0));
	return ok ? 0 : 1;
}

/* ---- /proc ---- */

static bool runs_exe(pid_t pid, const char *exe)
{
	char path[64], target[4096];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n < 0)
		return false;
	target[n] = 0;
	return strcmp(target, exe) == 0;
}

static int cmd_tree(int argc, char **argv)
{
	if (argc < 1)
		die("%s", "usage: tree ROOT [EXE]");
	static pid_t all[MAXP];
	int n = 0;
	all[n++] = (pid_t)atoi(argv[0]);
	char exe[4096] = "";
	if (argc > 1 && !realpath(argv[1], exe))
		die("no such file: %s", argv[1]);
	for (int i = 0; i < n && n < MAXP; i++) {
		if (exe[0] && runs_exe(all[i], exe))
			continue;
		printf("%d\n", (int)all[i]);
		n += children_of(all[i], all + n, MAXP - n);
	}
	return 0;
}

static int cmd_mem(int argc, char **argv)
{
	long long rss = 0, pss = 0;
	int n = 0;
	for (int i = 0; i < argc; i++) {
		char path[64], buf[4096];
		snprintf(path, sizeof path, "/proc/%s/smaps_rollup", argv[i]);
		if (read_small(path, buf, sizeof buf) <= 0)
			continue;
		char *r = strstr(buf, "\nRss:"), *p = strstr(buf, "\nPss:");
		if (!r || !p)
			continue;
		rss += atoll(r + 5);
		pss += atoll(p + 5);
		n++;
	}
	printf("%lld %lld %d\n", rss, pss, n);
	return 0;
}

static int cmd_snap(int argc, char **argv)
{
	long long cpu = 0, sw = 0;
	for (int i = 0; i < argc; i++) {
		char path[64], buf[4096];
		snprintf(path, sizeof path, "/proc/%s/schedstat", argv[i]);
		if (read_small(path, buf, sizeof buf) > 0)
			cpu += atoll(buf);
		snprintf(path, sizeof path, "/proc/%s/status", argv[i]);
		if (read_small(path, buf, sizeof buf) > 0) {
			char *v = strstr(buf, "voluntary_ctxt_switches:");
			char *nv = strstr(buf, "nonvoluntary_ctxt_switches:");
			if (v)
				sw += atoll(v + 24);
			if (nv)
				sw += atoll(nv + 27);
		}
	}
	printf("%lld %lld\n", cpu, sw);
	return 0;
}

/* ---- probes used by the profiling notes in docs/BENCHMARKS.md ---- */

/* The least a supervisor can do to respawn: block in waitpid, vfork, exec
 * again. Its crash-to-respawn latency is the floor of this machine. */
static int cmd_floor(int argc, char **argv)
{
	if (argc < 2)
		die("%s", "usage: floor DIR EXE [ARG...]");
	if (chdir(argv[0]) != 0)
		die("cannot chdir to %s", argv[0]);
	for (;;) {
		pid_t p = vfork();
		if (p == 0) {
			execve(argv[1], argv + 1, environ);
			_exit(127);
		}
		if (p < 0)
			return 1;
		while (waitpid(p, NULL, 0) != p)
			;
	}
}

/* The floor of a mass recovery: N processes of EXE started by vfork + exec
 * from W processes at once (W = 1: one after another, as one supervisor
 * process does; W = 2: both CPUs), each in ROOT/fNNNN (which holds a
 * `crash` file: the service stamps and exits). Prints the time from the
 * start until all N have stamped, in ns (-1: not within 30 s). */
static int cmd_massfloor(int argc, char **argv)
{
	if (argc != 5)
		die("%s", "usage: massfloor STAMPS ROOT N W EXE");
	int n = atoi(argv[2]), w = atoi(argv[3]);
	stamps_open(argv[0]);
	stamps_since(INT64_MAX);
	stamps_read();
	int64_t t0 = now_ns();
	stamps_since(t0);
	pid_t *ws = calloc((size_t)w, sizeof *ws);
	for (int k = 0; k < w; k++) {
		ws[k] = fork();
		if (ws[k] < 0)
			die("%s", "fork");
		if (ws[k] > 0)
			continue;
		char dir[4096];
		char *av[] = {argv[4], NULL};
		for (int i = k; i < n; i += w) {
			snprintf(dir, sizeof dir, "%s/f%04d", argv[1], i + 1);
			pid_t p = vfork();
			if (p == 0) {
				if (chdir(dir) == 0)
					execve(av[0], av, environ);
				_exit(127);
			}
		}
		while (wait(NULL) > 0)
			;
		_exit(0);
	}
	size_t want = (size_t)n;
	bool ok = stamps_wait(t0 + 30000 * 1000000LL, enough_after, &want);
	for (int k = 0; k < w; k++)
		waitpid(ws[k], NULL, 0);
	printf("%lld\n", ok ? (long long)(max_after() - t0) : -1LL);
	free(ws);
	return ok ? 0 : 1;
}

/* vfork + exec + wait of EXE while this process holds N close-on-exec
 * pipe ends: the kernel closes each of them at every exec. */
static int cmd_fdcost(int argc, char **argv)
{
	if (argc != 3)
		die("%s", "usage: fdcost N REPS EXE");
	int want = atoi(argv[0]), reps = atoi(argv[1]), have = 0;
	while (have < want) {
		int pp[2];
		if (pipe2(pp, O_CLOEXEC) != 0)
			break;
		have += 2;
	}
	int64_t best = INT64_MAX, sum = 0;
	char *av[] = {argv[2], NULL};
	for (int i = 0; i < reps; i++) {
		int64_t t0 = now_ns();
		pid_t p = vfork();
		if (p == 0) {
			execve(av[0], av, environ);
			_exit(127);
		}
		waitpid(p, NULL, 0);
		int64_t d = now_ns() - t0;
		sum += d;
		if (d < best)
			best = d;
	}
	printf("fds %d: best %.1f us, mean %.1f us\n", have, best / 1e3, sum / 1e3 / reps);
	return 0;
}

/* How long closing an inotify descriptor that has a watch takes (what a
 * client that waited with inotify pays before it can exit). */
static int cmd_inotify_close(int argc, char **argv)
{
	const char *dir = argc > 0 ? argv[0] : "/tmp";
	for (int i = 0; i < 10; i++) {
		int fd = inotify_init1(IN_CLOEXEC);
		inotify_add_watch(fd, dir, IN_CLOSE_WRITE);
		int64_t t0 = now_ns();
		close(fd);
		printf("%.2f%s", (now_ns() - t0) / 1e6, i < 9 ? " " : " ms\n");
	}
	return 0;
}

/* mkdir each DIR; with a TARGET other than "-", link DIR/run to it. */
static int cmd_mkdirs(int argc, char **argv)
{
	if (argc < 1)
		die("%s", "usage: mkdirs TARGET|- DIR...");
	for (int i = 1; i < argc; i++) {
		if (mkdir(argv[i], 0755) != 0 && errno != EEXIST)
			die("cannot create %s", argv[i]);
		if (strcmp(argv[0], "-") != 0) {
			char link[4200];
			snprintf(link, sizeof link, "%s/run", argv[i]);
			if (symlink(argv[0], link) != 0)
				die("cannot link %s", link);
		}
	}
	return 0;
}

static int cmd_elf(int argc, char **argv)
{
	if (argc != 1)
		die("%s", "usage: elf FILE");
	int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0)
		die("cannot open %s", argv[0]);
	Elf64_Ehdr eh;
	bool dyn = false;
	if (pread(fd, &eh, sizeof eh, 0) == sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64) {
		for (int i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != sizeof ph)
				break;
			dyn |= ph.p_type == PT_INTERP;
		}
		printf("%lld %s\n", (long long)sb.st_size, dyn ? "dynamic" : "static");
	} else {
		printf("%lld script\n", (long long)sb.st_size);
	}
	close(fd);
	return 0;
}

/* Two commands run alternately, so that the machine's drift falls on both:
 * the before/after of a change to a short-lived command (status). */
static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmd_alternate(int argc, char **argv)
{
	int sep = 1;
	while (sep < argc && strcmp(argv[sep], "--") != 0)
		sep++;
	int n = argc > 0 ? atoi(argv[0]) : 0;
	if (n < 1 || sep == 1 || sep >= argc - 1)
		die("%s", "usage: alternate N A... -- B...");
	argv[sep] = NULL;
	char **cmd[2] = {argv + 1, argv + sep + 1};
	int64_t *t[2] = {calloc((size_t)n, sizeof **t), calloc((size_t)n, sizeof **t)};
	if (!t[0] || !t[1])
		die("%s", "out of memory");
	for (int i = 0; i < n; i++)
		for (int w = 0; w < 2; w++) {
			int64_t t0 = now_ns();
			pid_t pid = spawn_quiet(cmd[w]);
			if (pid < 0)
				die("cannot run %s", cmd[w][0]);
			if (wait_child(pid, t0 + 60 * 1000000000LL, NULL) < 0)
				die("%s ran past 60 s", cmd[w][0]);
			t[w][i] = now_ns() - t0;
		}
	for (int w = 0; w < 2; w++) {
		qsort(t[w], (size_t)n, sizeof **t, cmp_i64);
		printf("%s median %.1f us (quartiles %.1f-%.1f) %s\n", w ? "B" : "A", t[w][n / 2] / 1e3,
		       t[w][n / 4] / 1e3, t[w][(3 * n) / 4] / 1e3, cmd[w][0]);
	}
	printf("B/A %.3f\n", (double)t[1][n / 2] / (double)t[0][n / 2]);
	free(t[0]);
	free(t[1]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("%s", "usage: btool now|reaper|time|wait-stamps|crash|masskill|stop|restart|tree|mem|snap|elf|mkdirs|"
		    "floor|fdcost|inotify-close|alternate ...");
	const char *c = argv[1];
	argc -= 2;
	argv += 2;
	if (strcmp(c, "now") == 0) {
		printf("%lld\n", (long long)now_ns());
		return 0;
	}
	if (strcmp(c, "reaper") == 0)
		return cmd_reaper(argc, argv);
	if (strcmp(c, "time") == 0)
		return cmd_time(argc, argv);
	if (strcmp(c, "wait-stamps") == 0)
		return cmd_wait_stamps(argc, argv);
	if (strcmp(c, "crash") == 0)
		return cmd_crash(argc, argv);
	if (strcmp(c, "masskill") == 0)
		return cmd_masskill(argc, argv);
	if (strcmp(c, "stop") == 0)
		return cmd_stop(argc, argv);
	if (strcmp(c, "restart") == 0)
		return cmd_restart(argc, argv);
	if (strcmp(c, "tree") == 0)
		return cmd_tree(argc, argv);
	if (strcmp(c, "mem") == 0)
		return cmd_mem(argc, argv);
	if (strcmp(c, "snap") == 0)
		return cmd_snap(argc, argv);
	if (strcmp(c, "elf") == 0)
		return cmd_elf(argc, argv);
	if (strcmp(c, "mkdirs") == 0)
		return cmd_mkdirs(argc, argv);
	if (strcmp(c, "floor") == 0)
		return cmd_floor(argc, argv);
	if (strcmp(c, "massfloor") == 0)
		return cmd_massfloor(argc, argv);
	if (strcmp(c, "fdcost") == 0)
		return cmd_fdcost(argc, argv);
	if (strcmp(c, "inotify-close") == 0)
		return cmd_inotify_close(argc, argv);
	if (strcmp(c, "alternate") == 0)
		return cmd_alternate(argc, argv);
	die("unknown command %s", c);
}
