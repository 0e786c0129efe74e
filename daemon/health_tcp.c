/* health_tcp.c: the tcp check, a non-blocking connect (EINPROGRESS, then
 * the socket turns writable and SO_ERROR says how it went); its connect is
 * shared with the http check. A target that never answers costs one fd and
 * the probe's timeout, nothing more. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health.h"

void probe_close(struct probe *p)
{
	if (p->fd >= 0)
		close(p->fd);  /* and out of the epoll set with it */
	p->fd = -1;
	p->connected = false;
}

void probe_connect_why(char *why, size_t n, const char *kind, int err)
{
	const char *s = err == ECONNREFUSED ? "refused" : err == ETIMEDOUT ? "timed out" : strerror(err);
	snprintf(why, n, "%s connect %s", kind, s);
}

int probe_connect(struct probe *p, const char *host, unsigned port, void (*ready)(struct source *, uint32_t),
		  char *why, size_t n)
{
	const char *kind = probe_check(p)->kind == HEALTH_TCP ? "tcp" : "http";
	struct sockaddr_storage ss;
	socklen_t len;
	if (http_addr(host, port, &ss, &len) != 0) {
		snprintf(why, n, "%s: %s is not an IP address", kind, host);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, n, "%s socket: %s", kind, strerror(errno));
		return -2;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
		int e = errno;
		probe_connect_why(why, n, kind, e);
		close(fd);
		return e == EADDRNOTAVAIL || e == ENOBUFS || e == ENOMEM ? -2 : -1;  /* our ports, our memory */
	}
	p->src.ready = ready;
	if (loop_add(fd, &p->src, EPOLLOUT) != 0) {
		snprintf(why, n, "%s: epoll_ctl: %s", kind, strerror(errno));
		close(fd);
		return -2;
	}
	p->fd = fd;
	return 0;
}

int probe_connect_error(const struct probe *p)
{
	int err = 0;
	socklen_t el = sizeof err;
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
		err = errno;
	return err;
}

static void tcp_ready(struct source *s, uint32_t events)
{
	(void)events;
	struct probe *p = container_of(s, struct probe, src);
	char why[96] = "";
	int err = probe_connect_error(p);
	if (err)
		probe_connect_why(why, sizeof why, "tcp", err);
	probe_close(p);
	probe_done(p, !err, why);
}

int tcp_probe_start(struct probe *p, char *why, size_t n)
{
	const struct health *h = probe_check(p);
	return probe_connect(p, h->host, h->port, tcp_ready, why, n);
}
