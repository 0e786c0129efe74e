/* runfile.h: the run directory shared by the daemon and its clients (SPEC §6):
 * supervisor.lock (held by the live daemon), supervisor.pid, and atomic file
 * replacement (the state file's schema is status.h). */
#ifndef IS_RUNFILE_H
#define IS_RUNFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* Create the run directory (0755, parents too) and check that it is a real
 * directory owned by us or root. Returns 0 or -errno with a message in why. */
int rundir_prepare(const char *dir, char *why, size_t n);

/* Take the daemon's lock (non-blocking). Returns the fd (CLOEXEC), -EAGAIN if
 * another process holds it, or another -errno. */
int lock_take(const char *dir);

/* Who holds the lock: >0 its pid, 0 nobody, -2 a process in another pid
 * namespace (its pid is meaningless here), -1 error (errno set). */
pid_t lock_holder(const char *dir);

int pidfile_write(const char *dir, pid_t pid);

/* Write text as dir/name atomically (temp file + rename). 0 or -errno. */
int file_replace(const char *dir, const char *name, const char *text, size_t len);

#endif
