/* httpc.h: a small HTTP/1.1 GET client, answers parsed by llhttp (as the
 * endpoint parses requests): a blocking GET with a deadline for `imageserving
 * probe` (container and Kubernetes probes through the binary itself), and
 * the pieces the daemon's non-blocking health probe shares with it. */
#ifndef IS_HTTPC_H
#define IS_HTTPC_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "util.h"

/* GET path from host:port (an IPv4 or IPv6 literal) within timeout_ms. The
 * answer's status code (its body appended to body, if not NULL), or -1 with
 * why set. */
int http_get(const char *host, unsigned port, const char *path, int timeout_ms, struct buf *body, char *why,
	     size_t n);

/* host (an IPv4 or IPv6 literal, or "localhost" for 127.0.0.1) and port as a
 * socket address. 0, or -1 if host is no address. */
int http_addr(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len);

/* The request line and headers of a GET into out: its length, or -1 if it
 * does not fit. */
int http_request(char *out, size_t cap, const char *host, const char *path);

/* An answer parsed as it arrives, whatever the reads' sizes; it must not
 * move once initialised. status_only: done at the status line (a probe
 * wants no body). */
struct http_answer {
	llhttp_t p;
	llhttp_settings_t st;
	struct buf *body;
	bool done;
};
void http_answer_init(struct http_answer *a, struct buf *body, bool status_only);
/* Feed len bytes (len 0: the peer closed the connection). 1: the answer is
 * whole, its status code in a->p.status_code; 0: more is needed; -1: why set. */
int http_answer_feed(struct http_answer *a, const char *in, size_t len, char *why, size_t n);

#endif
