/* client.c: placeholder while under construction. */
#include "applets.h"
const char client_usage[] = "Usage: imageserving client\n";
int client_main(int argc, char **argv) { (void)argc; (void)argv; return 1; }
