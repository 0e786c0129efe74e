/* daemon.h: the supervisor daemon's internal header: its context, the server
 * record and lifecycle, and the prototypes of each file, grouped per file. */
#ifndef IS_DAEMON_H
#define IS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/registry.h"
#include "lib/source.h"
#include "lib/status.h"

#define MS (1000000LL)
#define SEC (1000000000LL)
#define BACKOFF_BASE (100 * MS)
/* A death this soon after the start is always a quick one, whatever
 * minUptime says: minUptime 0 must not turn throttling off. */
#define QUICK_FLOOR (1 * SEC)

/* ---- the server lifecycle (server.c) ----
 *
 * What a server is doing (its state) is kept apart from what we want of it
 * (held: stopped by request; removed: dropped by a reload), as runit keeps
 * state apart from want. One function, svc_event(), moves a server between
 * states; nothing else assigns v->state. The deadline's meaning comes from
 * the state: STARTING → not ready in time (startTimeout; optional),
 * STOPPING → send KILL, BACKOFF → launch; every other state has none.
 * Invariants (checked in the sanitizer build):
 *   pid != 0      ⇔ state ∈ {STARTING, RUNNING, STOPPING, KILLED}
 *   deadline != 0 ⇒ state ∈ {STARTING, STOPPING, BACKOFF}
 *   state ∈ {STOPPING, BACKOFF} ⇒ deadline != 0
 * A server that fails (a health check, its watchdog, its startTimeout) is
 * stopped like any other (stop signal, stopTimeout, KILL) with `failing`
 * set; its exit then goes through the restart policy as a crash's does.
 */
enum svstate {
	S_WAITING,  /* its start group has not come */
	S_STARTING, /* exec'd, not yet ready; timer: startTimeout */
	S_RUNNING,
	S_STOPPING, /* stop signal sent; timer: KILL */
	S_KILLED,   /* KILL sent; waiting for the exit */
	S_BACKOFF,  /* timer: launch */
	S_DOWN,
	S_FATAL,
	S_N
};
enum svevent {
	E_GO,    /* start it (arg: enum launch_why) */
	E_STOP,  /* stop it (a stop-all, stop ID, restart ID, a reload) */
	E_EXIT,  /* its main process exited (arg: wait status) */
	E_TIMER, /* its deadline passed */
	E_READY, /* it became ready (readiness health / notify) */
	E_FAIL,  /* it failed while alive (health, watchdog): v->last_error says why */
	E_N
};
enum launch_why { WHY_FIRST, WHY_CRASH, WHY_ASKED, WHY_RESTART /* asked, and it was up */ };

struct regref {
	struct registry *r;
	unsigned refs;
};

struct extra {
	pid_t pid;
	unsigned long long start; /* /proc starttime: the same process, not a reused pid */
};
struct extralist {
	struct extra *p;
	size_t n, cap;
};

struct svc;
struct probe;

/* One output destination of a server: a file fed from a pipe we read. */
struct outlog {
	struct source src; /* first: the loop hands us this */
	struct svc *owner;
	char *path;        /* owned: registries come and go */
	int pipe;          /* our read end; -1: none */
	bool midline;      /* the file's last line is not finished */
	unsigned long long dropped;
};

struct svc {
	char id[REG_ID_MAX + 1];
	const struct server *cfg;  /* the current (or last) instance's settings */
	struct regref *reg;        /* holds cfg */
	const struct server *want; /* the registry's latest: the next instance's */
	struct regref *want_reg;
	enum svstate state;
	bool held, removed;
	bool failing;              /* being stopped because it failed: restart as after a crash */
	bool keep_error;           /* last_error explains this instance's start: keep it */
	pid_t pid;
	int64_t start_mono, start_boot;
	unsigned long long proc_start;
	int inst_signal;           /* stop signal of this instance (its parent-death signal) */
	bool in_cgroup;            /* this instance started in its own cgroup: all it leaves is there */
	int64_t deadline;
	unsigned restarts;         /* our own: after crashes */
	unsigned requested;        /* asked for: restart ID, reload changes */
	unsigned quick_deaths;
	bool started_once;
	enum launch_why why;       /* of the current (or last) instance */
	int last_status;           /* wait status; -1: none */
	char last_error[160];
	int64_t ready_mono;        /* when this instance became ready; 0: not (yet) */
	char health[96];           /* the health engine's summary; "": no check */
	struct {                   /* its last result, as the JSON object says it */
		char status[8];    /* "unknown", "passing", "failing"; "": no check running */
		unsigned failures; /* in a row (outside the start period) */
		int64_t since;     /* CLOCK_REALTIME s when this result began */
		char error[96];    /* why the last probe failed, while not passing */
	} hc;
	char notify_status[128];   /* the last STATUS= it sent over sd_notify */
	int64_t watchdog_at;       /* notify.c: no WATCHDOG=1 by then → it failed; 0: none */
	struct probe *probe;       /* the health engine's schedule; NULL: none yet */
	struct extralist extras;   /* descendants outside the process group */
	struct outlog out, err;
};

