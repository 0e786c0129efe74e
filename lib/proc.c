/* proc.c: small /proc readers: one stat line, the children lists, tree memory. */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

long proc_page_size(void)
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
	ps->rss_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)proc_page_size() : 0;
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

int proc_pids_parse(const char *text, pid_t *out, int n, int max)
{
	for (const char *s = text; *s && n < max;) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s)
			break;
		if (v > 0)
			out[n++] = (pid_t)v;
		s = end;
	}
	return n;
}

/* One task's children file into out[n..max): the new n, or -ENOENT. Read
 * into the stack (a list of a few hundred pids, what a server has), else
 * through read_file: no allocation on a stop or an exit. */
static int task_children(pid_t pid, int taskdir, const char *tid, pid_t *out, int n, int max)
{
	char name[300], small[4096], *buf = small, *big = NULL;
	snprintf(name, sizeof name, "%s/children", tid);
	int fd = openat(taskdir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t r = read_full(fd, small, sizeof small - 1);
	if (r == (ssize_t)sizeof small - 1) {  /* a long list: read it whole */
		close(fd);
		char path[320];
		snprintf(path, sizeof path, "/proc/%d/task/%s", (int)pid, name);
		if (read_file(path, 1u << 20, &big, NULL) != 0)
			return n;
		buf = big;
	} else {
		close(fd);
		if (r < 0)
			return n;
		small[r] = 0;
	}
	n = proc_pids_parse(buf, out, n, max);
	free(big);
	return n;
}

struct dent64 {  /* what getdents64 returns, without <dirent.h>'s allocation */
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

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
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	int n = 0;
	_Alignas(struct dent64) char dbuf[2048];
	long got;
	while (n < max && (got = syscall(SYS_getdents64, dfd, dbuf, sizeof dbuf)) > 0)
		for (long off = 0; off < got && n < max;) {
			const struct dent64 *e = (const void *)(dbuf + off);
			off += e->reclen;
			if (e->name[0] < '0' || e->name[0] > '9')
				continue;
			int k = task_children(pid, dfd, e->name, out, n, max);
			if (k == -ENOENT) {
				struct stat st;
				if (fstatat(dfd, e->name, &st, 0) == 0) {  /* the task is there, its children file is not */
					no_children_files = true;
					close(dfd);
					return children_by_scan(pid, out, max);
				}
				continue;
			}
			if (k >= 0)
				n = k;
		}
	close(dfd);
	return n;
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
