/* commands.c: client commands (the command signal) turned into lifecycle
 * events. Every command republishes the state, so a client waiting on the
 * state file is always answered, even when the command is refused; a client
 * that asked for it (ACK_SIGNAL blocked) is told after every write, for as
 * long as its wait can last (ack.c). */
#include <stdio.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/proto.h"
#include "lib/util.h"

static void supervisor_command(unsigned what, pid_t from)
{
	if (what == SUP_REEXEC) {
		trace(TRACE_INFO, NULL, "restart in place requested by pid %d", (int)from);
		D.work |= W_REEXEC;
	} else {
		trace(TRACE_WARNING, NULL, "ignored unknown supervisor command %u from pid %d", what, (int)from);
	}
}

void command(int value, pid_t from)
{
	enum cmd cmd;
	unsigned index, gen;
	cmd_decode(value, &cmd, &index, &gen);
	mark();
	if (cmd == CMD_SUPERVISOR) {
		supervisor_command(index, from);
		return;
	}
	int64_t now = mono_ns();
	bool known = gen == (D.generation & CMD_GEN_MASK) && index < D.nsvc;
	/* The client waits for a stop, then a start: as long as it may, it is answered. */
	ack_register(from, now + (known ? stop_timeout_of(D.svcs[index]) : 0) + 10 * SEC);
	if (!known) {
		trace(TRACE_WARNING, NULL, "ignored a command from pid %d for server %u of generation %u (now %lu)",
		      (int)from, index, gen, D.generation);
		return;
	}
	struct svc *v = D.svcs[index];
	if (stopping_all()) {
		trace(TRACE_WARNING, v->id, "ignored a command from pid %d: the supervisor is stopping", (int)from);
		return;
	}
	switch (cmd) {
	case CMD_RESTART:
		trace(TRACE_INFO, v->id, "restart requested by pid %d", (int)from);
		v->held = false;
		if (svc_alive(v)) {
			svc_event(v, E_STOP, 0, now);  /* wanted up: it settles into a launch */
		} else {
			v->quick_deaths = 0;
			svc_event(v, E_GO, WHY_ASKED, now);
		}
		break;
	case CMD_STOP:
		trace(TRACE_INFO, v->id, "stop requested by pid %d", (int)from);
		v->held = true;
		svc_event(v, E_STOP, 0, now);
		break;
	case CMD_START:
		trace(TRACE_INFO, v->id, "start requested by pid %d", (int)from);
		v->held = false;
		if (!svc_alive(v)) {
			v->quick_deaths = 0;
			svc_event(v, E_GO, WHY_ASKED, now);
		}
		break;
	case CMD_SUPERVISOR:
		break;
	}
}