/* Side effects of the lifecycle, so that tests/unit/ can drive every cell of
 * the table with stubs and no processes. */
struct svc_ops {
	int (*launch)(struct svc *v, int64_t now);   /* 0: v->pid set; -1: v->last_error set */
	int (*signal)(struct svc *v, int sig);       /* its process group and escapees:
							 0, or -EPERM if not even one could be */
	void (*exited)(struct svc *v, pid_t old);    /* note what the old instance left, to clear */
	void (*drop)(struct svc *v);                 /* removed and gone: forget it */
	void (*fatal)(struct svc *v);                /* an essential server became fatal */
};
extern const struct svc_ops *svc_ops;

void svc_event(struct svc *v, enum svevent ev, int arg, int64_t now);
bool svc_wants_up(const struct svc *v);
bool svc_alive(const struct svc *v);
enum sv_state svc_public_state(const struct svc *v);
const char *svc_state_name(enum svstate s);
/* The restart policy, pure: the delay before the next launch. */
int64_t backoff_delay(unsigned quick_deaths, unsigned delay_max_s);
struct svc *svc_new(const struct server *s, struct regref *r);
void svc_free(struct svc *v);
void svc_set_want(struct svc *v, const struct server *s, struct regref *r);

/* ---- the daemon's context ---- */
enum work {
	W_REAP = 1u << 0, W_STOP = 1u << 1, W_RELOAD = 1u << 2, W_REOPEN = 1u << 3,
	W_STATS = 1u << 4, W_REEXEC = 1u << 5,
};

struct daemon {
	struct regref *reg;
	char *reg_path;            /* absolute */
	char *rundir;
	struct svc **svcs;         /* in start order after each reload; removed ones last */
	size_t nsvc;
	enum sup_phase phase;
	unsigned next_prio;        /* PHASE_STARTING: the next group */
	int64_t next_group_at;     /* 0: none */
	int64_t stop_deadline;     /* stopping under shutdownTimeout; 0: none */
	int64_t stop_budget;       /* the registry's stop_budget_ns(), once per registry */
	uint64_t scale_num, scale_den; /* stop timeouts scaled to fit the budget */
	int exit_code;
	unsigned long generation, serial;
	bool dirty;
	bool trim;                 /* start-up work done: mem_trim() at the end of the turn */
	int64_t state_retry_at, stats_at;
	int epfd, sigfd, lock_fd, ready_fd;
	int64_t start_boot, start_real;
	unsigned long long pidns;
	unsigned long nofile_soft;
	bool foreground;
	char **argv;               /* to re-execute in place */
	unsigned work;             /* enum work bits, acted on by the loop's tail */
	char stop_why[64];
	char endpoint[160];        /* "127.0.0.1:9910", "" (off), or why it is not served */
	unsigned long reloads, reload_failures;
};
extern struct daemon D;

static inline void mark(void) { D.dirty = true; }
static inline bool stopping_all(void) { return D.phase == PHASE_STOPPING || D.phase == PHASE_RESTARTING; }

/* ---- loop.c: sources, work bits, the fixed-order tail ---- */
int loop_add(int fd, struct source *s, uint32_t events);
int loop_run(void);
void loop_timer_init(void);
void loop_queue_command(int value, pid_t from, uid_t uid);

/* ---- groups.c: start groups, stop-all, the shutdown budget ---- */
void groups_start_next(int64_t now);
void groups_timer(int64_t now);
void stop_all_begin(int code, const char *why, enum sup_phase phase);
void stop_all_progress(int64_t now);
bool all_down(void);
int64_t stop_timeout_of(const struct svc *v);
int64_t stop_budget_ns(const struct registry *r);

