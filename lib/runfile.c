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

#include "fs.h"

/* Anyone but the run directory's owner (or root) who can write to a run file
 * can plant a state that makes us signal any process, or fake a healthy
 * supervisor (SPEC §3). */
int runfile_trust(const struct stat *st, uid_t owner, const char *what, const char *path, char *why, size_t n)
{
	if (st->st_uid != owner && st->st_uid != 0) {
		snprintf(why, n, "%s %s is owned by uid %u (mode %04o), not by uid %u or root: refusing it", what, path,
			 (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777), (unsigned)owner);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, n, "%s %s has mode %04o: writable by %s, refusing it (chmod go-w %s)", what, path,
			 (unsigned)(st->st_mode & 07777), (st->st_mode & S_IWOTH) ? "others" : "its group", path);
		return -EPERM;
	}
	return 0;
}

/* The owner a run file must have (or root): the run directory's. */
static int dir_owner(const char *dir, uid_t *owner)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return -errno;
	*owner = st.st_uid;
	return 0;
}

int rundir_check(const char *dir, bool any_owner, char *why, size_t n)
{
	struct stat st;
	if (lstat(dir, &st) != 0) {
		int e = errno;
		snprintf(why, n, "run directory %s: %s", dir, strerror(e));
		return -e;
	}
	if (S_ISLNK(st.st_mode)) {
		/* A link is followed only if its owner is us or root. */
		if (st.st_uid != geteuid() && st.st_uid != 0) {
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
	return runfile_trust(&st, any_owner ? st.st_uid : geteuid(), "run directory", dir, why, n);
}

int rundir_prepare(const char *dir, char *why, size_t n)
{
	int made = mkdir_p(dir, 0755);
	if (made < 0) {
		snprintf(why, n, "cannot create run directory %s: %s", dir, strerror(-made));
		return made;
	}
	return rundir_check(dir, false, why, n);
}

int runfile_check(const char *dir, const char *name, char *why, size_t n)
{
	char *p = path_join(dir, name);
	struct stat st;
	uid_t owner = 0;
	int r = dir_owner(dir, &owner);
	if (r < 0) {
		snprintf(why, n, "run directory %s: %s", dir, strerror(-r));
	} else if (lstat(p, &st) != 0) {
		r = -errno;
		snprintf(why, n, "%s: %s", p, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(why, n, "%s is not a regular file (mode %06o): refusing it", p, (unsigned)st.st_mode);
		r = -EPERM;
	} else {
		r = runfile_trust(&st, owner, "file", p, why, n);
	}
	free(p);
	return r;
}

/* Open dir/name never through a symbolic link nor blocking on a FIFO; with
 * check, refuse what is not a regular file we may trust (-EPERM). */
static int open_in(const char *dir, const char *name, int flags, mode_t mode, bool check)
{
	char *p = path_join(dir, name);
	int fd = open(p, flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, mode);
	int e = errno;
	free(p);
	if (fd >= 0 && check) {
		struct stat st;
		char why[16];
		uid_t owner;
		if (dir_owner(dir, &owner) != 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    runfile_trust(&st, owner, "", "", why, sizeof why) != 0) {
			close(fd);
			fd = -1;
			e = EPERM;
		}
	}
	errno = e;
	return fd;
}

int lock_take(const char *dir)
{
	return lock_take_file(dir, "supervisor.lock");
}

pid_t lock_holder(const char *dir)
{
	return lock_holder_file(dir, "supervisor.lock");
}

int lock_take_file(const char *dir, const char *name)
{
	int fd = open_in(dir, name, O_RDWR | O_CREAT, 0644, true);
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

pid_t lock_holder_file(const char *dir, const char *name)
{
	int fd = open_in(dir, name, O_RDONLY, 0, true);
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
	/* Whatever sits at the temporary name (a file left by a crash) is
	 * replaced, never written through. */
	char *a = path_join(dir, tmp), *b = path_join(dir, name);
	int r = 0;
	if (unlink(a) != 0 && errno != ENOENT)
		r = -errno;
	int fd = r ? -1 : open_in(dir, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644, false);
	if (!r && fd < 0)
		r = -errno;
	if (!r && write_full(fd, text, len) != 0)
		r = -errno;
	if (fd >= 0 && close(fd) != 0 && !r)
		r = -errno;
	if (!r && rename(a, b) != 0)
		r = -errno;
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

int runfile_open_trusted(const char *dir, const char *name)
{
	return open_in(dir, name, O_RDONLY, 0, true);
}
