/* ack.c: the answer to a client that waits for a command's effect. The
 * state file stays the truth; this only says "look again now", so that a
 * client need not watch the run directory (closing an inotify descriptor
 * costs a grace period of 8-15 ms) or poll.
 *
 * A client that sent a per-server command (ImageServing restart|stop|start
 * ID) or a reload (SIGHUP) with ACK_SIGNAL blocked is a waiter: after every state-file write the
 * daemon queues ACK_SIGNAL to it with the new serial as the value, until it
 * exits or its wait could not last longer. Safety, since an RT signal's
 * default action ends a process:
 *  - the sender's pid (from the command's siginfo) is pinned by a pidfd at
 *    once; every answer goes through that pidfd, so a pid reused by another
 *    process after the client exited is never signalled;
 *  - it is answered only if it blocks ACK_SIGNAL (/proc/PID/status SigBlk,
 *    read while the pidfd shows it alive): it asked for answers, and an
 *    older client that does not expect them is never hurt;
 *  - the pidfd is in the event loop: when the client exits, it is dropped.
 * Registration failing (table full, no pidfd) only means no answer: the
 * client then falls back to watching the state file. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/proto.h"
#include "lib/util.h"


enum { ACK_MAX = 32 };

static struct waiter {
	struct source src;
	int pidfd;         /* -1: free slot */
	pid_t pid;
	int64_t until;     /* CLOCK_MONOTONIC: no answers after this */
} waiters[ACK_MAX];
static bool ready_init;

static void waiter_drop(struct waiter *w)
{
	if (w->pidfd >= 0)
		close(w->pidfd);  /* also leaves the epoll set */
	w->pidfd = -1;
	w->pid = 0;
}

/* The client exited (its pidfd became readable). */
static void waiter_gone(struct source *s, uint32_t events)
{
	(void)events;
	waiter_drop(container_of(s, struct waiter, src));
}

/* Whether pid blocks ACK_SIGNAL: the SigBlk line of /proc/PID/status. */
static bool blocks_ack(pid_t pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read_full(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	char *p = strstr(buf, "\nSigBlk:");
	if (!p)
		return false;
	unsigned long long mask = strtoull(p + 8, NULL, 16);
	return (mask >> (ACK_SIGNAL - 1)) & 1;
}

void ack_register(pid_t pid, int64_t until)
{
	if (!ready_init) {
		for (size_t i = 0; i < ACK_MAX; i++)
			waiters[i].pidfd = -1;
		ready_init = true;
	}
	struct waiter *w = NULL;
	for (size_t i = 0; i < ACK_MAX; i++) {
		if (waiters[i].pidfd >= 0 && waiters[i].pid == pid) {
			/* Still alive (its pidfd would have dropped it): the same client. */
			if (waiters[i].until < until)
				waiters[i].until = until;
			return;
		}
		if (!w && waiters[i].pidfd < 0)
			w = &waiters[i];
	}
	if (!w || pid <= 0)
		return;
	int fd = pidfd_open_pid(pid);
	if (fd < 0)
		return;
	/* The pidfd pins the process; /proc/PID is that process as long as the
	 * pidfd does not show it exited after the read. */
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (!blocks_ack(pid) || poll(&p, 1, 0) != 0) {
		close(fd);
		return;
	}
	w->src.ready = waiter_gone;
	w->pidfd = fd;
	w->pid = pid;
	w->until = until;
	if (loop_add(fd, &w->src, EPOLLIN) != 0) {
		trace(TRACE_WARNING, NULL, "cannot watch the client pid %d: %s", (int)pid, strerror(errno));
		waiter_drop(w);
	}
}

void ack_notify(int64_t serial)
{
	if (!ready_init)
		return;
	int64_t now = 0;
	for (size_t i = 0; i < ACK_MAX; i++) {
		struct waiter *w = &waiters[i];
		if (w->pidfd < 0)
			continue;
		if (!now)
			now = mono_ns();
		if (now > w->until) {
			waiter_drop(w);
			continue;
		}
		if (pidfd_send(w->pidfd, ACK_SIGNAL, true, (int)(serial & 0x7fffffff)) != 0)
			waiter_drop(w);  /* gone, or its queue is full: it falls back */
	}
}
