/* source.h: one event source of the daemon's epoll loop. Every registration's
 * data.ptr points at one of these (embedded first in its owner's struct);
 * the loop calls ready() with the epoll events. */
#ifndef IS_SOURCE_H
#define IS_SOURCE_H

#include <stdint.h>

struct source {
	void (*ready)(struct source *s, uint32_t events);
};

#endif
