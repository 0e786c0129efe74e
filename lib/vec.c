/* vec.c: the growable array of vec.h. */
#include "vec.h"

#include "util.h"

void *vec_room(void *p, size_t n, size_t *cap, size_t size)
{
	if (n <= *cap)
		return p;
	size_t c = *cap ? *cap : 8;
	while (c < n)
		c *= 2;
	*cap = c;
	return xrealloc(p, c * size);
}
