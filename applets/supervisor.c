/* supervisor.c: the daemon's front end: usage and options; the daemon itself
 * lives in daemon/. */
#include <stdlib.h>

#include "applets.h"
#include "lib/opts.h"
#include "lib/util.h"

const char supervisor_usage[] =
	"Usage: imageserving supervisor [-f] [-c FILE]\n"
	"Run the Server Supervisor: start the registry's servers by priority group,\n"
	"restart any that exit, stop them all on SIGTERM/SIGINT.\n"
	"  -f, --foreground  stay in the foreground (systemd Type=simple, containers,\n"
	"                    PID 1); without it, daemonize and return once every\n"
	"                    server has been started\n"
	"  -c FILE           the registry\n"
	"Signals: TERM/INT stop, HUP reload, USR1 reopen logs, USR2 stats line now.\n"
	"Also as: supervisor, S7Supervisor.\n";

int supervisor_main(int argc, char **argv)
{
	struct opts o;
	if (!opts_parse(argc, argv, "cf", supervisor_usage, &o))
		return EX_USAGE;
	int rc = EX_OK;
	if (o.help) {
		usage_print(supervisor_usage, true);
	} else if (o.npos) {
		warnx_("supervisor: unexpected argument: %s", o.pos[0]);
		usage_print(supervisor_usage, false);
		rc = EX_USAGE;
	} else {
		const char *r = o.registry;
		bool fg = o.foreground;
		free(o.pos);
		return supervisor_run(r, fg, false);
	}
	free(o.pos);
	return rc;
}
