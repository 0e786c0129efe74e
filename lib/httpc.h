/* httpc.h: a small blocking HTTP/1.1 GET client with a deadline, answers
 * parsed by llhttp (as the endpoint parses requests): for `imageserving
 * probe` (container and Kubernetes probes through the binary itself). */
#ifndef IS_HTTPC_H
#define IS_HTTPC_H

#include <stddef.h>

#include "util.h"

/* GET path from host:port (an IPv4 or IPv6 literal) within timeout_ms. The
 * answer's status code (its body appended to body, if not NULL), or -1 with
 * why set. */
int http_get(const char *host, unsigned port, const char *path, int timeout_ms, struct buf *body, char *why,
	     size_t n);

#endif
