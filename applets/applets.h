/* applets.h: the entry point and usage text of each applet (one file each). */
#ifndef IS_APPLETS_H
#define IS_APPLETS_H

#include <stdbool.h>

int check_main(int argc, char **argv);
extern const char check_usage[];

int supervisor_main(int argc, char **argv);
extern const char supervisor_usage[];
/* Start the daemon (in the background unless foreground); with ok_if_running
 * an already running one is success once it has started its servers. */
int supervisor_run(const char *registry, bool foreground, bool ok_if_running);

int status_main(int argc, char **argv);
extern const char status_usage[];

int client_main(int argc, char **argv);  /* start, stop, restart, reload */
extern const char client_usage[];

int complete_main(int argc, char **argv);  /* server ids for shell completion */
extern const char complete_usage[];

int probe_main(int argc, char **argv);     /* the status endpoint, asked from inside */
extern const char probe_usage[];

#endif
