/* util.h: small helpers shared by every applet: errors, memory, strings, time, fds. */
#ifndef IS_UTIL_H
#define IS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One exit-code table for every applet (SPEC §7, the LSB init-script
 * conventions). `status` and the other verbs give 3 and 4 different meanings,
 * as the LSB does. */
enum {
	EX_OK = 0,
	EX_FAIL = 1,          /* failure, or a negative answer; status: a server is down,
			       * or the supervisor is dead but its pid file remains */
	EX_USAGE = 2,         /* invalid or excess arguments */
	EX_NOTRUNNING = 3,    /* status: supervisor not running */
	EX_UNIMPLEMENTED = 3, /* other verbs: unimplemented feature */
	EX_UNKNOWN = 4,       /* status: cannot tell */
	EX_NOPERM = 4,        /* other verbs: insufficient privilege */
	EX_NOTINSTALLED = 5,  /* no registry at the install root */
	EX_NOTCONFIG = 6,     /* registry invalid or missing ("not configured") */
	EX_NOSUPERVISOR = 7,  /* other verbs: needs a running supervisor, none runs */
};

extern const char *is_prog;  /* "imageserving", for messages */

void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void die_(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* An arena: many small allocations freed at once (one per loaded registry). */
struct arena {
	struct arena_chunk *head;
};
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(struct arena *a);

/* A growable byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};
void buf_add(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *buf_str(struct buf *b);  /* NUL-terminated view; never NULL */
void buf_free(struct buf *b);

/* Parse a non-negative decimal integer with optional surrounding blanks,
 * no larger than max. Returns 0, or -1 (bad syntax) / -2 (out of range). */
int parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Signal name ("TERM", "SIGTERM", "term") or number to a signal; 0 if bad. */
int signal_from_name(const char *s);
const char *signal_name(int sig);  /* "TERM", or "SIG42" in a static buffer */

/* Clocks, in nanoseconds. */
int64_t mono_ns(void);
int64_t boot_ns(void);
int64_t real_ns(void);

/* Human-readable formats into caller buffers. */
void fmt_duration(char *out, size_t n, int64_t seconds);  /* 3d04h, 2h05m, 4m03s, 12s */
void fmt_bytes(char *out, size_t n, uint64_t bytes);      /* 1.2 MiB */

/* Whole-file and fd helpers. */
/* A whole regular file (NUL-terminated): 0, or -errno (-EINVAL: not a
 * regular file, -EFBIG: larger than max). */
int read_file(const char *path, size_t max, char **out, size_t *len);
/* The same from an open fd, which it closes. */
int read_fd(int fd, size_t max, char **out, size_t *len);
ssize_t read_full(int fd, void *p, size_t n);
int write_full(int fd, const void *p, size_t n);  /* 0 or -1 */
int set_cloexec(int fd);
int set_nonblock(int fd);

/* This program's own file, to execute again: the path /proc/self/exe names
 * (so that a tool running us, such as valgrind, sees which program), else
 * /proc/self/exe itself (a deleted or replaced file). Static buffer. */
const char *self_exe(void);

/* Path helpers (results from xmalloc). */
char *path_dirname(const char *path);
char *path_join(const char *dir, const char *name);  /* name if absolute; "." and ".." folded */
const char *path_base(const char *path);

/* pidfd_open(2) (-1 with errno; ENOSYS before Linux 5.3), and a signal
 * through a pidfd: with queue, SI_QUEUE carrying value (sigqueue's), else
 * as kill(2) sends it. 0, or -1 with errno. */
int pidfd_open_pid(pid_t pid);
int pidfd_send(int fd, int sig, bool queue, int value);

#endif
