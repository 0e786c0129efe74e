/* standin.c: a static stand-in server for the FROM scratch container image,
 * which has no shell to run conf/standin/'s scripts.
 *   standin NAME [--orphan SECONDS] [--term-exit CODE] [ARG...]
 * Prints one line, then waits for SIGTERM/SIGINT and exits with CODE (0; a
 * JVM's is 143). With --orphan it first leaves a helper behind that lives
 * SECONDS and exits, as a Tomcat launcher's forks do: the helper is
 * reparented to the supervisor, which must reap it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

/* A grandchild in its own session: its parent exits at once. */
static void leave_helper(const char *name, int seconds)
{
	pid_t child = fork();
	if (child != 0) {
		if (child > 0)
			waitpid(child, NULL, 0);
		return;
	}
	setsid();
	pid_t helper = fork();
	if (helper > 0) {
		printf("%s stand-in: left helper %d behind for %d s\n", name, (int)helper, seconds);
		fflush(stdout);
		_exit(0);
	}
	if (helper == 0) {
		struct timespec ts = {seconds, 0};
		while (nanosleep(&ts, &ts) != 0)
			;
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "server";
	int orphan = -1, term_exit = 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--orphan") == 0 && i + 1 < argc)
			orphan = atoi(argv[++i]);
		else if (strcmp(argv[i], "--term-exit") == 0 && i + 1 < argc)
			term_exit = atoi(argv[++i]);
	}
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct sigaction sa = {.sa_handler = on_stop};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("%s stand-in: pid %d, %d arguments\n", name, (int)getpid(), argc - 2);
	fflush(stdout);
	if (orphan >= 0)
		leave_helper(name, orphan);
	while (!stop_sig)
		sigsuspend(&old);
	printf("%s stand-in: stopping on signal %d\n", name, (int)stop_sig);
	fflush(stdout);
	return stop_sig == SIGTERM ? term_exit : 130;
}
