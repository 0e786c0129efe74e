/* source.h: one thing the event loop watches; every epoll registration's data.ptr points at one. */
#ifndef IS_SOURCE_H
#define IS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

/* The loop calls s->ready(s, events) with the epoll events of the fd. The
 * owner embeds the struct and gets back to itself with container_of. A source
 * may close its own fd and free itself inside ready(); it must not free
 * another source that may still have an event pending in the same batch. */
struct source {
	void (*ready)(struct source *s, uint32_t events);
};

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
