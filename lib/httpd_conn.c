/* httpd_conn.c: one HTTP connection: read a request, parse it with llhttp, answer it, send without blocking. */
#include "httpd_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define READS_PER_TURN 4            /* then the loop serves others; epoll is level-triggered */
#define LINGER_NS 1000000000LL      /* how long a closing connection is drained at most */

static int on_url(llhttp_t *p, const char *at, size_t n);
static int on_header_field(llhttp_t *p, const char *at, size_t n);
static int on_header_field_complete(llhttp_t *p);
static int on_headers_complete(llhttp_t *p);
static int on_message_complete(llhttp_t *p);

static const llhttp_settings_t settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_field_complete = on_header_field_complete,
	.on_headers_complete = on_headers_complete,
	.on_message_complete = on_message_complete,
};

/* ---- parsing: llhttp's callbacks ---- */

/* A span may come in pieces (one per read); they are contiguous in c->in. */
static void span(struct conn *c, size_t *off, size_t *len, const char *at, size_t n)
{
	if (*len == 0)
		*off = (size_t)(at - c->in);
	*len += n;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	span(c, &c->url_off, &c->url_len, at, n);
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	span(c, &c->field_off, &c->field_len, at, n);
	return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	if (c->field_len == 4 && strncasecmp(c->in + c->field_off, "host", 4) == 0)
		c->hosts++;
	c->field_len = 0;
	return 0;
}

/* Decide what the request gets. One with a body (or chunked), an upgrade,
 * another major version, no or several Host (HTTP/1.1) or a target not in
 * origin form is refused; its body is never read: stop parsing (-1) and close
 * after the answer. Other methods get 405, and keep the connection if they
 * carry no body. */
static int on_headers_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	bool body = (p->flags & (F_CHUNKED | F_TRANSFER_ENCODING)) || p->content_length > 0;
	if (p->method != HTTP_GET && p->method != HTTP_HEAD)
		c->verdict = 405;
	else if (p->http_major != 1 || (p->http_minor >= 1 && c->hosts != 1) ||
		 c->url_len == 0 || c->in[c->url_off] != '/')
		c->verdict = 400;
	c->head = p->method == HTTP_HEAD;
	c->keep_alive = llhttp_should_keep_alive(p);
	if (body || p->upgrade || c->verdict == 400) {
		if (!c->verdict)
			c->verdict = 400;
		return -1;
	}
	return 0;
}

/* Pause: one request at a time; what follows it stays in c->in. */
static int on_message_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	c->done = true;
	return HPE_PAUSED;
}

/* ---- answering ---- */

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* Build the answer in c->out: the route's for status 0, else a short text of
 * our own. HEAD keeps the Content-Length of the body it does not get. */
static void answer(struct conn *c, int status, bool close)
{
	struct http_reply r = { .status = status ? status : 200, .content_type = "text/plain; charset=utf-8" };
	if (status == 0) {
		char *path = c->in + c->url_off;
		path[c->url_len] = 0;  /* the space before the version: parsed already */
		char *query = strchr(path, '?');
		if (query)
			*query++ = 0;
		c->h->route(c->h->arg, path, query ? query : "", &r);
		if (r.status < 100 || r.status > 999 || !r.content_type)
			r.status = 500, r.content_type = "text/plain; charset=utf-8";
	} else {
		buf_printf(&r.body, "%s\n", reason(status));
	}
	const char *conn = close ? "Connection: close\r\n"
		: c->parser.http_minor == 0 ? "Connection: keep-alive\r\n" : "";
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		   "Cache-Control: no-store\r\n%s%s\r\n", r.status, reason(r.status), r.content_type,
		   r.body.len, r.status == 405 ? "Allow: GET, HEAD\r\n" : "", conn);
	if (!c->head && r.body.len)
		buf_add(&c->out, r.body.p, r.body.len);
	buf_free(&r.body);
	c->off = 0;
	c->close_after = close;
	c->phase = C_WRITE;
	c->deadline = mono_ns() + c->h->idle_ns;
}

/* Give the parser the bytes it has not seen; answer a complete or refused
 * request, or a head that fills the buffer without ending. */
static void parse(struct conn *c)
{
	llhttp_errno_t e = llhttp_execute(&c->parser, c->in + c->fed, c->inlen - c->fed);
	if (e == HPE_OK) {
		c->fed = c->inlen;
		if (c->inlen == sizeof c->in)
			answer(c, 431, true);
	} else if (e == HPE_PAUSED && c->done) {
		c->fed = (size_t)(llhttp_get_error_pos(&c->parser) - c->in);
		answer(c, c->verdict, !c->keep_alive);
	} else {
		answer(c, c->verdict ? c->verdict : 400, true);
	}
}

