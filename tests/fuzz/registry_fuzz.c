/* registry_fuzz.c: libFuzzer target for the registry loader (lib/registry.c),
 * the only code that parses untrusted XML. Each input is written to a
 * per-process temporary file (registry_load takes a path) and loaded with
 * registry_load, then with registry_rundir_lenient; a few invariants of the
 * result are checked with abort(). SV_ variables are set once so that the
 * environment side of SV:: substitution runs too, loops and nesting included.
 * tests/unit/fuzz_replay.c includes this file to replay the stored corpus. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/registry.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_dir[64];
static char fz_path[96];

static void fz_cleanup(void)
{
	if (fz_path[0])
		unlink(fz_path);
	if (fz_dir[0])
		rmdir(fz_dir);
}

/* A private directory in /dev/shm (no disk writes), else in $TMPDIR or /tmp. */
static void fz_init(void)
{
	const char *tmp = getenv("TMPDIR");
	const char *bases[] = {"/dev/shm", tmp && *tmp ? tmp : "/tmp", "/tmp"};
	for (size_t i = 0; i < sizeof bases / sizeof bases[0] && !fz_dir[0]; i++) {
		snprintf(fz_dir, sizeof fz_dir, "%s/is-fuzz.XXXXXX", bases[i]);
		if (!mkdtemp(fz_dir))
			fz_dir[0] = 0;
	}
	if (!fz_dir[0]) {
		fprintf(stderr, "registry_fuzz: cannot make a temporary directory\n");
		abort();
	}
	snprintf(fz_path, sizeof fz_path, "%s/SupervisorRegistry.xml", fz_dir);
	atexit(fz_cleanup);

	/* The names the shipped registries use, plus values that refer to other
	 * variables, to themselves, or to nothing. */
	static const char *env[][2] = {
		{"SV_log", "../logs/supervisor.log"},
		{"SV_temp", "run"},
		{"SV_tracelevel", "debug"},
		{"SV_ImageServerMode", "ImageServer64"},
		{"SV_SvgHeapSize", "256m"},
		{"SV_fzNest", "a-SV::fzLeaf-b-SV::fzLeaf"},
		{"SV_fzLeaf", "SV::tracelevel"},
		{"SV_fzSelf", "x SV::fzSelf"},
		{"SV_fzPing", "SV::fzPong"},
		{"SV_fzPong", "SV::fzPing"},
		{"SV_fzUndef", "SV::fzNoSuchVariable"},
		{"SV_fzBare", "SV::"},
		{"SV_fzEmpty", ""},
		{"SV_fzBlank", " \t\n "},
		{"SV_fzNum", " 42 "},
		{"SV_fzMarkup", "<a>&amp;</a>"},
		{"SV_fzTen", "SV::fzNest SV::fzNest SV::fzNest SV::fzNest SV::fzNest "
			     "SV::fzNest SV::fzNest SV::fzNest SV::fzNest SV::fzNest"},
	};
	for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
		setenv(env[i][0], env[i][1], 1);
	/* registry_rundir_lenient returns this at once when set */
	unsetenv("IMAGESERVING_RUNDIR");
}

static void fz_write(const uint8_t *data, size_t size)
{
	int fd = open(fz_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write_full(fd, data, size) != 0) || close(fd) != 0) {
		perror("registry_fuzz: writing the input");
		abort();
	}
}

static void fz_check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "registry_fuzz: invariant broken: %s\n", what);
		abort();
	}
}

/* Every message is one "FILE:LINE: text" or "FILE: text" line, and there
 * are as many lines as errors and warnings were counted. */
static void fz_check_diag(const struct diag *d)
{
	const char *t = d->text.p ? d->text.p : "";
	size_t plen = strlen(fz_path), lines = 0;
	while (*t) {
		const char *nl = strchr(t, '\n');
		fz_check(nl != NULL, "the last message ends with a newline");
		fz_check(strncmp(t, fz_path, plen) == 0 && t[plen] == ':', "a message starts with the file name");
		const char *p = t + plen + 1;
		if (*p >= '1' && *p <= '9') {
			while (*p >= '0' && *p <= '9')
				p++;
			fz_check(*p == ':', "a line number is followed by ':'");
			p++;
		}
		fz_check(*p == ' ' && p < nl, "a message has text after its location");
		lines++;
		t = nl + 1;
	}
	fz_check(lines == (size_t)d->errors + d->warnings, "one line per error or warning");
}

static void fz_check_registry(const struct registry *r)
{
	fz_check(r->path && r->path[0] == '/' && r->dir && r->dir[0] == '/', "absolute registry path");
	fz_check(r->log && (r->log[0] == '/' || strcmp(r->log, "-") == 0), "log is absolute or -");
	fz_check(r->rundir && r->rundir[0] == '/', "run directory is absolute");
	fz_check(r->tcpport <= 65535, "tcpport in range");
	fz_check(strcmp(trace_level_name(r->tracelevel), "?") != 0, "a known trace level");
	fz_check(r->nservers >= 1 && r->nservers <= REG_MAX_SERVERS, "server count in range");
	for (size_t i = 0; i < r->nservers; i++) {
		const struct server *s = &r->servers[i];
		fz_check(s->id && strlen(s->id) >= 1 && strlen(s->id) <= REG_ID_MAX, "id length");
		for (size_t j = 0; j < i; j++)
			fz_check(strcmp(s->id, r->servers[j].id) != 0, "ids are unique");
		fz_check(i == 0 || r->servers[i - 1].priority <= s->priority, "start order by priority");
		fz_check(s->description != NULL, "description set");
		fz_check(s->argc >= 1 && s->argc <= REG_MAX_ARGS && s->argv && s->argv[0] && s->argv[0][0] &&
				 s->argv[s->argc] == NULL,
			 "argv holds the executable and ends with NULL");
		for (size_t k = 0; k < s->argc; k++)
			fz_check(s->argv[k] != NULL, "no NULL inside argv");
		for (size_t k = 0; k < s->nenv; k++)
			fz_check(s->env[k].name && s->env[k].name[0] && !strchr(s->env[k].name, '=') && s->env[k].value,
				 "environment names are non-empty without '='");
		fz_check(s->stdout_path && s->stderr_path, "output paths set");
		fz_check(s->stop_signal > 0 && s->stop_signal <= 64, "stop signal in range");
		fz_check(strcmp(restart_policy_name(s->restart), "?") != 0, "a known restart policy");
		fz_check(server_same_process(s, s), "a server runs the same process as itself");
		if (s->health.kind == HEALTH_EXEC)
			fz_check(s->health.argv && s->health.argv[0], "exec health check has a program");
		if (s->health.kind == HEALTH_TCP || s->health.kind == HEALTH_HTTP)
			fz_check(s->health.port >= 1 && s->health.port <= 65535, "health port in range");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz_dir[0])
		fz_init();
	fz_write(data, size);

	struct diag d = {0};
	struct registry *r = registry_load(fz_path, &d);
	fz_check_diag(&d);
	fz_check((r != NULL) == (d.errors == 0), "a load fails if and only if an error is reported");
	if (r)
		fz_check_registry(r);

	char *rundir = registry_rundir_lenient(fz_path);
	fz_check(!rundir || rundir[0] == '/', "lenient run directory is absolute");
	if (r)
		fz_check(rundir && strcmp(rundir, r->rundir) == 0, "lenient run directory agrees with the load");
	free(rundir);
	registry_free(r);
	diag_free(&d);
	unlink(fz_path);  /* a killed run leaves at most an empty directory */
	return 0;
}
