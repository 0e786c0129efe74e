/* health_http.c: the http check: the tcp check's connect, one GET, and the
 * answer's status line read through llhttp (lib/httpc.c's parser, fed as
 * the bytes come); it passes when the status is the one expected. Every
 * step waits on the loop, never in a blocking call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "health.h"

static void finish(struct probe *p, bool ok, const char *why)
{
	probe_close(p);
	probe_done(p, ok, why);
}

/* Connected: send the request (EPOLLOUT until it is all gone). */
static bool send_request(struct probe *p, char *why, size_t n)
{
	const struct health *h = probe_check(p);
	char req[1024];
	int rl = http_request(req, sizeof req, h->http_host, h->http_path);
	if (rl < 0) {
		snprintf(why, n, "http: path too long");
		return false;
	}
	while (p->sent < (size_t)rl) {
		ssize_t w = send(p->fd, req + p->sent, (size_t)rl - p->sent, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return true;
		if (w < 0) {
			snprintf(why, n, "http send: %s", strerror(errno));
			return false;
		}
		p->sent += (size_t)w;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &p->src};
	if (epoll_ctl(D.epfd, EPOLL_CTL_MOD, p->fd, &ev) != 0) {
		snprintf(why, n, "http: epoll_ctl: %s", strerror(errno));
		return false;
	}
	return true;
}

/* The answer, as far as its status line. */
static void read_answer(struct probe *p)
{
	char in[2048], why[96], e[80];
	for (;;) {
		ssize_t r = recv(p->fd, in, sizeof in, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r < 0) {
			snprintf(why, sizeof why, "http recv: %s", strerror(errno));
			finish(p, false, why);
			return;
		}
		int k = http_answer_feed(p->ans, in, (size_t)r, e, sizeof e);
		if (k == 0)
			continue;
		if (k < 0) {
			snprintf(why, sizeof why, "http: %s", e);
			finish(p, false, why);
			return;
		}
		unsigned status = p->ans->p.status_code;
		snprintf(why, sizeof why, "http %u", status);
		finish(p, status == probe_check(p)->status, why);
		return;
	}
}

static void http_ready(struct source *s, uint32_t events)
{
	struct probe *p = container_of(s, struct probe, src);
	char why[96];
	if (!p->connected) {
		int err = probe_connect_error(p);
		if (err) {
			probe_connect_why(why, sizeof why, "http", err);
			finish(p, false, why);
			return;
		}
		p->connected = true;
		p->sent = 0;
		http_answer_init(p->ans, NULL, true);
	}
	if (events & EPOLLOUT) {
		if (!send_request(p, why, sizeof why))
			finish(p, false, why);
		return;
	}
	read_answer(p);
}

int http_probe_start(struct probe *p, char *why, size_t n)
{
	const struct health *h = probe_check(p);
	if (!p->ans)
		p->ans = xmalloc(sizeof *p->ans);
	p->connected = false;
	return probe_connect(p, h->http_host, h->port, http_ready, why, n);
}
