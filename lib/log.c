/* log.c: the trace log, written with one write(2) per line so lines never
 * interleave, and never blocking: a line a stalled reader won't take is
 * dropped and counted. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

static int log_fd = 2;
static char *log_path;  /* NULL: standard error */
static enum trace_level level = TRACE_INFO;
static unsigned long long dropped;  /* lines a stalled reader did not take */
static int pipe_fd = -1;  /* our own non-blocking description of a stderr pipe */

/* Standard error on a pipe or FIFO: open it again through /proc for a file
 * description of our own, which we may make non-blocking (the one we
 * inherited is shared with whoever started us, and servers logging to "-"
 * write to it too). -1 if it is no pipe, or /proc is not there. */
static int pipe_private(int fd)
{
	struct stat st;
	char p[32];
	if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
		return -1;
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	return open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

int log_open(const char *path)
{
	if (pipe_fd >= 0)
		close(pipe_fd);
	pipe_fd = -1;
	if (!path || strcmp(path, "-") == 0) {
		if (log_fd > 2)
			close(log_fd);
		log_fd = 2;
		pipe_fd = pipe_private(2);
		free(log_path);
		log_path = NULL;
		return 0;
	}
	/* Never through a symbolic link someone may have planted. */
	int fd = open_append(path);
	if (fd < 0)
		return -errno;
	if (log_fd > 2)
		close(log_fd);
	log_fd = fd;
	if (log_path != path) {
		char *copy = xstrdup(path);
		free(log_path);
		log_path = copy;
	}
	return 0;
}

int log_reopen(void)
{
	return log_path ? log_open(log_path) : 0;
}

/* A pipe or terminal (standard error of a foreground supervisor) may have a
 * reader that stopped reading: write only what it takes at once. A line is
 * shorter than PIPE_BUF, so POLLOUT on a pipe means it fits whole (a regular
 * file always polls writable). Its non-blocking flag is not ours to set: the
 * file description is shared with whoever started us. */
static bool writable_now(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

/* One write: on our non-blocking pipe a line (shorter than PIPE_BUF) goes
 * whole or not at all; elsewhere only if the fd polls writable. */
static bool put(const char *text, size_t len)
{
	if (pipe_fd >= 0)
		return write(pipe_fd, text, len) == (ssize_t)len;
	return writable_now(log_fd) && write_full(log_fd, text, len) == 0;
}

static void put_line(const char *line, size_t len)
{
	if (dropped) {
		char note[96];
		int n = snprintf(note, sizeof note, "(trace log: %llu line%s dropped: its reader stalled)\n", dropped,
				 dropped == 1 ? "" : "s");
		if (!put(note, (size_t)n)) {
			dropped++;
			return;
		}
		dropped = 0;
	}
	if (!put(line, len))
		dropped++;
}

void log_set_level(enum trace_level l) { level = l; }
enum trace_level log_level(void) { return level; }

void trace(enum trace_level l, const char *id, const char *fmt, ...)
{
	if (l > level)
		return;
	static const char *names[] = {"error", "warning", "info", "debug"};
	char line[1024];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			 names[l], id ? id : "-");
	if (n < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	/* One line per entry: fold newlines a message may carry. */
	for (size_t i = (size_t)n; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	put_line(line, len);
}
