/* complete.c: words for shell completion (conf/bash-completion/imageserving):
 * the server ids of the registry, one per line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applets.h"
#include "lib/opts.h"
#include "lib/registry.h"
#include "lib/runfile.h"
#include "lib/status.h"
#include "lib/util.h"

const char complete_usage[] =
	"Usage: imageserving complete ids [-c FILE]\n"
	"Print the registry's server ids, one per line, for shell completion; if the\n"
	"registry does not load, those of the running supervisor's state. Prints\n"
	"nothing (exit 1) when neither is there.\n";

/* The ids of the state file: a registry edited into an invalid state must
 * not stop completion of the servers that run. */
static int ids_from_state(const char *registry)
{
	char *rundir = registry_rundir_lenient(registry);
	struct st_file st = {0};
	int rc = EX_FAIL;
	if (rundir && state_read(rundir, &st) == 0) {
		for (size_t i = 0; i < st.n; i++)
			printf("%s\n", st.servers[i].id);
		rc = EX_OK;
	}
	state_free(&st);
	free(rundir);
	return rc;
}

int complete_main(int argc, char **argv)
{
	struct opts o;
	if (!opts_parse(argc, argv, "c", complete_usage, &o))
		return EX_USAGE;
	if (o.help || o.npos != 1 || strcmp(o.pos[0], "ids") != 0) {
		if (!o.help)
			warnx_("complete: say what to complete: ids");
		usage_print(complete_usage, o.help);
		free(o.pos);
		return o.help ? EX_OK : EX_USAGE;
	}
	char *registry = registry_locate(o.registry);
	struct diag d = {0};
	struct registry *r = registry_load(registry, &d);
	diag_free(&d);
	int rc = EX_OK;
	if (r) {
		for (size_t i = 0; i < r->nservers; i++)
			printf("%s\n", r->servers[i].id);
		registry_free(r);
	} else {
		rc = ids_from_state(registry);
	}
	free(registry);
	free(o.pos);
	if (fflush(stdout) != 0)
		rc = EX_FAIL;
	return rc;
}
