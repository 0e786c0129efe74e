/* endpoint.c: the <tcpport> status endpoint: lib/httpd on loopback as one
 * more source of the loop, answering /status, /metrics, /livez, /readyz
 * (and /readyz/ID, /healthz) from the daemon's own state. Read-only: nothing
 * a client sends reaches a server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/httpd.h"
#include "lib/log.h"
#include "lib/report.h"
#include "lib/util.h"

static struct httpd *srv;
static unsigned port;

/* The report of `status --json`, built the same way from the same state. */
static void route_status(struct http_reply *r)
{
	struct st_file f = {0};
	size_t cap = 0;
	state_fill(&f, &cap);
	struct report rep;
	const char *unknown = NULL;
	report_build(&rep, &f, getpid(), NULL, 0, &unknown);
	report_json(&r->body, &rep);
	report_free(&rep);
	state_free(&f);
	r->content_type = "application/json";
}

/* Ready: up and (until readiness checks exist) running. */
static bool ready(const struct svc *v)
{
	return svc_alive(v) && v->state == S_RUNNING;
}

static bool should_run(const struct svc *v)
{
	return !v->held && !v->removed;
}

static void route_readyz(const char *query, struct http_reply *r)
{
	bool verbose = strncmp(query, "verbose", 7) == 0 && (query[7] == 0 || query[7] == '=' || query[7] == '&');
	bool all = !stopping_all() && D.phase != PHASE_STARTING;
	for (size_t i = 0; i < D.nsvc; i++) {
		const struct svc *v = D.svcs[i];
		if (!should_run(v))
			continue;
		bool ok = ready(v);
		all &= ok;
		if (verbose)
			buf_printf(&r->body, "[%c]%s %s\n", ok ? '+' : '-', v->id,
				   ok ? "ok" : sv_state_name(svc_public_state(v)));
	}
	if (verbose && (stopping_all() || D.phase == PHASE_STARTING))
		buf_printf(&r->body, "[-]supervisor %s\n", sup_phase_name(D.phase));
	r->status = all ? 200 : 503;
	buf_puts(&r->body, all ? (verbose ? "readyz check passed\n" : "ok\n")
			       : (verbose ? "readyz check failed\n" : "not ready\n"));
}

/* Consul's convention: 200 ready, 429 up but not ready (or backing off),
 * 503 down or fatal, 404 unknown. */
static void route_readyz_one(const char *id, struct http_reply *r)
{
	for (size_t i = 0; i < D.nsvc; i++) {
		const struct svc *v = D.svcs[i];
		if (strcmp(v->id, id) != 0)
			continue;
		enum sv_state s = svc_public_state(v);
		r->status = ready(v) ? 200 : (s == SV_STARTING || s == SV_BACKOFF) ? 429 : 503;
		buf_printf(&r->body, "%s %s\n", v->id, sv_state_name(s));
		return;
	}
	r->status = 404;
	buf_puts(&r->body, "no such server\n");
}

static void route(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)arg;
	if (strcmp(path, "/livez") == 0) {
		buf_puts(&r->body, "ok\n");
	} else if (strcmp(path, "/status") == 0) {
		route_status(r);
	} else if (strcmp(path, "/metrics") == 0) {
		metrics_render(&r->body);
		r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (strcmp(path, "/readyz") == 0 || strcmp(path, "/healthz") == 0) {
		route_readyz(query, r);
	} else if (strncmp(path, "/readyz/", 8) == 0 && path[8]) {
		route_readyz_one(path + 8, r);
	} else {
		r->status = 404;
		buf_puts(&r->body, "not found\n");
	}
}

/* Serve the registry's port (after a start or a reload); a port that cannot
 * be bound is reported, and supervision goes on without the endpoint. */
void endpoint_apply(void)
{
	unsigned want = D.reg->r->tcpport;
	if (srv && want == port)
		return;
	endpoint_close();
	port = want;
	if (!want)
		return;
	char why[140];
	srv = httpd_open(D.epfd, want, route, NULL, why, sizeof why);
	if (!srv) {
		snprintf(D.endpoint, sizeof D.endpoint, "error: %s", why);
		trace(TRACE_ERROR, NULL, "status endpoint on port %u not served: %s", want, why);
	} else {
		snprintf(D.endpoint, sizeof D.endpoint, "127.0.0.1:%u", want);
		trace(TRACE_INFO, NULL, "status endpoint on 127.0.0.1:%u (and [::1] where there is IPv6)", want);
	}
	mark();
}

void endpoint_close(void)
{
	if (srv) {
		httpd_close(srv);
		srv = NULL;
		trace(TRACE_INFO, NULL, "status endpoint closed");
	}
	D.endpoint[0] = 0;
	port = 0;
	mark();
}

int64_t endpoint_deadline(void)
{
	return srv ? httpd_deadline(srv) : 0;
}

void endpoint_timers(int64_t now)
{
	if (srv)
		httpd_timers(srv, now);
}
