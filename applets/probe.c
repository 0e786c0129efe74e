/* probe.c: the supervisor's own status endpoint asked from inside its
 * container or host (loopback, where it listens): a liveness or readiness
 * probe through the binary itself, for Kubernetes exec probes and Docker's
 * HEALTHCHECK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applets.h"
#include "lib/httpc.h"
#include "lib/opts.h"
#include "lib/registry.h"
#include "lib/util.h"

const char probe_usage[] =
	"Usage: imageserving probe [-c FILE] [PATH]\n"
	"GET PATH (default /livez; also /readyz, /readyz/ID, /status, /metrics) from\n"
	"the supervisor's status endpoint on 127.0.0.1 (the registry's <tcpport>),\n"
	"print the answer's body, and exit 0 if it is 200. For probes run inside the\n"
	"container (Kubernetes exec probes, Docker HEALTHCHECK): the endpoint listens\n"
	"on loopback only.\n"
	"Exit: 0 answered 200, 1 another answer or none, 2 usage, 6 registry invalid\n"
	"or without a <tcpport>.\n";

int probe_main(int argc, char **argv)
{
	struct opts o;
	if (!opts_parse(argc, argv, "c", probe_usage, &o))
		return EX_USAGE;
	int rc = EX_OK;
	char *reg = NULL;
	if (o.help) {
		usage_print(probe_usage, true);
		goto out;
	}
	if (o.npos > 1 || (o.npos && o.pos[0][0] != '/')) {
		warnx_("probe: expected one path starting with '/'");
		usage_print(probe_usage, false);
		rc = EX_USAGE;
		goto out;
	}
	reg = registry_locate(o.registry);
	struct diag d = {0};
	struct registry *r = registry_load(reg, &d);
	if (!r || !r->tcpport) {
		if (!r)
			fputs(buf_str(&d.text), stderr);
		warnx_("probe: %s %s", reg, r ? "has no <tcpport>: no status endpoint to ask" : "is invalid");
		diag_free(&d);
		registry_free(r);
		rc = EX_NOTCONFIG;
		goto out;
	}
	diag_free(&d);
	unsigned port = r->tcpport;
	registry_free(r);
	struct buf body = {0};
	char why[256];
	const char *path = o.npos ? o.pos[0] : "/livez";
	int status = http_get("127.0.0.1", port, path, 5000, &body, why, sizeof why);
	if (status < 0) {
		warnx_("probe: 127.0.0.1:%u%s: %s", port, path, why);
		rc = EX_FAIL;
	} else {
		fputs(buf_str(&body), stdout);
		if (status != 200) {
			warnx_("probe: 127.0.0.1:%u%s answered %d", port, path, status);
			rc = EX_FAIL;
		}
	}
	buf_free(&body);
out:
	free(reg);
	free(o.pos);
	if (fflush(stdout) != 0 && rc == EX_OK)
		rc = EX_FAIL;
	return rc;
}
