/* status.c: placeholder while under construction. */
#include "applets.h"
const char status_usage[] = "Usage: imageserving status\n";
int status_main(int argc, char **argv) { (void)argc; (void)argv; return 1; }
