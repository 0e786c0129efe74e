/* registry.c: unit tests of the registry loader (lib/registry/), printing TAP.
 * Each case writes a small registry into a temporary directory, loads it with
 * registry_load and checks the resolved structs or the located diagnostics. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/registry.h"
#include "lib/util.h"

#include "tap.h"

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diag(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* one "# " per line, so multi-line diagnostics stay comments */
	for (char *line = msg, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			printf("# %s\n", line);
			break;
		}
		printf("# %.*s\n", (int)(nl - line), line);
	}
}

static bool is_str(const char *got, const char *want, const char *name)
{
	bool same = got && want ? strcmp(got, want) == 0 : got == want;
	if (!ok(same, "%s", name))
		diag("got:  '%s'\nwant: '%s'", got ? got : "(null)", want ? want : "(null)");
	return same;
}

static bool is_num(long long got, long long want, const char *name)
{
	if (!ok(got == want, "%s", name))
		diag("got:  %lld\nwant: %lld", got, want);
	return got == want;
}

/* ---- registries in a temporary directory ---- */

static char tmpdir[PATH_MAX];

static char *tpath(const char *name)
{
	static char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

static void write_text(const char *name, const char *text, size_t len)
{
	FILE *f = fopen(tpath(name), "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		printf("Bail out! cannot write %s: %s\n", tpath(name), strerror(errno));
		exit(1);
	}
}

static void put(const char *name, const char *xml)
{
	write_text(name, xml, strlen(xml));
}

/* The last load's messages, kept for the checks that follow it. */
static struct diag d;
static char path[PATH_MAX + 64];

static struct registry *load(const char *name, const char *xml)
{
	put(name, xml);
	snprintf(path, sizeof path, "%s", tpath(name));
	diag_free(&d);
	return registry_load(path, &d);
}

/* A registry that must load; reports its messages if it does not. */
static struct registry *good(const char *name, const char *xml)
{
	struct registry *r = load(name, xml);
	if (!ok(r != NULL, "%s loads", name))
		diag("%s", buf_str(&d.text));
	return r;
}

/* Whether the last load's messages hold a line "PATH:LINE: ..." (line 0:
 * "PATH: ...") that contains want after the location. */
static bool has_msg(int line, const char *want)
{
	char prefix[PATH_MAX + 100];
	int n = line ? snprintf(prefix, sizeof prefix, "%s:%d: ", path, line) : snprintf(prefix, sizeof prefix, "%s: ", path);
	for (const char *p = buf_str(&d.text); *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= (size_t)n && strncmp(p, prefix, (size_t)n) == 0) {
			char *l = strndup(p + n, len - (size_t)n);
			bool found = l && strstr(l, want);
			free(l);
			if (found)
				return true;
		}
		p += len + (nl ? 1 : 0);
	}
	return false;
}

/* A registry that must be refused with want reported on line. */
static void bad(const char *name, const char *xml, int line, const char *want)
{
	struct registry *r = load(name, xml);
	bool refused = r == NULL && d.errors > 0;
	bool located = has_msg(line, want);
	if (!ok(refused && located, "%s: refused with line %d: %s", name, line, want))
		diag("loaded: %s, errors: %u, messages:\n%s", r ? "yes" : "no", d.errors, buf_str(&d.text));
	registry_free(r);
}

/* A registry that loads, with a warning containing want on line. */
static void warned(const char *name, const char *xml, int line, const char *want)
{
	struct registry *r = load(name, xml);
	char w[200];
	snprintf(w, sizeof w, "warning: %s", want);
	if (!ok(r && d.warnings > 0 && has_msg(line, w), "%s: loads with a warning on line %d: %s", name, line, want))
		diag("loaded: %s, messages:\n%s", r ? "yes" : "no", buf_str(&d.text));
	registry_free(r);
}

static const struct server *server(const struct registry *r, const char *id)
{
	for (size_t i = 0; r && i < r->nservers; i++)
		if (strcmp(r->servers[i].id, id) == 0)
			return &r->servers[i];
	return NULL;
}

/* argv joined with single spaces, for comparisons. */
static const char *joined(const struct server *s)
{
	static char out[8192];
	out[0] = 0;
	if (!s)
		return "(no server)";
	for (size_t i = 0; i < s->argc; i++) {
		if (i)
			strncat(out, " ", sizeof out - strlen(out) - 1);
		strncat(out, s->argv[i], sizeof out - strlen(out) - 1);
	}
	if (s->argv[s->argc] != NULL)
		return "(argv not NULL-terminated)";
	return out;
}

static const char *envs(const struct server *s)
{
	static char out[4096];
	out[0] = 0;
	for (size_t i = 0; s && i < s->nenv; i++) {
		size_t n = strlen(out);
		snprintf(out + n, sizeof out - n, "%s%s=%s", i ? " " : "", s->env[i].name, s->env[i].value);
	}
	return out;
}

static const char *passed(const struct server *s)
{
	static char out[4096];
	out[0] = 0;
	for (size_t i = 0; s && i < s->npass; i++) {
		size_t n = strlen(out);
		snprintf(out + n, sizeof out - n, "%s%s%s", i ? " " : "", s->pass_env[i].name, s->pass_env[i].value ? "=?" : "");
	}
	return out;
}

static const char *order(const struct registry *r)
{
	static char out[4096];
	out[0] = 0;
	for (size_t i = 0; r && i < r->nservers; i++) {
		size_t n = strlen(out);
		snprintf(out + n, sizeof out - n, "%s%s", i ? " " : "", r->servers[i].id);
	}
	return out;
}

/* A server that needs nothing else, for registries about something else. */
#define TRUE_SERVER "<servers><server id=\"t\"><executable>/bin/true</executable></server></servers>\n"

/* ---- the cases ---- */

