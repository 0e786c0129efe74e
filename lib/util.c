/* util.c: errors, memory, arenas, buffers, numbers, signals, clocks and fd helpers. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

const char *is_prog = "imageserving";

__attribute__((format(printf, 1, 0)))
static void vmsg(const char *fmt, va_list ap, int err)
{
	char line[1024];
	int n = snprintf(line, sizeof line, "%s: ", is_prog);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	size_t len = strnlen(line, sizeof line - 1);
	if (err)
		len += (size_t)snprintf(line + len, sizeof line - len, ": %s", strerror(err));
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	/* Nothing useful can be done if stderr is gone. */
	(void)write_full(2, line, len);
}

void warnx_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

void warn_(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, e);
	va_end(ap);
}

void die_(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	exit(code);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_(EX_FAIL, "out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		die_(EX_FAIL, "out of memory (%zu x %zu bytes)", n, m);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_(EX_FAIL, "out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

/* ---- arena ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > 4000 ? n : 4000;
		c = xmalloc(sizeof *c + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	return memset(p, 0, n);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

/* ---- buf ---- */

void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		buf_add(b, small, (size_t)n);
		return;
	}
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_add(b, big, (size_t)n);
	free(big);
}

const char *buf_str(struct buf *b)
{
	return b->p ? b->p : "";
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- numbers and signals ---- */

int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	uint64_t v = 0;
	bool over = false;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s)
		return -1;
	if (over || v > max)
		return -2;
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	int sig;
} sigtab[] = {
	{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL},
	{"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"BUS", SIGBUS}, {"FPE", SIGFPE},
	{"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
	{"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"CHLD", SIGCHLD},
	{"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
	{"TTOU", SIGTTOU}, {"URG", SIGURG}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
	{"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
	{"PWR", SIGPWR}, {"SYS", SIGSYS},
};

int signal_from_name(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	char name[16];
	size_t n = 0;
	while (s[n] && !isspace((unsigned char)s[n]) && n < sizeof name - 1) {
		name[n] = s[n];
		n++;
	}
	name[n] = 0;
	for (const char *t = s + n; *t; t++)
		if (!isspace((unsigned char)*t))
			return 0;
	uint64_t v;
	if (parse_uint(name, 64, &v) == 0)
		return v >= 1 ? (int)v : 0;
	const char *p = name;
	if (strncasecmp(p, "SIG", 3) == 0)
		p += 3;
	for (size_t i = 0; i < sizeof sigtab / sizeof sigtab[0]; i++)
		if (strcasecmp(p, sigtab[i].name) == 0)
			return sigtab[i].sig;
	return 0;
}

const char *signal_name(int sig)
{
	static char other[16];
	for (size_t i = 0; i < sizeof sigtab / sizeof sigtab[0]; i++)
		if (sigtab[i].sig == sig)
			return sigtab[i].name;
	snprintf(other, sizeof other, "SIG%d", sig);
	return other;
}

/* ---- clocks ---- */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
int64_t boot_ns(void) { return clock_ns(CLOCK_BOOTTIME); }
int64_t real_ns(void) { return clock_ns(CLOCK_REALTIME); }

void fmt_duration(char *out, size_t n, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, n, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, n, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, n, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, n, "%llds", (long long)s);
}

/* One decimal, rounded as printf's %.1f rounds (to nearest, ties to even),
 * in integers: printf's floating-point path costs a short-lived command
 * (status) two more stack pages and its code. */
void fmt_bytes(char *out, size_t n, uint64_t b)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	while (u < 4 && b >> (10 * (u + 1)))
		u++;
	if (u == 0) {
		snprintf(out, n, "%llu B", (unsigned long long)b);
		return;
	}
	unsigned shift = 10 * u;
	uint64_t whole = b >> shift, rem = b & ((UINT64_C(1) << shift) - 1);
	uint64_t num = rem * 10, den = UINT64_C(1) << shift;  /* rem < 2^40: no overflow */
	uint64_t tenth = num >> shift, left = num & (den - 1);
	if (left * 2 > den || (left * 2 == den && (tenth & 1)))
		tenth++;
	if (tenth == 10) {
		whole++;
		tenth = 0;
	}
	snprintf(out, n, "%llu.%u %s", (unsigned long long)whole, (unsigned)tenth, unit[u]);
}

/* ---- fds and files ---- */

ssize_t read_full(int fd, void *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int write_full(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int read_file(const char *path, size_t max, char **out, size_t *len)
{
	/* Non-blocking open and a regular-file check: a FIFO or device put in
	 * a file's place must not block the caller (the daemon's loop). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	return read_fd(fd, max, out, len);
}

int read_fd(int fd, size_t max, char **out, size_t *len)
{
	struct stat st;
	int e = 0;
	if (fstat(fd, &st) != 0)
		e = errno;  /* st is undefined then: never look at it */
	else if (!S_ISREG(st.st_mode))
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	if (e) {
		close(fd);
		return -e;
	}
	size_t cap = 4096, n = 0;
	char *p = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > max) {
				free(p);
				close(fd);
				return -EFBIG;
			}
			cap *= 2;
			p = xrealloc(p, cap);
		}
		ssize_t r = read(fd, p + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			free(p);
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		free(p);
		return -EFBIG;
	}
	p[n] = 0;
	*out = p;
	if (len)
		*len = n;
	return 0;
}

int set_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);
	return f < 0 ? -1 : fcntl(fd, F_SETFD, f | FD_CLOEXEC);
}

int set_nonblock(int fd)
{
	int f = fcntl(fd, F_GETFL);
	return f < 0 ? -1 : fcntl(fd, F_SETFL, f | O_NONBLOCK);
}

/* ---- paths ---- */

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	size_t n = (size_t)(slash - path);
	char *d = xmalloc(n + 1);
	memcpy(d, path, n);
	d[n] = 0;
	return d;
}

/* Lexically drop "." and "dir/.." from an absolute path, in place. */
static void path_clean(char *p)
{
	if (p[0] != '/')
		return;
	char *out = p;
	const char *in = p;
	while (*in) {
		while (*in == '/')
			in++;
		const char *end = strchr(in, '/');
		size_t n = end ? (size_t)(end - in) : strlen(in);
		if (n == 0)
			break;
		if (n == 1 && in[0] == '.') {
			/* skip */
		} else if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (out > p && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, in, n);
			out += n;
		}
		in += n;
	}
	if (out == p)
		*out++ = '/';
	*out = 0;
}

char *path_join(const char *dir, const char *name)
{
	if (name[0] == '/' || !dir || !dir[0]) {
		char *r = xstrdup(name);
		path_clean(r);
		return r;
	}
	size_t a = strlen(dir), b = strlen(name);
	char *p = xmalloc(a + b + 2);
	memcpy(p, dir, a);
	size_t k = a;
	if (a && dir[a - 1] != '/')
		p[k++] = '/';
	memcpy(p + k, name, b + 1);
	path_clean(p);
	return p;
}

const char *path_base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

const char *self_exe(void)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n <= 0 || path[0] != '/')
		return "/proc/self/exe";
	path[n] = 0;
	if (access(path, X_OK) != 0)
		return "/proc/self/exe";
	return path;
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int pidfd_open_pid(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int pidfd_send(int fd, int sig, bool queue, int value)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, queue ? &si : NULL, 0);
}
