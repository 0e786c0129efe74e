/* httpd_conn.h: what the HTTP server (httpd.c) and its connections (httpd_conn.c) share; no other user. */
#ifndef IS_HTTPD_CONN_H
#define IS_HTTPD_CONN_H

#include <stdbool.h>

#include <llhttp.h>

#include "httpd.h"

struct httpd_listener {
	struct source src;
	struct httpd *h;
	int fd;
};

struct httpd {
	int epfd;
	httpd_route_fn route;
	void *arg;
	struct httpd_listener lis[2];  /* 127.0.0.1, ::1 */
	int nlis;
	unsigned port;
	int spare;          /* an fd given up on EMFILE to accept and drop one connection */
	bool paused;        /* listeners off (no spare fd, or no memory) until resume_at */
	int64_t resume_at;  /* or until a connection closes */
	struct conn *conns;
	unsigned nconns;
	int64_t request_ns, idle_ns;
};

enum conn_phase {
	C_READ,    /* reading (and parsing) a request */
	C_WRITE,   /* sending an answer; not reading meanwhile */
	C_LINGER,  /* answered and shut down for writing: draining the client until it closes */
};

/* One connection; its request head is parsed where it lies in `in`, from the
 * request's first byte on, so llhttp's spans are offsets into it. */
struct conn {
	struct source src;
	struct httpd *h;
	struct conn *prev, *next;
	int fd;
	uint32_t events;    /* what epoll watches for now */
	enum conn_phase phase;
	bool idle;          /* between requests: the next byte starts the request timer */
	int64_t deadline;
	llhttp_t parser;
	char in[HTTPD_MAX_HEAD];
	size_t inlen, fed;  /* bytes in `in`; bytes of them given to the parser */
	/* the request being parsed */
	size_t url_off, url_len, field_off, field_len;
	unsigned hosts;     /* Host header fields seen */
	int verdict;        /* an answer decided while parsing (400, 405), else 0 */
	bool done, head, keep_alive;
	/* the answer being sent */
	struct buf out;
	size_t off;
	bool close_after;
};

void httpd_conn_close(struct conn *c);
void httpd_resume(struct httpd *h);

#endif
