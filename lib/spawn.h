/* spawn.h: start one process from a plain spec: own session and process
 * group, clean signal mask and dispositions, given fds, directory,
 * credentials and parent-death signal; exec from an argv, never a shell. */
#ifndef IS_SPAWN_H
#define IS_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "creds.h"

struct spawn_spec {
	char *const *argv;         /* argv[0]: a path, or a bare name looked up in PATH */
	char *const *envp;         /* the whole environment */
	const char *dir;           /* working directory */
	struct creds cr;           /* set_uid/set_gid: change to these */
	int out_fd, err_fd;        /* become fds 1 and 2; -1 keeps the caller's */
	int pdeathsig;             /* 0: none */
	unsigned long nofile_soft; /* RLIMIT_NOFILE soft limit to restore; 0 keeps */
	const int *reset;          /* signals whose disposition the caller changed: */
	int nreset;                /* the child sets them back to default */
	int cgroup_dir;            /* >= 0: a cgroup (v2) directory the child starts in */
};

/* Returns the new pid, or -1 with why set ("exec /x: No such file or
 * directory"); a child that failed has already been reaped. Standard input
 * is /dev/null, or an empty pipe where there is no /dev/null. The child
 * inherits fds 0-2 only (out_fd/err_fd -1: the caller's). Not thread-safe;
 * allocates nothing. */
pid_t spawn(const struct spawn_spec *sp, char *why, size_t n);  /* -1: why set, errno the cause */

/* A read-only fd that gives end of file: /dev/null, or (in a root without
 * one) the read end of a pipe whose write end is closed. Opened once, kept,
 * CLOEXEC; -1 if neither can be had. */
int null_input(void);

/* Why the kernel would not start a child in its cgroup_dir (an errno; 0:
 * it did or was not asked to). Once refused, spawn stops asking; the
 * children start where the caller is. */
int spawn_cgroup_errno(void);

/* The /proc starttime (clock ticks since boot) of the child the last
 * successful spawn started, known from the clock read around the clone
 * (no /proc read); 0 when the two readings straddle a tick. */
unsigned long long spawn_starttime(void);

#endif
