/* supervisor.c: placeholder while under construction. */
#include "applets.h"
const char supervisor_usage[] = "Usage: imageserving supervisor\n";
int supervisor_main(int argc, char **argv) { (void)argc; (void)argv; return 1; }