/* After an answer: what the client sent beyond the request (pipelined) moves
 * to the front and starts the next one; else the connection is idle. */
static void next_request(struct conn *c)
{
	memmove(c->in, c->in + c->fed, c->inlen - c->fed);
	c->inlen -= c->fed;
	c->fed = c->url_len = c->field_len = 0;
	c->hosts = 0;
	c->verdict = 0;
	c->done = c->head = c->keep_alive = false;
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	c->phase = C_READ;
	c->idle = c->inlen == 0;
	c->deadline = mono_ns() + (c->idle ? c->h->idle_ns : c->h->request_ns);
}

/* ---- I/O ---- */

void httpd_conn_close(struct conn *c)
{
	struct httpd *h = c->h;
	/* Out of the epoll set before close: a forked child not yet exec'd may
	 * still hold the socket, and its events must not come to freed memory. */
	(void)epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nconns--;
	buf_free(&c->out);
	free(c);
	if (h->paused)
		httpd_resume(h);
}

/* Watch for events (EPOLLIN or EPOLLOUT) only; -1 if c was closed. */
static int want(struct conn *c, uint32_t events)
{
	if (c->events == events)
		return 0;
	struct epoll_event e = { .events = events, .data.ptr = &c->src };
	if (epoll_ctl(c->h->epfd, EPOLL_CTL_MOD, c->fd, &e) < 0) {
		httpd_conn_close(c);
		return -1;
	}
	c->events = events;
	return 0;
}

/* Read what there is: 1 got bytes, 0 would block, -1 closed (end, error). */
static int receive(struct conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, 0);
	if (n > 0) {
		if (c->idle) {
			c->idle = false;
			c->deadline = mono_ns() + c->h->request_ns;
		}
		c->inlen += (size_t)n;
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	httpd_conn_close(c);
	return -1;
}

/* Send the rest of the answer: 1 all sent, 0 would block (waiting for
 * EPOLLOUT), -1 closed. Each bit of progress renews the deadline. */
static int send_out(struct conn *c)
{
	while (c->off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->off, c->out.len - c->off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return want(c, EPOLLOUT);
		if (n < 0) {
			httpd_conn_close(c);
			return -1;
		}
		c->off += (size_t)n;
		c->deadline = mono_ns() + c->h->idle_ns;
	}
	buf_free(&c->out);
	c->off = 0;
	if (c->close_after) {
		/* Half-close and drain, so the client reads the answer before
		 * an unread request body would turn our close into a reset. */
		if (shutdown(c->fd, SHUT_WR) < 0) {
			httpd_conn_close(c);
			return -1;
		}
		c->phase = C_LINGER;
		c->deadline = mono_ns() + (LINGER_NS < c->h->idle_ns ? LINGER_NS : c->h->idle_ns);
	} else {
		next_request(c);
	}
	return want(c, EPOLLIN) < 0 ? -1 : 1;
}

/* Discard what a closing client still sends, until it closes (then close
 * too) or the turn's reads are used. */
static void drain(struct conn *c)
{
	for (int i = 0; i < READS_PER_TURN; i++) {
		ssize_t n = recv(c->fd, c->in, sizeof c->in, 0);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		httpd_conn_close(c);
		return;
	}
}

/* The connection's state machine, run until it would block: read and parse,
 * answer, send, and go on with a pipelined request if one is buffered. Each
 * turn reads at most READS_PER_TURN times and parses at most the buffer. */
static void run(struct conn *c)
{
	int reads = 0;
	for (;;) {
		switch (c->phase) {
		case C_READ:
			if (c->fed < c->inlen) {
				parse(c);
				continue;
			}
			if (reads++ == READS_PER_TURN || receive(c) <= 0)
				return;
			continue;
		case C_WRITE:
			if (send_out(c) <= 0)
				return;
			continue;
		case C_LINGER:
			drain(c);
			return;
		}
	}
}

static void conn_ready(struct source *s, uint32_t events)
{
	struct conn *c = container_of(s, struct conn, src);
	if (events & EPOLLERR) {
		httpd_conn_close(c);
		return;
	}
	run(c);
}

int httpd_adopt(struct httpd *h, int fd)
{
	if (h->nconns >= HTTPD_MAX_CONNS)
		return -1;
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	c->src.ready = conn_ready;
	c->h = h;
	c->fd = fd;
	c->events = EPOLLIN;
	c->phase = C_READ;
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &c->src };
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		free(c);
		return -1;
	}
	c->deadline = mono_ns() + h->request_ns;
	c->next = h->conns;
	if (c->next)
		c->next->prev = c;
	h->conns = c;
	h->nconns++;
	return 0;
}
