/* rundir_scan.h: a registry's run directory without parsing the registry,
 * when its <config><temp> is a plain path (see rundir_scan.c). */
#ifndef IS_RUNDIR_SCAN_H
#define IS_RUNDIR_SCAN_H

/* The run directory (malloc'd), or NULL: then ask registry_rundir_load().
 * registry: an absolute path (registry_locate's). */
char *rundir_scan(const char *registry);

#endif
