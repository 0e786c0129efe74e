/* status.c: the state file's schema as one column table per line kind, its
 * writer and its reader. */
#include "status.h"
#include "vec.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "runfile.h"

static const char *const state_names[SV_NSTATES] = {
	"waiting", "starting", "running", "backoff", "stopping", "stopped", "fatal",
};
static const char *const phase_names[PHASE_N] = {"starting", "running", "stopping", "restarting"};

const char *sv_state_name(enum sv_state s)
{
	return (unsigned)s < SV_NSTATES ? state_names[s] : "unknown";
}

int sv_state_parse(const char *name)
{
	for (int i = 0; i < SV_NSTATES; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

const char *sup_phase_name(enum sup_phase p)
{
	return (unsigned)p < PHASE_N ? phase_names[p] : "unknown";
}

static int phase_parse(const char *name)
{
	for (int i = 0; i < PHASE_N; i++)
		if (strcmp(name, phase_names[i]) == 0)
			return i;
	return -1;
}

/* A column: its name in the header line, where it lives in the struct, and
 * how it is written. Enums are written by name. */
enum col_kind { C_INT, C_I64, C_STR, C_STATE, C_PHASE };
struct column {
	const char *name;
	enum col_kind kind;
	size_t off, size;
};

#define COL(st, kind, field) {#field, kind, offsetof(struct st, field), sizeof(((struct st *)0)->field)}
static const struct column sup_cols[] = {
	COL(st_file, C_INT, pid),
	COL(st_file, C_I64, pidns),
	COL(st_file, C_I64, start_boot_ns),
	COL(st_file, C_I64, start_real_s),
	COL(st_file, C_I64, generation),
	COL(st_file, C_I64, serial),
	COL(st_file, C_PHASE, phase),
	COL(st_file, C_INT, foreground),
	COL(st_file, C_I64, stop_budget_ms),
	COL(st_file, C_I64, stop_deadline_ns),
	COL(st_file, C_STR, registry),
	COL(st_file, C_STR, rundir),
	COL(st_file, C_STR, endpoint),
};
static const struct column srv_cols[] = {
	COL(st_server, C_INT, index),
	COL(st_server, C_STR, id),
	COL(st_server, C_STATE, state),
	COL(st_server, C_INT, pid),
	COL(st_server, C_I64, start_boot_ns),
	COL(st_server, C_I64, proc_start),
	COL(st_server, C_INT, restarts),
	COL(st_server, C_INT, requested),
	COL(st_server, C_INT, wstatus),
	COL(st_server, C_INT, held),
	COL(st_server, C_INT, removed),
	COL(st_server, C_I64, deadline_ns),
	COL(st_server, C_I64, stop_timeout_ms),
	COL(st_server, C_STR, last_error),
	COL(st_server, C_STR, description),
	COL(st_server, C_I64, ready_boot_ns),
	COL(st_server, C_STR, health),
	COL(st_server, C_STR, notify_status),
	COL(st_server, C_STR, health_status),
	COL(st_server, C_INT, health_failures),
	COL(st_server, C_I64, health_since_s),
	COL(st_server, C_STR, health_error),
	COL(st_server, C_STR, readiness),
};
#undef COL
#define NCOLS(t) (sizeof t / sizeof t[0])

/* A decimal number: printf's machinery is most of a state write's cost at
 * a thousand servers. */
static void put_int(struct buf *b, int64_t v)
{
	char d[24], *e = d + sizeof d, *q = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--q = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--q = '-';
	buf_add(b, q, (size_t)(e - q));
}

static void put_row(struct buf *b, const char *kind, const struct column *cols, size_t n, const void *rec)
{
	buf_puts(b, kind);
	for (size_t i = 0; i < n; i++) {
		const char *p = (const char *)rec + cols[i].off;
		buf_add(b, "\t", 1);
		switch (cols[i].kind) {
		case C_INT:
			put_int(b, *(const int *)p);
			break;
		case C_I64:
			put_int(b, *(const int64_t *)p);
			break;
		case C_STATE:
			buf_puts(b, sv_state_name(*(const int *)p));
			break;
		case C_PHASE:
			buf_puts(b, sup_phase_name(*(const int *)p));
			break;
		case C_STR:
			/* tabs and line ends, the file's separators, become spaces */
			while (*p) {
				size_t k = strcspn(p, "\t\n\r");
				buf_add(b, p, k);
				p += k;
				if (*p) {
					buf_add(b, " ", 1);
					p++;
				}
			}
			break;
		}
	}
	buf_add(b, "\n", 1);
}

static void put_header(struct buf *b, const char *kind, const struct column *cols, size_t n)
{
	buf_printf(b, "#%s", kind);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "\t%s", cols[i].name);
	buf_add(b, "\n", 1);
}

void state_format_head(struct buf *b, const struct st_file *f)
{
	buf_puts(b, STATE_MAGIC "\n");
	put_header(b, "supervisor", sup_cols, NCOLS(sup_cols));
	put_row(b, "supervisor", sup_cols, NCOLS(sup_cols), f);
	put_header(b, "server", srv_cols, NCOLS(srv_cols));
}

void state_format_server(struct buf *b, const struct st_server *s)
{
	put_row(b, "server", srv_cols, NCOLS(srv_cols), s);
}

void state_format(struct buf *b, const struct st_file *f)
{
	state_format_head(b, f);
	for (size_t i = 0; i < f->n; i++)
		state_format_server(b, &f->servers[i]);
}

/* Split a line on tabs, keeping empty fields. */
static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

/* map[k]: the column table index of field k of a line, or -1 (unknown). */
static void map_header(char **fl, size_t n, const struct column *cols, size_t ncols, int *map)
{
	for (size_t k = 0; k < n; k++) {
		map[k] = -1;
		for (size_t i = 0; i < ncols && k > 0; i++)
			if (strcmp(fl[k], cols[i].name) == 0)
				map[k] = (int)i;
	}
}

static bool get_row(char **fl, size_t n, const int *map, size_t nmap, const struct column *cols, void *rec)
{
	for (size_t k = 1; k < n && k < nmap; k++) {
		if (map[k] < 0)
			continue;
		const struct column *c = &cols[map[k]];
		char *p = (char *)rec + c->off, *end;
		int v;
		switch (c->kind) {
		case C_INT:
			*(int *)p = (int)strtol(fl[k], &end, 10);
			break;
		case C_I64:
			*(int64_t *)p = strtoll(fl[k], &end, 10);
			break;
		case C_STATE:
			if ((v = sv_state_parse(fl[k])) < 0)
				return false;
			*(int *)p = v;
			break;
		case C_PHASE:
			if ((v = phase_parse(fl[k])) < 0)
				return false;
			*(int *)p = v;
			break;
		case C_STR:
			snprintf(p, c->size, "%s", fl[k]);
			break;
		}
	}
	return true;
}

#define MAXF 64
int state_parse(char *text, struct st_file *f)
{
	memset(f, 0, sizeof *f);
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, STATE_MAGIC) != 0)
		return -EINVAL;
	int sup_map[MAXF], srv_map[MAXF];
	size_t nsup = 0, nsrv = 0, cap = 0;
	bool have_sup = false;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *fl[MAXF];
		size_t n = split(line, fl, MAXF);
		if (strcmp(fl[0], "#supervisor") == 0) {
			map_header(fl, n, sup_cols, NCOLS(sup_cols), sup_map);
			nsup = n;
		} else if (strcmp(fl[0], "#server") == 0) {
			map_header(fl, n, srv_cols, NCOLS(srv_cols), srv_map);
			nsrv = n;
		} else if (strcmp(fl[0], "supervisor") == 0 && nsup) {
			if (!get_row(fl, n, sup_map, nsup, sup_cols, f))
				goto bad;
			have_sup = true;
		} else if (strcmp(fl[0], "server") == 0 && nsrv) {
			f->servers = vec_room(f->servers, f->n + 1, &cap, sizeof *f->servers);
			struct st_server *s = &f->servers[f->n];
			memset(s, 0, sizeof *s);
			s->wstatus = -1;
			if (!get_row(fl, n, srv_map, nsrv, srv_cols, s))
				goto bad;
			f->n++;
		}
	}
	if (have_sup)
		return 0;
bad:
	state_free(f);
	return -EINVAL;
}

int state_read(const char *dir, struct st_file *f)
{
	memset(f, 0, sizeof *f);
	char *text;
	/* A state file we may not trust (owned by another user than the run
	 * directory's, writable by others) names pids to signal: -EPERM. */
	int fd = runfile_open_trusted(dir, STATE_FILE);
	int r = fd < 0 ? -errno : read_fd(fd, 64u << 20, &text, NULL);
	if (r < 0)
		return r;
	r = state_parse(text, f);
	free(text);
	return r;
}

void state_free(struct st_file *f)
{
	free(f->servers);
	f->servers = NULL;
	f->n = 0;
}

const struct st_server *state_find(const struct st_file *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->servers[i].id, id) == 0)
			return &f->servers[i];
	return NULL;
}

void wstatus_text(char *out, size_t n, int st)
{
	if (st < 0)
		out[0] = 0;
	else if (WIFEXITED(st))
		snprintf(out, n, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, n, "signal %s", signal_name(WTERMSIG(st)));
	else
		snprintf(out, n, "status %d", st);
}
