/* main.c: the applet table and the busybox-style dispatcher (by link name or first argument). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "applets/applets.h"
#include "lib/httpd.h"
#include "lib/opts.h"
#include "lib/util.h"

struct applet {
	const char *name;
	int (*main)(int, char **);
	const char *usage;
};

/* Verbs and applets reachable as `imageserving NAME`. */
static const struct applet applets[] = {
	{"start", client_main, client_usage},
	{"stop", client_main, client_usage},
	{"restart", client_main, client_usage},
	{"try-restart", client_main, client_usage},
	{"condrestart", client_main, client_usage},
	{"reload", client_main, client_usage},
	{"force-reload", client_main, client_usage},
	{"reopen", client_main, client_usage},
	{"status", status_main, status_usage},
	{"check", check_main, check_usage},
	{"supervisor", supervisor_main, supervisor_usage},
	{"complete", complete_main, complete_usage},
	{"probe", probe_main, probe_usage},
};

/* Link names that select an applet by themselves. */
static const struct {
	const char *link;
	const char *applet;
} links[] = {
	{"supervisor", "supervisor"},
	{"S7Supervisor", "supervisor"},
	{"isstatus", "status"},
};

static const char main_usage[] =
	"Usage: imageserving [-c FILE] VERB [ID...]   (also as ImageServing VERB ...)\n"
	"Supervise the Image Serving servers listed in SupervisorRegistry.xml.\n"
	"\n"
	"Verbs:\n"
	"  start [ID...]        start the supervisor (or, with IDs, those servers)\n"
	"  stop [ID...]         stop the supervisor and every server (or those servers)\n"
	"  restart [ID...]      stop and start everything (or restart those servers)\n"
	"  try-restart [ID...]  restart only if the supervisor runs (also: condrestart)\n"
	"  reload               re-read the registry and apply the differences\n"
	"  force-reload         the same as reload (LSB)\n"
	"  reopen               reopen every log file (for logrotate)\n"
	"  status [--json] [ID...]  report the supervisor and its servers\n"
	"  check                validate the registry and print the resolved plan\n"
	"  supervisor [-f]      run the supervisor daemon (-f: in the foreground)\n"
	"  complete ids         the registry's server ids, for shell completion\n"
	"  probe [PATH]         ask the status endpoint (container and Kubernetes probes)\n"
	"\n"
	"Options (before or after the verb):\n"
	"  -c FILE              the registry (default: $IMAGESERVING_REGISTRY, else\n"
	"                       conf/SupervisorRegistry.xml under the install root)\n"
	"  -h, --help           this text, or a verb's own help after the verb\n"
	"  --version            print the version\n"
	"\n"
	"Links: ImageServing (the control client), supervisor and S7Supervisor (the\n"
	"daemon), isstatus (the status reporter).\n"
	"Exit (LSB): 0 ok, 1 failure, 2 usage, 3 unimplemented, 4 insufficient privilege,\n"
	"5 not installed, 6 registry invalid, 7 supervisor not running; status: 0 running,\n"
	"1 a server is down or the supervisor died leaving its pid file, 3 not running,\n"
	"4 unknown. See imageserving(8).\n";

static const struct applet *find(const char *name)
{
	for (size_t i = 0; i < sizeof applets / sizeof applets[0]; i++)
		if (strcmp(applets[i].name, name) == 0)
			return &applets[i];
	return NULL;
}

static int run(const struct applet *a, int argc, char **argv)
{
	argv[0] = (char *)a->name;
	return a->main(argc, argv);
}

/* `imageserving [opts] VERB [args]`: find the verb wherever the leading
 * options end, and hand the applet every other argument in order. */
static int dispatch_verb(int argc, char **argv)
{
	int verb = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--version") == 0 && !verb) {
			printf("imageserving %s (%s)\n", IS_VERSION, httpd_parser_version());
			return EX_OK;
		}
		if ((strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) && !verb) {
			fputs(main_usage, stdout);
			return EX_OK;
		}
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				warnx_("option needs a file: %s", a);
				usage_print(main_usage, false);
				return EX_USAGE;
			}
			i++;
			continue;
		}
		if (strncmp(a, "--config=", 9) == 0 || (strncmp(a, "-c", 2) == 0 && a[2]))
			continue;  /* -cFILE, --config=FILE: the applet parses them again */
		if (a[0] == '-') {
			warnx_("unknown option: %s", a);
			usage_print(main_usage, false);
			return EX_USAGE;
		}
		verb = i;
		break;
	}
	if (!verb) {
		warnx_("no verb given");
		usage_print(main_usage, false);
		return EX_USAGE;
	}
	const struct applet *ap = find(argv[verb]);
	if (!ap) {
		warnx_("unknown verb: %s", argv[verb]);
		usage_print(main_usage, false);
		return EX_USAGE;
	}
	/* Move the verb to argv[0]'s place; keep the rest in order. */
	char *v = argv[verb];
	for (int i = verb; i > 1; i--)
		argv[i] = argv[i - 1];
	argv[1] = v;
	return run(ap, argc - 1, argv + 1);
}

/* fds 0-2 open before anything else, so that no lock, log or pipe of ours
 * ever lands on one of them (and is then replaced by a dup2 onto "standard
 * error"). /dev/null, or where a root has none, an empty pipe for input and
 * a pipe nobody reads for output (SIGPIPE then ignored: writes fail). */
static void fd_sanitize(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd < 0) {
			int pp[2];
			if (pipe(pp) != 0)
				_exit(127);
			nfd = fd == 0 ? pp[0] : pp[1];
			close(fd == 0 ? pp[1] : pp[0]);
			if (fd != 0)
				signal(SIGPIPE, SIG_IGN);
		}
		if (nfd != fd) {  /* lower fds are open by now: nfd is above fd */
			dup2(nfd, fd);
			close(nfd);
		}
	}
}

int main(int argc, char **argv)
{
	fd_sanitize();
	const char *self = argc > 0 && argv[0] ? path_base(argv[0]) : "imageserving";
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (strcmp(self, links[i].link) == 0)
			return run(find(links[i].applet), argc, argv);
	if (argc < 1)
		return EX_USAGE;
	return dispatch_verb(argc, argv);
}
