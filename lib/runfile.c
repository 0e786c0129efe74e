/* runfile.c: lock, pid file and state file of the run directory. Liveness is
 * decided by the lock, never by a pid alone. */
#include "runfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cmd_encode(int cmd, unsigned index, unsigned long generation)
{
	return (int)(((unsigned)cmd & 3u) | ((index & 0xffffu) << 2) | ((unsigned)(generation & 0x1fffu) << 18));
}

void cmd_decode(int value, int *cmd, unsigned *index, unsigned *generation)
{
	unsigned v = (unsigned)value;
	*cmd = (int)(v & 3u);
	*index = (v >> 2) & 0xffffu;
	*generation = (v >> 18) & 0x1fffu;
}

int rundir_prepare(const char *dir, char *why, size_t n)
{
	char *p = xstrdup(dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(p, 0755) != 0 && errno != EEXIST) {
				int e = errno;
				snprintf(why, n, "cannot create %s: %s", p, strerror(e));
				free(p);
				return -e;
			}
			*s = '/';
		}
	free(p);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		int e = errno;
		snprintf(why, n, "cannot create run directory %s: %s", dir, strerror(e));
		return -e;
	}
	struct stat st;
	if (lstat(dir, &st) != 0) {
		int e = errno;
		snprintf(why, n, "run directory %s: %s", dir, strerror(e));
		return -e;
	}
	if (S_ISLNK(st.st_mode)) {
		/* A link is followed only if its owner is us or root. */
		if (st.st_uid != getuid() && st.st_uid != 0) {
			snprintf(why, n, "run directory %s is a symbolic link owned by uid %u: refusing to follow it", dir,
				 (unsigned)st.st_uid);
			return -EPERM;
		}
		if (stat(dir, &st) != 0) {
			int e = errno;
			snprintf(why, n, "run directory %s: %s", dir, strerror(e));
			return -e;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, n, "run directory %s is not a directory", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != getuid() && st.st_uid != 0) {
		snprintf(why, n, "run directory %s is owned by uid %u, not by us", dir, (unsigned)st.st_uid);
		return -EPERM;
	}
	return 0;
}

static int open_in(const char *dir, const char *name, int flags, mode_t mode)
{
	char *p = path_join(dir, name);
	int fd = open(p, flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode);
	int e = errno;
	free(p);
	errno = e;
	return fd;
}

int lock_take(const char *dir)
{
	int fd = open_in(dir, "supervisor.lock", O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return -errno;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int e = errno;
		close(fd);
		return (e == EACCES || e == EAGAIN) ? -EAGAIN : -e;
	}
	return fd;
}

pid_t lock_holder(const char *dir)
{
	int fd = open_in(dir, "supervisor.lock", O_RDONLY, 0);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int r = fcntl(fd, F_GETLK, &fl);
	int e = errno;
	close(fd);
	if (r != 0) {
		errno = e;
		return -1;
	}
	if (fl.l_type == F_UNLCK)
		return 0;
	/* The kernel names the holder in our namespace, or 0 if it is not
	 * visible from here. */
	return fl.l_pid > 0 ? fl.l_pid : -2;
}

