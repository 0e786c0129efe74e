/* index.c: the loader's containers: arena arrays that grow by doubling and a
 * string-keyed hash index over them, so that lookups and duplicate checks
 * stay linear in the registry's size (8,000 variables must load at once). */
#include <string.h>

#include "internal.h"

/* Make room for item n in an arena array of capacity *cap, doubling it. */
void *grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	size_t nc = *cap ? *cap * 2 : 8;
	void *nv = arena_alloc(a, nc * size);
	if (n)
		memcpy(nv, v, n * size);
	*cap = nc;
	return nv;
}

void strlist_push(struct arena *a, struct strlist *l, const char *s)
{
	l->v = grow(a, l->v, l->n, &l->cap, sizeof *l->v);
	l->v[l->n++] = s;
}

static size_t hash_key(const char *k, size_t n)
{
	uint64_t h = 14695981039346656037u;  /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211u;
	return (size_t)h;
}

struct slot *index_find(const struct index *x, const char *k, size_t n)
{
	if (!x->cap)
		return NULL;
	for (size_t i = hash_key(k, n) & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
		struct slot *s = &x->slot[i];
		if (!s->key)
			return NULL;
		if (s->len == n && memcmp(s->key, k, n) == 0)
			return s;
	}
}

/* Add key (which must not be there yet, and must outlive the index) for item;
 * the table is kept at most half full. */
void index_add(struct arena *a, struct index *x, const char *k, size_t item)
{
	if (2 * (x->used + 1) > x->cap) {
		struct index nx = {0};
		nx.cap = x->cap ? x->cap * 2 : 16;
		nx.slot = arena_alloc(a, nx.cap * sizeof *nx.slot);
		for (size_t i = 0; i < x->cap; i++)
			if (x->slot[i].key)
				index_add(a, &nx, x->slot[i].key, x->slot[i].item);
		*x = nx;
	}
	size_t n = strlen(k);
	size_t i = hash_key(k, n) & (x->cap - 1);
	while (x->slot[i].key)
		i = (i + 1) & (x->cap - 1);
	x->slot[i] = (struct slot){k, n, item};
	x->used++;
}
