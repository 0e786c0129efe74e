/* httpd.c (unit test, TAP): lib/httpd's connections over socketpairs: answers do not depend on how requests are cut, and deadlines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"

static int n_test, n_fail;

static void ok(int cond, const char *what)
{
	n_test++;
	if (!cond)
		n_fail++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n_test, what);
}

static void route(void *arg, const char *path, const char *query, struct http_reply *r)
{
	if (strcmp(path, "/missing") == 0)
		r->status = 404;
	buf_printf(&r->body, "path=%s query=%s\n", path, query);
}

/* Dispatch every ready event until none is left. */
static void settle(int epfd)
{
	struct epoll_event ev[8];
	int n;
	while ((n = epoll_wait(epfd, ev, 8, 0)) > 0)
		for (int i = 0; i < n; i++) {
			struct source *s = ev[i].data.ptr;
			s->ready(s, ev[i].events);
		}
}

/* Send req in two pieces cut at `cut` over a fresh connection; what came
 * back until the server closed, into out. Returns whether it closed. */
static bool exchange(const char *req, size_t cut, struct buf *out)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC), sv[2];
	struct httpd *h = httpd_new(epfd, route, NULL);
	if (epfd < 0 || !h || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0 ||
	    httpd_adopt(h, sv[0]) < 0)
		die_(EX_FAIL, "setting up: %s", strerror(errno));
	size_t len = strlen(req);
	if (write(sv[1], req, cut) != (ssize_t)cut)
		die_(EX_FAIL, "write: %s", strerror(errno));
	settle(epfd);
	if (write(sv[1], req + cut, len - cut) != (ssize_t)(len - cut))
		die_(EX_FAIL, "write: %s", strerror(errno));
	settle(epfd);
	char b[4096];
	ssize_t n;
	while ((n = read(sv[1], b, sizeof b)) > 0)
		buf_add(out, b, (size_t)n);
	bool closed = n == 0;
	httpd_close(h);
	close(sv[1]);
	close(epfd);
	return closed;
}

static void cuts(void)
{
	const char *req = "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
			  "HEAD /missing HTTP/1.1\r\nHost: h\r\n\r\n"
			  "\r\nGET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
			  "GET /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
			  "GET /never HTTP/1.1\r\nHost: h\r\n\r\n";
	struct buf whole = { 0 };
	bool closed = exchange(req, 0, &whole);
	const char *s = buf_str(&whole);
	ok(closed, "four pipelined requests, the last with Connection: close: closed after it");
	ok(strstr(s, "HTTP/1.1 200 OK\r\n") == s && strstr(s, "path=/a query=x=1\n"),
	   "the first answered with path and query");
	ok(strstr(s, "HTTP/1.1 404 Not Found\r\n") && !strstr(s, "path=/missing"),
	   "HEAD answered without its body");
	ok(strstr(s, "Connection: keep-alive\r\n") && strstr(s, "path=/c "), "HTTP/1.0 keep-alive kept");
	ok(strstr(s, "path=/d ") && !strstr(s, "/never"), "nothing answered after Connection: close");
	size_t len = strlen(req), bad = 0;
	for (size_t cut = 1; cut < len; cut++) {
		struct buf b = { 0 };
		if (!exchange(req, cut, &b) || b.len != whole.len || memcmp(b.p, whole.p, b.len) != 0)
			bad++;
		buf_free(&b);
	}
	printf("# %zu ways to cut %zu bytes\n", len - 1, len);
	ok(bad == 0, "the same answers, the same close, wherever the bytes are cut");
	buf_free(&whole);
}

static void deadlines(void)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC), sv[2];
	struct httpd *h = httpd_new(epfd, route, NULL);
	if (epfd < 0 || !h || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		die_(EX_FAIL, "setting up: %s", strerror(errno));
	httpd_set_timeouts(h, 1000, 2000);
	ok(httpd_deadline(h) == 0, "no connection: no deadline");
	int64_t t0 = mono_ns();
	if (httpd_adopt(h, sv[0]) < 0)
		die_(EX_FAIL, "adopt: %s", strerror(errno));
	int64_t d = httpd_deadline(h);
	ok(d >= t0 + 1000 && d <= mono_ns() + 1000, "a new connection: the request timeout");
	httpd_timers(h, d - 1);
	ok(httpd_connections(h) == 1, "kept until then");
	httpd_timers(h, d);
	ok(httpd_connections(h) == 0 && httpd_deadline(h) == 0, "closed at it, and no deadline left");
	char c;
	ok(read(sv[1], &c, 1) == 0, "the client sees the close");
	httpd_close(h);
	close(sv[1]);
	close(epfd);
}

int main(void)
{
	cuts();
	deadlines();
	printf("1..%d\n", n_test);
	return n_fail ? EX_FAIL : EX_OK;
}
