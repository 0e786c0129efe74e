/* httpd.c: the HTTP server's loopback listeners, its bound on connections, its timers. */
#include "httpd_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPTS_PER_TURN 16
#define RESUME_NS 1000000000LL  /* listeners paused for want of fds or memory: retry after this */

#define STR_(x) #x
#define STR(x) STR_(x)

const char *httpd_parser_version(void)
{
	return "llhttp " STR(LLHTTP_VERSION_MAJOR) "." STR(LLHTTP_VERSION_MINOR) "." STR(LLHTTP_VERSION_PATCH);
}

struct httpd *httpd_new(int epfd, httpd_route_fn route, void *arg)
{
	struct httpd *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->epfd = epfd;
	h->route = route;
	h->arg = arg;
	h->request_ns = h->idle_ns = HTTPD_TIMEOUT_NS;
	/* No spare (-1) is survivable: accept then pauses instead (shed). */
	h->spare = eventfd(0, EFD_CLOEXEC);
	return h;
}

static void listeners_watch(struct httpd *h, uint32_t events)
{
	for (int i = 0; i < h->nlis; i++) {
		struct epoll_event e = { .events = events, .data.ptr = &h->lis[i].src };
		/* Nothing better to do if this fails: the listener stays as it was. */
		(void)epoll_ctl(h->epfd, EPOLL_CTL_MOD, h->lis[i].fd, &e);
	}
}

void httpd_resume(struct httpd *h)
{
	h->paused = false;
	listeners_watch(h, EPOLLIN);
}

/* accept failed for want of fds or memory. With EMFILE or ENFILE, give up the
 * spare fd for a moment to accept the oldest pending connection and close it
 * (its client sees an immediate close, as the 65th does); level-triggered
 * epoll brings us back for the next. Otherwise, or without a spare, stop
 * watching the listeners until a connection closes or RESUME_NS passes: never
 * spin on a listener that cannot be served. */
static void shed(struct httpd *h, struct httpd_listener *l, int err)
{
	if (h->spare >= 0 && (err == EMFILE || err == ENFILE)) {
		close(h->spare);
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		int e = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		h->spare = eventfd(0, EFD_CLOEXEC);
		if (fd >= 0 || e == EAGAIN || e == EWOULDBLOCK)
			return;
	}
	h->paused = true;
	h->resume_at = mono_ns() + RESUME_NS;
	listeners_watch(h, 0);
}

static void listener_ready(struct source *s, uint32_t events)
{
	struct httpd_listener *l = container_of(s, struct httpd_listener, src);
	for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			if (httpd_adopt(l->h, fd) < 0)
				close(fd);  /* the 65th, or no memory: closed at once */
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			shed(l->h, l, errno);
			return;
		}
		/* Anything else (ECONNABORTED, a network error of one pending
		 * connection, EINTR) concerns that connection only. */
	}
}

/* One listening socket on the loopback address of family af, on h->port (a
 * free one if 0, which then becomes h->port). 0, 1 if the host has no IPv6
 * on loopback, or -1 with a message in why. */
static int listen_on(struct httpd *h, int af, char *why, size_t n)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a = { 0 };
	socklen_t len;
	if (af == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((uint16_t)h->port);
		a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof a.in;
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((uint16_t)h->port);
		a.in6.sin6_addr = in6addr_loopback;
		len = sizeof a.in6;
	}
	const char *what = "socket";
	int one = 1;
	int fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 && af == AF_INET6 && errno == EAFNOSUPPORT)
		return 1;
	if (fd < 0)
		goto fail;
	what = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0))
		goto fail;
	what = "bind";
	if (bind(fd, &a.sa, len) < 0) {
		if (af == AF_INET6 && errno == EADDRNOTAVAIL) {  /* IPv6 off on lo */
			close(fd);
			return 1;
		}
		goto fail;
	}
	what = "listen";
	if (listen(fd, 128) < 0)
		goto fail;
	what = "getsockname";
	if (h->port == 0 && getsockname(fd, &a.sa, &len) < 0)
		goto fail;
	if (h->port == 0)
		h->port = ntohs(af == AF_INET ? a.in.sin_port : a.in6.sin6_port);
	struct httpd_listener *l = &h->lis[h->nlis];
	l->src.ready = listener_ready;
	l->h = h;
	l->fd = fd;
	what = "epoll_ctl";
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &l->src };
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		goto fail;
	h->nlis++;
	return 0;
fail:;
	int err = errno;
	snprintf(why, n, "%s: %s:%u: %s", what, af == AF_INET ? "127.0.0.1" : "[::1]", h->port, strerror(err));
	if (fd >= 0)
		close(fd);
	return -1;
}

struct httpd *httpd_open(int epfd, unsigned port, httpd_route_fn route, void *arg, char *why, size_t n)
{
	if (port > 65535) {
		snprintf(why, n, "port out of range: %u", port);
		return NULL;
	}
	struct httpd *h = httpd_new(epfd, route, arg);
	if (!h) {
		snprintf(why, n, "out of memory");
		return NULL;
	}
	h->port = port;
	if (listen_on(h, AF_INET, why, n) < 0 || listen_on(h, AF_INET6, why, n) < 0) {
		httpd_close(h);
		return NULL;
	}
	return h;
}

void httpd_close(struct httpd *h)
{
	if (!h)
		return;
	while (h->conns)
		httpd_conn_close(h->conns);
	for (int i = 0; i < h->nlis; i++) {
		(void)epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->lis[i].fd, NULL);
		close(h->lis[i].fd);
	}
	if (h->spare >= 0)
		close(h->spare);
	free(h);
}

unsigned httpd_port(const struct httpd *h)
{
	return h->port;
}

unsigned httpd_connections(const struct httpd *h)
{
	return h->nconns;
}

void httpd_set_timeouts(struct httpd *h, int64_t request_ns, int64_t idle_ns)
{
	h->request_ns = request_ns;
	h->idle_ns = idle_ns;
}

int64_t httpd_deadline(const struct httpd *h)
{
	int64_t d = h->paused ? h->resume_at : 0;
	for (const struct conn *c = h->conns; c; c = c->next)
		if (d == 0 || c->deadline < d)
			d = c->deadline;
	return d;
}

void httpd_timers(struct httpd *h, int64_t now)
{
	for (struct conn *c = h->conns, *next; c; c = next) {
		next = c->next;
		if (c->deadline <= now)
			httpd_conn_close(c);
	}
	if (h->paused && h->resume_at <= now)
		httpd_resume(h);
}
