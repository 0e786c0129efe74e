/* proto.c: packing of the command signal's value (see proto.h). */
#include "proto.h"

int cmd_encode(enum cmd cmd, unsigned index, unsigned long generation)
{
	return (int)(((unsigned)cmd & 3u) | ((index & 0xffffu) << 2) |
		     ((unsigned)(generation & CMD_GEN_MASK) << 18));
}

void cmd_decode(int value, enum cmd *cmd, unsigned *index, unsigned *generation)
{
	unsigned v = (unsigned)value;
	*cmd = (enum cmd)(v & 3u);
	*index = (v >> 2) & 0xffffu;
	*generation = (v >> 18) & CMD_GEN_MASK;
}
