/* proc.c: small /proc readers: one stat line, the children lists, tree memory. */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static long page_size(void)
{
	static long ps;
	if (!ps)
		ps = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
	return ps;
}

static ssize_t read_small(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read_full(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = 0;
	return r;
}

int proc_stat_parse(const char *text, char *state, long long *f, int n)
{
	/* The command name may hold anything; fields resume after the last ')'. */
	const char *p = strrchr(text, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	*state = p[2];
	p += 3;
	for (int i = 0; i < n; i++) {
		if (*p++ != ' ')
			return -1;
		bool neg = *p == '-';
		p += neg;
		if (*p < '0' || *p > '9')
			return -1;
		unsigned long long v = 0;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (unsigned)(*p++ - '0');
		f[i] = neg ? -(long long)v : (long long)v;
	}
	return 0;
}

int proc_stat(pid_t pid, struct proc_stat *ps)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof buf) <= 0)
		return -1;
	/* ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
	 * stime cutime cstime priority nice threads itrealvalue starttime vsize rss */
	char st;
	long long f[21];
	if (proc_stat_parse(buf, &st, f, 21) != 0)
		return -1;
	pid_t ppid = (pid_t)f[0], pgrp = (pid_t)f[1], session = (pid_t)f[2];
	unsigned long long start = (unsigned long long)f[18];
	long long rss = f[20];
	ps->state = st;
	ps->ppid = ppid;
	ps->pgrp = pgrp;
	ps->session = session;
	ps->starttime = start;
	ps->rss_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page_size() : 0;
	return 0;
}

/* Kernels without CONFIG_PROC_CHILDREN have no task/TID/children files:
 * then find children by their parent pid, one pass over /proc. */
static bool no_children_files;

static int children_by_scan(pid_t pid, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid_t p = (pid_t)strtol(e->d_name, NULL, 10);
		struct proc_stat ps;
		if (proc_stat(p, &ps) == 0 && ps.ppid == pid)
			out[n++] = p;
	}
	closedir(d);
	return n;
}

int proc_children(pid_t pid, pid_t *out, int max)
{
	/* The tests run the fallback on kernels that have the files. */
	static int forced = -1;
	if (forced < 0)
		forced = getenv("IMAGESERVING_PROC_NO_CHILDREN") != NULL;
	if (no_children_files || forced)
		return children_by_scan(pid, out, max);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char cpath[320], *buf;
		snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", (int)pid, e->d_name);
		int r = read_file(cpath, 1u << 20, &buf, NULL);
		if (r == -ENOENT) {
			char tdir[320];
			struct stat st;
			snprintf(tdir, sizeof tdir, "/proc/%d/task/%s", (int)pid, e->d_name);
			if (stat(tdir, &st) == 0) {  /* the task is there, its children file is not */
				no_children_files = true;
				closedir(d);
				return children_by_scan(pid, out, max);
			}
		}
		if (r != 0)
			continue;
		for (char *s = buf, *end; *s && n < max; s = end) {
			long v = strtol(s, &end, 10);
			if (end == s)
				break;
			if (v > 0)
				out[n++] = (pid_t)v;
		}
		free(buf);
	}
	closedir(d);
	return n;
}

/* Walk pid's descendants breadth-first; a small stack array serves the
 * usual few processes without any allocation. */
uint64_t proc_descendants_rss(pid_t pid)
{
	enum { SMALL = 256, MAX = 65536 };
	pid_t small[SMALL], *todo = small;
	int cap = SMALL, n = proc_children(pid, todo, cap);
	if (n < 0)
		return 0;
	uint64_t sum = 0;
	for (int i = 0; i < n; i++) {
		struct proc_stat ps;
		if (proc_stat(todo[i], &ps) == 0)
			sum += ps.rss_bytes;
		if (n + 64 > cap && cap < MAX) {
			int ncap = cap * 4;
			pid_t *big = xmalloc((size_t)ncap * sizeof *big);
			memcpy(big, todo, (size_t)n * sizeof *big);
			if (todo != small)
				free(todo);
			todo = big;
			cap = ncap;
		}
		int k = proc_children(todo[i], todo + n, cap - n);
		if (k > 0)
			n += k;
	}
	if (todo != small)
		free(todo);
	return sum;
}

uint64_t proc_tree_rss(pid_t pid)
{
	struct proc_stat ps;
	uint64_t own = proc_stat(pid, &ps) == 0 ? ps.rss_bytes : 0;
	return own + proc_descendants_rss(pid);
}

unsigned long long proc_pidns(pid_t pid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
	if (stat(path, &st) != 0)
		return 0;
	return (unsigned long long)st.st_ino;
}

bool proc_env(pid_t pid, const char *name, char *out, size_t n)
{
	char path[64], *env;
	size_t len;
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	if (read_file(path, 1u << 20, &env, &len) != 0)
		return false;
	bool found = false;
	size_t k = strlen(name);
	for (size_t i = 0; i < len && !found; i += strlen(env + i) + 1)
		if (strncmp(env + i, name, k) == 0 && env[i + k] == '=') {
			found = true;
			snprintf(out, n, "%s", env + i + k + 1);
		}
	free(env);
	return found;
}

bool proc_marked(pid_t pid, const char *id)
{
	char v[256];
	return proc_env(pid, "IMAGESERVING_SERVER", v, sizeof v) && strcmp(v, id) == 0;
}

void proc_servers_rss(const pid_t *pids, const char *const *ids, size_t n, pid_t sup, uint64_t *rss)
{
	for (size_t i = 0; i < n; i++)
		rss[i] = pids[i] > 0 ? proc_tree_rss(pids[i]) : 0;
	static pid_t kids[65536];
	int k = sup > 0 ? proc_children(sup, kids, 65536) : 0;
	/* The supervisor's other children: members of a server's group
	 * reparented to it, or orphans carrying a server's marker. Few, usually:
	 * the marker is read only for them. */
	for (int c = 0; c < k; c++) {
		bool main_pid = false;
		for (size_t i = 0; i < n && !main_pid; i++)
			main_pid = pids[i] == kids[c];
		struct proc_stat ps;
		if (main_pid || proc_stat(kids[c], &ps) != 0 || ps.state == 'Z')
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
			rss[owner] += ps.rss_bytes + proc_descendants_rss(kids[c]);
	}
}

int proc_open_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;  /* not the directory's own fd */
}
