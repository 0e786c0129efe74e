/* runfile.h: the run directory shared by the daemon and its clients (SPEC §6):
 * supervisor.lock (held by the live daemon), supervisor.pid, supervisor.state. */
#ifndef IS_RUNFILE_H
#define IS_RUNFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define STATE_MAGIC "imageserving-state 1"

/* The real-time signal that carries a per-server command (sigqueue value:
 * bits 0-1 command, 2-17 server index, 18-30 generation). */
#define CMD_SIGNAL (SIGRTMAX - 2)
enum { CMD_RESTART = 1, CMD_STOP = 2, CMD_START = 3 };
int cmd_encode(int cmd, unsigned index, unsigned long generation);
void cmd_decode(int value, int *cmd, unsigned *index, unsigned *generation);

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

/* ---- the state file ---- */

struct st_server {
	unsigned index;
	char id[72];
	char state[16];        /* starting running backoff stopping stopped fatal */
	pid_t pid;             /* 0: none */
	int64_t start_boot_ns; /* CLOCK_BOOTTIME of the current process's start */
	unsigned restarts;
	char last_exit[32];    /* "exit 3", "signal KILL", or "" */
	bool held;             /* stopped by request (stop ID) */
	unsigned long long proc_start;  /* /proc starttime of pid, for identity checks */
	char last_error[200];
	char description[200];
};

struct st_file {
	pid_t pid;
	unsigned long long pidns;
	int64_t start_boot_ns;
	int64_t start_real_s;
	unsigned long generation, serial;
	char phase[16];        /* starting running stopping */
	char registry[4096];
	size_t n;
	struct st_server *servers;
};

/* Append the state file's lines to b (the daemon builds, then file_replace). */
void state_put_header(struct buf *b, const struct st_file *f);
void state_put_server(struct buf *b, const struct st_server *s);

/* Read dir/supervisor.state. 0, -ENOENT, or -EINVAL (garbled). */
int state_read(const char *dir, struct st_file *f);
void state_free(struct st_file *f);
const struct st_server *state_find(const struct st_file *f, const char *id);

#endif
