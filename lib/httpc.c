/* httpc.c: one GET over a fresh connection, with a deadline on every step;
 * the answer goes through llhttp in response mode, never parsed by hand. */
#include "httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct http_answer *a = p->data;
	if (a->body)
		buf_add(a->body, at, len);
	return 0;
}

static int on_done(llhttp_t *p)
{
	((struct http_answer *)p->data)->done = true;
	return HPE_PAUSED;
}

void http_answer_init(struct http_answer *a, struct buf *body, bool status_only)
{
	llhttp_settings_init(&a->st);
	a->st.on_body = on_body;
	if (status_only)
		a->st.on_status_complete = on_done;
	else
		a->st.on_message_complete = on_done;
	llhttp_init(&a->p, HTTP_RESPONSE, &a->st);
	a->p.data = a;
	a->body = body;
	a->done = false;
}

int http_answer_feed(struct http_answer *a, const char *in, size_t len, char *why, size_t n)
{
	llhttp_errno_t e = len ? llhttp_execute(&a->p, in, len) : llhttp_finish(&a->p);
	if (a->done)
		return 1;
	if (e != HPE_OK) {
		snprintf(why, n, "bad answer: %s", llhttp_errno_name(e));
		return -1;
	}
	if (!len) {
		snprintf(why, n, "the connection closed before a whole answer");
		return -1;
	}
	return 0;
}

int http_addr(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof *a4;
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof *a6;
	} else {
		return -1;
	}
	return 0;
}

int http_request(char *out, size_t cap, const char *host, const char *path)
{
	bool v6 = strchr(host, ':') != NULL;  /* an IPv6 literal goes in brackets */
	int rl = snprintf(out, cap, "GET %s HTTP/1.1\r\nHost: %s%s%s\r\nConnection: close\r\n\r\n", path, v6 ? "[" : "",
			  host, v6 ? "]" : "");
	return rl < 0 || (size_t)rl >= cap ? -1 : rl;
}

/* Wait for events on fd until the deadline: >0 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = (deadline - mono_ns()) / 1000000;
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, (int)left);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

static int connect_to(const char *host, unsigned port, int64_t deadline, char *why, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (http_addr(host, port, &ss, &len) != 0) {
		snprintf(why, n, "%s is not an IP address", host);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, n, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
		snprintf(why, n, "connect %s:%u: %s", host, port, strerror(errno));
		close(fd);
		return -1;
	}
	int err = 0;
	socklen_t el = sizeof err;
	if (wait_fd(fd, POLLOUT, deadline) <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
		snprintf(why, n, "connect %s:%u: %s", host, port, err ? strerror(err) : "timed out");
		close(fd);
		return -1;
	}
	return fd;
}

int http_get(const char *host, unsigned port, const char *path, int timeout_ms, struct buf *body, char *why,
	     size_t n)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	int fd = connect_to(host, port, deadline, why, n);
	if (fd < 0)
		return -1;
	char req[1024];
	int rl = http_request(req, sizeof req, host, path);
	if (rl < 0) {
		snprintf(why, n, "path too long");
		close(fd);
		return -1;
	}
	for (int off = 0; off < rl;) {
		ssize_t w = send(fd, req + off, (size_t)(rl - off), MSG_NOSIGNAL);
		if (w > 0) {
			off += (int)w;
		} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(why, n, "send: %s", strerror(errno));
			close(fd);
			return -1;
		} else if (wait_fd(fd, POLLOUT, deadline) <= 0) {
			snprintf(why, n, "send: timed out");
			close(fd);
			return -1;
		}
	}
	struct http_answer a;
	http_answer_init(&a, body, false);
	int status = -1;
	char in[4096];
	for (;;) {
		ssize_t r = recv(fd, in, sizeof in, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, deadline) <= 0) {
				snprintf(why, n, "no answer within %d ms", timeout_ms);
				break;
			}
			continue;
		}
		if (r < 0) {
			snprintf(why, n, "recv: %s", strerror(errno));
			break;
		}
		if (http_answer_feed(&a, in, (size_t)r, why, n) != 0)
			break;
	}
	if (a.done)
		status = a.p.status_code;
	close(fd);
	return status;
}
