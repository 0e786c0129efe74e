/* proc.h: what /proc says about processes: identity, parentage, memory. */
#ifndef IS_PROC_H
#define IS_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
	char state;                  /* R, S, Z, ... */
	pid_t ppid, pgrp, session;
	unsigned long long starttime; /* clock ticks after boot: with the pid, an identity */
	uint64_t rss_bytes;
};

long proc_page_size(void);  /* bytes of a memory page (statm counts them) */
int proc_stat(pid_t pid, struct proc_stat *ps);  /* 0 or -1 */

/* The fields of a /proc/PID/stat text after the command name: *state, then
 * the numbers from ppid on (proc(5) fields 4, 5, ...) into f[0..n-1].
 * 0, or -1 if the text is short or garbled. No scanf: it would double the
 * binary's share of libc. */
int proc_stat_parse(const char *text, char *state, long long *f, int n);

/* The pids of a children file's text, appended to out[n..max): the new n. */
int proc_pids_parse(const char *text, pid_t *out, int n, int max);

/* Children of pid (every thread's), up to max. Returns how many, -1 on error. */
int proc_children(pid_t pid, pid_t *out, int max);


/* Whether pid's environment holds IMAGESERVING_SERVER=id (every server's
 * does, and its descendants usually inherit it). */
bool proc_marked(pid_t pid, const char *id);

/* The value of name in pid's environment (truncated to n); false if it has
 * none or its environment is unreadable (another user's process). */
bool proc_env(pid_t pid, const char *name, char *out, size_t n);


/* How many fds pid has open (for ourselves: not counting the one that
 * reads the list). -1 if unknown. */
int proc_open_fds(pid_t pid);

/* Inode of our pid namespace (0 if unknown). */
unsigned long long proc_pidns(pid_t pid);

#endif
