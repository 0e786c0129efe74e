/* control.c: daemon lookup through the lock, pidfd signalling, inotify waits. */
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"


const char *daemon_signal_error(pid_t pid, int e, char *buf, size_t n)
{
	if (e == -EPERM) {
		char path[32];
		struct stat st;
		snprintf(path, sizeof path, "/proc/%d", (int)pid);
		if (stat(path, &st) == 0)
			snprintf(buf, n, "permission denied: supervisor %d runs as uid %u and this is uid %u; run this as that user or as root",
				 (int)pid, (unsigned)st.st_uid, (unsigned)getuid());
		else
			snprintf(buf, n, "permission denied: supervisor %d belongs to another user", (int)pid);
	} else {
		snprintf(buf, n, "cannot signal supervisor %d: %s", (int)pid, strerror(-e));
	}
	return buf;
}

pid_t daemon_find(const char *rundir, char *why, size_t n)
{
	/* What another user could have planted is never believed: not a
	 * directory or lock anyone but its owner (or root) may write. */
	int c = rundir_check(rundir, true, why, n);
	if (c == 0)
		c = runfile_check(rundir, "supervisor.lock", why, n);
	if (c == -ENOENT)
		return 0;
	if (c < 0)
		return -1;
	pid_t p = lock_holder(rundir);
	/* A daemon in a pid namespace below ours has a pid here, but its state
	 * file's pids mean something else: every verb treats it alike. */
	if (p > 0) {
		unsigned long long theirs = proc_pidns(p), ours = proc_pidns(getpid());
		if (theirs && ours && theirs != ours) {
			snprintf(why, n, "the supervisor of %s (pid %d here) runs in another pid namespace; run this "
					 "inside its namespace (e.g. nsenter -t %d -p -m, or docker exec)",
				 rundir, (int)p, (int)p);
			return -2;
		}
	}
	if (p == -2)
		snprintf(why, n, "the supervisor of %s runs in another pid namespace; its pid means nothing here, so it is "
				 "not signalled from here",
			 rundir);
	else if (p == -1)
		snprintf(why, n, "cannot check the lock in %s: %s", rundir, strerror(errno));
	return p;
}

int daemon_signal(const char *rundir, pid_t pid, int sig, int value)
{
	int fd = pidfd_open_pid(pid);
	if (fd < 0 && errno != ENOSYS)
		return -errno;
	/* The pidfd pins this very process; check it still holds the lock. */
	if (lock_holder(rundir) != pid) {
		if (fd >= 0)
			close(fd);
		return -ESRCH;
	}
	int r;
	if (fd >= 0) {
		r = pidfd_send(fd, sig, value != 0, value);
		int e = errno;
		close(fd);
		errno = e;
	} else if (value) {
		union sigval v = {.sival_int = value};
		r = sigqueue(pid, sig, v);
	} else {
		r = kill(pid, sig);
	}
	return r == 0 ? 0 : -errno;
}

bool wait_exit(pid_t pid, int64_t timeout_ms)
{
	int64_t end = mono_ns() + timeout_ms * 1000000;
	int fd = pidfd_open_pid(pid);
	if (fd >= 0) {
		for (;;) {
			int64_t left = (end - mono_ns()) / 1000000;
			if (left < 0)
				left = 0;
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int r = poll(&p, 1, (int)left);
			if (r < 0 && errno == EINTR)
				continue;
			close(fd);
			return r > 0;
		}
	}
	if (errno == ESRCH)
		return true;
	/* No pidfd (old kernel): look every 5 ms. */
	while (kill(pid, 0) == 0 || errno == EPERM) {
		if (mono_ns() >= end)
			return false;
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	return true;
}

int wait_state(const char *rundir, pid_t daemon, bool (*pred)(const struct st_file *, void *), void *arg,
	       int64_t timeout_ms, struct st_file *st)
{
	int64_t end = mono_ns() + timeout_ms * 1000000;
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (in >= 0 && inotify_add_watch(in, rundir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE) < 0) {
		close(in);
		in = -1;
	}
	int dfd = pidfd_open_pid(daemon);
	int rc = 0;
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
		int64_t left = (end - mono_ns()) / 1000000;
		if (left <= 0)
			break;
		struct pollfd p[2] = {{.fd = in, .events = POLLIN}, {.fd = dfd, .events = POLLIN}};
		/* Without inotify, look again every 10 ms. */
		int r = poll(p, 2, in >= 0 ? (int)left : (left < 10 ? (int)left : 10));
		if (r < 0 && errno != EINTR)
			break;
		if (in >= 0 && r > 0 && (p[0].revents & POLLIN)) {
			char ev[4096];
			while (read(in, ev, sizeof ev) > 0)
				;
		}
	}
	if (in >= 0)
		close(in);
	if (dfd >= 0)
		close(dfd);
	return rc;
}
