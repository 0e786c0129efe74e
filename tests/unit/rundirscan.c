/* rundirscan.c: lib/rundir_scan.c against the loader. Whenever the scan
 * answers, its answer must be registry_rundir_load()'s; it must answer for
 * the plain shapes (that is its point), and must not for what only the
 * loader can settle (variables, entities, CDATA, odd markup). Run on
 * hand-written cases, on every registry of the tree (tests/data, conf, the
 * fuzz corpus) and on a thousand mutants of one that has every construct. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/registry.h"
#include "lib/rundir_scan.h"
#include "tap.h"

static char tmpdir[PATH_MAX];
static char file[PATH_MAX + 64];
static int answered, seen;  /* of the tree's registries */

static void cleanup(void)
{
	unlink(file);
	rmdir(tmpdir);
}

/* The scan's answer for path, checked against the loader's: "" when the
 * scan leaves it to the loader. */
static const char *compare(const char *path, const char *what)
{
	static char out[PATH_MAX];
	char *s = rundir_scan(path);
	struct diag d = {0};
	char *full = registry_rundir_load(path, &d);
	diag_free(&d);
	if (s)
		ok(full && strcmp(s, full) == 0, "%s: scan %s, loader %s", what, s, full ? full : "(none)");
	snprintf(out, sizeof out, "%s", s ? s : "");
	free(s);
	free(full);
	return out;
}

static const char *case_(const char *xml, const char *what)
{
	FILE *f = fopen(file, "w");
	if (!f || fputs(xml, f) == EOF || fclose(f) != 0) {
		printf("Bail out! cannot write %s: %s\n", file, strerror(errno));
		exit(1);
	}
	return compare(file, what);
}

#define SRV "<servers><server id=\"a\"><executable>/bin/true</executable></server></servers>"

static void answers(void)
{
	char want[PATH_MAX + 16];
	ok(strcmp(case_("<supervisor><config><temp>/run/x</temp></config>" SRV "</supervisor>", "plain"),
		  "/run/x") == 0, "a plain absolute <temp> is found");
	snprintf(want, sizeof want, "%s/rel/dir", tmpdir);
	ok(strcmp(case_("<?xml version=\"1.0\"?>\n<!-- a comment -->\n<supervisor>\n <variables><variable "
			"name=\"x\">SV::y &amp; z</variable></variables>\n <config>\n  <log>-</log>\n  "
			"<temp>\n   rel/./dir  </temp>\n  <!-- c --><tcpport>0</tcpport>\n </config>\n" SRV
			"</supervisor>\n",
			"declaration, comments, variables first, relative path"),
		  want) == 0, "a relative <temp> resolves against the registry's directory");
	ok(strcmp(case_("<supervisor><config><temp>/a</temp><temp>/b</temp></config>" SRV "</supervisor>",
			"two temps"), "/b") == 0, "the last <temp> wins");
	const char *r = case_("<supervisor><config><temp>/a</temp></config><config><temp>/b</temp></config>" SRV
			      "</supervisor>", "two configs");
	ok(r[0] == 0 || strcmp(r, "/a") == 0, "two <config>: the first, as the loader, or none");
	ok(strcmp(case_("<supervisor><config><temp>/a</temp></config>" SRV "</supervisor><broken", "broken after"),
		  "/a") == 0, "a file broken after </config> (the loader's lenient lookup agrees)");
}