static void test_variables(void)
{
	struct registry *r = good("vars.xml",
		"<supervisor>\n"
		"  <variables>\n"
		"    <variable name=\"SvgHeapSize\">256m</variable>\n"
		"    <variable name=\"Mode\">ImageServer64</variable>\n"
		"    <variable name=\"bin\">SV::root/bin</variable>\n"  /* nested, defined later */
		"    <variable name=\"root\">/opt/is</variable>\n"
		"    <variable name=\"port\"> 8080 </variable>\n"
		"    <variable name=\"a\">x</variable><variable name=\"b\">y</variable>\n"
		"    <variable name=\"id\">svg</variable>\n"
		"  </variables>\n"
		"  <config><tcpport>SV::port</tcpport></config>\n"
		"  <profiles>\n"
		"    <profile id=\"ImageServer64\"><executable>SV::bin/ImageServer</executable></profile>\n"
		"  </profiles>\n"
		"  <servers>\n"
		"    <server id=\"is\"><profile ref=\"SV::Mode\"/></server>\n"
		"    <server id=\"SV::id\">\n"
		"      <executable>/usr/bin/java</executable>\n"
		"      <arguments><argument>-XmxSV::SvgHeapSize</argument><argument>SV::a-SV::b.SV::a</argument>"
		"</arguments>\n"
		"    </server>\n"
		"  </servers>\n"
		"</supervisor>\n");
	is_str(joined(server(r, "svg")), "/usr/bin/java -Xmx256m x-y.x",
	       "SV::name is replaced inside a word, and several times in one word");
	is_str(joined(server(r, "is")), "/opt/is/bin/ImageServer",
	       "variables in attributes (profile ref) and nested variables (defined later) resolve");
	ok(server(r, "svg") != NULL, "a variable in a server id attribute resolves");
	is_num(r ? r->tcpport : 0, 8080, "a variable with blanks gives a number");
	registry_free(r);
	if (!is_str(buf_str(&d.text), "", "no warnings"))
		diag("%s", buf_str(&d.text));

	setenv("SV_SvgHeapSize", "1g", 1);
	setenv("SV_root", "/srv/is", 1);
	setenv("SV_undefinedInFile", "fromenv", 1);
	r = good("vars-env.xml",
		"<supervisor>\n"
		"  <variables>\n"
		"    <variable name=\"SvgHeapSize\">256m</variable>\n"
		"    <variable name=\"bin\">SV::root/bin</variable>\n"
		"    <variable name=\"root\">/opt/is</variable>\n"
		"  </variables>\n"
		"  <servers>\n"
		"    <server id=\"svg\"><executable>SV::bin/java</executable>\n"
		"      <arguments><argument>-XmxSV::SvgHeapSize</argument><argument>SV::undefinedInFile</argument></arguments>\n"
		"    </server>\n"
		"  </servers>\n"
		"</supervisor>\n");
	is_str(joined(server(r, "svg")), "/srv/is/bin/java -Xmx1g fromenv",
	       "SV_name from the environment overrides the registry, also inside a nested variable, "
	       "and defines variables the file lacks");
	registry_free(r);
	unsetenv("SV_SvgHeapSize");
	unsetenv("SV_root");
	unsetenv("SV_undefinedInFile");

	bad("var-undef-text.xml",
	    "<supervisor>\n"
	    "  <servers>\n"
	    "    <server id=\"a\">\n"
	    "      <executable>/bin/SV::nope</executable>\n"
	    "    </server>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    4, "undefined variable SV::nope");
	bad("var-undef-attr.xml",
	    "<supervisor>\n"
	    "  <servers>\n"
	    "    <server id=\"a\">\n"
	    "      <executable>/bin/true</executable>\n"
	    "      <profile\n"
	    "        ref=\"SV::Mode\"/>\n"
	    "    </server>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    5, "undefined variable SV::Mode");
	bad("var-undef-word.xml",
	    "<supervisor>\n"
	    "  <servers>\n"
	    "    <server id=\"a\">\n"
	    "      <executable>/bin/true</executable>\n"
	    "      <arguments>\n"
	    "        <argument>-XmxSV::Heap</argument>\n"
	    "      </arguments>\n"
	    "    </server>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    6, "undefined variable SV::Heap");
	bad("var-undef-nested.xml",
	    "<supervisor>\n"
	    "  <variables><variable name=\"a\">SV::b</variable></variables>\n"
	    "  <servers>\n"
	    "    <server id=\"a\">\n"
	    "      <executable>/bin/SV::a</executable>\n"
	    "    </server>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    5, "undefined variable SV::b");
	bad("var-loop.xml",
	    "<supervisor>\n"
	    "  <variables>\n"
	    "    <variable name=\"a\">x SV::b</variable>\n"
	    "    <variable name=\"b\">SV::a</variable>\n"
	    "  </variables>\n"
	    "  <servers>\n"
	    "    <server id=\"a\">\n"
	    "      <executable>/bin/true</executable>\n"
	    "      <description>SV::a</description>\n"
	    "    </server>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    9, "refers to itself");
	bad("var-noname-use.xml",
	    "<supervisor>\n"
	    "  <servers>\n"
	    "    <server id=\"a\">\n"
	    "      <executable>/bin/true</executable>\n"
	    "      <description>costs SV::</description>\n"
	    "    </server>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    5, "'SV::' without a variable name");
	bad("var-dup.xml",
	    "<supervisor>\n"
	    "  <variables>\n"
	    "    <variable name=\"a\">1</variable>\n"
	    "    <variable name=\"a\">2</variable>\n"
	    "  </variables>\n"
	    TRUE_SERVER
	    "</supervisor>\n",
	    4, "variable 'a' is defined twice (first on line 3)");
	bad("var-badname.xml",
	    "<supervisor>\n"
	    "  <variables>\n"
	    "    <variable name=\"a-b\">1</variable>\n"
	    "  </variables>\n"
	    TRUE_SERVER
	    "</supervisor>\n",
	    3, "variable name 'a-b'");
	bad("var-noname.xml",
	    "<supervisor>\n"
	    "  <variables>\n"
	    "    <variable>1</variable>\n"
	    "  </variables>\n"
	    TRUE_SERVER
	    "</supervisor>\n",
	    3, "<variable> needs a name attribute");

	/* Values that refer to others many times over must fail fast, not eat
	 * memory ("billion laughs"): 8 levels of 30 references each. */
	struct buf b = {0};
	buf_puts(&b, "<supervisor>\n<variables>\n");
	for (int i = 0; i < 8; i++) {
		buf_printf(&b, "<variable name=\"v%d\">", i);
		for (int k = 0; k < 30; k++)
			buf_printf(&b, "SV::v%d ", i + 1);
		buf_puts(&b, "</variable>\n");
	}
	buf_puts(&b, "<variable name=\"v8\">0123456789</variable>\n</variables>\n"
		     "<servers><server id=\"a\"><executable>/bin/true</executable>\n"
		     "<arguments><argument>SV::v0</argument></arguments></server></servers>\n</supervisor>\n");
	bad("var-laughs.xml", buf_str(&b), 14, "variables expand to more than");
	buf_free(&b);
}

static void test_profiles(void)
{
	struct registry *r = good("profiles.xml",
		"<supervisor>\n"
		"  <servers>\n"
		"    <server id=\"ab\">\n"
		"      <arguments><argument>-Xmx1g</argument></arguments>\n"
		"      <profile ref=\"A\"/>\n"
		"      <stopTimeout>7</stopTimeout>\n"
		"      <profile ref=\"B\"/>\n"
		"      <environment><variable name=\"Z\">3</variable></environment>\n"
		"      <passEnvironment><variable name=\"P3\"/><variable name=\"P1\"/></passEnvironment>\n"
		"      <arguments><argument>-server</argument></arguments>\n"
		"    </server>\n"
		"    <server id=\"ba\">\n"
		"      <profile ref=\"B\"/>\n"
		"      <profile ref=\"A\"/>\n"
		"    </server>\n"
		"    <server id=\"own\">\n"
		"      <profile ref=\"A\"/>\n"
		"      <executable>/bin/own</executable>\n"
		"      <user>me</user>\n"
		"      <healthCheck><tcp port=\"9\"/></healthCheck>\n"
		"    </server>\n"
		"  </servers>\n"
		"  <profiles>\n"  /* after <servers>: sections come in any order */
		"    <profile id=\"A\">\n"
		"      <executable>/bin/A</executable>\n"
		"      <arguments><argument>a1</argument><argument>a2</argument></arguments>\n"
		"      <environment><variable name=\"X\">1</variable><variable name=\"Y\">1</variable></environment>\n"
		"      <passEnvironment><variable name=\"P1\"/><variable name=\"P2\"/></passEnvironment>\n"
		"      <workingDirectory>/wa</workingDirectory>\n"
		"      <user>ua</user><group>ga</group>\n"
		"      <stopTimeout>5</stopTimeout>\n"
		"      <restartPolicy>never</restartPolicy>\n"
		"      <healthCheck><http url=\"http://127.0.0.1:8080/ping\"/></healthCheck>\n"
		"    </profile>\n"
		"    <profile id=\"B\">\n"
		"      <executable>/bin/B</executable>\n"
		"      <arguments><argument>b1</argument></arguments>\n"
		"      <environment><variable name=\"Y\">2</variable><variable name=\"Z\">2</variable></environment>\n"
		"      <user>ub</user>\n"
		"      <description>from B</description>\n"
		"    </profile>\n"
		"  </profiles>\n"
		"</supervisor>\n");
	const struct server *ab = server(r, "ab"), *ba = server(r, "ba"), *own = server(r, "own");
	is_str(joined(ab), "/bin/B -Xmx1g -server a1 a2 b1",
	       "argv: executable, the server's own arguments (all of them), then each profile's in ref order");
	is_str(joined(ba), "/bin/A b1 a1 a2", "argv follows the ref order when the refs are swapped");
	is_str(ab ? ab->user : NULL, "ub", "a later ref wins for a single value (user)");
	is_str(ba ? ba->user : NULL, "ua", "... and with the refs swapped, the other profile wins");
	is_str(ab ? ab->workdir : NULL, "/wa", "a value only one profile sets is kept (workingDirectory)");
	is_str(ab ? ab->group : NULL, "ga", "a value only one profile sets is kept (group)");
	is_str(ab ? ab->description : NULL, "from B", "description may come from a profile");
	is_num(ab ? ab->stop_timeout : 0, 7, "the server's own value wins over its profiles (stopTimeout)");
	is_num(ba ? ba->stop_timeout : 0, 5, "a profile's value beats the default (stopTimeout)");
	is_num(ab ? (long long)ab->restart : -1, RESTART_NEVER, "a profile's restartPolicy is applied");
	is_str(envs(ab), "X=1 Y=2 Z=3", "environments merge: later refs win, the server's own wins, first position kept");
	is_str(envs(ba), "Y=1 Z=2 X=1", "environment merge with the refs swapped");
	is_str(passed(ab), "P1 P2 P3", "passEnvironment composes like environment: the profile's names, then the server's");
	is_str(passed(ba), "P1 P2", "passEnvironment comes from a profile");
	is_str(joined(own), "/bin/own a1 a2", "the server's own executable wins over a profile's");
	is_str(own ? own->user : NULL, "me", "the server's own user wins over a profile's");
	is_num(own ? (long long)own->health.kind : -1, HEALTH_TCP, "the server's own healthCheck replaces the profile's");
	is_num(ab ? (long long)ab->health.kind : -1, HEALTH_HTTP, "a healthCheck is inherited from a profile");
	registry_free(r);

	bad("profile-unknown.xml",
	    "<supervisor>\n"
	    "  <profiles><profile id=\"A\"><executable>/bin/true</executable></profile></profiles>\n"
	    "  <servers>\n"
	    "    <server id=\"a\">\n"
	    "      <profile ref=\"A\"/>\n"
	    "      <profile ref=\"Nope\"/>\n"
	    "    </server>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    6, "server a: unknown profile 'Nope'");
	bad("profile-dup.xml",
	    "<supervisor>\n"
	    "  <profiles>\n"
	    "    <profile id=\"A\"><executable>/bin/true</executable></profile>\n"
	    "\n"
	    "    <profile id=\"A\"><executable>/bin/false</executable></profile>\n"
	    "  </profiles>\n"
	    TRUE_SERVER
	    "</supervisor>\n",
	    5, "profile 'A' is defined twice (first on line 3)");
	bad("profile-noid.xml",
	    "<supervisor>\n"
	    "  <profiles>\n"
	    "    <profile><executable>/bin/true</executable></profile>\n"
	    "  </profiles>\n"
	    TRUE_SERVER
	    "</supervisor>\n",
	    3, "<profile> needs an id attribute");
	bad("profile-noref.xml",
	    "<supervisor>\n"
	    "  <servers>\n"
	    "    <server id=\"a\">\n"
	    "      <executable>/bin/true</executable>\n"
	    "      <profile/>\n"
	    "    </server>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    5, "needs a ref attribute");
	bad("no-exe.xml",
	    "<supervisor>\n"
	    "  <profiles><profile id=\"A\"><arguments><argument>x</argument></arguments></profile></profiles>\n"
	    "  <servers>\n"
	    "    <server id=\"a\">\n"
	    "      <profile ref=\"A\"/>\n"
	    "    </server>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    4, "server a: no executable");
	warned("profile-in-profile.xml",
	       "<supervisor>\n"
	       "  <profiles>\n"
	       "    <profile id=\"A\"><executable>/bin/true</executable>\n"
	       "      <profile ref=\"B\"/>\n"
	       "    </profile>\n"
	       "  </profiles>\n"
	       "  <servers><server id=\"a\"><profile ref=\"A\"/></server></servers>\n"
	       "</supervisor>\n",
	       4, "<profile ref> inside a profile is not supported");
}

static void test_defaults(void)
{
	unsetenv("IMAGESERVING_RUNDIR");
	struct registry *r = good("defaults.xml",
		"<supervisor>\n"
		"  <servers><server id=\"a\"><executable>/bin/true</executable></server></servers>\n"
		"</supervisor>\n");
	const struct server *s = server(r, "a");
	if (!s) {
		ok(false, "defaults: server a present");
		registry_free(r);
		return;
	}
	is_str(s->description, "", "default description is empty");
	is_num(s->priority, 1, "default startPriority 1");
	is_num(s->start_delay, 0, "default startDelay 0");
	is_num(s->stop_timeout, 10, "default stopTimeout 10");
	is_num(s->stop_signal, SIGTERM, "default stopSignal TERM");
	is_num(s->restart, RESTART_ALWAYS, "default restartPolicy always");
	is_num(s->min_uptime, 10, "default minUptime 10");
	is_num(s->restart_delay_max, 60, "default restartDelayMax 60");
	is_num(s->max_restarts, 0, "default maxRestarts 0 (never give up)");
	is_num(s->essential, false, "default essential false");
	is_num(s->health.kind, HEALTH_NONE, "no health check by default");
	is_num((long long)s->nenv, 0, "no environment additions by default");
	ok(s->workdir == NULL && s->user == NULL && s->group == NULL,
	   "workingDirectory, user and group unset by default");
	is_str(s->stdout_path, "-", "stdout defaults to the supervisor's own when the log is -");
	is_str(s->stderr_path, "-", "stderr follows stdout");
	is_num((long long)s->argc, 1, "argv is just the executable");
	is_str(r->log, "-", "default log is standard error");
	is_num(r->tracelevel, TRACE_INFO, "default tracelevel info");
	is_num(r->tcpport, 0, "default tcpport 0 (off)");
	is_num(r->stats_interval, 0, "default tracestatsinterval 0");
	is_num(r->shutdown_timeout, 0, "default shutdownTimeout 0");
	char want[3 * PATH_MAX];
	if (getuid() == 0)
		snprintf(want, sizeof want, "/run/imageserving");
	else
		snprintf(want, sizeof want, "/tmp/imageserving-%u", (unsigned)getuid());
	is_str(r->rundir, want, "default run directory without <temp>: from the uid alone");
	registry_free(r);
	setenv("XDG_RUNTIME_DIR", tmpdir, 1);
	r = good("defaults-xdg.xml",
		"<supervisor>\n"
		"  <servers><server id=\"a\"><executable>/bin/true</executable></server></servers>\n"
		"</supervisor>\n");
	is_str(r ? r->rundir : NULL, want, "... never from $XDG_RUNTIME_DIR");
	unsetenv("XDG_RUNTIME_DIR");
	is_str(r ? r->path : NULL, path, "path is the registry's absolute path");
	is_str(r ? r->dir : NULL, tmpdir, "dir is the registry's directory");
	registry_free(r);

	r = good("config.xml",
		"<supervisor>\n"
		"  <config>\n"
		"    <tcpport>9910</tcpport>\n"
		"    <log>logs/supervisor.log</log>\n"
		"    <temp>run</temp>\n"
		"    <tracelevel>DEBUG</tracelevel>\n"
		"    <tracestatsinterval>600</tracestatsinterval>\n"
		"    <shutdownTimeout>30</shutdownTimeout>\n"
		"  </config>\n"
		"  <servers><server id=\"a\"><executable>/bin/true</executable></server>\n"
		"    <server id=\"b\"><executable>/bin/true</executable><stdout>-</stdout><stderr>b.err</stderr></server>\n"
		"  </servers>\n"
		"</supervisor>\n");
	char p[3 * PATH_MAX];
	is_num(r ? r->tcpport : 0, 9910, "tcpport");
	snprintf(p, sizeof p, "%s/logs/supervisor.log", tmpdir);
	is_str(r ? r->log : NULL, p, "a relative <log> resolves against the registry's directory");
	snprintf(p, sizeof p, "%s/run", tmpdir);
	is_str(r ? r->rundir : NULL, p, "a relative <temp> is the run directory, under the registry's directory");
	is_num(r ? (long long)r->tracelevel : -1, TRACE_DEBUG, "tracelevel by name, any case");
	is_num(r ? r->stats_interval : 0, 600, "tracestatsinterval");
	is_num(r ? r->shutdown_timeout : 0, 30, "shutdownTimeout");
	snprintf(p, sizeof p, "%s/logs/a.log", tmpdir);
	is_str(r && server(r, "a") ? server(r, "a")->stdout_path : NULL, p, "a server's output defaults to ID.log beside the log");
	is_str(r && server(r, "a") ? server(r, "a")->stderr_path : NULL, p, "... stderr too");
	is_str(r && server(r, "b") ? server(r, "b")->stdout_path : NULL, "-", "stdout - stays -");
	snprintf(p, sizeof p, "%s/b.err", tmpdir);
	is_str(r && server(r, "b") ? server(r, "b")->stderr_path : NULL, p, "a relative stderr resolves against the registry");
	registry_free(r);

	setenv("IMAGESERVING_RUNDIR", "/tmp/is-rundir-override", 1);
	r = good("config2.xml",
		"<supervisor><config><temp>run</temp><tracelevel>1</tracelevel></config>\n" TRUE_SERVER "</supervisor>\n");
	is_str(r ? r->rundir : NULL, "/tmp/is-rundir-override", "IMAGESERVING_RUNDIR overrides <temp>");
	is_num(r ? (long long)r->tracelevel : -1, TRACE_WARNING, "tracelevel as a number");
	registry_free(r);
	unsetenv("IMAGESERVING_RUNDIR");

	r = good("extensions.xml",
		"<supervisor>\n"
		"  <servers><server id=\"a\"><executable>/bin/true</executable>\n"
		"    <stopSignal>SIGQUIT</stopSignal><restartPolicy>on-failure</restartPolicy>\n"
		"    <minUptime> 5 </minUptime><restartDelayMax>30</restartDelayMax><maxRestarts>4</maxRestarts>\n"
		"    <essential>yes</essential><startPriority>0</startPriority><startDelay>2</startDelay>\n"
		"  </server>\n"
		"  <server id=\"b\"><executable>/bin/true</executable><stopSignal>9</stopSignal>"
		"<essential>false</essential></server>\n"
		"  <server id=\"c\"><executable>/bin/true</executable><stopSignal>hup</stopSignal></server>\n"
		"  </servers>\n"
		"</supervisor>\n");
	s = server(r, "a");
	is_num(s ? s->stop_signal : 0, SIGQUIT, "stopSignal SIGQUIT");
	is_num(s ? (long long)s->restart : -1, RESTART_ON_FAILURE, "restartPolicy on-failure");
	is_num(s ? s->min_uptime : 0, 5, "minUptime with blanks around it");
	is_num(s ? s->restart_delay_max : 0, 30, "restartDelayMax");
	is_num(s ? s->max_restarts : 0, 4, "maxRestarts");
	is_num(s ? s->essential : 0, 1, "essential yes");
	is_num(s ? s->priority : 9, 0, "startPriority 0");
	is_num(s ? s->start_delay : 0, 2, "startDelay");
	is_num(server(r, "b") ? server(r, "b")->stop_signal : 0, SIGKILL, "stopSignal by number");
	is_num(server(r, "c") ? server(r, "c")->stop_signal : 0, SIGHUP, "stopSignal lower case");
	registry_free(r);
}

static void test_order(void)
{
	struct registry *r = good("order.xml",
		"<supervisor>\n"
		"  <servers>\n"
		"    <server id=\"c\"><executable>/bin/true</executable><startPriority>3</startPriority></server>\n"
		"    <server id=\"a\"><executable>/bin/true</executable><startPriority>1</startPriority></server>\n"
		"    <server id=\"b\"><executable>/bin/true</executable><startPriority>2</startPriority></server>\n"
		"    <server id=\"d\"><executable>/bin/true</executable><startPriority>1</startPriority></server>\n"
		"    <server id=\"e\"><executable>/bin/true</executable></server>\n"
		"  </servers>\n"
		"</supervisor>\n");
	is_str(order(r), "a d e b c", "start order: startPriority, then file order (default priority 1)");
	registry_free(r);

	/* Servers on one line: file order must still break ties (qsort is not stable). */
	struct buf b = {0};
	buf_puts(&b, "<supervisor><servers>");
	static const int prio[] = {2, 1, 3, 1, 2, 2, 1, 3, 1, 2, 3, 1, 1, 2, 3, 2, 1, 2, 3, 1, 1, 1, 2, 3, 2};
	int n = (int)(sizeof prio / sizeof prio[0]);
	for (int i = 0; i < n; i++)
		buf_printf(&b, "<server id=\"s%02d\"><executable>/bin/true</executable><startPriority>%d</startPriority></server>", i,
			   prio[i]);
	buf_puts(&b, "</servers></supervisor>\n");
	char want[1024] = "";
	for (int p = 1; p <= 3; p++)
		for (int i = 0; i < n; i++)
			if (prio[i] == p)
				snprintf(want + strlen(want), sizeof want - strlen(want), "%ss%02d", want[0] ? " " : "", i);
	r = good("order-one-line.xml", buf_str(&b));
	is_str(order(r), want, "start order keeps file order among servers on one line");
	registry_free(r);
	buf_free(&b);
}

static void test_paths(void)
{
	char p[3 * PATH_MAX], q[2 * PATH_MAX];
	struct registry *r = good("paths.xml",
		"<supervisor>\n"
		"  <servers>\n"
		"    <server id=\"rel\"><executable>bin/server</executable>\n"
		"      <workingDirectory>work</workingDirectory><stdout>logs/rel.out</stdout>\n"
		"      <healthCheck><exec><argument>probes/check</argument><argument>rel</argument></exec></healthCheck>\n"
		"    </server>\n"
		"    <server id=\"up\"><executable>../other/./bin/x</executable>\n"
		"      <healthCheck><exec><argument>probe</argument></exec></healthCheck>\n"
		"    </server>\n"
		"    <server id=\"bare\"><executable>java</executable><workingDirectory>/abs/dir</workingDirectory></server>\n"
		"  </servers>\n"
		"</supervisor>\n");
	snprintf(p, sizeof p, "%s/bin/server", tmpdir);
	is_str(r && server(r, "rel") ? server(r, "rel")->argv[0] : NULL, p,
	       "a relative executable resolves against the registry's directory");
	snprintf(p, sizeof p, "%s/work", tmpdir);
	is_str(r && server(r, "rel") ? server(r, "rel")->workdir : NULL, p, "a relative workingDirectory too");
	snprintf(p, sizeof p, "%s/logs/rel.out", tmpdir);
	is_str(r && server(r, "rel") ? server(r, "rel")->stdout_path : NULL, p, "a relative stdout too");
	snprintf(p, sizeof p, "%s/probes/check", tmpdir);
	is_str(r && server(r, "rel") && server(r, "rel")->health.argv ? server(r, "rel")->health.argv[0] : NULL, p,
	       "a relative health exec path too");
	snprintf(q, sizeof q, "%s", tmpdir);
	char *slash = strrchr(q, '/');
	if (slash)
		*slash = 0;
	snprintf(p, sizeof p, "%s/other/bin/x", q);
	is_str(r && server(r, "up") ? server(r, "up")->argv[0] : NULL, p, "'..' and '.' are folded");
	is_str(r && server(r, "up") && server(r, "up")->health.argv ? server(r, "up")->health.argv[0] : NULL, "probe",
	       "a bare health exec name is left for PATH");
	is_str(r && server(r, "bare") ? server(r, "bare")->argv[0] : NULL, "java", "a bare executable name is left for PATH");
	is_str(r && server(r, "bare") ? server(r, "bare")->workdir : NULL, "/abs/dir", "an absolute path stays");
	registry_free(r);

	/* Loaded by a relative name: everything is still absolute. */
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd) || chdir(tmpdir) != 0) {
		ok(false, "chdir to the temporary directory");
		return;
	}
	diag_free(&d);
	r = registry_load("paths.xml", &d);
	snprintf(p, sizeof p, "%s/paths.xml", tmpdir);
	is_str(r ? r->path : NULL, p, "a registry named relatively gets an absolute path");
	snprintf(p, sizeof p, "%s/bin/server", tmpdir);
	is_str(r && server(r, "rel") ? server(r, "rel")->argv[0] : NULL, p, "... and absolute server paths");
	registry_free(r);
	if (chdir(cwd) != 0)
		ok(false, "chdir back");
}

static void test_prologue(void)
{
	struct registry *r = good("prologue.xml",
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!-- a comment\n"
		"     over lines, with <tags> in it -->\n"
		"<?some-pi data?>\n"
		"<supervisor>\n"
		"  <!-- inside -->\n"
		"  <servers><server id=\"a\"><executable>/bin/true</executable>\n"
		"    <arguments><argument><![CDATA[<raw & text>]]></argument><argument>&lt;&amp;&gt;</argument></arguments>\n"
		"  </server></servers>\n"
		"</supervisor>\n"
		"<!-- a trailing comment -->\n");
	is_str(r ? joined(server(r, "a")) : NULL, "/bin/true <raw & text> <&>", "CDATA and entities give their text");
	registry_free(r);
	r = good("comment-first.xml",
		"<!-- SupervisorRegistry.xml -->\n"
		"<supervisor>\n" TRUE_SERVER "</supervisor>\n");
	registry_free(r);
	r = good("bom.xml", "\xef\xbb\xbf<supervisor>" TRUE_SERVER "</supervisor>");
	registry_free(r);
	r = good("crlf.xml", "<supervisor>\r\n<servers>\r\n<server id=\"a\">\r\n<executable>/bin/true</executable>\r\n"
			     "<bogus/>\r\n</server></servers></supervisor>\r\n");
	ok(has_msg(5, "warning: unknown element <bogus>"), "CRLF line ends count as one line each");
	registry_free(r);
}

static void test_warnings(void)
{
	int before = failures;
	struct registry *r = load("unknown.xml",
		"<supervisor>\n"                                     /* 1 */
		"  <future/>\n"                                      /* 2 */
		"  <config><tcpport>0</tcpport>\n"                   /* 3 */
		"    <color>blue</color></config>\n"                 /* 4 */
		"  <variables><var name=\"x\"/></variables>\n"       /* 5 */
		"  <profiles>\n"                                     /* 6 */
		"    <template id=\"t\"/>\n"                         /* 7 */
		"  </profiles>\n"                                    /* 8 */
		"  <servers>\n"                                      /* 9 */
		"    <service id=\"s\"/>\n"                          /* 10 */
		"    <server id=\"a\"><executable>/bin/true</executable>\n"  /* 11 */
		"      <arguments><arg>x</arg></arguments>\n"        /* 12 */
		"      <environment><env name=\"A\">1</env></environment>\n"  /* 13 */
		"      <healthCheck><tcp port=\"1\"/><retries>2</retries></healthCheck>\n"  /* 14 */
		"      <cpuLimit>2</cpuLimit>\n"                     /* 15 */
		"    </server>\n"
		"  </servers>\n"
		"</supervisor>\n");
	ok(r != NULL, "unknown elements do not fail the load");
	is_num(d.warnings, 9, "one warning per unknown element");
	is_num(d.errors, 0, "and no errors");
	ok(has_msg(2, "warning: unknown element <future> in <supervisor>"), "in <supervisor>, with its line");
	ok(has_msg(4, "warning: unknown element <color> in <config>"), "in <config>, with its line");
	ok(has_msg(5, "warning: unknown element <var> in <variables>"), "in <variables>, with its line");
	ok(has_msg(7, "warning: unknown element <template> in <profiles>"), "in <profiles>, with its line");
	ok(has_msg(10, "warning: unknown element <service> in <servers>"), "in <servers>, with its line");
	ok(has_msg(12, "warning: unknown element <arg> in <arguments>"), "in <arguments>, with its line");
	ok(has_msg(13, "warning: unknown element <env> in <environment>"), "in <environment>, with its line");
	ok(has_msg(14, "warning: unknown element <retries> in <healthCheck>"), "in <healthCheck>, with its line");
	ok(has_msg(15, "warning: unknown element <cpuLimit> in <server>"), "in <server>, with its line");
	if (failures != before)
		diag("%s", buf_str(&d.text));
	registry_free(r);
}

static void test_health(void)
{
	struct registry *r = good("health.xml",
		"<supervisor>\n"
		"  <servers>\n"
		"    <server id=\"tcp\"><executable>/bin/true</executable>\n"
		"      <healthCheck><tcp host=\"10.0.0.1\" port=\"4000\"/><interval>5</interval><timeout>1</timeout>"
		"<failures>2</failures><startPeriod>60</startPeriod></healthCheck>\n"
		"    </server>\n"
		"    <server id=\"tcpdef\"><executable>/bin/true</executable>\n"
		"      <healthCheck><tcp port=\"9910\"/></healthCheck>\n"
		"    </server>\n"
		"    <server id=\"http\"><executable>/bin/true</executable>\n"
		"      <healthCheck><http url=\"http://localhost:8080/is/image/ping?x=1\" status=\"204\"/></healthCheck>\n"
		"    </server>\n"
		"    <server id=\"http80\"><executable>/bin/true</executable>\n"
		"      <healthCheck><http url=\"http://127.0.0.1\"/></healthCheck>\n"
		"    </server>\n"
		"    <server id=\"exec\"><executable>/bin/true</executable>\n"
		"      <healthCheck><exec><argument>/usr/bin/probe</argument><argument>is</argument></exec></healthCheck>\n"
		"    </server>\n"
		"  </servers>\n"
		"</supervisor>\n");
	const struct health *h = r && server(r, "tcp") ? &server(r, "tcp")->health : NULL;
	ok(h && h->kind == HEALTH_TCP && h->host && strcmp(h->host, "10.0.0.1") == 0 && h->port == 4000,
	   "tcp health check: host and port");
	ok(h && h->interval == 5 && h->timeout == 1 && h->failures == 2 && h->start_period == 60,
	   "interval, timeout, failures, startPeriod");
	h = r && server(r, "tcpdef") ? &server(r, "tcpdef")->health : NULL;
	ok(h && h->host && strcmp(h->host, "127.0.0.1") == 0 && h->port == 9910, "tcp host defaults to 127.0.0.1");
	ok(h && h->interval == 10 && h->timeout == 2 && h->failures == 3 && h->start_period == 0,
	   "defaults: every 10 s, timeout 2 s, 3 failures, no grace");
	h = r && server(r, "http") ? &server(r, "http")->health : NULL;
	ok(h && h->kind == HEALTH_HTTP && h->port == 8080 && h->status == 204, "http: port and status");
	is_str(h ? h->http_host : NULL, "localhost", "http: host from the url");
	is_str(h ? h->http_path : NULL, "/is/image/ping?x=1", "http: path from the url");
	is_str(h ? h->url : NULL, "http://localhost:8080/is/image/ping?x=1", "http: url kept");
	h = r && server(r, "http80") ? &server(r, "http80")->health : NULL;
	ok(h && h->port == 80 && h->status == 200 && h->http_path && strcmp(h->http_path, "/") == 0,
	   "http: port 80, status 200 and path / by default");
	h = r && server(r, "exec") ? &server(r, "exec")->health : NULL;
	ok(h && h->kind == HEALTH_EXEC && h->argv && strcmp(h->argv[0], "/usr/bin/probe") == 0 && h->argv[1] &&
	       strcmp(h->argv[1], "is") == 0 && h->argv[2] == NULL,
	   "exec: NULL-terminated argv");
	registry_free(r);

#define HC(body) \
	"<supervisor>\n<servers>\n<server id=\"a\"><executable>/bin/true</executable>\n" body \
	"</server>\n</servers>\n</supervisor>\n"
	bad("hc-two.xml", HC("<healthCheck>\n<tcp port=\"1\"/>\n<exec><argument>x</argument></exec>\n</healthCheck>\n"),
	    4, "may hold only one of");
	bad("hc-none.xml", HC("\n<healthCheck><interval>3</interval></healthCheck>\n"), 5, "needs one of");
	bad("hc-https.xml", HC("<healthCheck>\n<http url=\"https://127.0.0.1/\"/></healthCheck>\n"), 5,
	    "only http:// URLs are supported");
	bad("hc-urlport.xml", HC("<healthCheck>\n<http url=\"http://127.0.0.1:99999/\"/></healthCheck>\n"), 5, "bad port");
	bad("hc-urlport0.xml", HC("<healthCheck>\n<http url=\"http://127.0.0.1:0/\"/></healthCheck>\n"), 5, "bad port");
	bad("hc-nohost.xml", HC("<healthCheck>\n<http url=\"http://:80/\"/></healthCheck>\n"), 5, "no host");
	bad("hc-nourl.xml", HC("<healthCheck>\n<http/></healthCheck>\n"), 5, "needs a url attribute");
	bad("hc-status.xml", HC("<healthCheck>\n<http url=\"http://h/\" status=\"600\"/></healthCheck>\n"), 5,
	    "expected a whole number from 100 to 599");
	bad("hc-tcpport.xml", HC("<healthCheck>\n\n<tcp port=\"70000\"/></healthCheck>\n"), 6,
	    "expected a whole number from 1 to 65535");
	bad("hc-tcpnoport.xml", HC("<healthCheck>\n<tcp/></healthCheck>\n"), 5, "<tcp> needs a port attribute");
	bad("hc-exec-empty.xml", HC("<healthCheck>\n<exec/></healthCheck>\n"), 5, "needs at least one <argument>");
	bad("hc-interval0.xml", HC("<healthCheck><tcp port=\"1\"/>\n<interval>0</interval></healthCheck>\n"), 5,
	    "<interval>: 0 is out of range");
	bad("hc-startinterval0.xml", HC("<healthCheck><tcp port=\"1\"/>\n<startInterval>0</startInterval></healthCheck>\n"),
	    5, "<startInterval>: 0 is out of range");
	bad("hc-tcpname.xml", HC("<healthCheck>\n<tcp host=\"db.example\" port=\"1\"/></healthCheck>\n"), 5,
	    "<tcp>: host \"db.example\" is not an IP address (names are not resolved");
	bad("hc-httpname.xml", HC("<healthCheck>\n<http url=\"http://example.com:80/\"/></healthCheck>\n"), 5,
	    "<http>: host \"example.com\" is not an IP address");
	r = good("hc-v6.xml", HC("<healthCheck><http url=\"http://[::1]:8080/p\"/></healthCheck>\n"));
	h = r ? &r->servers[0].health : NULL;
	ok(h && strcmp(h->http_host, "::1") == 0 && h->port == 8080 && strcmp(h->http_path, "/p") == 0,
	   "http: an IPv6 literal in brackets, with a port");
	registry_free(r);
	r = good("hc-v6noport.xml", HC("<healthCheck><http url=\"http://[::1]/\"/></healthCheck>\n"));
	h = r ? &r->servers[0].health : NULL;
	ok(h && strcmp(h->http_host, "::1") == 0 && h->port == 80, "http: an IPv6 literal without a port: 80");
	registry_free(r);
	bad("ready-health-nocheck.xml", HC("<readiness>health</readiness>\n"), 3, "needs a <healthCheck>");
	bad("ready-bad.xml", HC("<readiness>\nsoon</readiness>\n"), 4, "soon");
	bad("watchdog-exec.xml", HC("<watchdog>5</watchdog>\n"), 3, "<watchdog> needs <readiness>notify</readiness>");

	r = good("readiness.xml",
		"<supervisor>\n<servers>\n"
		"<server id=\"plain\"><executable>/bin/true</executable></server>\n"
		"<server id=\"checked\"><executable>/bin/true</executable>\n"
		"<healthCheck><tcp port=\"1\"/><startPeriod>30</startPeriod><startInterval>2</startInterval></healthCheck>"
		"</server>\n"
		"<server id=\"checked-exec\"><executable>/bin/true</executable><readiness>exec</readiness>\n"
		"<healthCheck><tcp port=\"1\"/></healthCheck></server>\n"
		"<server id=\"n\"><executable>/bin/true</executable><readiness>notify</readiness>"
		"<startTimeout>20</startTimeout><watchdog>3</watchdog></server>\n"
		"</servers>\n</supervisor>\n");
	const struct server *p = r ? server(r, "plain") : NULL, *c = r ? server(r, "checked") : NULL,
			    *ce = r ? server(r, "checked-exec") : NULL, *n = r ? server(r, "n") : NULL;
	ok(p && p->readiness == READY_EXEC && p->start_timeout == 0 && p->watchdog == 0,
	   "no check: ready at exec, no startTimeout, no watchdog");
	ok(c && c->readiness == READY_HEALTH && c->health.start_interval == 2 && c->health.start_period == 30,
	   "with a check: ready at its first pass; startInterval read");
	ok(ce && ce->readiness == READY_EXEC, "an explicit readiness beats the default");
	ok(n && n->readiness == READY_NOTIFY && n->start_timeout == 20 && n->watchdog == 3, "notify, startTimeout, watchdog");
	is_str(readiness_name(READY_HEALTH), "health", "readiness names");
	registry_free(r);
}

static void test_same_process(void)
{
	struct registry *r = good("same.xml",
		"<supervisor>\n"
		"  <servers>\n"
		"    <server id=\"a\"><executable>/bin/x</executable><arguments><argument>1</argument></arguments>"
		"<environment><variable name=\"E\">1</variable></environment><startPriority>1</startPriority></server>\n"
		"    <server id=\"b\"><executable>/bin/x</executable><arguments><argument>1</argument></arguments>"
		"<environment><variable name=\"E\">1</variable></environment><startPriority>5</startPriority>"
		"<stopTimeout>99</stopTimeout><description>other</description></server>\n"
		"    <server id=\"arg\"><executable>/bin/x</executable><arguments><argument>2</argument></arguments>"
		"<environment><variable name=\"E\">1</variable></environment></server>\n"
		"    <server id=\"env\"><executable>/bin/x</executable><arguments><argument>1</argument></arguments>"
		"<environment><variable name=\"E\">2</variable></environment></server>\n"
		"    <server id=\"dir\"><executable>/bin/x</executable><arguments><argument>1</argument></arguments>"
		"<environment><variable name=\"E\">1</variable></environment><workingDirectory>/w</workingDirectory></server>\n"
		"    <server id=\"usr\"><executable>/bin/x</executable><arguments><argument>1</argument></arguments>"
		"<environment><variable name=\"E\">1</variable></environment><user>nobody</user></server>\n"
		"    <server id=\"out\"><executable>/bin/x</executable><arguments><argument>1</argument></arguments>"
		"<environment><variable name=\"E\">1</variable></environment><stdout>/tmp/o</stdout></server>\n"
		"    <server id=\"exe\"><executable>/bin/y</executable><arguments><argument>1</argument></arguments>"
		"<environment><variable name=\"E\">1</variable></environment></server>\n"
		"  </servers>\n"
		"</supervisor>\n");
	const struct server *a = server(r, "a");
	if (!a) {
		registry_free(r);
		return;
	}
	ok(server_same_process(a, server(r, "b")), "same process despite other priority, stop timeout, description");
	ok(server_same_process(a, a), "a server is the same process as itself");
	static const char *differ[] = {"arg", "env", "dir", "usr", "out", "exe"};
	for (size_t i = 0; i < sizeof differ / sizeof differ[0]; i++)
		ok(server(r, differ[i]) && !server_same_process(a, server(r, differ[i])) &&
			   !server_same_process(server(r, differ[i]), a),
		   "a different %s is a different process", differ[i]);
	registry_free(r);
}

/* Every rejection names the exact line. */
static void test_rejections(void)
{
	bad("empty.xml", "", 1, "registry is empty");
	bad("blank.xml", "\n  \n", 1, "registry is empty");
	bad("only-comment.xml", "<!-- nothing -->\n", 1, "no root element");
	bad("wrong-root.xml", "<?xml version=\"1.0\"?>\n\n<registry>\n</registry>\n", 3,
	    "root element is <registry>, expected <supervisor>");
	bad("no-servers.xml", "<supervisor>\n  <config/>\n</supervisor>\n", 1, "<supervisor> has no <servers>");
	bad("empty-servers.xml", "<supervisor>\n  <servers>\n  </servers>\n</supervisor>\n", 2, "lists no server");
	bad("two-servers.xml", "<supervisor>\n" TRUE_SERVER "\n" TRUE_SERVER "</supervisor>\n", 4,
	    "<servers> appears twice (first on line 2)");
	bad("mismatch.xml",
	    "<supervisor>\n"
	    "  <servers>\n"
	    "    <server id=\"a\"><executable>/bin/true</executable>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    4, "</servers> does not match <server> opened on line 3");
	bad("unclosed.xml",
	    "<supervisor>\n"
	    "  <servers>\n"
	    "    <server id=\"a\"><executable>/bin/true</executable></server>\n"
	    "  </servers>\n",
	    1, "<supervisor> is never closed");
	bad("entity.xml",
	    "<supervisor>\n"
	    "  <servers>\n"
	    "    <server id=\"a\"><executable>/bin/true&bogus;</executable></server>\n"
	    "  </servers>\n"
	    "</supervisor>\n",
	    3, "XML: Entity name 'bogus;' not supported");
	ok(d.errors == 1, "a bad entity is one error, not two");
	bad("garbage-after.xml", "<supervisor>\n" TRUE_SERVER "</supervisor>\n\n  trailing words\n", 5,
	    "text outside the root element");
	bad("text-before.xml", "\n\nwords\n<supervisor>\n" TRUE_SERVER "</supervisor>\n", 3,
	    "text outside the root element");
	bad("text-between.xml", "<supervisor>\n" TRUE_SERVER "</supervisor>\n<!-- c -->\n  junk\n<!-- d -->\n", 5,
	    "text outside the root element");
	bad("second-root.xml", "<supervisor>\n" TRUE_SERVER "</supervisor>\n<supervisor/>\n", 4,
	    "a second top-level element <supervisor>");
	bad("stray-close.xml", "<supervisor>\n" TRUE_SERVER "</supervisor>\n</supervisor>\n", 4,
	    "close tag </supervisor> outside any open element");
	static const char nul[] = "<supervisor>\n\n<x>\0</x>" TRUE_SERVER "</supervisor>\n";
	write_text("nul.xml", nul, sizeof nul - 1);
	diag_free(&d);
	snprintf(path, sizeof path, "%s", tpath("nul.xml"));
	struct registry *r = registry_load(path, &d);
	ok(!r && has_msg(3, "NUL byte"), "a NUL byte is refused with its line");
	registry_free(r);

#define SRV(body) "<supervisor>\n<servers>\n" body "</servers>\n</supervisor>\n"
	bad("no-id.xml", SRV("<server><executable>/bin/true</executable></server>\n"), 3, "<server> needs an id attribute");
	bad("empty-id.xml", SRV("<server id=\"\"><executable>/bin/true</executable></server>\n"), 3, "server id '' is empty");
	bad("dup-id.xml",
	    SRV("<server id=\"a\"><executable>/bin/true</executable></server>\n"
		"<server id=\"b\"><executable>/bin/true</executable></server>\n"
		"<server id=\"a\"><executable>/bin/true</executable></server>\n"),
	    5, "duplicate server id 'a' (first on line 3)");
	bad("id-slash.xml", SRV("<server id=\"../a\"><executable>/bin/true</executable></server>\n"), 3,
	    "server id '../a' may");
	bad("id-space.xml", SRV("<server id=\"a b\"><executable>/bin/true</executable></server>\n"), 3,
	    "may hold only letters, digits");
	bad("id-newline.xml", SRV("<server id=\"a&#10;b\"><executable>/bin/true</executable></server>\n"), 3,
	    "server id 'a\\x0ab' may hold only");
	bad("id-dash.xml", SRV("<server id=\"-rf\"><executable>/bin/true</executable></server>\n"), 3,
	    "may not start with '-'");
	bad("id-long.xml",
	    SRV("<server id=\"a123456789a123456789a123456789a123456789a123456789a123456789abcde\">"
		"<executable>/bin/true</executable></server>\n"),
	    3, "is longer than 64 characters");
	r = good("id-64.xml", SRV("<server id=\"a123456789a123456789a123456789a123456789a123456789a123456789abcd\">"
				  "<executable>/bin/true</executable></server>\n"));
	registry_free(r);

#define ONE(body) "<supervisor>\n<servers>\n<server id=\"a\">\n<executable>/bin/true</executable>\n" body \
	"</server>\n</servers>\n</supervisor>\n"
	bad("nan.xml", ONE("<stopTimeout>ten</stopTimeout>\n"), 5, "<stopTimeout>: 'ten' is not a non-negative whole number");
	bad("negative.xml", ONE("\n<startDelay>-1</startDelay>\n"), 6, "'-1' is not a non-negative whole number");
	bad("overflow.xml", ONE("<startPriority>99999999999999999999</startPriority>\n"), 5, "is out of range");
	bad("float.xml", ONE("<minUptime>1.5</minUptime>\n"), 5, "not a non-negative whole number");
	bad("plus.xml", ONE("<maxRestarts>+3</maxRestarts>\n"), 5, "not a non-negative whole number");
	bad("empty-num.xml", ONE("<restartDelayMax></restartDelayMax>\n"), 5, "not a non-negative whole number");
	bad("seconds-range.xml", ONE("<stopTimeout>31536001</stopTimeout>\n"), 5, "out of range (0 to 31536000)");
	bad("bad-signal.xml", ONE("<stopSignal>SIGFOO</stopSignal>\n"), 5, "'SIGFOO' is not a usable signal");
	bad("sigstop.xml", ONE("<stopSignal>STOP</stopSignal>\n"), 5, "is not a usable signal");
	bad("signal-65.xml", ONE("<stopSignal>65</stopSignal>\n"), 5, "is not a usable signal");
	bad("bad-restart.xml", ONE("<restartPolicy>sometimes</restartPolicy>\n"), 5, "'sometimes' is not always, on-failure or never");
	bad("bad-pass.xml", ONE("<passEnvironment><variable name=\"A=B\"/></passEnvironment>\n"), 5,
	    "environment variable name 'A=B' is empty or holds '='");
	bad("bad-essential.xml", ONE("<essential>maybe</essential>\n"), 5, "<essential>: 'maybe' is not true or false");
	bad("empty-exe.xml", ONE("<executable> </executable>\n"), 5, "<executable> is empty");
	bad("elem-in-value.xml", ONE("<description>a <b>bold</b> server</description>\n"), 5, "unexpected element <b> inside <description>");
	bad("bad-user.xml", ONE("<user>a:b</user>\n"), 5, "<user> 'a:b' is not a valid name");
	bad("env-noname.xml", ONE("<environment>\n<variable>1</variable></environment>\n"), 6, "needs a name attribute");
	bad("env-eq.xml", ONE("<environment>\n<variable name=\"A=B\">1</variable></environment>\n"), 6, "is empty or holds '='");
	bad("empty-stdout.xml", ONE("<stdout></stdout>\n"), 5, "<stdout> is empty");

#define CFG(body) "<supervisor>\n<config>\n" body "</config>\n" TRUE_SERVER "</supervisor>\n"
	bad("tcpport-range.xml", CFG("<tcpport>70000</tcpport>\n"), 3, "<tcpport>: 70000 is out of range (0 to 65535)");
	bad("tracelevel.xml", CFG("\n<tracelevel>verbose</tracelevel>\n"), 4, "'verbose' is not error, warning, info, debug or 0-3");
	bad("tracelevel-4.xml", CFG("<tracelevel>4</tracelevel>\n"), 3, "is not error, warning, info, debug or 0-3");
	bad("empty-log.xml", CFG("<log></log>\n"), 3, "<log> is empty");
	bad("temp-dash.xml", CFG("<temp>-</temp>\n"), 3, "<temp> must be a directory");

	/* Over the size limit: refused by size, not parsed. */
	size_t big = REG_MAX_FILE + 10;
	char *text = xmalloc(big);
	memset(text, ' ', big);
	memcpy(text, "<supervisor>", 12);
	write_text("big.xml", text, big);
	free(text);
	diag_free(&d);
	snprintf(path, sizeof path, "%s", tpath("big.xml"));
	r = registry_load(path, &d);
	ok(!r && strstr(buf_str(&d.text), "registry is larger than 1048576 bytes"), "a registry over 1 MiB is refused");
	registry_free(r);

	diag_free(&d);
	snprintf(path, sizeof path, "%s", tpath("does-not-exist.xml"));
	r = registry_load(path, &d);
	char want[3 * PATH_MAX];
	snprintf(want, sizeof want, "%s: cannot read registry: No such file or directory", path);
	ok(!r && strstr(buf_str(&d.text), want), "a missing registry is named with the OS error");
	registry_free(r);

	/* All errors are reported, not just the first. */
	r = load("several.xml", ONE("<stopTimeout>x</stopTimeout>\n<stopSignal>NOPE</stopSignal>\n"));
	ok(!r && d.errors == 2 && has_msg(5, "stopTimeout") && has_msg(6, "stopSignal"), "every error is reported");
	registry_free(r);
}

static void test_deep(void)
{
	/* 100,000 nested elements: no crash, a prompt and located answer. */
	int depth = 100000;
	struct buf b = {0};
	buf_puts(&b, "<supervisor>\n" TRUE_SERVER "<deep>\n");
	for (int i = 0; i < depth; i++)
		buf_puts(&b, "<x>");
	for (int i = 0; i < depth; i++)
		buf_puts(&b, "</x>");
	buf_puts(&b, "\n</deep>\n</supervisor>\n");
	struct registry *r = load("deep.xml", buf_str(&b));
	ok(r && has_msg(3, "warning: unknown element <deep> in <supervisor>"),
	   "100,000 well-formed nested elements load, with a warning for the unknown one");
	registry_free(r);
	buf_free(&b);

	buf_puts(&b, "<supervisor>\n" TRUE_SERVER "\n");
	for (int i = 0; i < depth; i++)
		buf_puts(&b, "<x>");
	buf_puts(&b, "\n</supervisor>\n");
	bad("deep-unclosed.xml", buf_str(&b), 5, "</supervisor> does not match <x> opened on line 4");
	buf_free(&b);
}

/* registry_rundir_lenient on xml (written to name) gives want. */
static void lenient_is(const char *name, const char *xml, const char *want, const char *what)
{
	put(name, xml);
	char *rd = registry_rundir_lenient(tpath(name));
	is_str(rd, want, what);
	free(rd);
}

static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void test_lenient_and_locate(void)
{
	char p[3 * PATH_MAX];
	unsetenv("IMAGESERVING_RUNDIR");
	snprintf(p, sizeof p, "%s/run-here", tmpdir);
	lenient_is("lenient.xml", "<supervisor>\n<config><temp>run-here</temp></config>\n<servers><server/></servers>\n"
		   "</supervisor>\n", p, "the run directory is found in a registry that does not validate");
	snprintf(p, sizeof p, "%s/run2", tmpdir);
	lenient_is("lenient2.xml", "<supervisor>\n<config><temp>run2</temp></config>\n<servers><oops></servers>\n", p,
		   "... and in one that is not even well-formed XML");

	/* An XML typo must not hide the run directory, however it is given. */
	static const char vars[] = "<supervisor>\n<config><temp>SV::temp/run</temp></config>\n"
				   "<servers><server id=\"a\"><description>x</descripton></server></servers>\n"
				   "<variables><variable name=\"temp\">/srv/is</variable></variables>\n</supervisor>\n";
	lenient_is("lenient-vars.xml", vars, "/srv/is/run", "... through <variables> after the typo");
	setenv("SV_temp", "/var/is", 1);
	lenient_is("lenient-vars.xml", vars, "/var/is/run", "... through SV_temp, which wins over <variables>");
	unsetenv("SV_temp");
	snprintf(p, sizeof p, "%s/a&b/c", tmpdir);
	lenient_is("lenient-entity.xml", "<supervisor><config><temp>a&amp;b&#47;c</temp></config><oops></supervisor>\n", p,
		   "... with entities decoded as mini-XML does");
	snprintf(p, sizeof p, getuid() == 0 ? "/run/imageserving" : "/tmp/imageserving-%u", (unsigned)getuid());
	lenient_is("lenient-comment.xml", "<supervisor>\n<!-- <config><temp>/old</temp></config> -->\n"
		   "<config><log>-</log></config><servers></oops></servers></supervisor>\n", p,
		   "... and without <temp> (one in a comment does not count), the default");
	/* Deep nesting and a flood of stray close tags: still prompt. */
	struct buf deep = {0};
	buf_puts(&deep, "<supervisor><config><temp>/deep</temp></config>\n");
	for (int i = 0; i < 150000; i++)
		buf_puts(&deep, "<x>");
	for (int i = 0; i < 100000; i++)
		buf_puts(&deep, "</y>");
	/* CPU time, not wall time: a loaded machine must not fail it, a
	 * quadratic scan (minutes of CPU) still does. */
	int64_t t0 = cpu_ns();
	lenient_is("lenient-deep.xml", buf_str(&deep), "/deep", "... in a deep file full of stray close tags");
	ok(cpu_ns() - t0 < 2000000000, "... promptly (%lld ms of CPU)", (long long)((cpu_ns() - t0) / 1000000));
	buf_free(&deep);
	struct diag ld = {0};
	char *rd;
	put("lenient-undef.xml", "<supervisor><config><temp>SV::nowhere</temp></config><oops></supervisor>\n");
	rd = registry_rundir_find(tpath("lenient-undef.xml"), &ld);
	ok(!rd && strstr(buf_str(&ld.text), "undefined variable SV::nowhere"),
	   "a <temp> with an undefined variable: no run directory, and the reason");
	free(rd);
	diag_free(&ld);
	setenv("IMAGESERVING_RUNDIR", "/run/is-override", 1);
	rd = registry_rundir_find(tpath("does-not-exist.xml"), &ld);
	is_str(rd, "/run/is-override", "an absolute IMAGESERVING_RUNDIR needs no registry at all");
	free(rd);
	diag_free(&ld);
	setenv("IMAGESERVING_RUNDIR", "run", 1);
	rd = registry_rundir_find(tpath("lenient.xml"), &ld);
	ok(!rd && strstr(buf_str(&ld.text), "IMAGESERVING_RUNDIR must be an absolute path: run"),
	   "a relative IMAGESERVING_RUNDIR is refused, with the reason");
	free(rd);
	diag_free(&ld);
	struct registry *r = load("rundir-rel.xml", "<supervisor>" TRUE_SERVER "</supervisor>\n");
	ok(!r && has_msg(0, "IMAGESERVING_RUNDIR must be an absolute path: run"), "... and by the loader");
	registry_free(r);
	unsetenv("IMAGESERVING_RUNDIR");

	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		cwd[0] = 0;
	char *l = registry_locate("/etc/x.xml");
	is_str(l, "/etc/x.xml", "registry_locate: -c wins");
	free(l);
	l = registry_locate("x.xml");
	snprintf(p, sizeof p, "%s/x.xml", cwd);
	is_str(l, p, "registry_locate: a relative -c is made absolute against the working directory");
	free(l);
	setenv("IMAGESERVING_REGISTRY", "/etc/is.xml", 1);
	l = registry_locate(NULL);
	is_str(l, "/etc/is.xml", "registry_locate: then $IMAGESERVING_REGISTRY");
	free(l);
	setenv("IMAGESERVING_REGISTRY", "conf/../is.xml", 1);
	l = registry_locate(NULL);
	snprintf(p, sizeof p, "%s/is.xml", cwd);
	is_str(l, p, "... made absolute too");
	free(l);
	unsetenv("IMAGESERVING_REGISTRY");
	setenv("IMAGESERVING_ROOT", "/opt/is", 1);
	l = registry_locate(NULL);
	is_str(l, "/opt/is/conf/SupervisorRegistry.xml", "registry_locate: then $IMAGESERVING_ROOT/conf/SupervisorRegistry.xml");
	free(l);
	unsetenv("IMAGESERVING_ROOT");
}

/* The settings table (lib/registry/fields.c): every row is known to this
 * test, shown or hidden in the plan on purpose, and decides "same process?"
 * exactly as it says: two servers that differ in that one element only are
 * the same process unless the row defines the process. */
static void test_table(void)
{
	static const struct {
		const char *element, *xml;
	} sample[] = {
		{"description", "<description>other</description>"},
		{"executable", "<executable>/bin/y</executable>"},
		{"arguments", "<arguments><argument>1</argument></arguments>"},
		{"environment", "<environment><variable name=\"E\">1</variable></environment>"},
		{"passEnvironment", "<passEnvironment><variable name=\"E\"/></passEnvironment>"},
		{"workingDirectory", "<workingDirectory>/w</workingDirectory>"},
		{"user", "<user>nobody</user>"},
		{"group", "<group>nogroup</group>"},
		{"stdout", "<stdout>/tmp/o</stdout>"},
		{"stderr", "<stderr>/tmp/e</stderr>"},
		{"startPriority", "<startPriority>5</startPriority>"},
		{"startDelay", "<startDelay>3</startDelay>"},
		{"stopSignal", "<stopSignal>INT</stopSignal>"},
		{"stopTimeout", "<stopTimeout>3</stopTimeout>"},
		{"restartPolicy", "<restartPolicy>never</restartPolicy>"},
		{"minUptime", "<minUptime>3</minUptime>"},
		{"restartDelayMax", "<restartDelayMax>3</restartDelayMax>"},
		{"maxRestarts", "<maxRestarts>3</maxRestarts>"},
		{"essential", "<essential>true</essential>"},
		{"timestamps", "<timestamps>true</timestamps>"},
		{"healthCheck", "<healthCheck><tcp port=\"1\"/></healthCheck>"},
		{"readiness", "<readiness>notify</readiness>"},
		{"startTimeout", "<startTimeout>5</startTimeout>"},
		{"watchdog", "<readiness>notify</readiness><watchdog>5</watchdog>"},
	};
	size_t rows = 0;
	for (const char *e; (e = server_setting_element(rows)); rows++) {
		size_t k = 0;
		while (k < sizeof sample / sizeof sample[0] && strcmp(sample[k].element, e) != 0)
			k++;
		if (!ok(k < sizeof sample / sizeof sample[0], "table row <%s> has a sample in this test", e))
			continue;
		struct buf b = {0};
		buf_printf(&b, "<supervisor><servers>\n<server id=\"base\"><executable>/bin/x</executable></server>\n"
			       "<server id=\"v\"><executable>/bin/x</executable>%s</server>\n</servers></supervisor>\n",
			   sample[k].xml);
		struct registry *r = load("table.xml", buf_str(&b));
		buf_free(&b);
		const struct server *base = server(r, "base"), *v = server(r, "v");
		bool process = server_setting_process(rows);
		if (!ok(base && v && server_same_process(base, v) == !process && server_same_process(v, base) == !process,
			"<%s> %s the process", e, process ? "defines" : "does not define"))
			diag("%s", buf_str(&d.text));
		registry_free(r);
	}
	is_num((long long)rows, (long long)(sizeof sample / sizeof sample[0]), "the table has one row per sample");

	struct registry *r = good("plan.xml", "<supervisor>" TRUE_SERVER "</supervisor>\n");
	const struct server *s = server(r, "t");
	struct buf shown = {0}, text = {0};
	const char *label;
	for (size_t i = 0; s && server_setting(i, s, &label, &text); i++) {
		if (label)
			buf_printf(&shown, "%s=%s;", label, buf_str(&text));
		text.len = 0;
	}
	is_str(buf_str(&shown),
	       "argv=/bin/true;environment=(none added);passEnvironment=(none);workingDirectory=(the registry's directory);user=(unchanged);"
	       "group=(the user's, or unchanged);stdout=- (the supervisor's own);stderr=- (the supervisor's own);"
	       "startPriority=1;startDelay=0 s;stopSignal=TERM;stopTimeout=10 s;restartPolicy=always;minUptime=10 s;"
	       "restartDelayMax=60 s;maxRestarts=0 (never give up);essential=no;timestamps=no;"
	       "healthCheck=none;readiness=exec;startTimeout=0 s (no limit);watchdog=0 s (off);",
	       "the plan: one line per row, with the defaults (description and executable shown elsewhere)");
	buf_free(&shown);
	buf_free(&text);
	registry_free(r);
}

/* Only '=' inside a tag's markup counts towards the attribute limit. */
static void test_attribute_count(void)
{
	struct buf b = {0}, eq = {0};
	for (int i = 0; i < 300; i++)
		buf_puts(&eq, "=");
	buf_printf(&b, "<?pi %s?>\n<!-- %s -->\n<supervisor>\n<servers><server id=\"a\">"
		       "<executable>/bin/true</executable>\n<arguments><argument>%s</argument>"
		       "<argument><![CDATA[%s]]></argument></arguments>\n<description v=\"%s\">%s</description>"
		       "</server></servers>\n</supervisor>\n",
		   buf_str(&eq), buf_str(&eq), buf_str(&eq), buf_str(&eq), buf_str(&eq), buf_str(&eq));
	struct registry *r = good("equals.xml", buf_str(&b));
	registry_free(r);
	b.len = 0;
	buf_puts(&b, "<supervisor>\n" TRUE_SERVER "<x\n");
	for (int i = 0; i < 257; i++)
		buf_printf(&b, " a%d=\"%s\"", i, i % 2 ? ">" : "'");
	buf_puts(&b, "/>\n</supervisor>\n");
	bad("attrs-257.xml", buf_str(&b), 3, "an element with more than 256 attributes");
	b.len = 0;
	buf_puts(&b, "<supervisor>\n" TRUE_SERVER "<x\n");
	for (int i = 0; i < 256; i++)
		buf_printf(&b, " a%d=v", i);
	buf_puts(&b, "/>\n</supervisor>\n");
	r = good("attrs-256.xml", buf_str(&b));
	registry_free(r);
	/* "a=b\"c" is an unquoted value holding a quote for mini-XML: the
	 * attributes after it count. */
	b.len = 0;
	buf_puts(&b, "<supervisor>\n" TRUE_SERVER "<x q=b\"c\n");
	for (int i = 0; i < 256; i++)
		buf_printf(&b, " a%d=\"v\"", i);
	buf_puts(&b, "/>\n</supervisor>\n");
	bad("attrs-quote-in-value.xml", buf_str(&b), 3, "an element with more than 256 attributes");
	buf_free(&b);
	buf_free(&eq);
}

static void cleanup(void)
{
	char cmd[PATH_MAX + 32];
	if (!tmpdir[0] || getenv("KEEP_TMP"))
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "registry: could not remove %s\n", tmpdir);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/is-unit.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	atexit(cleanup);
	unsetenv("IMAGESERVING_REGISTRY");
	unsetenv("IMAGESERVING_ROOT");
	unsetenv("IMAGESERVING_RUNDIR");

	test_variables();
	test_profiles();
	test_defaults();
	test_order();
	test_paths();
	test_prologue();
	test_warnings();
	test_health();
	test_same_process();
	test_rejections();
	test_deep();
	test_lenient_and_locate();
	test_table();
	test_attribute_count();

	diag_free(&d);
	printf("1..%d\n", tests);
	fflush(stdout);
	return failures ? 1 : 0;
}
