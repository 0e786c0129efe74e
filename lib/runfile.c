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

int rundir_prepare(const char *dir, char *why, size_t n)
{
	int made = mkdir_p(dir, 0755);
	if (made < 0) {
		snprintf(why, n, "cannot create run directory %s: %s", dir, strerror(-made));
		return made;
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