int file_replace(const char *dir, const char *name, const char *text, size_t len)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	int fd = open_in(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	if (write_full(fd, text, len) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (close(fd) != 0)
		return -errno;
	char *a = path_join(dir, tmp), *b = path_join(dir, name);
	int r = rename(a, b) == 0 ? 0 : -errno;
	free(a);
	free(b);
	return r;
}

int pidfile_write(const char *dir, pid_t pid)
{
	char text[32];
	int n = snprintf(text, sizeof text, "%d\n", (int)pid);
	return file_replace(dir, "supervisor.pid", text, (size_t)n);
}

/* ---- state ---- */

/* Strings in the state file cannot hold tabs or newlines. */
static void put_field(struct buf *b, const char *s)
{
	buf_add(b, "\t", 1);
	for (; *s; s++) {
		char c = (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s;
		buf_add(b, &c, 1);
	}
}

void state_put_header(struct buf *b, const struct st_file *f)
{
	buf_printf(b, "%s\nsupervisor\t%d\t%llu\t%lld\t%lld\t%lu\t%lu", STATE_MAGIC, (int)f->pid, f->pidns,
		   (long long)f->start_boot_ns, (long long)f->start_real_s, f->generation, f->serial);
	put_field(b, f->phase);
	buf_puts(b, "\nregistry");
	put_field(b, f->registry);
	buf_puts(b, "\n");
}

void state_put_server(struct buf *b, const struct st_server *s)
{
	buf_printf(b, "server\t%u", s->index);
	put_field(b, s->id);
	put_field(b, s->state);
	buf_printf(b, "\t%d\t%lld\t%u", (int)s->pid, (long long)s->start_boot_ns, s->restarts);
	put_field(b, s->last_exit);
	buf_printf(b, "\t%d\t%llu", s->held ? 1 : 0, s->proc_start);
	put_field(b, s->last_error);
	put_field(b, s->description);
	buf_puts(b, "\n");
}

/* Split a line on tabs, keeping empty fields. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

int state_read(const char *dir, struct st_file *f)
{
	memset(f, 0, sizeof *f);
	char *p = path_join(dir, "supervisor.state");
	char *text;
	int r = read_file(p, 64u << 20, &text, NULL);
	free(p);
	if (r < 0)
		return r;
	int rc = -EINVAL;
	char *save = NULL;
	char *line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, STATE_MAGIC) != 0)
		goto out;
	size_t cap = 0;
	bool have_sup = false;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *fl[16];
		int n = split(line, fl, 16);
		if (strcmp(fl[0], "supervisor") == 0 && n >= 8) {
			f->pid = (pid_t)strtol(fl[1], NULL, 10);
			f->pidns = strtoull(fl[2], NULL, 10);
			f->start_boot_ns = strtoll(fl[3], NULL, 10);
			f->start_real_s = strtoll(fl[4], NULL, 10);
			f->generation = strtoul(fl[5], NULL, 10);
			f->serial = strtoul(fl[6], NULL, 10);
			copy(f->phase, sizeof f->phase, fl[7]);
			have_sup = true;
		} else if (strcmp(fl[0], "registry") == 0 && n >= 2) {
			copy(f->registry, sizeof f->registry, fl[1]);
		} else if (strcmp(fl[0], "server") == 0 && n >= 12) {
			if (f->n == cap) {
				cap = cap ? cap * 2 : 8;
				f->servers = xrealloc(f->servers, cap * sizeof *f->servers);
			}
			struct st_server *s = &f->servers[f->n++];
			memset(s, 0, sizeof *s);
			s->index = (unsigned)strtoul(fl[1], NULL, 10);
			copy(s->id, sizeof s->id, fl[2]);
			copy(s->state, sizeof s->state, fl[3]);
			s->pid = (pid_t)strtol(fl[4], NULL, 10);
			s->start_boot_ns = strtoll(fl[5], NULL, 10);
			s->restarts = (unsigned)strtoul(fl[6], NULL, 10);
			copy(s->last_exit, sizeof s->last_exit, fl[7]);
			s->held = fl[8][0] == '1';
			s->proc_start = strtoull(fl[9], NULL, 10);
			copy(s->last_error, sizeof s->last_error, fl[10]);
			copy(s->description, sizeof s->description, fl[11]);
		}
	}
	rc = have_sup ? 0 : -EINVAL;
out:
	free(text);
	if (rc != 0)
		state_free(f);
	return rc;
}

void state_free(struct st_file *f)
{
	free(f->servers);
	f->servers = NULL;
	f->n = 0;
}

const struct st_server *state_find(const struct st_file *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->servers[i].id, id) == 0)
			return &f->servers[i];
	return NULL;
}
