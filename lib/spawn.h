/* spawn.h: start one server process: own session and process group, clean
 * signal mask, its environment, directory, credentials, output and a
 * parent-death signal; exec from an argv, never through a shell. */
#ifndef IS_SPAWN_H
#define IS_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "registry.h"

struct spawn_req {
	const struct server *s;
	const char *default_dir;   /* when the server names no workingDirectory */
	int out_fd, err_fd;        /* become fds 1 and 2; -1 keeps the supervisor's */
	int pdeathsig;             /* 0: none */
	unsigned long nofile_soft; /* RLIMIT_NOFILE soft limit to restore; 0 keeps */
	const int *reset;          /* signals whose disposition the caller changed: */
	int nreset;                /* the child sets them back to default */
};

/* Returns the new pid, or -1 with why set ("exec /x: No such file or
 * directory"); a child that failed has already been reaped. */
pid_t spawn_server(const struct spawn_req *r, char *why, size_t n);

/* Look up user and group names now, so that check and the daemon can tell
 * about unknown ones. 0 or -1 with why set. */
int resolve_creds(const struct server *s, uid_t *uid, gid_t *gid, int *have_uid, int *have_gid, char *why,
		  size_t n);

#endif
