/* svc.c: the service every supervisor in the benchmark runs. First thing at
 * exec it stamps CLOCK_MONOTONIC into $BSVC_STAMPS as "NAME PID NS" (NAME: the
 * basename of its working directory), then waits for signals forever.
 * Files in its working directory change its behaviour:
 *   crash        exit 1 at once (a service that crashes forever)
 *   ignore-term  ignore SIGTERM (only SIGKILL ends it)
 * Built static so that what we time is the supervisor, not a dynamic loader. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char cwd[4096], line[4200];
	const char *name = "?";
	if (getcwd(cwd, sizeof cwd)) {
		char *slash = strrchr(cwd, '/');
		name = slash && slash[1] ? slash + 1 : cwd;
	}
	const char *stamps = getenv("BSVC_STAMPS");
	if (stamps) {
		int fd = open(stamps, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			int n = snprintf(line, sizeof line, "%s %d %lld\n", name, (int)getpid(),
					 (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
			/* One write with O_APPEND: lines of many services never interleave. */
			if (write(fd, line, (size_t)n) != n)
				return 111;
			close(fd);
		}
	}
	if (access("crash", F_OK) == 0)
		return 1;
	if (access("ignore-term", F_OK) == 0)
		signal(SIGTERM, SIG_IGN);
	for (;;)
		pause();
}
