/* health.c: <healthCheck>, the liveness check of a server (SPEC §4): one of
 * <tcp>, <http> or <exec>, and its timing, parsed and shown in the plan.
 * Hosts are IP literals (or localhost): a name lookup blocks, and the daemon
 * that probes must never block, nor freeze at a reload the address a name
 * had then. */
#include <stddef.h>
#include <string.h>

#include "internal.h"
#include "lib/httpc.h"

static bool numeric_host(struct rctx *c, int line, const char *el, const char *host)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (http_addr(host, 1, &ss, &len) == 0)
		return true;
	reg_err(c, line, "<%s>: host \"%s\" is not an IP address (names are not resolved; localhost is 127.0.0.1)",
		el, host);
	return false;
}

/* The timing elements: one row each, like the settings table. */
static const struct {
	const char *name;
	size_t off;
	unsigned min, max, def;
} timing[] = {
	{"interval", offsetof(struct health, interval), 1, REG_MAX_SECONDS, 10},
	{"timeout", offsetof(struct health, timeout), 1, REG_MAX_SECONDS, 2},
	{"failures", offsetof(struct health, failures), 1, 1000, 3},
	{"startPeriod", offsetof(struct health, start_period), 0, REG_MAX_SECONDS, 0},
	{"startInterval", offsetof(struct health, start_interval), 1, REG_MAX_SECONDS, 5},
};

static bool tcp_parse(struct rctx *c, const struct xnode *n, struct health *h)
{
	h->kind = HEALTH_TCP;
	char *host = attr_of(c, n, "host");
	h->host = host && *host ? host : "127.0.0.1";
	if (!x_attr(n, "port")) {
		reg_err(c, n->line, "<tcp> needs a port attribute");
		return false;
	}
	bool ok = numeric_host(c, n->line, "tcp", h->host);  /* both errors, if both are wrong */
	return uint_attr(c, n, "port", 1, 65535, &h->port) && ok;
}

/* http://HOST[:PORT][/PATH]: only plain HTTP, the check is a loopback GET. */
static bool http_parse(struct rctx *c, const struct xnode *n, struct health *h)
{
	h->kind = HEALTH_HTTP;
	h->status = 200;
	char *url = attr_of(c, n, "url");
	if (!url) {
		if (!x_attr(n, "url"))
			reg_err(c, n->line, "<http> needs a url attribute");
		return false;
	}
	h->url = url;
	if (strncmp(url, "http://", 7) != 0) {
		reg_err(c, n->line, "<http url=\"%s\">: only http:// URLs are supported", url);
		return false;
	}
	bool ok = true;
	const char *hp = url + 7;
	const char *slash = strchr(hp, '/');
	char *hostport = arena_strndup(c->a, hp, slash ? (size_t)(slash - hp) : strlen(hp));
	h->http_path = slash ? slash : "/";
	h->port = 80;
	char *colon = strrchr(hostport, ':'), *rb = strchr(hostport, ']');
	if (colon && *hostport == '[' && (!rb || colon < rb))
		colon = NULL;  /* inside [an IPv6 literal] */
	if (colon) {
		*colon = 0;
		uint64_t p;
		if (parse_uint(colon + 1, 65535, &p) != 0 || p == 0) {
			reg_err(c, n->line, "<http url=\"%s\">: bad port", url);
			ok = false;
		} else {
			h->port = (unsigned)p;
		}
	}
	if (!*hostport) {
		reg_err(c, n->line, "<http url=\"%s\">: no host", url);
		ok = false;
	} else if (*hostport == '[' && hostport[strlen(hostport) - 1] == ']') {
		hostport[strlen(hostport) - 1] = 0;  /* [::1]: an IPv6 literal */
		hostport++;
	}
	if (*hostport && !numeric_host(c, n->line, "http", hostport))
		ok = false;
	h->http_host = hostport;
	if (x_attr(n, "status") && !uint_attr(c, n, "status", 100, 599, &h->status))
		ok = false;
	return ok;
}

static bool exec_parse(struct rctx *c, const struct xnode *n, struct health *h)
{
	h->kind = HEALTH_EXEC;
	struct strlist l = {0};
	if (!args_parse(c, n, &l))
		return false;
	if (l.n == 0) {
		reg_err(c, n->line, "<exec> needs at least one <argument>");
		return false;
	}
	l.v[0] = strchr(l.v[0], '/') ? reg_path(c, l.v[0]) : l.v[0];
	strlist_push(c->a, &l, NULL);
	h->argv = l.v;
	return true;
}

bool health_parse(struct rctx *c, const struct xnode *el, struct health *h)
{
	bool ok = true;
	int kinds = 0;
	memset(h, 0, sizeof *h);
	for (size_t i = 0; i < sizeof timing / sizeof timing[0]; i++)
		*(unsigned *)((char *)h + timing[i].off) = timing[i].def;
	FOR_EACH_CHILD(n, el) {
		size_t i = 0;
		while (i < sizeof timing / sizeof timing[0] && strcmp(n->name, timing[i].name) != 0)
			i++;
		if (i < sizeof timing / sizeof timing[0]) {
			ok &= get_uint(c, n, timing[i].min, timing[i].max, (unsigned *)((char *)h + timing[i].off));
			continue;
		}
		bool tcp = strcmp(n->name, "tcp") == 0, http = strcmp(n->name, "http") == 0;
		if (!tcp && !http && strcmp(n->name, "exec") != 0) {
			reg_warn(c, n->line, "unknown element <%s> in <healthCheck> (ignored)", n->name);
			continue;
		}
		kinds++;
		ok &= tcp ? tcp_parse(c, n, h) : http ? http_parse(c, n, h) : exec_parse(c, n, h);
	}
	if (kinds != 1) {
		reg_err(c, el->line, "<healthCheck> %s one of <tcp>, <http> or <exec>", kinds ? "may hold only" : "needs");
		ok = false;
	}
	return ok;
}

void health_show(const struct health *h, struct buf *b)
{
	switch (h->kind) {
	case HEALTH_NONE:
		buf_puts(b, "none");
		return;
	case HEALTH_TCP:
		buf_printf(b, "tcp connect %s:%u", h->host, h->port);
		break;
	case HEALTH_HTTP:
		buf_printf(b, "http GET %s expecting %u", h->url, h->status);
		break;
	case HEALTH_EXEC:
		buf_puts(b, "exec");
		for (size_t i = 0; h->argv[i]; i++) {
			buf_puts(b, " ");
			put_word(b, h->argv[i]);
		}
		break;
	}
	buf_printf(b, "; every %u s, timeout %u s, restart after %u failures, grace %u s", h->interval, h->timeout,
		   h->failures, h->start_period);
	if (h->start_period)
		buf_printf(b, " (probed every %u s)", h->start_interval);
}
