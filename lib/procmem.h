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

/* Resident memory of each server's whole tree, rss[i] for the main process
 * pids[i] (0: none) of server ids[i]: the process and its descendants, and
 * the children of their supervisor sup that belong to it (a member of its
 * process group reparented to the supervisor, an orphan with its marker)
 * with their descendants. One pass over the supervisor's children.
 * Memory is exact (statm); threads[i] is pids[i]'s thread count (the
 * supervisor's: sup_threads), 0 if not known. */
void pm_servers_rss(const pid_t *pids, const int *threads, const char *const *ids, size_t n, pid_t sup,
		    int sup_threads, uint64_t *rss);

#endif