static void declines(void)
{
	static const struct {
		const char *xml, *what;
	} c[] = {
		{"<supervisor><variables><variable name=\"t\">/v</variable></variables><config><temp>SV::t</temp>"
		 "</config>" SRV "</supervisor>", "a variable"},
		{"<supervisor><config><temp>/a&amp;b</temp></config>" SRV "</supervisor>", "an entity"},
		{"<supervisor><config><temp><![CDATA[/c]]></temp></config>" SRV "</supervisor>", "CDATA"},
		{"<supervisor><config><temp>/a<!-- x -->b</temp></config>" SRV "</supervisor>", "a comment in it"},
		{"<supervisor><config><temp/></config>" SRV "</supervisor>", "an empty element"},
		{"<supervisor><config><temp>  </temp></config>" SRV "</supervisor>", "blank text"},
		{"<supervisor><config><temp>-</temp></config>" SRV "</supervisor>", "-"},
		{"<supervisor><config></config>" SRV "</supervisor>", "no <temp> (the default)"},
		{SRV, "no <supervisor>"},
		{"<supervisor a=\"1\"><config><temp>/a</temp></config>" SRV "</supervisor>", "root attributes"},
		{"<supervisor><config x=\"1\"><temp>/a</temp></config>" SRV "</supervisor>", "config attributes"},
		{"<supervisor><config><temp x=\"1\">/a</temp></config>" SRV "</supervisor>", "temp attributes"},
		{"<supervisor><!---x---><config><temp>/a</temp></config>" SRV "</supervisor>", "a --- comment"},
		{"<supervisor><!DOCTYPE x><config><temp>/a</temp></config>" SRV "</supervisor>", "a DOCTYPE"},
		{"<supervisor><config><temp>/a</tmp></config>" SRV "</supervisor>", "a mismatched close"},
		{"<supervisor><x><y></x></y><config><temp>/a</temp></config>" SRV "</supervisor>", "crossed tags"},
		{"<supervisor>text<config><temp>/a</temp></config>" SRV "</supervisor>", "text in <supervisor>"},
		{"\xef\xbb\xbf<supervisor><config><temp>/a</temp></config>" SRV "</supervisor>", "a BOM"},
		{"<supervisor><variables><variable name=x>1</variable></variables><config><temp>/a</temp></config>" SRV
		 "</supervisor>", "an unquoted attribute"},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		ok(case_(c[i].xml, c[i].what)[0] == 0, "left to the loader: %s", c[i].what);
	setenv("IMAGESERVING_RUNDIR", "/env/dir", 1);
	ok(case_("<supervisor><config><temp>/a</temp></config>" SRV "</supervisor>", "env")[0] == 0,
	   "left to the loader: $IMAGESERVING_RUNDIR");
	unsetenv("IMAGESERVING_RUNDIR");
}

/* Mutants of a registry with every construct the scan knows: each byte in
 * turn, then pseudo-random ones (a fixed seed), replaced by a character
 * that matters to markup. Whenever the scan answers, the loader must agree
 * (compare() checks). How many it settled is printed. */
static void mutants(void)
{
	static const char base[] =
		"<?xml version=\"1.0\"?>\n<!-- head -->\n<supervisor>\n <variables><variable name=\"v\">x</variable>"
		"</variables>\n <config>\n  <log>-</log><!-- c -->\n  <temp>/run/a</temp>\n  <temp> rel/b </temp>\n"
		" </config>\n" SRV "\n</supervisor>\n";
	static const char repl[] = "<>/!-?&\"' \n=x[]S:";
	char buf[sizeof base];
	unsigned long seed = 12345;
	int settled = 0, n = 0;
	for (size_t round = 0; round < 3; round++)
		for (size_t i = 0; i + 1 < sizeof base; i++) {
			memcpy(buf, base, sizeof base);
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			size_t at = round == 0 ? i : (size_t)(seed >> 33) % (sizeof base - 1);
			buf[at] = repl[(seed >> 17) % (sizeof repl - 1)];
			if (round == 2) {  /* two bytes at once */
				seed = seed * 6364136223846793005ul + 1442695040888963407ul;
				buf[(seed >> 33) % (sizeof base - 1)] = repl[(seed >> 13) % (sizeof repl - 1)];
			}
			FILE *f = fopen(file, "w");
			if (!f || fputs(buf, f) == EOF || fclose(f) != 0) {
				printf("Bail out! cannot write %s\n", file);
				exit(1);
			}
			char *sc = rundir_scan(file);
			struct diag d = {0};
			char *full = registry_rundir_load(file, &d);
			diag_free(&d);
			n++;
			if (sc) {
				settled++;
				if (!full || strcmp(sc, full) != 0)
					ok(false, "mutant %d (byte %zu): scan %s, loader %s", n, at, sc, full ? full : "(none)");
			}
			free(sc);
			free(full);
		}
	ok(settled > 0 && failures == 0, "%d mutants: the scan settled %d, each as the loader", n, settled);
}

/* Every registry in a directory of the tree (only *.xml unless all). */
static void tree(const char *dir, bool all)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || (!all && (n < 4 || strcmp(e->d_name + n - 4, ".xml") != 0)))
			continue;
		char p[PATH_MAX + 512], abs[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (!realpath(p, abs))
			continue;
		seen++;
		answered += compare(abs, abs)[0] != 0;
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/is-unit.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	snprintf(file, sizeof file, "%s/reg.xml", tmpdir);
	atexit(cleanup);
	unsetenv("IMAGESERVING_RUNDIR");
	answers();
	declines();
	/* The tree's registries: argv[1] is the source tree (default: three
	 * levels above this program, build/FLAVOR/tests/). */
	char root[PATH_MAX] = ".";
	ssize_t n = readlink("/proc/self/exe", root, sizeof root - 16);
	if (argc > 1)
		snprintf(root, sizeof root, "%s", argv[1]);
	else if (n > 0) {
		root[n] = 0;
		char *slash = strrchr(root, '/');
		if (slash)
			memcpy(slash, "/../../..", 10);  /* build/FLAVOR/tests/PROG */
	}
	static const char *const dirs[] = {"tests/data/good", "tests/data/bad", "conf", "conf/examples",
					   "conf/container", "tests/fuzz/corpus", "tests/fuzz/crashers"};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		char p[PATH_MAX + 64];
		snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
		tree(p, strncmp(dirs[i], "tests/fuzz", 10) == 0);
	}
	mutants();
	printf("# the scan settled %d of the tree's %d registries; the loader the rest\n", answered, seen);
	ok(seen > 0, "the tree's registries were found (%d)", seen);
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
