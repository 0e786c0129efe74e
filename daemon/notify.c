/* notify.c: the sd_notify socket of servers with <readiness>notify: one
 * AF_UNIX datagram socket of the supervisor, credentials required, a message
 * accepted only from a server's main process or its descendants; READY=1,
 * STATUS=, WATCHDOG=1 and the watchdog timer, STOPPING=1 and RELOADING=1.
 *
 * Why an abstract socket and not a path in the run directory: the run
 * directory is 0700, so a server running as another <user> could not reach a
 * socket in it, and a socket anywhere else is a file someone may replace. An
 * abstract socket, autobound (a name the kernel picks among unused ones), is
 * reachable from the whole network namespace, so anyone may send to it: trust
 * never comes from the address but from the kernel's SCM_CREDENTIALS, whose
 * pid only a privileged sender can forge. The sender must be a server's main
 * process, in its process group, one of its known escapees, or have its main
 * process among its ancestors (a bounded /proc walk); anything else is
 * dropped and counted. The socket exists only once a notify server starts:
 * no fd and no wakeup otherwise. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/util.h"

#define NOTIFY_MAX 4096  /* bytes in one message (systemd's limit too); longer ones are dropped */
#define NOTIFY_BATCH 64  /* messages read per wakeup: the loop's other sources get their turn */
#define ANCESTRY 16      /* generations walked up from a sender to find its server */

static int sock = -1;
static char sock_name[16];  /* "@" and the kernel's five hex digits */
static unsigned long dropped;

static void notify_read(struct source *s, uint32_t events);
static struct source notify_source = {.ready = notify_read};

/* Before each start of a server: what the last instance said is forgotten;
 * the socket is made on the first start of a notify server. */
int notify_prepare(struct svc *v, char *why, size_t n)
{
	if (v->notify_status[0]) {
		v->notify_status[0] = 0;
		mark();
	}
	v->watchdog_at = 0;
	if (v->cfg->readiness != READY_NOTIFY || sock >= 0)
		return 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), on = 1;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	socklen_t len = sizeof a;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(sa_family_t)) != 0 ||  /* autobind */
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0 || loop_add(fd, &notify_source, EPOLLIN) != 0) {
		snprintf(why, n, "cannot make the notify socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t k = len - offsetof(struct sockaddr_un, sun_path);  /* a leading NUL, then the name */
	if (k < 2 || k > sizeof sock_name - 1)
		k = 1;
	sock_name[0] = '@';
	memcpy(sock_name + 1, a.sun_path + 1, k - 1);
	sock_name[k] = 0;
	sock = fd;
	trace(TRACE_DEBUG, NULL, "notify socket %s", sock_name);
	return 0;
}

/* NOTIFY_SOCKET and WATCHDOG_USEC for a notify server, as NAME, VALUE
 * pairs into out (room for four pointers); how many pointers. The values
 * live until the next call. WATCHDOG_PID is not given: the pid is not known
 * before the fork, and without it sd_watchdog_enabled() accepts any process. */
size_t notify_env(const struct server *s, const char **out)
{
	static char usec[24];
	if (s->readiness != READY_NOTIFY || sock < 0)
		return 0;
	size_t k = 0;
	out[k++] = "NOTIFY_SOCKET";
	out[k++] = sock_name;
	if (s->watchdog) {
		snprintf(usec, sizeof usec, "%llu", (unsigned long long)s->watchdog * 1000000ULL);
		out[k++] = "WATCHDOG_USEC";
		out[k++] = usec;
	}
	return k;
}

/* The server a process belongs to: its main process, a member of its group,
 * a descendant within ANCESTRY generations, or a known escapee. */
static struct svc *owner_of(pid_t pid)
{
	pid_t p = pid;
	for (int depth = 0; depth < ANCESTRY && p > 1; depth++) {
		struct svc *v = pidtab_find(p);
		if (v)
			return v;
		struct proc_stat ps;
		if (proc_stat(p, &ps) != 0)
			break;
		if ((v = pidtab_find(ps.pgrp)) != NULL)
			return v;  /* main pid = its process group */
		p = ps.ppid;
	}
	for (size_t i = 0; i < D.nsvc; i++)
		for (size_t j = 0; j < D.svcs[i]->extras.n; j++)
			if (D.svcs[i]->extras.p[j].pid == pid && svc_alive(D.svcs[i]))
				return D.svcs[i];
	return NULL;
}

static void drop(pid_t pid, const char *why)
{
	dropped++;
	/* Loud for the first and then at each power of two: a flood costs
	 * a few lines, not one per datagram. */
	enum trace_level l = (dropped & (dropped - 1)) == 0 ? TRACE_WARNING : TRACE_DEBUG;
	trace(l, NULL, "notify: dropped a message from pid %d: %s (%lu dropped so far)", (int)pid, why, dropped);
}

static void watchdog_arm(struct svc *v, int64_t now)
{
	v->watchdog_at = v->cfg->watchdog && v->state == S_RUNNING ? now + (int64_t)v->cfg->watchdog * SEC : 0;
}

/* Its watchdog ran out: fail it (stop, then restart as after a crash). */
void notify_watchdog(struct svc *v, int64_t now)
{
	v->watchdog_at = 0;
	if (v->state != S_RUNNING || !v->cfg->watchdog || v->cfg->readiness != READY_NOTIFY)
		return;  /* armed for an instance that is gone */
	snprintf(v->last_error, sizeof v->last_error, "watchdog: no WATCHDOG=1 for %u s", v->cfg->watchdog);
	svc_event(v, E_FAIL, 0, now);
}

/* One message: newline-separated KEY=VALUE assignments; unknown keys are
 * ignored. STATUS= first, so that READY=1 in the same message finds it. */
static void handle(struct svc *v, char *msg, int64_t now)
{
	bool ready = false, ping = false, trigger = false;
	for (char *line = msg, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strcmp(line, "READY=1") == 0) {
			ready = true;
		} else if (strncmp(line, "STATUS=", 7) == 0) {
			if (strcmp(v->notify_status, line + 7) != 0) {
				snprintf(v->notify_status, sizeof v->notify_status, "%s", line + 7);
				mark();
			}
		} else if (strcmp(line, "WATCHDOG=1") == 0) {
			ping = true;
		} else if (strcmp(line, "WATCHDOG=trigger") == 0) {
			trigger = true;
		} else if (strcmp(line, "STOPPING=1") == 0) {
			trace(TRACE_INFO, v->id, "notify: stopping");
		} else if (strcmp(line, "RELOADING=1") == 0) {
			trace(TRACE_INFO, v->id, "notify: reloading");
		}
	}
	if (ready && v->state == S_STARTING) {
		svc_event(v, E_READY, 0, now);
		watchdog_arm(v, now);
	}
	if (ping && v->state == S_RUNNING)
		watchdog_arm(v, now);
	if (trigger && (v->state == S_RUNNING || v->state == S_STARTING)) {
		snprintf(v->last_error, sizeof v->last_error, "watchdog: WATCHDOG=trigger");
		svc_event(v, E_FAIL, 0, now);
	}
}

