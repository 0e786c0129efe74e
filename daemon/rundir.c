/* rundir.c: keep the run directory ours while we run: an inotify watch sees
 * it (or its lock, pid or state file) removed or renamed away, and puts it
 * back, so no second supervisor can start beside us; or says loudly why not.
 * And the registry's anchor (lib/anchor.h), by which clients find us (and a
 * second supervisor of the registry finds us) after <temp> was edited. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/anchor.h"
#include "lib/log.h"
#include "lib/runfile.h"
#include "lib/util.h"

#define WATCH_MASK (IN_DELETE_SELF | IN_MOVE_SELF | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR)

static int watch_fd = -1, wd = -1;

static bool ours(const char *name)
{
	return strcmp(name, "supervisor.lock") == 0 || strcmp(name, "supervisor.pid") == 0 ||
	       strcmp(name, STATE_FILE) == 0;
}

/* Whether the lock file in the directory is the very file we hold locked. */
static bool lock_in_place(void)
{
	struct stat held, there;
	char *p = path_join(D.rundir, "supervisor.lock");
	bool same = fstat(D.lock_fd, &held) == 0 && lstat(p, &there) == 0 && held.st_ino == there.st_ino &&
		    held.st_dev == there.st_dev;
	free(p);
	return same;
}

/* One attempt; false if the directory vanished again meanwhile (a removal
 * still under way, as rm -rf unlinks the files, then the directory). */
static bool restore_once(void)
{
	char why[512];
	if (rundir_prepare(D.rundir, why, sizeof why) != 0) {
		trace(TRACE_ERROR, NULL, "run directory removed and not made again (%s): a second supervisor could "
					 "start beside this one",
		      why);
		return true;
	}
	/* Watch the directory that is there now (the same wd if it is the same). */
	int nwd = inotify_add_watch(watch_fd, D.rundir, WATCH_MASK);
	if (nwd >= 0)
		wd = nwd;
	else if (errno == ENOENT)
		return false;
	else
		trace(TRACE_ERROR, NULL, "cannot watch run directory %s again: %s", D.rundir, strerror(errno));
	if (!lock_in_place()) {
		int fd = lock_take(D.rundir);
		if (fd == -ENOENT)
			return false;
		if (fd == -EAGAIN) {
			trace(TRACE_ERROR, NULL, "run directory %s lost its lock and supervisor %d took a new one: two "
						 "supervisors may now run the same servers",
			      D.rundir, (int)lock_holder(D.rundir));
		} else if (fd < 0) {
			trace(TRACE_ERROR, NULL, "cannot take the lock in %s again: %s: a second supervisor could start "
						 "beside this one",
			      D.rundir, strerror(-fd));
		} else {
			close(D.lock_fd);  /* the lock of a file no longer there */
			D.lock_fd = fd;
			trace(TRACE_WARNING, NULL, "run directory %s or its lock was removed: lock taken again", D.rundir);
		}
	}
	char *p = path_join(D.rundir, "supervisor.pid");
	int e = access(p, F_OK) == 0 ? 0 : pidfile_write(D.rundir, getpid());
	free(p);
	if (e == -ENOENT)
		return false;
	if (e < 0)
		trace(TRACE_ERROR, NULL, "cannot write %s/supervisor.pid again: %s", D.rundir, strerror(-e));
	p = path_join(D.rundir, STATE_FILE);
	if (access(p, F_OK) != 0)
		D.dirty = true;  /* written at the end of this loop turn */
	free(p);
	return true;
}

static void restore(void)
{
	for (int attempt = 0; attempt < 20; attempt++)
		if (restore_once())
			return;
	trace(TRACE_ERROR, NULL, "run directory %s keeps vanishing; a second supervisor could start beside this one",
	      D.rundir);
}

static void watch_ready(struct source *s, uint32_t events)
{
	(void)s;
	(void)events;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool act = false;
	for (;;) {
		ssize_t n = read(watch_fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				if (ev->mask & IN_MOVE_SELF)
					inotify_rm_watch(watch_fd, ev->wd);  /* it watches the moved one */
				if (ev->wd == wd)
					wd = -1;
				act = true;
			} else if (ev->len && ours(ev->name)) {
				act = true;
			}
			p += sizeof *ev + ev->len;
		}
	}
	if (act && !stopping_all())
		restore();
}

static struct source watch_source = {.ready = watch_ready};

void rundir_watch(void)
{
	watch_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (watch_fd < 0 || (wd = inotify_add_watch(watch_fd, D.rundir, WATCH_MASK)) < 0 ||
	    loop_add(watch_fd, &watch_source, EPOLLIN) != 0) {
		trace(TRACE_WARNING, NULL, "cannot watch run directory %s (%s): if it is removed while we run, a "
					   "second supervisor could start beside this one",
		      D.rundir, strerror(errno));
		if (watch_fd >= 0)
			close(watch_fd);
		watch_fd = -1;
	}
}

static int anchor_fd = -1;

void rundir_anchor(void)
{
	pid_t holder;
	char *theirs, why[512];
	anchor_fd = anchor_take(D.reg_path, D.rundir, &holder, &theirs, why, sizeof why);
	if (anchor_fd == -EAGAIN) {
		if (D.ready_fd >= 0) {  /* the starting client says it */
			dprintf(D.ready_fd, "A%d %s\n", (int)holder, theirs ? theirs : "");
			exit(EX_FAIL);
		}
		ready_fail(EX_FAIL, "already running (pid %d, run directory %s): the registry names %s now, from its next start",
			   (int)holder, theirs ? theirs : "unknown", D.rundir);
	}
	if (anchor_fd < 0)
		trace(TRACE_WARNING, NULL, "no anchor for this registry (%s): once its <temp> is edited, clients will not "
					   "find this supervisor",
		      why);
}

void rundir_anchor_release(void)
{
	anchor_release(anchor_fd, D.reg_path);
	anchor_fd = -1;
}
