/* cgroup.c: each server's processes contained in a cgroup (v2) of its own,
 * where one is writable: found whatever their session, process group or
 * environment (env -i, setsid), across restarts and after a hard kill of
 * the supervisor. A server starts in its cgroup (clone3's CLONE_INTO_CGROUP,
 * no migration): free at spawn, so on by default. Without a writable cgroup
 * v2, or a kernel that refuses, everything here is a no-op. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/util.h"
#include "lib/vec.h"

#define CGROUP2_MAGIC 0x63677270

static char *base;  /* <cgroup2 mount><our cgroup>/imageserving.<hash of run dir>; NULL: none */
static int base_fd = -1;

static bool is_cgroup2(const char *dir)
{
	struct statfs sf;
	return statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == CGROUP2_MAGIC;
}

/* An id usable as a directory name as it is; others get no cgroup. */
static bool plain_id(const char *id)
{
	if (!*id || *id == '.')
		return false;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		      *c == '-' || *c == '.'))
			return false;
	return true;
}

void cgroup_setup(void)
{
	if (base)
		return;
	const char *mnt = is_cgroup2("/sys/fs/cgroup") ? "/sys/fs/cgroup"
			  : is_cgroup2("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified"
								   : NULL;
	char *text, *ours = NULL;
	if (!mnt || read_file("/proc/self/cgroup", 1 << 16, &text, NULL) != 0)
		return;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		if (strncmp(l, "0::/", 4) == 0)
			ours = l + 3;
	uint32_t h = 2166136261u;  /* FNV-1a of the run directory: one cgroup per supervisor */
	for (const char *c = D.rundir; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	char *dir = ours ? xmalloc(strlen(mnt) + strlen(ours) + 32) : NULL;
	if (dir)
		sprintf(dir, "%s%s/imageserving.%08x", mnt, strcmp(ours, "/") ? ours : "", h);
	free(text);
	struct stat st;
	if (!dir || (mkdir(dir, 0755) != 0 && errno != EEXIST) || lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != geteuid() && st.st_uid != 0)) {
		trace(TRACE_DEBUG, NULL, "no cgroup of our own (%s): servers' strays are found by their markers only",
		      dir ? strerror(errno) : "no cgroup v2");
		free(dir);
		return;
	}
	base_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd < 0) {
		free(dir);
		return;
	}
	base = dir;
}

int cgroup_dir_fd(const char *id)
{
	static bool told;
	if (!base || !plain_id(id))
		return -1;
	if (spawn_cgroup_errno()) {
		if (!told)
			trace(TRACE_WARNING, NULL, "servers are not contained in cgroups: the kernel refused to start "
						   "one in %s (%s)", base, strerror(spawn_cgroup_errno()));
		told = true;
		return -1;
	}
	int fd = openat(base_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && mkdirat(base_fd, id, 0755) == 0)
		fd = openat(base_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

/* Read at every exit of a contained server: three system calls into a
 * kept buffer. */
int cgroup_pids(const char *id, pid_t *out, int max)
{
	if (!base || !plain_id(id))
		return 0;
	char rel[REG_ID_MAX + 16];
	snprintf(rel, sizeof rel, "%s/cgroup.procs", id);
	int fd = openat(base_fd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	static char *text;
	static size_t cap;
	size_t len = 0;
	for (;;) {
		text = vec_room(text, len + 4097, &cap, 1);
		ssize_t r = read(fd, text + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	text[len] = 0;
	pid_t self = getpid();
	int k = 0;
	for (char *s = text, *end; *s && k < max; s = end) {
		long v = strtol(s, &end, 10);
		if (end == s)
			break;
		if (v > 1 && v != self)
			out[k++] = (pid_t)v;
	}
	return k;
}

void cgroup_remove_all(void)
{
	if (!base)
		return;
	for (size_t i = 0; i < D.nsvc; i++) {
		char *dir = plain_id(D.svcs[i]->id) ? path_join(base, D.svcs[i]->id) : NULL;
		if (dir)
			(void)rmdir(dir);  /* an error means it is still in use or already gone */
		free(dir);
	}
	(void)rmdir(base);
	close(base_fd);  /* at exit: nothing of ours is left open */
	base_fd = -1;
	free(base);
	base = NULL;
}
