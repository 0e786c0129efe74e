/* waitack.c: waiting for a command's effect on the daemon's answers. The
 * state file stays the truth: an answer only says "read it again". Without
 * an inotify descriptor the client exits at once (closing one that holds a
 * watch waits for an SRCU grace period, 8-15 ms). */
#include "waitack.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "control.h"
#include "proto.h"
#include "runfile.h"
#include "util.h"


/* The first answer comes as soon as the daemon has handled the command; a
 * daemon silent for this long does not answer at all. */
#define ACK_FIRST_MS 200
/* Once it answers, the state file is still read at least this often. */
#define ACK_SLICE_MS 1000

void ack_block(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, ACK_SIGNAL);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Consume every queued answer; whether one came from the daemon. */
static bool drain(int sfd, pid_t daemon)
{
	bool from_daemon = false;
	struct signalfd_siginfo si[8];
	for (;;) {
		ssize_t n = read(sfd, si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return from_daemon;
		for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++)
			from_daemon |= (pid_t)si[i].ssi_pid == daemon;
	}
}

int wait_state_ack(const char *rundir, pid_t daemon, bool (*pred)(const struct st_file *, void *), void *arg,
		   int64_t timeout_ms, struct st_file *st)
{
	int64_t start = mono_ns(), end = start + timeout_ms * 1000000;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, ACK_SIGNAL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return wait_state(rundir, daemon, pred, arg, timeout_ms, st);
	int dfd = pidfd_open_pid(daemon);
	bool answered = false;
	int rc;
	memset(st, 0, sizeof *st);
	for (;;) {
		state_free(st);
		if (state_read(rundir, st) == 0 && st->pid == daemon && pred(st, arg)) {
			rc = 1;
			break;
		}
		if (lock_holder(rundir) != daemon) {
			rc = -1;
			break;
		}
		int64_t now = mono_ns(), left = (end - now) / 1000000;
		if (left <= 0) {
			rc = 0;
			break;
		}
		int64_t slice = answered ? ACK_SLICE_MS : ACK_FIRST_MS - (now - start) / 1000000;
		if (slice <= 0) {
			/* No answer: the old way for the rest of the time. */
			close(sfd);
			if (dfd >= 0)
				close(dfd);
			state_free(st);
			return wait_state(rundir, daemon, pred, arg, left, st);
		}
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = dfd, .events = POLLIN}};
		int r = poll(p, dfd >= 0 ? 2 : 1, (int)(slice < left ? slice : left));
		if (r < 0 && errno != EINTR) {
			rc = 0;
			break;
		}
		if (r > 0 && (p[0].revents & POLLIN))
			answered |= drain(sfd, daemon);
	}
	close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}
