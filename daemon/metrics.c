/* metrics.c: the daemon's state in the Prometheus text format 0.0.4:
 * imageserving_* per server and for the supervisor, and the standard
 * process_* set of the supervisor process. Base units, HELP and TYPE for
 * each family, one series per label set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/httpd.h"
#include "lib/proc.h"
#include "lib/procmem.h"
#include "lib/util.h"

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the format wants (\\, \", \n). */
static void label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_add(b, v, 1);
	}
}

/* One series of a per-server family; whole numbers print without a point. */
static void series(struct buf *b, const char *name, const struct svc *v, double x)
{
	buf_printf(b, "%s{server=\"", name);
	label(b, v->id);
	buf_puts(b, "\"} ");
	if (x == (double)(long long)x)
		buf_printf(b, "%lld\n", (long long)x);
	else
		buf_printf(b, "%.3f\n", x);
}

/* Wall-clock seconds of a CLOCK_BOOTTIME instant. */
static double boot_to_real(int64_t boot)
{
	return (double)(real_ns() - (boot_ns() - boot)) / SEC;
}

static void per_server(struct buf *b)
{
	family(b, "imageserving_server_up", "gauge", "Whether the server's main process is running (1) or not (0).");
	for (size_t i = 0; i < D.nsvc; i++)
		series(b, "imageserving_server_up", D.svcs[i], svc_alive(D.svcs[i]));
	family(b, "imageserving_server_ready", "gauge", "Whether the server is running and ready (1) or not (0).");
	for (size_t i = 0; i < D.nsvc; i++)
		series(b, "imageserving_server_ready", D.svcs[i], D.svcs[i]->state == S_RUNNING);
	family(b, "imageserving_server_state", "gauge", "The server's state: 1 for the one it is in, 0 for the others.");
	for (size_t i = 0; i < D.nsvc; i++) {
		const struct svc *v = D.svcs[i];
		enum sv_state now = svc_public_state(v);
		for (int s = 0; s < SV_NSTATES; s++) {
			buf_puts(b, "imageserving_server_state{server=\"");
			label(b, v->id);
			buf_printf(b, "\",state=\"%s\"} %d\n", sv_state_name((enum sv_state)s), (int)now == s);
		}
	}
	family(b, "imageserving_server_restarts_total", "counter",
	       "Restarts by the supervisor itself after a crash (not those asked for).");
	for (size_t i = 0; i < D.nsvc; i++)
		series(b, "imageserving_server_restarts_total", D.svcs[i], D.svcs[i]->restarts);
	family(b, "imageserving_server_requested_restarts_total", "counter",
	       "Restarts asked for: restart ID, a reload that changed the server.");
	for (size_t i = 0; i < D.nsvc; i++)
		series(b, "imageserving_server_requested_restarts_total", D.svcs[i], D.svcs[i]->requested);
	family(b, "imageserving_server_start_time_seconds", "gauge",
	       "Start time of the server's running process since the Unix epoch, in seconds.");
	for (size_t i = 0; i < D.nsvc; i++)
		if (svc_alive(D.svcs[i]))
			series(b, "imageserving_server_start_time_seconds", D.svcs[i],
			       boot_to_real(D.svcs[i]->start_boot));
	family(b, "imageserving_server_resident_memory_bytes", "gauge",
	       "Resident memory of the server's whole process tree, in bytes.");
	uint64_t *rss = xcalloc(D.nsvc + 1, sizeof *rss);
	servers_rss(rss);
	for (size_t i = 0; i < D.nsvc; i++)
		if (svc_alive(D.svcs[i]))
			series(b, "imageserving_server_resident_memory_bytes", D.svcs[i], (double)rss[i]);
	free(rss);
	family(b, "imageserving_server_last_exit_code", "gauge",
	       "Exit code of the server's last process (128+N if killed by signal N).");
	for (size_t i = 0; i < D.nsvc; i++) {
		int st = D.svcs[i]->last_status;
		if (st >= 0)
			series(b, "imageserving_server_last_exit_code", D.svcs[i],
			       WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255);
	}
	family(b, "imageserving_health_check_failures_total", "counter", "Failed health checks of the server.");
	for (size_t i = 0; i < D.nsvc; i++)
		series(b, "imageserving_health_check_failures_total", D.svcs[i], (double)health_failures_total(D.svcs[i]));
}

static void supervisor(struct buf *b)
{
	family(b, "imageserving_supervisor_start_time_seconds", "gauge",
	       "Start time of the supervisor since the Unix epoch, in seconds.");
	buf_printf(b, "imageserving_supervisor_start_time_seconds %.3f\n", (double)D.start_real / SEC);
	family(b, "imageserving_reloads_total", "counter", "Registry reloads applied.");
	buf_printf(b, "imageserving_reloads_total %lu\n", D.reloads);
	family(b, "imageserving_reload_failures_total", "counter", "Registry reloads refused (invalid registry).");
	buf_printf(b, "imageserving_reload_failures_total %lu\n", D.reload_failures);
	family(b, "imageserving_build_info", "gauge", "The supervisor's version, as labels; always 1.");
	buf_printf(b, "imageserving_build_info{version=\"%s\",parser=\"", IS_VERSION);
	label(b, httpd_parser_version());
	buf_puts(b, "\"} 1\n");

	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		family(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
		buf_printf(b, "process_cpu_seconds_total %.6f\n",
			   (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
				   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	uint64_t rss = pm_rss(getpid());  /* exact (statm), as status reads it */
	if (rss) {
		family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
		buf_printf(b, "process_resident_memory_bytes %llu\n", (unsigned long long)rss);
	}
	int fds = proc_open_fds(getpid());
	if (fds >= 0) {
		family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
		buf_printf(b, "process_open_fds %d\n", fds);
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		family(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		buf_printf(b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	family(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
	buf_printf(b, "process_start_time_seconds %.3f\n", boot_to_real(D.start_boot));
}

void metrics_render(struct buf *b)
{
	per_server(b);
	supervisor(b);
}
