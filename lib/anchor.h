/* anchor.h: where a registry's supervisor runs, found from the registry's
 * path and the uid alone, whatever the registry's <temp> says now (SPEC §3).
 * A running supervisor holds the lock of an anchor file in the default run
 * directory of its uid (registry_rundir_default), named by a hash of the
 * registry's real path, and the file names its run directory. */
#ifndef IS_ANCHOR_H
#define IS_ANCHOR_H

#include <stddef.h>
#include <sys/types.h>

/* Take registry's anchor for rundir: the locked fd (CLOEXEC), to keep until
 * anchor_release. -EAGAIN: a supervisor of this registry runs already, its
 * pid in *holder (-2: in another pid namespace) and its run directory in
 * *theirs (xmalloc'd; NULL if unreadable). Another -errno: no anchor, why
 * says why (a default run directory or anchor we may not trust among them). */
int anchor_take(const char *registry, const char *rundir, pid_t *holder, char **theirs, char *why, size_t n);

/* Remove the anchor (we hold its lock) and close fd. */
void anchor_release(int fd, const char *registry);

/* When no supervisor runs in rundir but one of registry runs elsewhere, by
 * an anchor that passes the run directory trust rules (owned by us or root,
 * writable by nobody else) and whose lock its run directory's supervisor
 * holds: that run directory (xmalloc'd). Else NULL. *found (if not NULL):
 * the supervisor seen holding the lock of the directory that applies (the
 * one returned, or rundir), or 0 if none was seen: then ask daemon_find,
 * which also says why. */
char *anchor_follow(const char *registry, const char *rundir, pid_t *found);

/* For a client: rundir, or (freed, with a note on stderr) the run directory
 * anchor_follow finds; *found as there. */
char *anchor_rundir(const char *registry, char *rundir, pid_t *found);

#endif
