/* waitack.h: a client's wait for a command's effect, woken by the daemon's
 * answers (ACK_SIGNAL, lib/proto.h) instead of an inotify watch. */
#ifndef IS_WAITACK_H
#define IS_WAITACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "status.h"

/* Block ACK_SIGNAL in this process for good: call it before the first
 * command is sent. The signal is never unblocked (one could arrive at any
 * time until we exit, and its default action would end us). */
void ack_block(void);

/* wait_state() (lib/control.h) for a command just sent with ACK_SIGNAL
 * blocked: the state file is read again at each answer. A daemon that does
 * not answer within ACK_FIRST_MS (an older one, or its table of waiters
 * full) is waited for the old way, through wait_state(). Same returns. */
int wait_state_ack(const char *rundir, pid_t daemon, bool (*pred)(const struct st_file *, void *), void *arg,
		   int64_t timeout_ms, struct st_file *st);

#endif
