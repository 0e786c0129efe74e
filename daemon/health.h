/* health.h: the inside of the health engine (daemon/health.c), shared with
 * its one file per check kind: health_tcp.c, health_http.c, health_exec.c.
 * The rest of the daemon sees only the health_* calls in daemon.h. */
#ifndef IS_HEALTH_H
#define IS_HEALTH_H

#include "daemon.h"
#include "lib/httpc.h"

/* One server's probe schedule, and the probe under way. At most one probe
 * per server at a time: one fd (tcp, http) or one process group (exec), and
 * one timer (its timeout while it runs, else when the next is due). */
struct probe {
	struct source src;      /* tcp, http: the socket's events */
	struct svc *v;
	const struct server *cfg; /* the settings the schedule was made from */
	char *sig;              /* the check as health_show() says it: a reload that changes it resets */
	pid_t inst;             /* the instance watched (its pid; 0: none) */
	int64_t inst_start;
	int64_t due;            /* the next probe; 0: none */
	int64_t started;        /* the probe under way began */
	int64_t deadline;       /* its timeout; 0: none (an exec probe killed, being reaped) */
	int64_t grace_until;    /* startPeriod: failures before it do not count; 0: over */
	unsigned fails;         /* in a row */
	unsigned long failed;   /* failed checks in all, for the metrics */
	bool running;
	int fd;                 /* tcp, http: the socket; -1 */
	pid_t pid;              /* exec: the probe under way (its process group); 0 */
	bool connected;         /* http: the request is being sent / answered */
	size_t sent;            /* http: bytes of the request sent */
	struct http_answer *ans;/* http: kept between probes */
};

/* A probe's outcome, from its kind's file (why: e.g. "tcp connect refused"). */
void probe_done(struct probe *p, bool ok, const char *why);
const struct health *probe_check(const struct probe *p);

/* Each kind: start one probe. 0: under way (its result comes through
 * probe_done), 1: passed at once, -1: failed at once, -2: could not be run
 * for want of our own resources (fds, processes): not the server's failure,
 * tried again an interval later (why set). */
int tcp_probe_start(struct probe *p, char *why, size_t n);
int http_probe_start(struct probe *p, char *why, size_t n);
int exec_probe_start(struct probe *p, char *why, size_t n);
/* tcp, shared by http: a non-blocking connect to host:port, watched by the
 * loop with ready() as the source's handler; and its outcome once writable
 * (0, or an errno). */
int probe_connect(struct probe *p, const char *host, unsigned port, void (*ready)(struct source *, uint32_t),
		  char *why, size_t n);
int probe_connect_error(const struct probe *p);
void probe_connect_why(char *why, size_t n, const char *kind, int err);
void probe_close(struct probe *p);
/* exec: kill the probe's process group (its timeout, a cancel): it is no
 * longer the probe under way, only reaped (a process stuck in the kernel
 * holds up no later probe); the exit of the probe under way; and whether
 * pid is a killed probe, reaped now (true: it was). */
void exec_probe_kill(struct probe *p);
void exec_probe_reaped(struct probe *p, int st);
bool exec_killed_reaped(pid_t pid);
bool exec_killed_owns(pid_t pid);

#endif
