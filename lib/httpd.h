/* httpd.h: a small read-only HTTP/1.1 server on loopback, for the one epoll loop of its user. */
#ifndef IS_HTTPD_H
#define IS_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"
#include "util.h"

/* Bounds. A connection past HTTPD_MAX_CONNS is accepted and closed at once;
 * so is one accepted while the process is out of fds (a spare fd is given up
 * for it: the loop never spins on a listener it cannot serve). A request head
 * over HTTPD_MAX_HEAD bytes gets 431 and a close. A client has
 * HTTPD_TIMEOUT_NS to send a whole request (from its first byte, or from the
 * accept), may stay idle that long between requests, and must take each part
 * of an answer within that long; past any of these it is closed, unanswered.
 * Memory: about 9 KiB per open connection plus the answer being sent. */
#define HTTPD_MAX_CONNS  64
#define HTTPD_MAX_HEAD   8192
#define HTTPD_TIMEOUT_NS (5 * 1000000000LL)

/* An answer, filled in by the route. It comes preset to 200, text/plain
 * (UTF-8) and an empty body; content_type must be a constant string without
 * CR or LF. The server frees the body. */
struct http_reply {
	int status;
	const char *content_type;
	struct buf body;
};

/* Called for every GET and HEAD with the request target split at the first
 * '?': path (starts with '/', as sent: not percent-decoded) and query ("" if
 * none). HEAD gets the same call; the server drops the body but keeps its
 * Content-Length. Unknown paths are the route's to answer (404). */
typedef void (*httpd_route_fn)(void *arg, const char *path, const char *query, struct http_reply *r);

struct httpd;

/* Listen on 127.0.0.1:port and [::1]:port (the latter only where the host
 * has IPv6 on loopback), nothing else: SO_REUSEADDR, CLOEXEC, non-blocking,
 * registered with epfd. port 0 picks a free port (see httpd_port). NULL with
 * a message in why if a socket cannot be set up or bound. */
struct httpd *httpd_open(int epfd, unsigned port, httpd_route_fn route, void *arg, char *why, size_t n);

/* Close the listeners and every connection (removing them from the epoll
 * set first). Call it between two batches of events, not inside one. */
void httpd_close(struct httpd *h);

unsigned httpd_port(const struct httpd *h);
unsigned httpd_connections(const struct httpd *h);

/* The earliest CLOCK_MONOTONIC deadline (mono_ns()) of any connection, 0 if
 * none: with no connection open the server needs no wakeup. (One exception:
 * listeners paused for want of fds or memory retry after 1 s.) The loop calls
 * httpd_timers once that time has come, after dispatching its batch of
 * events, not inside it; it closes whoever is late. */
int64_t httpd_deadline(const struct httpd *h);
void httpd_timers(struct httpd *h, int64_t now);

/* Tests shorten the request and idle timeouts (both default HTTPD_TIMEOUT_NS). */
void httpd_set_timeouts(struct httpd *h, int64_t request_ns, int64_t idle_ns);

/* A server without listeners, and a connected non-blocking socket handed to
 * it as a connection: what accept does, and what the fuzzer and unit test
 * use over a socketpair. httpd_adopt returns 0, or -1 (fd left open) when
 * the server is full or out of memory or epoll. */
struct httpd *httpd_new(int epfd, httpd_route_fn route, void *arg);
int httpd_adopt(struct httpd *h, int fd);

/* "llhttp 8.1.0": the parser this was built with, for --version. */
const char *httpd_parser_version(void);

#endif
