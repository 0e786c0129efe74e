/* report.h: the status report, one code path for `status`, `status --json`
 * and the status endpoint: rows built from the state file and /proc, then
 * rendered as an aligned table or as JSON. */
#ifndef IS_REPORT_H
#define IS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "status.h"
#include "util.h"

struct report_row {
	const struct st_server *s;
	bool alive;        /* pid is still the process that was started */
	int64_t uptime;    /* seconds; -1: none */
	uint64_t rss;      /* the server's whole tree */
};

struct report {
	struct st_file *st;  /* the caller's: an 8 KiB struct, not copied */
	pid_t pid;         /* the supervisor, as seen from here */
	bool have_sup_rss;
	uint64_t sup_rss;
	int64_t sup_up;
	struct report_row *rows;
	size_t n;
};

/* Rows for ids (all servers if nids is 0), from st, which the report refers
 * to: the caller keeps it until report_free and frees it itself. 0, or -1
 * with the first unknown id in *unknown. */
int report_build(struct report *r, struct st_file *st, pid_t pid, char *const *ids, int nids,
		 const char **unknown);
void report_free(struct report *r);

/* Whether every row is running (the status exit code's question). */
bool report_all_running(const struct report *r);

void report_json(struct buf *b, const struct report *r);
void report_text(struct buf *b, const struct report *r);
/* The JSON of a supervisor that is not running. */
void report_json_stopped(struct buf *b, const char *registry);

/* s as a JSON string: quotes, escapes, and any byte that is not valid
 * UTF-8 (a field cut inside a character) replaced by U+FFFD; "" → null. */
void json_str(struct buf *b, const char *s);

#endif
