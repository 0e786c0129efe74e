/* httpd_fuzz.c: libFuzzer target: arbitrary bytes, cut at arbitrary points, through whole connections of lib/httpd over socketpairs.
 *
 * Input: one control byte, then the cut lengths, then the bytes to send.
 *   bits 0-2  n: the first n pieces are as long as the next n bytes say
 *             (0-255 each, shortened at the end); the rest is one piece
 *   bit 3     the server's send buffer is tiny: answers go out in parts
 *   bit 4     the client reads at most 512 bytes per turn: EPOLLOUT waits
 *   bit 5     the client shuts down its writing side after the last piece
 *   bit 6     end by expiring every deadline (httpd_timers), else httpd_close
 *   bit 7     two connections, pieces sent to each in turn
 * Each piece is written, then the loop runs until nothing moves. Checks: no
 * sanitizer report; every answer starts "HTTP/1.1 NNN " and carries a
 * Content-Length; expiring every deadline closes every connection; nothing
 * leaks (LeakSanitizer). Built by `make fuzz-httpd` (mk/fuzz-httpd.mk);
 * replayed without libFuzzer by tests/unit/httpd_fuzz_replay.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "httpd_fuzz: broken: %s\n", #cond); abort(); } } while (0)

/* Routes that exercise the reply: small, large (many partial writes), odd status. */
static void route(void *arg, const char *path, const char *query, struct http_reply *r)
{
	if (strcmp(path, "/big") == 0) {
		while (r->body.len < 16384)
			buf_puts(&r->body, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n");
	} else if (strcmp(path, "/livez") == 0) {
		buf_puts(&r->body, "ok\n");
	} else if (strcmp(path, "/bad") == 0) {
		r->status = 7;  /* out of range: the server must answer 500 */
	} else {
		r->status = 404;
		buf_printf(&r->body, "%s?%s\n", path, query);
	}
}

struct client {
	int fd;
	bool open;
	size_t got;
	char first[512];  /* the first bytes received, for the check of the first head */
};

/* Read what the server sent: everything, or at most 512 bytes if slow.
 * Returns whether anything was read. */
static bool client_read(struct client *cl, bool slow)
{
	char b[4096];
	bool any = false;
	while (cl->open) {
		ssize_t n = read(cl->fd, b, slow ? 512 : sizeof b);
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				cl->open = false;
			break;
		}
		if (cl->got < sizeof cl->first)
			memcpy(cl->first + cl->got, b, (size_t)n < sizeof cl->first - cl->got ? (size_t)n : sizeof cl->first - cl->got);
		cl->got += (size_t)n;
		any = true;
		if (slow)
			break;
	}
	return any;
}

/* Run the loop until neither the server nor the clients move (a loop that
 * never settles is a libFuzzer timeout). */
static void pump(int epfd, struct httpd *h, struct client *cl, int ncl, bool slow)
{
	for (;;) {
		struct epoll_event ev[8];
		int n = epoll_wait(epfd, ev, 8, 0);
		CHECK(n >= 0 || errno == EINTR);
		for (int i = 0; i < n; i++) {
			struct source *s = ev[i].data.ptr;
			s->ready(s, ev[i].events);
		}
		httpd_timers(h, mono_ns());
		bool moved = n > 0;
		for (int i = 0; i < ncl; i++)
			moved |= client_read(&cl[i], slow);
		if (!moved)
			return;
	}
}

/* What a client got starts with a status line, and its first head, if it
 * came whole, has a Content-Length. */
static void check_answer(const struct client *cl)
{
	if (!cl->got)
		return;
	CHECK(cl->got >= 13 && memcmp(cl->first, "HTTP/1.1 ", 9) == 0 && cl->first[9] >= '1' &&
	      cl->first[9] <= '9' && cl->first[12] == ' ');
	size_t n = cl->got < sizeof cl->first ? cl->got : sizeof cl->first;
	const char *end = memmem(cl->first, n, "\r\n\r\n", 4);
	if (end)
		CHECK(memmem(cl->first, (size_t)(end - cl->first), "\r\nContent-Length: ", 18));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	size_t ncuts = ctl & 7, pos = 1 + ncuts;
	if (size < pos)
		return 0;
	bool tiny = ctl & 8, slow = ctl & 16, shut = ctl & 32, expire = ctl & 64;
	int ncl = ctl & 128 ? 2 : 1;

	int epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(epfd >= 0);
	struct httpd *h = httpd_new(epfd, route, NULL);
	CHECK(h);
	struct client cl[2];
	memset(cl, 0, sizeof cl);
	for (int i = 0; i < ncl; i++) {
		int sv[2];
		CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
		if (tiny) {
			int sz = 1;  /* the kernel rounds it up to its minimum */
			CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz) == 0);
		}
		CHECK(httpd_adopt(h, sv[0]) == 0);
		cl[i] = (struct client){ .fd = sv[1], .open = true };
	}

	for (size_t k = 0; pos < size; k++) {
		size_t len = size - pos;
		if (k < ncuts && data[1 + k] < len)
			len = data[1 + k];
		struct client *c = &cl[k % (size_t)ncl];
		for (size_t off = 0; off < len && c->open;) {
			ssize_t n = write(c->fd, data + pos + off, len - off);
			if (n < 0 && errno == EAGAIN) {
				pump(epfd, h, cl, ncl, slow);
				continue;
			}
			if (n < 0)
				break;  /* the server closed: the rest goes nowhere */
			off += (size_t)n;
		}
		pos += len;
		pump(epfd, h, cl, ncl, slow);
	}
	for (int i = 0; i < ncl; i++)
		if (shut)
			(void)shutdown(cl[i].fd, SHUT_WR);
	pump(epfd, h, cl, ncl, slow);

	for (int i = 0; i < ncl; i++)
		check_answer(&cl[i]);
	if (expire) {
		httpd_timers(h, INT64_MAX);
		CHECK(httpd_connections(h) == 0);
		CHECK(httpd_deadline(h) == 0);
	}
	httpd_close(h);
	for (int i = 0; i < ncl; i++)
		close(cl[i].fd);
	close(epfd);
	return 0;
}
