/* ready.c: the start-up readiness pipe, both sides. `start` forks and
 * re-executes the binary as a detached daemon (so that it shows in ps as
 * "imageserving supervisor -c FILE", not as the client) and reads from the
 * pipe what became of it: ready (every server ready or failed, once the
 * start sequence has waited for their readiness), already running, or why
 * it failed. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/control.h"
#include "lib/log.h"
#include "lib/util.h"

#define READY_ENV "IMAGESERVING_READY_FD"

/* ---- the daemon's side ---- */

/* Once the start sequence is done (every server ready or gone for good):
 * S for each one ready, F with the reason for each one that is not. */
void ready_report(void)
{
	if (D.ready_fd < 0)
		return;
	struct buf b = {0};
	for (size_t i = 0; i < D.nsvc; i++) {
		const struct svc *v = D.svcs[i];
		if (v->state == S_RUNNING)
			buf_printf(&b, "S%s\n", v->id);
		else if (svc_alive(v))
			buf_printf(&b, "F%s: not ready (%s)\n", v->id, svc_state_name(v->state));
		else if (v->state == S_FATAL && !v->last_error[0])
			buf_printf(&b, "F%s: fatal: died %u times in a row\n", v->id, v->quick_deaths);
		else if (v->state == S_BACKOFF && !v->last_error[0])
			buf_printf(&b, "F%s: died %u times in a row; restarting\n", v->id, v->quick_deaths);
		else if (!v->held)
			buf_printf(&b, "F%s: %s\n", v->id,
				   v->last_error[0] ? v->last_error : sv_state_name(svc_public_state(v)));
	}
	buf_printf(&b, "R%d\n", (int)getpid());
	(void)write_full(D.ready_fd, buf_str(&b), b.len);
	buf_free(&b);
	close(D.ready_fd);
	D.ready_fd = -1;
}

/* While the start sequence waits: shown by `start` as it comes. */
void ready_progress(const char *text)
{
	if (D.ready_fd >= 0)
		dprintf(D.ready_fd, "W%s\n", text);
}

void ready_abandon(const char *why)
{
	if (D.ready_fd < 0)
		return;
	dprintf(D.ready_fd, "E1 supervisor stopped while starting: %s\n", why);
	close(D.ready_fd);
	D.ready_fd = -1;
}

void ready_fail(int code, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (D.ready_fd >= 0)
		dprintf(D.ready_fd, "E%d %s\n", code, msg);
	else
		warnx_("%s", msg);
	trace(TRACE_ERROR, NULL, "%s", msg);
	exit(code);
}

/* Adopt the pipe a starting client handed us through the environment. */
int ready_inherited(void)
{
	const char *e = getenv(READY_ENV);
	if (!e)
		return -1;
	int fd = atoi(e);
	unsetenv(READY_ENV);  /* not for the servers */
	if (fd < 3 || fcntl(fd, F_GETFD) < 0)
		return -1;
	set_cloexec(fd);
	return fd;
}

/* ---- the client's side ---- */

struct outcome {
	int rc;
	pid_t holder;      /* > 0: another supervisor holds the lock */
	char rundir[4096]; /* its run directory, when not ours (an edited <temp>) */
	bool ready;
};

/* Read the daemon's report; print failures; never exits. */
static struct outcome read_report(int fd, const char *rundir)
{
	struct buf b = {0};
	char chunk[512];
	struct outcome o = {.rc = EX_FAIL};
	int failed = 0;
	size_t pos = 0;
	/* Line by line as they come: a progress line is shown at once. */
	for (bool eof = false; !eof;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			eof = true;
		else
			buf_add(&b, chunk, (size_t)r);
		const char *all = buf_str(&b);
		while (pos < b.len) {
			const char *t = all + pos, *nl = memchr(t, '\n', b.len - pos);
			if (!nl && !eof)
				break;
			int len = nl ? (int)(nl - t) : (int)(b.len - pos);
			pos += (size_t)len + (nl ? 1 : 0);
			if (len == 0)
				continue;
			if (t[0] == 'W') {
				warnx_("%.*s", len - 1, t + 1);
			} else if (t[0] == 'R') {
				o.ready = true;
			} else if (t[0] == 'A') {
				o.holder = (pid_t)atoi(t + 1);
				const char *sp = memchr(t, ' ', (size_t)len);
				if (sp && sp[1] == '/')
					snprintf(o.rundir, sizeof o.rundir, "%.*s", (int)(len - (sp + 1 - t)), sp + 1);
			} else if (t[0] == 'F') {
				warnx_("server %.*s", len - 1, t + 1);
				failed++;
			} else if (t[0] == 'E' && len >= 3) {
				o.rc = t[1] - '0';
				warnx_("%.*s", len - 3, t + 3);
			}
		}
	}
	if (o.ready)
		o.rc = failed ? EX_FAIL : EX_OK;
	else if (!b.len)
		warnx_("supervisor exited before it was ready (see its trace log; run directory %s)", rundir);
	buf_free(&b);
	return o;
}

