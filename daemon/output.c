/* output.c: servers' stdout/stderr, read from pipes into their log files,
 * each line prefixed with the time when the server asks for <timestamps>,
 * and a line of ours each time an instance starts. A log file is opened for
 * each batch of output rather than held: one fd per server instead of two
 * (every exec pays for each fd the supervisor holds), and a rotated or
 * deleted log file is simply created again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/util.h"

int open_logfile(const char *path)
{
	return open_append(path);
}

void outlog_close(struct outlog *o)
{
	if (o->pipe >= 0)
		close(o->pipe);
	o->pipe = -1;
	free(o->path);
	o->path = NULL;
}

/* "2026-12-02T07:15:03.123456Z ", as svlogd -tt: the time now, in UTC. */
static size_t stamp_now(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!gmtime_r(&ts.tv_sec, &tm))
		memset(&tm, 0, sizeof tm);
	int m = snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
	return m > 0 && (size_t)m < n ? (size_t)m : 0;
}

/* Write n bytes of output to file, with the time before each line that
 * starts in them when stamp: a line cut across reads is stamped once. */
static int put_lines(struct outlog *o, int file, const char *p, size_t n, bool stamp)
{
	if (n && !stamp) {  /* as it came, in one write */
		o->midline = p[n - 1] != '\n';
		return write_full(file, p, n);
	}
	static char out[16384];
	char ts[48];
	size_t tl = 0, k = 0;
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) + 1 : n, c;
		if (!o->midline) {
			tl = tl ? tl : stamp_now(ts, sizeof ts);  /* one time per read */
			if (k + tl > sizeof out && write_full(file, out, k) != 0)
				return -1;
			k = k + tl > sizeof out ? 0 : k;
			memcpy(out + k, ts, tl);
			k += tl;
		}
		for (size_t done = 0; done < len; done += c, k += c) {
			if (k == sizeof out && write_full(file, out, k) != 0)
				return -1;
			k = k == sizeof out ? 0 : k;
			c = len - done < sizeof out - k ? len - done : sizeof out - k;
			memcpy(out + k, p + done, c);
		}
		o->midline = !nl;
		p += len;
		n -= len;
	}
	return k ? write_full(file, out, k) : 0;
}

static void note_write(struct outlog *o, int file, bool ok, size_t n)
{
	if (!ok) {
		if (!o->dropped)
			trace(TRACE_ERROR, o->owner->id, "cannot write %s: %s; dropping output", o->path,
			      file < 0 ? open_append_error(errno) : strerror(errno));
		o->dropped += (unsigned long long)n;
	} else if (o->dropped) {
		trace(TRACE_WARNING, o->owner->id, "%s writable again; %llu bytes of output were lost", o->path,
		      o->dropped);
		o->dropped = 0;
	}
}

/* Move what the server wrote into its log file; when the file cannot take it
 * (disk full), drop it rather than block the server. */
void outlog_drain(struct outlog *o)
{
	static char buf[65536];
	int file = -1;
	bool stamp = o->owner->cfg->timestamps;
	for (;;) {
		ssize_t n = read(o->pipe, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				close(o->pipe);
				o->pipe = -1;
			}
			break;
		}
		if (file < 0)
			file = open_logfile(o->path);
		note_write(o, file, file >= 0 && put_lines(o, file, buf, (size_t)n, stamp) == 0, (size_t)n);
	}
	if (file >= 0)
		close(file);
}

/* A line of ours in each log file (not "-": the trace log says it) each
 * time an instance starts, on a line of its own, always with the time. */
void outlog_mark(struct svc *v, const char *why)
{
	char line[256];
	int n = snprintf(line, sizeof line, "imageserving: %s started, pid %d (%s)\n", v->id, (int)v->pid, why);
	struct outlog *os[2] = {&v->out, &v->err};
	for (int k = 0; k < 2 && n > 0; k++) {
		struct outlog *o = os[k];
		if (!o->path || strcmp(o->path, "-") == 0 || (k == 1 && o->pipe < 0))
			continue;
		int file = open_logfile(o->path);
		bool ok = file >= 0 && (!o->midline || write_full(file, "\n", 1) == 0);
		o->midline = false;
		ok = ok && put_lines(o, file, line, (size_t)n, true) == 0;
		note_write(o, file, ok, (size_t)n);
		if (file >= 0)
			close(file);
	}
}

static void outlog_ready(struct source *s, uint32_t events)
{
	(void)events;
	outlog_drain((struct outlog *)s);
}

/* The fd for one stream of a new instance: "-" keeps ours (-1); else the
 * write end of a fresh pipe into the file (-2 on error, why set). */
int outlog_prepare(struct svc *v, struct outlog *o, const char *path, char *why, size_t n)
{
	if (o->pipe >= 0) {
		outlog_drain(o);  /* what the old instance left in the pipe */
		if (o->pipe >= 0) {
			close(o->pipe);
			o->pipe = -1;
		}
	}
	if (o->path && strcmp(o->path, path) != 0) {
		free(o->path);
		o->path = NULL;
	}
	o->owner = v;
	o->src.ready = outlog_ready;
	if (!o->path)
		o->path = xstrdup(path);
	if (strcmp(path, "-") == 0)
		return -1;
	/* Find out now, not at the first output, if the log cannot be written. */
	int f = open_logfile(path);
	if (f < 0) {
		snprintf(why, n, "log %s: %s", path, open_append_error(errno));
		return -2;
	}
	close(f);
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) != 0) {
		snprintf(why, n, "pipe: %s", strerror(errno));
		return -2;
	}
	set_nonblock(pp[0]);
	if (loop_add(pp[0], &o->src, EPOLLIN) != 0) {
		snprintf(why, n, "epoll: %s", strerror(errno));
		close(pp[0]);
		close(pp[1]);
		return -2;
	}
	o->pipe = pp[0];
	return pp[1];
}

void reopen_logs(void)
{
	int e = log_reopen();
	if (e < 0)
		trace(TRACE_ERROR, NULL, "cannot reopen trace log: %s", strerror(-e));
	const char *log = D.reg->r->log;
	if (!D.foreground && e == 0 && strcmp(log, "-") != 0) {
		/* Our own stdout/stderr (where "-" servers write) follow the log. */
		int fd = open_logfile(log);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
	}
	/* Servers' logs are opened for each batch of output; create them now so
	 * that a rotated file is back in place at once. */
	for (size_t i = 0; i < D.nsvc; i++) {
		struct outlog *os[2] = {&D.svcs[i]->out, &D.svcs[i]->err};
		for (int k = 0; k < 2; k++) {
			if (!os[k]->path || strcmp(os[k]->path, "-") == 0 || (k == 1 && os[1]->pipe < 0))
				continue;
			int fd = open_logfile(os[k]->path);
			if (fd < 0)
				trace(TRACE_ERROR, D.svcs[i]->id, "cannot reopen %s: %s", os[k]->path,
				      open_append_error(errno));
			else
				close(fd);
		}
	}
	trace(TRACE_INFO, NULL, "log files reopened");
}
