/* loop.c: the one event loop. epoll over sources (the signalfd, servers'
 * output pipes); signals only record intent (work bits, queued commands);
 * the tail acts on them in one fixed order, then sleeps until the next
 * deadline, or without a timeout when nothing is due.
 *
 * Tail order: reap → stop-all → commands → reload → log reopen → timers
 * (the endpoint's connections, our manager's watchdog, servers' deadlines
 * and watchdogs, health probes) → start groups (readiness from any source this
 * turn) → stop progress → stats → state file (once, if anything changed;
 * during a mass exit, after the children that exited meanwhile are reaped
 * too, at most 20 ms late) → the memory trim, on the turn start-up or a
 * reload finished (daemon/trim.c: nothing of theirs runs after it). Reaping
 * first lets commands and the reload see who is really alive; the state file
 * last publishes the whole turn at once.
 *
 * The next deadline is a timerfd's absolute CLOCK_MONOTONIC expiry, not
 * epoll_wait's timeout: the kernel lets a poll timeout expire late by 0.1 %
 * of its length (2 ms on a 2 s stop timeout), a timerfd on time. Nothing
 * due: the timer is disarmed and the loop sleeps without a timeout. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/proto.h"
#include "lib/util.h"
#include "lib/vec.h"

struct daemon D = {.epfd = -1, .sigfd = -1, .lock_fd = -1, .ready_fd = -1, .generation = 1,
		   .scale_num = 1, .scale_den = 1};

int loop_add(int fd, struct source *s, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = s};
	return epoll_ctl(D.epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- commands, queued by the signal source ---- */
static struct {
	int value;
	pid_t from;
} *cmdq;
static size_t ncmd, cmdcap;

void loop_queue_command(int value, pid_t from, uid_t uid)
{
	if (uid != getuid() && uid != 0) {
		trace(TRACE_WARNING, NULL, "ignored a command signal from pid %d uid %u", (int)from, (unsigned)uid);
		return;
	}
	cmdq = vec_room(cmdq, ncmd + 1, &cmdcap, sizeof *cmdq);
	cmdq[ncmd].value = value;
	cmdq[ncmd++].from = from;
}

/* ---- the signal source ---- */
static void signals_ready(struct source *s, uint32_t events)
{
	(void)s;
	(void)events;
	struct signalfd_siginfo si[16];
	for (;;) {
		ssize_t n = read(D.sigfd, si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
			int sig = (int)si[i].ssi_signo;
			if (sig == SIGCHLD) {
				D.work |= W_REAP;
			} else if (sig == SIGTERM || sig == SIGINT) {
				D.work |= W_STOP;
				snprintf(D.stop_why, sizeof D.stop_why, "SIG%s", signal_name(sig));
			} else if (sig == SIGHUP) {
				D.work |= W_RELOAD;
				/* ImageServing reload waits for the new generation: answer it (ack.c) */
				ack_register((pid_t)si[i].ssi_pid, mono_ns() + 10 * SEC);
			} else if (sig == SIGUSR1) {
				D.work |= W_REOPEN;
			} else if (sig == SIGUSR2) {
				D.work |= W_STATS;
			} else if (sig == CMD_SIGNAL) {
				if (si[i].ssi_code == SI_QUEUE)
					loop_queue_command(si[i].ssi_int, (pid_t)si[i].ssi_pid, si[i].ssi_uid);
			}
		}
	}
}
struct source signal_source = {.ready = signals_ready};

/* Reap every exited child first, then handle them: one read of our children
 * list serves the whole batch, and leftovers are killed after the respawns. */
static void reap(int64_t now)
{
	static struct {
		pid_t pid;
		int st;
	} *done;
	static size_t cap;
	size_t n = 0;
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		done = vec_room(done, n + 1, &cap, sizeof *done);
		done[n].pid = pid;
		done[n++].st = st;
	}
	escapees_batch(true);
	for (size_t i = 0; i < n; i++) {
		struct svc *v = pidtab_find(done[i].pid);
		if (!v && health_reaped(done[i].pid, done[i].st))
			continue;
		if (!v) {
			trace(TRACE_DEBUG, NULL, "reaped orphan %d", (int)done[i].pid);
			continue;
		}
		pidtab_remove(v);
		svc_event(v, E_EXIT, done[i].st, now);
	}
	escapees_batch(false);
	escapees_sweep();
}

static void timers(int64_t now)
{
	endpoint_timers(now);
	sdnotify_timers(now);
	for (size_t i = 0; i < D.nsvc; i++) {
		struct svc *v = D.svcs[i];
		if (v->deadline && now >= v->deadline)
			svc_event(v, E_TIMER, 0, now);
		if (v->watchdog_at && now >= v->watchdog_at)
			notify_watchdog(v, now);
	}
	health_timers(now);
}

static int64_t next_deadline(void)
{
	int64_t d = 0;
#define CONSIDER(t) do { if ((t) && (!d || (t) < d)) d = (t); } while (0)
	if (D.phase == PHASE_STARTING)
		CONSIDER(D.next_group_at);
	if (!stopping_all())
		CONSIDER(D.stats_at);
	if (D.dirty)
		CONSIDER(D.state_retry_at);
	for (size_t i = 0; i < D.nsvc; i++) {
		CONSIDER(D.svcs[i]->deadline);
		CONSIDER(D.svcs[i]->watchdog_at);
	}
	CONSIDER(endpoint_deadline());
	CONSIDER(sdnotify_deadline());
	CONSIDER(health_deadline());
#undef CONSIDER
	return d;
}

