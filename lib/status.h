/* status.h: the typed state-file schema shared by the daemon (writer) and
 * every reader (status, the client, tests through status --json). */
#ifndef IS_STATUS_H
#define IS_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define STATE_MAGIC "imageserving-state 2"
#define STATE_FILE "supervisor.state"

/* What a server is doing, as published (the daemon's own states map onto
 * these: a server being killed is still "stopping"). One name table. */
enum sv_state {
	SV_WAITING,   /* its start group has not come yet */
	SV_STARTING,  /* exec'd, not yet ready */
	SV_RUNNING,
	SV_BACKOFF,   /* waiting to restart after a crash */
	SV_STOPPING,
	SV_STOPPED,
	SV_FATAL,     /* gave up (maxRestarts) */
	SV_NSTATES
};
const char *sv_state_name(enum sv_state s);
int sv_state_parse(const char *name);  /* -1 if unknown */

/* What the supervisor is doing. */
enum sup_phase { PHASE_STARTING, PHASE_RUNNING, PHASE_STOPPING, PHASE_RESTARTING, PHASE_N };
const char *sup_phase_name(enum sup_phase p);

struct st_server {
	int index;
	char id[72];
	int state;                /* enum sv_state */
	int pid;                  /* main process; 0: none */
	int64_t start_boot_ns;    /* CLOCK_BOOTTIME when it started */
	int64_t proc_start;       /* /proc starttime of pid: with the pid, an identity */
	int restarts;             /* the supervisor's own restarts (crashes) */
	int requested;            /* restarts asked for (restart ID, reload changes) */
	int wstatus;              /* raw wait status of the last exit; -1: none */
	int held;                 /* stopped by request (stop ID) */
	int removed;              /* dropped by a reload, still stopping */
	int64_t deadline_ns;      /* CLOCK_MONOTONIC of its timer (KILL, restart); 0: none */
	int64_t stop_timeout_ms;  /* its stopTimeout: how long a stop may take */
	char last_error[200];
	char description[200];
	int64_t ready_boot_ns;    /* CLOCK_BOOTTIME when it became ready; 0: not ready */
	char health[100];         /* its health check's summary; "": none configured */
	char health_status[12];   /* "unknown", "passing", "failing"; "": no check running */
	int health_failures;      /* consecutive failures */
	int64_t health_since_s;   /* CLOCK_REALTIME s when the current result began */
	char health_error[100];   /* why the last probe failed, while not passing */
	char readiness[12];       /* how it becomes ready: exec, health, notify */
	char notify_status[132];  /* its last sd_notify STATUS= text; "": none */
};

struct st_file {
	int pid;
	int64_t pidns;            /* inode of the daemon's pid namespace */
	int64_t start_boot_ns;
	int64_t start_real_s;
	int64_t generation;       /* bumped when server indexes may change */
	int64_t serial;           /* bumped on every write */
	int phase;                /* enum sup_phase */
	int foreground;           /* not daemonized (-f, PID 1, systemd Type=simple) */
	int64_t stop_budget_ms;   /* the longest a whole stop may take */
	int64_t stop_deadline_ns; /* CLOCK_MONOTONIC end of a stop under way; 0: none */
	char registry[4096];
	char rundir[4096];
	char endpoint[160];       /* the status endpoint served, "" (none) or "error: why" */
	size_t n;
	struct st_server *servers;
};

/* The text of the state file: magic, a header line naming the supervisor
 * columns, the supervisor line, a header naming the server columns, one line
 * per server. Fields are tab-separated; tabs and newlines in strings become
 * spaces. Readers map columns by the header names, so columns may be added. */
void state_format(struct buf *b, const struct st_file *f);
/* The same in pieces, for a writer that has no array of servers: the head
 * (f->servers unused), then each server's line. */
void state_format_head(struct buf *b, const struct st_file *f);
void state_format_server(struct buf *b, const struct st_server *s);

/* Parse text (modified in place). 0, or -EINVAL if it is not a state file. */
int state_parse(char *text, struct st_file *f);

/* Read dir/supervisor.state. 0, -ENOENT, -EINVAL (garbled), or -EPERM (a
 * file we may not trust: owned by another user or writable by others). */
int state_read(const char *dir, struct st_file *f);
void state_free(struct st_file *f);
const struct st_server *state_find(const struct st_file *f, const char *id);

/* "exit 3", "signal KILL", or "" for none. */
void wstatus_text(char *out, size_t n, int wstatus);

#endif
