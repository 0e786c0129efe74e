/* httpd_driver.c: lib/httpd.c alone in one epoll loop with a fixed route table, for the tests/7x-httpd*.t.
 *
 * Usage: httpd_driver [-t MS] PORT
 *   PORT 0 picks a free port. Prints "port N" once listening, then serves
 *   until SIGTERM or SIGINT (exit 0); a bind failure is printed, exit 1.
 *   -t MS sets the request and idle timeouts (default: the server's 5 s).
 * Routes: /livez 200 "ok"; /big 1 MiB of text; /echo the query; /code/N
 * status N; anything else 404. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "httpd.h"

#define BIG (1024 * 1024)

static void route(void *arg, const char *path, const char *query, struct http_reply *r)
{
	uint64_t code;
	if (strcmp(path, "/livez") == 0) {
		buf_puts(&r->body, "ok\n");
	} else if (strcmp(path, "/big") == 0) {
		for (int i = 0; r->body.len < BIG; i++)
			buf_printf(&r->body, "%015d\n", i);
	} else if (strcmp(path, "/echo") == 0) {
		buf_printf(&r->body, "%s\n", query);
	} else if (strncmp(path, "/code/", 6) == 0 && parse_uint(path + 6, 999, &code) == 0) {
		r->status = (int)code;
		buf_printf(&r->body, "%d\n", r->status);
	} else {
		r->status = 404;
		buf_puts(&r->body, "not found\n");
	}
}

/* SIGTERM and SIGINT as a source of the loop, as the daemon has them. */
struct sigsrc {
	struct source src;
	int fd;
	bool stop;
};

static void sig_ready(struct source *s, uint32_t events)
{
	struct sigsrc *g = container_of(s, struct sigsrc, src);
	struct signalfd_siginfo si;
	if (read(g->fd, &si, sizeof si) == (ssize_t)sizeof si || errno != EAGAIN)
		g->stop = true;
}

int main(int argc, char **argv)
{
	uint64_t port, ms = 0;
	int i = 1;
	if (argc == 4 && strcmp(argv[1], "-t") == 0 && parse_uint(argv[2], 3600000, &ms) == 0 && ms > 0)
		i = 3;
	if (i != argc - 1 || parse_uint(argv[i], 65535, &port) < 0)
		die_(EX_USAGE, "usage: httpd_driver [-t MS] PORT");

	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die_(EX_FAIL, "epoll_create1: %s", strerror(errno));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	struct sigsrc sig = { .src.ready = sig_ready };
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (sig.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		die_(EX_FAIL, "signalfd: %s", strerror(errno));
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &sig.src };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, sig.fd, &e) < 0)
		die_(EX_FAIL, "epoll_ctl: %s", strerror(errno));

	char why[256];
	struct httpd *h = httpd_open(epfd, (unsigned)port, route, NULL, why, sizeof why);
	if (!h)
		die_(EX_FAIL, "%s", why);
	if (ms)
		httpd_set_timeouts(h, (int64_t)ms * 1000000, (int64_t)ms * 1000000);
	printf("port %u\n", httpd_port(h));
	if (fflush(stdout) == EOF)
		die_(EX_FAIL, "stdout: %s", strerror(errno));

	while (!sig.stop) {
		int64_t d = httpd_deadline(h), timeout = -1;
		if (d) {
			int64_t now = mono_ns();
			timeout = d <= now ? 0 : (d - now + 999999) / 1000000;
		}
		struct epoll_event ev[16];
		int n = epoll_wait(epfd, ev, 16, (int)timeout);
		if (n < 0 && errno != EINTR)
			die_(EX_FAIL, "epoll_wait: %s", strerror(errno));
		for (int k = 0; k < n; k++) {
			struct source *s = ev[k].data.ptr;
			s->ready(s, ev[k].events);
		}
		httpd_timers(h, mono_ns());
	}
	httpd_close(h);
	close(sig.fd);
	close(epfd);
	return EX_OK;
}