/* More children have exited since this turn's reap (SIGCHLD pending again). */
static bool exits_pending(void)
{
	sigset_t set;
	return sigpending(&set) == 0 && sigismember(&set, SIGCHLD) == 1;
}

/* The state file once per turn; but while children keep exiting (a mass
 * kill), reap them first and publish them together: one write formats every
 * server, so one per turn would make a mass recovery quadratic. Never put
 * off more than STATE_DEFER_MAX. */
#define STATE_DEFER_MAX (20 * MS)
static void publish(unsigned w)
{
	static int64_t deferred_since;
	int64_t now = mono_ns();
	if (!D.dirty || (D.state_retry_at && now < D.state_retry_at))
		return;
	if ((w & W_REAP) && (!deferred_since || now - deferred_since < STATE_DEFER_MAX) && exits_pending()) {
		if (!deferred_since)
			deferred_since = now;
		D.work |= W_REAP;
		return;
	}
	deferred_since = 0;
	state_write();
}

/* The fixed-order tail of a loop turn. Returns false once everything has
 * stopped and the loop should end. */
static bool tail(void)
{
	int64_t now = mono_ns();
	unsigned w = D.work;
	D.work = 0;
	if (w & W_REAP)
		reap(now);
	if (w & W_STOP)
		stop_all_begin(0, D.stop_why, PHASE_STOPPING);
	if (w & W_REEXEC)
		stop_all_begin(0, "restart in place", PHASE_RESTARTING);
	for (size_t i = 0; i < ncmd; i++)
		command(cmdq[i].value, cmdq[i].from);
	ncmd = 0;
	if ((w & W_RELOAD) && !stopping_all()) {
		sdnotify_reloading();
		reload();
		sdnotify_ready();
	}
	if (w & W_REOPEN)
		reopen_logs();
	timers(now);
	groups_timer(now);  /* after every timer: sees who became ready or failed this turn */
	if (stopping_all())
		stop_all_progress(now);
	if (((w & W_STATS) || (D.stats_at && now >= D.stats_at)) && !stopping_all()) {
		stats_lines();
		if (D.stats_at && now >= D.stats_at)
			D.stats_at = now + (int64_t)D.reg->r->stats_interval * SEC;
	}
	/* A fatal essential server asks for a stop from inside the turn. */
	if (D.work & W_STOP) {
		D.work &= ~W_STOP;
		stop_all_begin(0, D.stop_why, PHASE_STOPPING);
	}
	if (D.dirty)
		sdnotify_status();
	publish(w);
	if (D.trim && !D.work) {
		D.trim = false;
		mem_trim();  /* last: nothing of start-up runs after it */
	}
	return !(stopping_all() && all_down());
}

/* ---- the deadline timer ---- */
static int timer_fd = -1;
static int64_t timer_at;  /* its expiry (mono_ns); 0: disarmed */

static void timer_ready(struct source *s, uint32_t events)
{
	(void)s;
	(void)events;
	uint64_t n;
	if (read(timer_fd, &n, sizeof n) < 0 && errno != EAGAIN)
		trace(TRACE_WARNING, NULL, "deadline timer: %s", strerror(errno));
	timer_at = 0;  /* expired: the next turn sets it again, even to the same time */
}
static struct source timer_source = {timer_ready};

/* At start-up, with the other descriptors (its code is not run again: the
 * memory trim drops it). Without one, deadlines are poll timeouts. */
void loop_timer_init(void)
{
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (timer_fd >= 0 && loop_add(timer_fd, &timer_source, EPOLLIN) != 0) {
		close(timer_fd);
		timer_fd = -1;
	}
	if (timer_fd < 0)
		trace(TRACE_WARNING, NULL, "no deadline timer (%s): deadlines are poll timeouts, up to 0.1 %% late",
		      strerror(errno));
}

/* Set the timer to due (0: disarm). False if there is no timer: then the
 * wait takes a timeout instead. */
static bool timer_set(int64_t due)
{
	if (timer_fd < 0)
		return false;
	if (due == timer_at)
		return true;
	struct itimerspec it = {.it_value = {.tv_sec = due / SEC, .tv_nsec = due % SEC}};
	if (timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &it, NULL) != 0)
		return false;
	timer_at = due;
	return true;
}

int loop_run(void)
{
	D.work |= W_REAP;  /* a child may have exited before the loop began */
	while (tail()) {
		int64_t due = next_deadline();
		int timeout = -1;
		if (D.work) {
			timeout = 0;
		} else if (!timer_set(due) && due) {  /* no timer: the wait's own timeout */
			int64_t ms = (due - mono_ns() + MS - 1) / MS;
			timeout = ms < 0 ? 0 : ms > 86400000 ? 86400000 : (int)ms;
		}
		struct epoll_event ev[64];
		int n = epoll_wait(D.epfd, ev, 64, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			trace(TRACE_ERROR, NULL, "epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct source *s = ev[i].data.ptr;
			s->ready(s, ev[i].events);
		}
	}
	return D.exit_code;
}
