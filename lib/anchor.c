/* anchor.c: a registry's supervisor, found whatever the registry now says.
 * An edited <temp> must not make clients look in a new run directory, find
 * nobody, and start a second supervisor: the anchor, in a place derived from
 * the registry's path and our uid alone, names the run directory in use. Its
 * lock, not its text, says whether that supervisor is alive; its text is
 * believed only under the run directory trust rules (lib/runfile.h). */
#include "anchor.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "registry.h"
#include "runfile.h"
#include "util.h"

#define ANCHOR_MAX 8192

/* "registry-HASH.anchor": FNV-1a of the registry's real path (*real). */
static char *anchor_name(const char *registry, char **real)
{
	char *r = realpath(registry, NULL);
	*real = r ? r : xstrdup(registry);
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)*real; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	char name[64];
	snprintf(name, sizeof name, "registry-%016llx.anchor", (unsigned long long)h);
	return xstrdup(name);
}

/* The run directory the anchor names, if it is the anchor of real. */
static char *anchor_read(const char *dir, const char *name, const char *real)
{
	int fd = runfile_open_trusted(dir, name);
	char *text = NULL, *rundir = NULL;
	size_t len;
	if (fd < 0 || read_fd(fd, ANCHOR_MAX, &text, &len) != 0)
		len = 0;
	if (fd >= 0)
		close(fd);
	char *nl = len ? memchr(text, '\n', len) : NULL;
	if (nl && text[0] == '/' && len - (size_t)(nl + 1 - text) == strlen(real) + 1 &&
	    memcmp(nl + 1, real, strlen(real)) == 0 && text[len - 1] == '\n') {
		*nl = 0;
		rundir = xstrdup(text);
	}
	free(text);
	return rundir;
}

/* Lock dir/name, and make sure it is still the file at that name (an
 * anchor removed by its last holder meanwhile is taken anew). */
static int lock_in_place(const char *dir, const char *name)
{
	for (int attempt = 0;; attempt++) {
		int fd = lock_take_file(dir, name);
		if (fd < 0)
			return fd;
		char *p = path_join(dir, name);
		struct stat a, b;
		bool same = fstat(fd, &a) == 0 && lstat(p, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
		free(p);
		if (same || attempt == 3)
			return fd;
		close(fd);
	}
}

int anchor_take(const char *registry, const char *rundir, pid_t *holder, char **theirs, char *why, size_t n)
{
	char *dir = registry_rundir_default(), *real, *name = anchor_name(registry, &real);
	*holder = 0;
	*theirs = NULL;
	*why = 0;
	int fd = rundir_prepare(dir, why, n);
	for (int attempt = 0; fd == 0; attempt++) {
		fd = lock_in_place(dir, name);
		if (fd != -EAGAIN)
			break;
		*holder = lock_holder_file(dir, name);
		if (*holder == 0)  /* it went away meanwhile: again */
			fd = attempt < 3 ? 0 : -EBUSY;
	}
	if (fd == -EAGAIN) {
		*theirs = anchor_read(dir, name, real);
	} else if (fd < 0 && !*why) {
		if (fd != -EPERM || runfile_check(dir, name, why, n) == 0)
			snprintf(why, n, "%s/%s: %s", dir, name, strerror(-fd));
	} else if (fd >= 0) {
		char *text = xmalloc(strlen(rundir) + strlen(real) + 3);
		int len = sprintf(text, "%s\n%s\n", rundir, real);
		if (len > ANCHOR_MAX || ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
			snprintf(why, n, "cannot write %s/%s: %s", dir, name, len > ANCHOR_MAX ? "too long" : strerror(errno));
			close(fd);
			fd = -EIO;
		}
		free(text);
	}
	free(dir);
	free(real);
	free(name);
	return fd;
}

void anchor_release(int fd, const char *registry)
{
	if (fd < 0)
		return;
	char *dir = registry_rundir_default(), *real, *name = anchor_name(registry, &real);
	char *p = path_join(dir, name);
	struct stat a, b;
	/* Only the file we hold: never one another supervisor has made since. */
	if (fstat(fd, &a) == 0 && lstat(p, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		unlink(p);
	close(fd);
	free(p);
	free(dir);
	free(real);
	free(name);
}

char *anchor_follow(const char *registry, const char *rundir, pid_t *found)
{
	char why[512];
	pid_t here = daemon_find(rundir, why, sizeof why);
	if (found)
		*found = here > 0 ? here : 0;
	if (here != 0)
		return NULL;  /* it is there (or something is wrong there, and said so) */
	char *dir = registry_rundir_default(), *real, *name = anchor_name(registry, &real), *alt = NULL;
	pid_t holder = rundir_check(dir, false, why, sizeof why) == 0 ? lock_holder_file(dir, name) : 0;
	if (holder > 0)
		alt = anchor_read(dir, name, real);
	/* Believed only if the supervisor holding it holds that run directory's lock too. */
	if (alt && (strcmp(alt, rundir) == 0 || daemon_find(alt, why, sizeof why) != holder)) {
		free(alt);
		alt = NULL;
	}
	if (alt && found)
		*found = holder;
	free(dir);
	free(real);
	free(name);
	return alt;
}

char *anchor_rundir(const char *registry, char *rundir, pid_t *found)
{
	if (found)
		*found = 0;
	char *alt = rundir ? anchor_follow(registry, rundir, found) : NULL;
	if (!alt)
		return rundir;
	warnx_("note: the supervisor of %s runs in %s; the registry now names run directory %s, which takes effect "
	       "when the supervisor is next started",
	       registry, alt, rundir);
	free(rundir);
	return alt;
}