static bool settled(const struct st_file *f, void *arg)
{
	(void)arg;
	return f->phase != PHASE_STARTING;
}

/* Fork a detached daemon. In the parent: the start's exit code. In the
 * detached child when it cannot re-execute itself (no /proc): -1, with the
 * pipe in *fd, and the caller goes on as the daemon. */
static int spawn_once(const char *registry, int *fd, struct outcome *out)
{
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) != 0)
		die_(EX_FAIL, "supervisor: pipe: %s", strerror(errno));
	fflush(NULL);  /* else the daemon would write the client's buffered output again */
	pid_t pid = fork();
	if (pid < 0)
		die_(EX_FAIL, "supervisor: fork: %s", strerror(errno));
	if (pid == 0) {
		close(pp[0]);
		if (setsid() < 0 || (pid = fork()) < 0)
			_exit(EX_FAIL);
		if (pid > 0)
			_exit(0);
		char num[16];
		snprintf(num, sizeof num, "%d", pp[1]);
		int flags = fcntl(pp[1], F_GETFD);
		if (setenv(READY_ENV, num, 1) == 0 && flags >= 0 && fcntl(pp[1], F_SETFD, flags & ~FD_CLOEXEC) == 0) {
			char *argv[] = {"imageserving", "supervisor", "-c", (char *)registry, NULL};
			execv(self_exe(), argv);
		}
		unsetenv(READY_ENV);
		set_cloexec(pp[1]);
		*fd = pp[1];
		return -1;
	}
	close(pp[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	*out = read_report(pp[0], D.rundir);
	close(pp[0]);
	return out->rc;
}

int ready_spawn_daemon(const char *registry, bool ok_if_running, int *fd)
{
	*fd = -1;
	for (int attempt = 0;; attempt++) {
		struct outcome o = {0};
		int rc = spawn_once(registry, fd, &o);
		if (rc < 0 || !o.holder)
			return rc;
		pid_t holder = o.holder;
		const char *rundir = o.rundir[0] ? o.rundir : D.rundir;
		struct st_file st;
		bool have = state_read(rundir, &st) == 0 && st.pid == holder;
		enum sup_phase ph = have ? (enum sup_phase)st.phase : PHASE_STARTING;
		int64_t budget = have ? st.stop_budget_ms : 600000;
		state_free(&st);
		if (attempt < 5 && (ph == PHASE_STOPPING || ph == PHASE_RESTARTING)) {
			/* It is going away: wait for that, then start anew. */
			printf("%s: supervisor %d is stopping; starting once it is gone\n", is_prog, (int)holder);
			if (wait_exit(holder, budget + 10000))
				continue;
			warnx_("supervisor %d is still stopping; not started", (int)holder);
			return EX_FAIL;
		}
		if (!ok_if_running) {
			warnx_("supervisor already running (pid %d, run directory %s)", (int)holder, rundir);
			return EX_FAIL;
		}
		/* Another start is under way: its outcome is ours. */
		int w = wait_state(rundir, holder, settled, NULL, 600000, &st);
		bool running = w == 1 && st.phase == PHASE_RUNNING;
		state_free(&st);
		if (w == -1 && attempt < 5)
			continue;  /* it failed and went away: try ourselves */
		if (!running) {
			warnx_("supervisor %d did not finish starting (see its trace log)", (int)holder);
			return EX_FAIL;
		}
		if (o.rundir[0])
			printf("%s: supervisor already running (pid %d, in its run directory %s; the registry's %s is "
			       "for its next start)\n",
			       is_prog, (int)holder, rundir, D.rundir);
		else
			printf("%s: supervisor already running (pid %d)\n", is_prog, (int)holder);
		return EX_OK;
	}
}
