/* control.h: how a client finds, signals and waits for the daemon. It trusts a
 * pid only while the daemon's lock is held by that pid. */
#ifndef IS_CONTROL_H
#define IS_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runfile.h"
#include "status.h"

/* The daemon's pid: >0, 0 not running, -2 in another pid namespace, -1 error
 * (a run directory or lock file we may not trust among them). On -2 and -1,
 * why says so. */
pid_t daemon_find(const char *rundir, char *why, size_t n);

/* Signal the daemon (value != 0: sigqueue'd with that value), making sure the
 * pid still holds the lock at the moment of sending. 0 or -errno. */
int daemon_signal(const char *rundir, pid_t pid, int sig, int value);

/* A message for a daemon_signal error (EPERM: another user's daemon). */
const char *daemon_signal_error(pid_t pid, int e, char *buf, size_t n);

/* Wait until pid has exited (true) or timeout_ms passed (false). */
bool wait_exit(pid_t pid, int64_t timeout_ms);

/* Wait until pred(state, arg) is true for the state file, re-reading it each
 * time the run directory changes, or until timeout_ms. Returns 1 when true,
 * 0 on timeout, -1 if the daemon went away meanwhile. The last state read is
 * left in *st (caller frees). */
int wait_state(const char *rundir, pid_t daemon, bool (*pred)(const struct st_file *, void *), void *arg,
	       int64_t timeout_ms, struct st_file *st);

#endif
