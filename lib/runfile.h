/* runfile.h: the run directory shared by the daemon and its clients (SPEC §6):
 * supervisor.lock (held by the live daemon), supervisor.pid, and atomic file
 * replacement (the state file's schema is status.h). */
#ifndef IS_RUNFILE_H
#define IS_RUNFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct stat;

/* Whether a run file or directory (what: "run directory", "file") at path
 * may be trusted: owned by owner or root, and writable by nobody else
 * (sticky or not). 0, or -EPERM with a message naming path and mode. */
int runfile_trust(const struct stat *st, uid_t owner, const char *what, const char *path, char *why, size_t n);

/* Check that the run directory is a real directory (or a link owned by us
 * or root to one) that only its owner can write; that owner must be us or
 * root unless any_owner (a client may look at another user's supervisor:
 * it is that user's to describe). 0 or -errno (-ENOENT: missing) with why. */
int rundir_check(const char *dir, bool any_owner, char *why, size_t n);

/* Create the run directory (0755, parents too), then rundir_check it. */
int rundir_prepare(const char *dir, char *why, size_t n);

/* Check dir/name is a regular file owned by the directory's owner or root
 * and writable by nobody else. 0 or -errno with why. */
int runfile_check(const char *dir, const char *name, char *why, size_t n);

/* Take the daemon's lock (non-blocking). Returns the fd (CLOEXEC), -EAGAIN if
 * another process holds it, -EPERM if the lock file is not one we may trust
 * (runfile_check says why), or another -errno. */
int lock_take(const char *dir);
/* The same for another lock file of dir (a registry's anchor). */
int lock_take_file(const char *dir, const char *name);

/* Who holds the lock: >0 its pid, 0 nobody, -2 a process in another pid
 * namespace (its pid is meaningless here), -1 error (errno set; EPERM: a
 * lock file we may not trust). */
pid_t lock_holder(const char *dir);
pid_t lock_holder_file(const char *dir, const char *name);

int pidfile_write(const char *dir, pid_t pid);

/* Write text as dir/name atomically (temp file + rename). 0 or -errno. */
/* Open dir/name for reading if it passes runfile_check (-1, errno EPERM if
 * not), never through a link or blocking. */
int runfile_open_trusted(const char *dir, const char *name);

int file_replace(const char *dir, const char *name, const char *text, size_t len);

#endif
