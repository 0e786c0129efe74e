/* fs.c: one mkdir -p, and the one way log files are opened for appending. */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

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

int open_append(const char *path)
{
	const int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
	int fd = open(path, flags, 0644);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	char *dir = path_dirname(path);
	(void)mkdir_p(dir, 0755);  /* the open below reports a failure */
	free(dir);
	return open(path, flags, 0644);
}
