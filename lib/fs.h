/* fs.h: file-system helpers shared by the daemon and the clients. */
#ifndef IS_FS_H
#define IS_FS_H

#include <sys/types.h>

/* Create dir and its missing parents with mode. 0, or -errno of the first
 * component that could not be made (an existing one is fine). */
int mkdir_p(const char *dir, mode_t mode);

/* Open a log file for appending (created 0644, its missing directories
 * 0755), never through a symbolic link in ANY component of path (ELOOP):
 * openat2(RESOLVE_NO_SYMLINKS), else a walk of O_NOFOLLOW | O_DIRECTORY
 * opens. Non-blocking; only a regular file (or /dev/null) is accepted
 * (EINVAL: a FIFO, socket or other device). An fd (CLOEXEC) or -1, errno. */
int open_append(const char *path);
/* What an open_append errno means, for messages. */
const char *open_append_error(int e);

#endif
