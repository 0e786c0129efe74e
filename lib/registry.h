/* registry.h: SupervisorRegistry.xml loaded into plain structs (SPEC §4).
 * Implemented in lib/registry/ (only its xml.c sees mini-XML); everything
 * else uses these types. */
#ifndef IS_REGISTRY_H
#define IS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define REG_MAX_FILE    (1u << 20)   /* bytes: larger registries are refused */
#define REG_MAX_SERVERS 4096
#define REG_MAX_ARGS    1024
#define REG_MAX_SECONDS 86400u * 365 /* any duration, in seconds */
#define REG_ID_MAX      64

enum trace_level { TRACE_ERROR = 0, TRACE_WARNING, TRACE_INFO, TRACE_DEBUG };
enum restart_policy { RESTART_ALWAYS = 0, RESTART_ON_FAILURE, RESTART_NEVER };
enum health_kind { HEALTH_NONE = 0, HEALTH_TCP, HEALTH_HTTP, HEALTH_EXEC };
/* How a server becomes ready (SPEC §5). AUTO is resolved by the loader:
 * HEALTH with a <healthCheck>, else EXEC; a loaded server never has AUTO. */
enum readiness { READY_AUTO = 0, READY_EXEC, READY_HEALTH, READY_NOTIFY };

struct env_var {
	const char *name, *value;
};

struct health {
	enum health_kind kind;
	const char *host;          /* tcp */
	unsigned port;             /* tcp; http: from url */
	const char *url;           /* http */
	const char *http_host;     /* http: host part of url */
	const char *http_path;     /* http: path part of url */
	unsigned status;           /* http: expected status, default 200 */
	const char **argv;         /* exec, NULL-terminated */
	unsigned interval, timeout, failures, start_period;  /* seconds, count */
	unsigned start_interval;   /* seconds between probes during start_period */
};

/* One fully resolved server: profiles applied, variables substituted,
 * relative paths made absolute. */
struct server {
	const char *id;
	const char *description;   /* "" if none */
	int line;                  /* where <server> starts */
	unsigned priority, start_delay, stop_timeout;
	const char **argv;         /* argv[0] is the executable; NULL-terminated */
	size_t argc;
	struct env_var *env;       /* <environment>: over the minimal one (lib/serverenv.h) */
	size_t nenv;
	struct env_var *pass_env;  /* <passEnvironment>: names (value NULL) passed through */
	size_t npass;
	const char *workdir;       /* NULL: the registry's directory */
	const char *user, *group;  /* NULL: unchanged */
	const char *stdout_path;   /* "-": the supervisor's own stdout/stderr */
	const char *stderr_path;
	int stop_signal;
	enum restart_policy restart;
	unsigned min_uptime, restart_delay_max, max_restarts;
	bool essential;
	bool timestamps;           /* prefix each line of its log files with the UTC time */
	struct health health;
	enum readiness readiness;
	unsigned start_timeout;    /* seconds to become ready; 0: no limit */
	unsigned watchdog;         /* notify: seconds between WATCHDOG=1; 0: off */
};

struct registry {
	struct arena arena;
	const char *path;          /* absolute */
	const char *dir;           /* its directory */
	unsigned tcpport;
	const char *log;           /* absolute path, or "-" */
	const char *rundir;        /* absolute; <temp> or $IMAGESERVING_RUNDIR */
	enum trace_level tracelevel;
	unsigned stats_interval;
	unsigned shutdown_timeout;
	bool cgroups;              /* contain each server in a cgroup (v2) of its own (default) */
	struct server *servers;    /* in start order: priority, then file order */
	size_t nservers;
};

/* Messages found while loading: "FILE:LINE: text" lines, errors and warnings. */
struct diag {
	struct buf text;
	unsigned errors, warnings;
};

/* Load and resolve a registry. Returns NULL if any error was found (all of them
 * are in d); warnings do not fail the load. The result is freed with
 * registry_free. */
struct registry *registry_load(const char *path, struct diag *d);
void registry_free(struct registry *r);
void diag_free(struct diag *d);

/* Find the run directory even when the registry no longer validates (an XML
 * typo included), so that status and stop keep working: $IMAGESERVING_RUNDIR
 * (which must be absolute), else <config><temp> with its variables, else the
 * default from the uid (SPEC §3). Returns an xmalloc'd absolute path, or NULL
 * with the reason in d. A plain <temp> is found by lib/rundir_scan.c without
 * parsing the registry (the commands and status run it every time). */
char *registry_rundir_find(const char *path, struct diag *d);
/* The same by the full parse only (what the scan must agree with). */
char *registry_rundir_load(const char *path, struct diag *d);
/* The full parse without the reason. */
char *registry_rundir_lenient(const char *path);
/* The run directory of a registry without <temp>, from the uid alone
 * (xmalloc'd); also where registries' anchors are (lib/anchor.h). */
char *registry_rundir_default(void);

/* Whether two servers would run the same process: every setting the table
 * marks as defining it (argv, environment, directory, credentials, output
 * files) is equal. */
bool server_same_process(const struct server *a, const struct server *b);

/* The settings table, one row per element of a server (for a plan): row i's
 * label (NULL if it is not shown on a line of its own) and its value for s
 * appended to text as one line. False past the last row. */
bool server_setting(size_t i, const struct server *s, const char **label, struct buf *text);
const char *server_setting_element(size_t i);  /* row i's element; NULL past the last */
bool server_setting_process(size_t i);         /* whether it defines the process */

const char *trace_level_name(enum trace_level l);
const char *restart_policy_name(enum restart_policy p);
const char *readiness_name(enum readiness r);
/* A health check in one line ("tcp connect 127.0.0.1:80; every 10 s, …"). */
void health_show(const struct health *h, struct buf *b);

/* Where the registry is: -c FILE, else $IMAGESERVING_REGISTRY, else
 * conf/SupervisorRegistry.xml under the install root (SPEC §3).
 * Returns an xmalloc'd path, made absolute against the current directory. */
char *registry_locate(const char *opt_c);

#endif
