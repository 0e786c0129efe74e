/* procmem.h: the status report's /proc reads: identity, exact resident
 * memory, process trees (see procmem.c). */
#ifndef IS_PROCMEM_H
#define IS_PROCMEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct pm_stat {
	char state;                   /* R, S, Z, ... */
	pid_t pgrp;
	int threads;
	unsigned long long starttime; /* clock ticks after boot: with the pid, an identity */
};

int pm_stat(pid_t pid, struct pm_stat *ps);  /* 0 or -1 */

/* Resident memory of pid (statm), in bytes; 0 if unknown. */
uint64_t pm_rss(pid_t pid);

/* Resident memory of pid's descendants (not pid itself; threads: its
 * thread count, from pm_stat). */
uint64_t pm_descendants_rss(pid_t pid, int threads);

/* proc_servers_rss() (lib/proc.h) with exact memory and each main pid's
 * thread count known (threads[i]; the supervisor's: sup_threads). */
void pm_servers_rss(const pid_t *pids, const int *threads, const char *const *ids, size_t n, pid_t sup,
		    int sup_threads, uint64_t *rss);

#endif