static void notify_read(struct source *s, uint32_t events)
{
	(void)s;
	(void)events;
	static char msg[NOTIFY_MAX + 1];
	int64_t now = mono_ns();
	for (int i = 0; i < NOTIFY_BATCH; i++) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(8 * sizeof(int))];
		} c;
		struct iovec io = {.iov_base = msg, .iov_len = NOTIFY_MAX};
		struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = &c, .msg_controllen = sizeof c};
		ssize_t r = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				trace(TRACE_WARNING, NULL, "notify socket: %s", strerror(errno));
			return;
		}
		struct ucred cr = {0};
		bool have = false;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
			if (h->cmsg_level != SOL_SOCKET)
				continue;
			if (h->cmsg_type == SCM_CREDENTIALS && h->cmsg_len == CMSG_LEN(sizeof cr)) {
				memcpy(&cr, CMSG_DATA(h), sizeof cr);
				have = true;
			} else if (h->cmsg_type == SCM_RIGHTS) {  /* nobody passes us fds */
				size_t nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t j = 0; j < nfd; j++) {
					int fd;
					memcpy(&fd, CMSG_DATA(h) + j * sizeof fd, sizeof fd);
					close(fd);
				}
			}
		}
		if (!have || cr.pid <= 0) {
			drop(0, "no credentials");
			continue;
		}
		if (r > NOTIFY_MAX || (m.msg_flags & MSG_TRUNC)) {
			drop(cr.pid, "longer than 4096 bytes");
			continue;
		}
		struct svc *v = owner_of(cr.pid);
		if (!v) {
			drop(cr.pid, "not a server's process");
			continue;
		}
		if (v->cfg->readiness != READY_NOTIFY) {
			drop(cr.pid, "its server does not use readiness notify");
			continue;
		}
		msg[r] = 0;
		trace(TRACE_DEBUG, v->id, "notify from pid %d: %zd bytes", (int)cr.pid, r);
		handle(v, msg, now);
	}
}
