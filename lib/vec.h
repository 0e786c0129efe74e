/* vec.h: the one growable array: room for n items of size bytes in p,
 * doubling the capacity *cap as needed. Returns the (maybe moved) array.
 *     l->p = vec_room(l->p, l->n + 1, &l->cap, sizeof *l->p);
 *     l->p[l->n++] = x;                                                     */
#ifndef IS_VEC_H
#define IS_VEC_H

#include <stddef.h>

void *vec_room(void *p, size_t n, size_t *cap, size_t size);

#endif