/* ---- reload.c: registry lifetimes and the diff ---- */
struct regref *regref_new(struct registry *r);
void regref_hold(struct regref *g);
void regref_drop(struct regref *g);
void reload(void);
void svcs_remove(struct svc *v);

/* ---- trim.c ---- */
/* Drop the code pages start-up or a reload used: the loop calls it at the
 * end of a turn in which D.trim was set. */
void mem_trim(void);

/* ---- commands.c ---- */
void command(int value, pid_t from);

/* ---- ack.c: answers to clients waiting for a command's effect ---- */
void ack_register(pid_t pid, int64_t until);
void ack_notify(int64_t serial);

/* ---- launch.c: the real svc_ops ---- */
extern const struct svc_ops real_ops;
extern const int changed_sigs[];
extern const int n_changed_sigs;

/* ---- output.c: server output into log files ---- */
int outlog_prepare(struct svc *v, struct outlog *o, const char *path, char *why, size_t n);
void outlog_drain(struct outlog *o);
void outlog_close(struct outlog *o);
void outlog_mark(struct svc *v, const char *why);  /* "ID started, pid N (why)" into its log files */
int open_logfile(const char *path);
void reopen_logs(void);

/* ---- cgroup.c: a cgroup (v2) per server where one is writable ---- */
void cgroup_setup(void);
int cgroup_dir_fd(const char *id);                 /* -1: none */
int cgroup_pids(const char *id, pid_t *out, int max);
void cgroup_remove_all(void);

/* ---- rundir.c: the run directory kept in place while we run ---- */
void rundir_watch(void);
void rundir_anchor(void);          /* hold the registry's anchor, or exit: running elsewhere */
void rundir_anchor_release(void);

/* ---- escapees.c: descendants outside the group, adopted orphans, strays ---- */
void escapees_collect(struct svc *v);
void escapees_signal(const struct extralist *l, int sig);
void escapees_note_exit(struct svc *v, pid_t old);
void escapees_sweep(void);
void escapees_batch(bool on);
void kill_strays(void);
void kill_adopted(void);

/* ---- pidtab.c: main pid → server ---- */
struct svc *pidtab_find(pid_t pid);
void pidtab_insert(struct svc *v);
void pidtab_remove(struct svc *v);
void pidtab_free(void);

/* ---- statefile.c: the state snapshot and the stats lines ---- */
void state_write(void);
void state_fill(struct st_file *f, size_t *cap);
void stats_lines(void);
void servers_rss(uint64_t *out);

/* ---- endpoint.c, metrics.c: the <tcpport> status endpoint ---- */
void endpoint_apply(void);
void endpoint_close(void);
int64_t endpoint_deadline(void);
void endpoint_timers(int64_t now);
void metrics_render(struct buf *b);

/* ---- notify.c: the sd_notify socket of notify servers ---- */
int notify_prepare(struct svc *v, char *why, size_t n);
size_t notify_env(const struct server *s, const char **out);  /* NAME, VALUE pairs */
void notify_watchdog(struct svc *v, int64_t now);

/* ---- sdnotify.c: the supervisor's own sd_notify to its manager ---- */
void sdnotify_init(void);
void sdnotify_env(bool restore);
void sdnotify_ready(void);
void sdnotify_reloading(void);
void sdnotify_stopping(const char *why, bool restarting);
void sdnotify_status(void);
int64_t sdnotify_deadline(void);
void sdnotify_timers(int64_t now);
/* ---- health.c (+ health_tcp.c, health_http.c, health_exec.c): liveness checks ---- */
int64_t health_deadline(void);          /* the earliest probe timer; 0: none */
void health_timers(int64_t now);        /* start due probes, time out late ones */
bool health_reaped(pid_t pid, int st);  /* a probe's exit: true if pid was one */
bool health_owns(pid_t pid);            /* pid is a probe under way */
void health_forget(struct svc *v);
unsigned long health_failures_total(const struct svc *v);  /* failed checks, every instance */

/* ---- ready.c: start-up readiness pipe (both sides) ---- */
int ready_spawn_daemon(const char *registry, bool ok_if_running, int *fd);
int ready_inherited(void);
void ready_report(void);
void ready_progress(const char *text);
_Noreturn void ready_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ready_abandon(const char *why);

#endif
