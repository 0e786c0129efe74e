/* opts.c: the shared option parser and usage printer. */
#include "opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void usage_print(const char *usage, bool full)
{
	if (full) {
		fputs(usage, stdout);
		return;
	}
	const char *nl = strchr(usage, '\n');
	int n = nl ? (int)(nl - usage) : (int)strlen(usage);
	fprintf(stderr, "%.*s\n", n, usage);
}

static bool bad(struct opts *o, const char *applet, const char *what, const char *arg, const char *usage)
{
	warnx_("%s: %s: %s", applet, what, arg);
	usage_print(usage, false);
	free(o->pos);
	o->pos = NULL;
	return false;
}

bool opts_parse(int argc, char **argv, const char *allowed, const char *usage, struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->pos = xcalloc((size_t)argc + 1, sizeof *o->pos);
	const char *applet = argv[0];
	bool only_pos = false;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (only_pos || a[0] != '-' || a[1] == 0) {
			o->pos[o->npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			o->help = true;
		} else if (strchr(allowed, 'c') && (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0)) {
			if (i + 1 >= argc)
				return bad(o, applet, "option needs a file", a, usage);
			o->registry = argv[++i];
		} else if (strchr(allowed, 'c') && strncmp(a, "--config=", 9) == 0) {
			o->registry = a + 9;
		} else if (strchr(allowed, 'c') && strncmp(a, "-c", 2) == 0) {
			o->registry = a + 2;
		} else if (strchr(allowed, 'f') && (strcmp(a, "-f") == 0 || strcmp(a, "--foreground") == 0)) {
			o->foreground = true;
		} else if (strchr(allowed, 'j') && strcmp(a, "--json") == 0) {
			o->json = true;
		} else {
			return bad(o, applet, "unknown option", a, usage);
		}
	}
	if (o->registry && !*o->registry)
		return bad(o, applet, "empty registry path", "-c", usage);
	return true;
}
