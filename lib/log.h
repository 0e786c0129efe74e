/* log.h: the supervisor's trace log: "TIME LEVEL ID MESSAGE" lines, filtered by level. */
#ifndef IS_LOG_H
#define IS_LOG_H

#include "registry.h"

/* Open (or reopen) the trace log at path ("-" = standard error). Returns 0 or
 * -errno; on error the previous destination stays in use. */
int log_open(const char *path);
int log_reopen(void);
void log_set_level(enum trace_level l);
enum trace_level log_level(void);

/* One line: 2026-11-21T19:55:01.123Z info is: message. id NULL = "-". */
void trace(enum trace_level l, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
