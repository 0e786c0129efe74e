/* fs.h: file-system helpers shared by the daemon and the clients. */
#ifndef IS_FS_H
#define IS_FS_H

#include <sys/types.h>

/* Create dir and its missing parents with mode. 0, or -errno of the first
 * component that could not be made (an existing one is fine). */
int mkdir_p(const char *dir, mode_t mode);

/* Open a log file for appending (created 0644), never through a symbolic
 * link in its last component; its directory is created if missing. An fd
 * (CLOEXEC) or -1 with errno set. */
int open_append(const char *path);

#endif
