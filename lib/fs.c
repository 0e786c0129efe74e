/* fs.c: one mkdir -p, and the one way log files are opened for appending. */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define RESOLVE_NO_SYMLINKS_ 0x04

int mkdir_p(const char *dir, mode_t mode)
{
	char *p = xstrdup(dir);
	int r = 0;
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			r = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return r;
}

#define APPEND_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW)

/* openat2 with RESOLVE_NO_SYMLINKS: -1 with errno ENOSYS where the kernel
 * (before 5.6) or a seccomp filter does not have it. */
static int open_nolinks(const char *path)
{
	struct {
		uint64_t flags, mode, resolve;
	} how = {.flags = APPEND_FLAGS, .mode = 0644, .resolve = RESOLVE_NO_SYMLINKS_};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	if (fd < 0 && errno == EPERM)
		errno = ENOSYS;  /* a seccomp filter that refuses what it does not know */
	return fd;
}

/* The same by hand, one component at a time, each directory opened with
 * O_NOFOLLOW | O_DIRECTORY; missing directories are created (0755). */
static int open_walk(const char *path)
{
	char *p = xstrdup(path);
	int dir = open(*p == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = -1, e = 0;
	char *s = p;
	while (dir >= 0) {
		while (*s == '/')
			s++;
		char *end = s + strcspn(s, "/");
		if (!*end) {
			fd = *s ? openat(dir, s, APPEND_FLAGS, 0644) : (errno = EISDIR, -1);
			e = errno;
			break;
		}
		*end = 0;
		int next = openat(dir, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && (mkdirat(dir, s, 0755) == 0 || errno == EEXIST))
			next = openat(dir, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			/* A link there is refused as ELOOP, as the last component's. */
			struct stat st;
			e = errno == ENOTDIR && fstatat(dir, s, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)
				    ? ELOOP
				    : errno;
		}
		close(dir);
		dir = next;
		s = end + 1;
	}
	if (dir < 0 && !e)
		e = errno;
	if (dir >= 0)
		close(dir);
	free(p);
	errno = e;
	return fd;
}

int open_append(const char *path)
{
	int fd = open_nolinks(path);
	if (fd < 0 && (errno == ENOSYS || errno == ENOENT || errno == E2BIG || errno == EINVAL))
		fd = open_walk(path);  /* no openat2, or a directory to create */
	if (fd < 0)
		return -1;
	/* A FIFO or a device must not hold up the writer: only regular files
	 * (and /dev/null, which never blocks). */
	struct stat st;
	int e = fstat(fd, &st) != 0 ? errno : 0;
	if (!e && !S_ISREG(st.st_mode) && !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)))
		e = EINVAL;
	if (e) {
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

const char *open_append_error(int e)
{
	switch (e) {
	case ELOOP:
		return "a symbolic link in its path: refused";
	case EINVAL:
		return "not a regular file: refused";
	case ENXIO:
		return "a FIFO with no reader: refused";
	default:
		return strerror(e);
	}
}
