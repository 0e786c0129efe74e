/* sdnotify.c: the supervisor's own sd_notify to its manager when
 * $NOTIFY_SOCKET is set (systemd Type=notify): READY=1 once the start
 * sequence is done, RELOADING=1 with MONOTONIC_USEC= … READY=1 around a
 * reload, STOPPING=1, a one-line STATUS= when the counts change, and
 * WATCHDOG=1 at half of $WATCHDOG_USEC when the manager asks for it (the only
 * timer here, and only then). The variables leave our environment at once,
 * so that no server inherits its supervisor's manager; a re-execution in
 * place puts them back. Sends never block: a full manager queue drops one. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/util.h"

static int fd = -1;
static struct sockaddr_un addr;
static socklen_t addr_len;
static char saved_sock[sizeof addr.sun_path + 1], saved_wd[32], saved_wdpid[16];
static int64_t wd_every, wd_next;
static char last_status[96];

static void say(const char *msg)
{
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len) < 0)
		trace(TRACE_WARNING, NULL, "sd_notify to %s: %s", saved_sock, strerror(errno));
	else
		trace(TRACE_DEBUG, NULL, "sd_notify: %.*s", (int)strcspn(msg, "\n"), msg);
}

static void keep(char *out, size_t n, const char *name)
{
	const char *e = getenv(name);
	snprintf(out, n, "%s", e && strlen(e) < n ? e : "");
	unsetenv(name);
}

void sdnotify_init(void)
{
	keep(saved_sock, sizeof saved_sock, "NOTIFY_SOCKET");
	keep(saved_wd, sizeof saved_wd, "WATCHDOG_USEC");
	keep(saved_wdpid, sizeof saved_wdpid, "WATCHDOG_PID");
	size_t len = strlen(saved_sock);
	if (len == 0)
		return;
	if ((saved_sock[0] != '/' && saved_sock[0] != '@') || len < 2 || len > sizeof addr.sun_path) {
		trace(TRACE_WARNING, NULL, "NOTIFY_SOCKET=%s: not a socket path or @abstract name; ignored", saved_sock);
		return;
	}
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, saved_sock, len);
	if (saved_sock[0] == '@')
		addr.sun_path[0] = 0;  /* abstract: the name is exactly len bytes */
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		trace(TRACE_WARNING, NULL, "sd_notify socket: %s", strerror(errno));
		return;
	}
	uint64_t usec;
	bool ours = !saved_wdpid[0] || atol(saved_wdpid) == (long)getpid();
	if (saved_wd[0] && ours && parse_uint(saved_wd, UINT64_MAX / 1000, &usec) == 0 && usec) {
		wd_every = (int64_t)(usec * 1000 / 2);
		wd_next = mono_ns() + wd_every;
	}
	trace(TRACE_INFO, NULL, "sd_notify to %s%s", saved_sock, wd_every ? ", with a watchdog" : "");
}

/* For a re-execution in place (the new image is the same service), and out
 * again if that failed and the servers start from this process. */
void sdnotify_env(bool restore)
{
	const char *names[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};
	const char *vals[] = {saved_sock, saved_wd, saved_wdpid};
	for (int i = 0; i < 3; i++)
		if (!restore)
			unsetenv(names[i]);
		else if (vals[i][0])
			setenv(names[i], vals[i], 1);
}

/* "3 running, 0 starting, 0 failed" (and how many are stopped by request). */
static void status_line(char *out, size_t n)
{
	unsigned run = 0, starting = 0, failed = 0, held = 0, alive = 0;
	for (size_t i = 0; i < D.nsvc; i++) {
		const struct svc *v = D.svcs[i];
		alive += svc_alive(v);
		if (v->removed)
			continue;
		if (v->held)
			held++;
		else if (v->state == S_RUNNING)
			run++;
		else if (v->state == S_FATAL || v->state == S_DOWN)
			failed++;
		else
			starting++;
	}
	if (stopping_all()) {
		snprintf(out, n, "stopping: %u still running", alive);
		return;
	}
	int k = snprintf(out, n, "%u running, %u starting, %u failed", run, starting, failed);
	if (held && k > 0 && (size_t)k < n)
		snprintf(out + k, n - (size_t)k, ", %u stopped", held);
}

void sdnotify_status(void)
{
	if (fd < 0)
		return;
	char s[sizeof last_status], msg[sizeof s + 8];
	status_line(s, sizeof s);
	if (strcmp(s, last_status) == 0)
		return;
	memcpy(last_status, s, sizeof s);
	snprintf(msg, sizeof msg, "STATUS=%s", s);
	say(msg);
}

void sdnotify_ready(void)
{
	if (fd < 0 || D.phase != PHASE_RUNNING)
		return;
	char msg[sizeof last_status + 16];
	status_line(last_status, sizeof last_status);
	snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", last_status);
	say(msg);
}

static void reloading(const char *status)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char msg[160];
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=%s",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000, status);
	say(msg);
}

void sdnotify_reloading(void)
{
	if (fd >= 0 && D.phase == PHASE_RUNNING)
		reloading("reloading the registry");
}

void sdnotify_stopping(const char *why, bool restarting)
{
	if (fd < 0)
		return;
	if (restarting) {
		reloading("restarting in place");  /* the same pid comes back with READY=1 */
		return;
	}
	char msg[160];
	snprintf(msg, sizeof msg, "STOPPING=1\nSTATUS=stopping: %s", why);
	say(msg);
}

int64_t sdnotify_deadline(void)
{
	return fd >= 0 ? wd_next : 0;
}

void sdnotify_timers(int64_t now)
{
	if (fd < 0 || !wd_next || now < wd_next)
		return;
	say("WATCHDOG=1");
	wd_next = now + wd_every;
}
