/* procchildren.c: unit test of proc_children (lib/proc.c), which reads
 * /proc/PID/task/TID/children without allocating: no children, a few, a
 * list longer than its 4 KiB stack buffer (1,000 children: about 6 KiB of
 * pids, read again whole), children of a second thread, and the cap. Every
 * child is killed and reaped by PID. Prints TAP. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/proc.h"

#include "tap.h"

#define MANY 1000

static pid_t kids[MANY + 8];
static int nkids;

static pid_t child(void)
{
	pid_t p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	if (p > 0)
		kids[nkids++] = p;
	return p;
}

static void reap_all(void)
{
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < nkids; i++)
		while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
			;
	nkids = 0;
}

/* Every pid of kids[] appears in got[0..n) exactly once, and nothing else. */
static bool same_set(const pid_t *got, int n)
{
	if (n != nkids)
		return false;
	for (int i = 0; i < nkids; i++) {
		int seen = 0;
		for (int j = 0; j < n; j++)
			seen += got[j] == kids[i];
		if (seen != 1)
			return false;
	}
	return true;
}

static void *thread_forks(void *arg)
{
	(void)arg;
	child();  /* its parent is this thread's task: listed under its TID */
	return NULL;
}

static pid_t got[MANY + 64];

int main(void)
{
	int n = proc_children(getpid(), got, MANY + 64);
	ok(n == 0, "no children: 0 (got %d)", n);

	for (int i = 0; i < 3; i++)
		child();
	n = proc_children(getpid(), got, MANY + 64);
	ok(same_set(got, n), "three children: all three, once each (got %d)", n);

	pthread_t t;
	bool threaded = pthread_create(&t, NULL, thread_forks, NULL) == 0 && pthread_join(t, NULL) == 0;
	n = proc_children(getpid(), got, MANY + 64);
	ok(threaded && nkids == 4 && same_set(got, n), "a second thread's child is found too (%d of %d)", n, nkids);
	reap_all();

	while (nkids < MANY && child() > 0)
		;
	n = proc_children(getpid(), got, MANY + 64);
	ok(nkids == MANY && same_set(got, n), "%d children, a list longer than 4 KiB: all found (got %d)", nkids, n);
	n = proc_children(getpid(), got, 10);
	ok(n == 10, "the cap holds: 10 of them (got %d)", n);
	reap_all();

	n = proc_children(getpid(), got, MANY + 64);
	ok(n == 0, "all reaped: 0 again (got %d)", n);
	ok(proc_children(999999999, got, 10) < 0, "a pid that does not exist: an error");
	printf("1..%d\n", tests);
	return failures != 0;
}
