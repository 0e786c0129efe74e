/* opts.h: one option parser for every applet; options may come before or after the verb. */
#ifndef IS_OPTS_H
#define IS_OPTS_H

#include <stdbool.h>

struct opts {
	const char *registry;  /* -c FILE, --config=FILE */
	bool foreground;       /* -f, --foreground */
	bool json;             /* --json */
	bool help;             /* -h, --help */
	int npos;
	char **pos;            /* positional arguments (points into argv) */
};

/* Parse argv[1..] into o. allowed names the options this applet takes among
 * "c" (registry), "f" (foreground), "j" (--json); -h/--help always works.
 * On a bad option: prints "imageserving: APPLET: unknown option: -x" and the
 * usage line to stderr and returns false (the caller exits 2); nothing is
 * left to free then. On success the caller frees o->pos. */
bool opts_parse(int argc, char **argv, const char *allowed, const char *usage, struct opts *o);

/* Print an applet's usage text: whole to stdout (for --help) or its first
 * line to stderr (after a usage error). */
void usage_print(const char *usage, bool full);

#endif
