/* proto.h: the daemon <-> client contract beyond the state file: the command
 * signal and how its sigqueue() value packs a command, written down once. */
#ifndef IS_PROTO_H
#define IS_PROTO_H

#include <signal.h>

/* The real-time signal that carries a command (not a constant in musl). */
#define CMD_SIGNAL (SIGRTMAX - 2)

/* The daemon's answer to a client waiting for a per-server command's
 * effect: queued after every state-file write, value = the state's serial
 * (low 31 bits), only to a client that blocks it, through a pidfd taken
 * when the command arrived (daemon/ack.c). Blocked from before the command
 * is sent until the client exits: never delivered, only consumed. */
#define ACK_SIGNAL (SIGRTMAX - 3)

/* sigqueue value: bits 0-1 the command, 2-17 the server index (or, for
 * CMD_SUPERVISOR, the supervisor-level command), 18-30 the low 13 bits of the
 * state file's generation the client read the index from. A command whose
 * generation is not the daemon's current one is refused (the registry was
 * reloaded meanwhile: indexes may have moved) and the state is republished so
 * the client looks again. */
enum cmd {
	CMD_SUPERVISOR = 0, /* index field: enum sup_cmd */
	CMD_RESTART = 1,
	CMD_STOP = 2,
	CMD_START = 3,
};
enum sup_cmd {
	SUP_REEXEC = 1, /* stop every server, re-execute in place (same pid), start again */
};
#define CMD_GEN_MASK 0x1fffu

int cmd_encode(enum cmd cmd, unsigned index, unsigned long generation);
void cmd_decode(int value, enum cmd *cmd, unsigned *index, unsigned *generation);

#endif
