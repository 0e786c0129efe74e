/* procmem.c: what the status report reads in /proc, in as few reads as the
 * truth allows (status runs at every monitoring poll): per process its stat
 * (identity, state, threads), its statm (resident pages: exact, where stat's
 * rss field is the kernel's per-CPU approximation, often 0 for a small
 * process) and its children list, one file for a single-threaded process.
 * Files are opened with openat (musl's open adds an fcntl for O_CLOEXEC) and
 * read once into the stack: stat and statm come whole in one read. Without
 * children files, one pass over /proc serves the whole report. */
#include "procmem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

/* One read of /proc/PID/NAME into buf (NUL-terminated): its length or -1. */
static ssize_t read_once(pid_t pid, const char *name, char *buf, size_t n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = 0;
	return r;
}

int pm_stat(pid_t pid, struct pm_stat *ps)
{
	char buf[1024];
	if (read_once(pid, "stat", buf, sizeof buf) <= 0)
		return -1;
	/* ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
	 * stime cutime cstime priority nice threads itrealvalue starttime */
	char st;
	long long f[19];
	if (proc_stat_parse(buf, &st, f, 19) != 0)
		return -1;
	int pgrp = (int)f[1], threads = (int)f[16];
	unsigned long long start = (unsigned long long)f[18];
	ps->state = st;
	ps->pgrp = pgrp;
	ps->threads = threads;
	ps->starttime = start;
	return 0;
}

uint64_t pm_rss(pid_t pid)
{
	char buf[256];
	if (read_once(pid, "statm", buf, sizeof buf) <= 0)
		return 0;
	/* size resident shared ...: the second number */
	const char *p = strchr(buf, ' ');
	if (!p || p[1] < '0' || p[1] > '9')
		return 0;
	uint64_t resident = 0;
	for (p++; *p >= '0' && *p <= '9'; p++)
		resident = resident * 10 + (uint64_t)(*p - '0');
	return resident * (uint64_t)proc_page_size();
}

/* Without children files (a kernel without CONFIG_PROC_CHILDREN), every
 * process's parent, read in one pass over /proc for the whole report rather
 * than one pass per process asked about. */
static struct parent {
	pid_t pid, ppid;
} *parents;
static size_t nparents;
static bool have_parents, no_children_files;

static void parents_load(void)
{
	have_parents = true;
	DIR *d = opendir("/proc");
	if (!d)
		return;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid_t p = (pid_t)strtol(e->d_name, NULL, 10);
		struct proc_stat ps;
		if (proc_stat(p, &ps) != 0)
			continue;
		if (nparents == cap) {
			cap = cap ? cap * 2 : 512;
			struct parent *n = realloc(parents, cap * sizeof *parents);
			if (!n)
				break;
			parents = n;
		}
		parents[nparents++] = (struct parent){p, ps.ppid};
	}
	closedir(d);
}

static int children_by_parents(pid_t pid, pid_t *out, int max)
{
	if (!have_parents)
		parents_load();
	int n = 0;
	for (size_t i = 0; i < nparents && n < max; i++)
		if (parents[i].ppid == pid)
			out[n++] = parents[i].pid;
	return n;
}

/* Children of pid: a single-threaded process has them all in one file. */
static int children(pid_t pid, int threads, pid_t *out, int max)
{
	if (no_children_files || getenv("IMAGESERVING_PROC_NO_CHILDREN"))
		return children_by_parents(pid, out, max);
	if (threads != 1)
		return proc_children(pid, out, max);
	char name[48], buf[4096];
	snprintf(name, sizeof name, "task/%d/children", (int)pid);
	ssize_t r = read_once(pid, name, buf, sizeof buf);
	if (r < 0 && errno == ENOENT) {
		/* The process is there (its stat was read), its children file is not. */
		no_children_files = true;
		return children_by_parents(pid, out, max);
	}
	if (r < 0 || (size_t)r >= sizeof buf - 1)
		return proc_children(pid, out, max);  /* gone, or a long list */
	return proc_pids_parse(buf, out, 0, max);
}

uint64_t pm_descendants_rss(pid_t pid, int threads)
{
	enum { SMALL = 256, MAX = 65536 };
	pid_t small[SMALL], *todo = small;
	int cap = SMALL, n = children(pid, threads, todo, cap);
	if (n < 0)
		return 0;
	uint64_t sum = 0;
	for (int i = 0; i < n; i++) {
		struct pm_stat ps;
		if (pm_stat(todo[i], &ps) != 0 || ps.state == 'Z')
			continue;
		sum += pm_rss(todo[i]);
		if (n + 64 > cap && cap < MAX) {
			int ncap = cap * 4;
			pid_t *big = malloc((size_t)ncap * sizeof *big);
			if (!big)
				break;
			memcpy(big, todo, (size_t)n * sizeof *big);
			if (todo != small)
				free(todo);
			todo = big;
			cap = ncap;
		}
		int k = children(todo[i], ps.threads, todo + n, cap - n);
		if (k > 0)
			n += k;
	}
	if (todo != small)
		free(todo);
	return sum;
}

void pm_servers_rss(const pid_t *pids, const int *threads, const char *const *ids, size_t n, pid_t sup,
		    int sup_threads, uint64_t *rss)
{
	have_parents = false;  /* a new report: a new look at /proc (the endpoint's daemon lives on) */
	nparents = 0;
	for (size_t i = 0; i < n; i++)
		rss[i] = pids[i] > 0 ? pm_rss(pids[i]) + pm_descendants_rss(pids[i], threads[i]) : 0;
	static pid_t kids[65536];
	int k = sup > 0 ? children(sup, sup_threads, kids, 65536) : 0;
	/* The supervisor's other children: members of a server's group
	 * reparented to it, or orphans carrying a server's marker. Few, usually:
	 * the marker is read only for them. */
	for (int c = 0; c < k; c++) {
		bool main_pid = false;
		for (size_t i = 0; i < n && !main_pid; i++)
			main_pid = pids[i] == kids[c];
		struct pm_stat ps;
		if (main_pid || pm_stat(kids[c], &ps) != 0 || ps.state == 'Z')
			continue;
		size_t owner = n;
		for (size_t i = 0; i < n && owner == n; i++)
			if (pids[i] > 0 && ps.pgrp == pids[i])
				owner = i;
		char id[128];
		if (owner == n && proc_env(kids[c], "IMAGESERVING_SERVER", id, sizeof id))
			for (size_t i = 0; i < n && owner == n; i++)
				if (strcmp(ids[i], id) == 0)
					owner = i;
		if (owner < n && pids[owner] > 0)
			rss[owner] += pm_rss(kids[c]) + pm_descendants_rss(kids[c], ps.threads);
	}
}
