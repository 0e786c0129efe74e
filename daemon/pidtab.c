/* pidtab.c: running servers by main pid, an open-addressing table, so that
 * reaping and orphan scans stay O(1) per process with thousands of servers. */
#include <stdlib.h>

#include "daemon.h"
#include "lib/util.h"

static struct svc **tab;
static size_t cap, used;

static size_t slot(pid_t pid, size_t c)
{
	return ((size_t)pid * 2654435761u) & (c - 1);
}

struct svc *pidtab_find(pid_t pid)
{
	if (!cap || pid <= 0)
		return NULL;
	for (size_t i = slot(pid, cap);; i = (i + 1) & (cap - 1)) {
		if (!tab[i])
			return NULL;
		if (tab[i]->pid == pid)
			return tab[i];
	}
}

static void place(struct svc **t, size_t c, struct svc *v)
{
	size_t k = slot(v->pid, c);
	while (t[k])
		k = (k + 1) & (c - 1);
	t[k] = v;
}

void pidtab_insert(struct svc *v)
{
	if ((used + 1) * 2 > cap) {
		size_t nc = cap ? cap * 2 : 64;
		struct svc **t = xcalloc(nc, sizeof *t);
		for (size_t i = 0; i < cap; i++)
			if (tab[i])
				place(t, nc, tab[i]);
		free(tab);
		tab = t;
		cap = nc;
	}
	place(tab, cap, v);
	used++;
}

/* Remove v (whose pid is still set) and re-seat the entries after it. */
void pidtab_remove(struct svc *v)
{
	if (!cap)
		return;
	size_t i = slot(v->pid, cap);
	while (tab[i] && tab[i] != v)
		i = (i + 1) & (cap - 1);
	if (!tab[i])
		return;
	tab[i] = NULL;
	used--;
	for (size_t k = (i + 1) & (cap - 1); tab[k]; k = (k + 1) & (cap - 1)) {
		struct svc *w = tab[k];
		tab[k] = NULL;
		place(tab, cap, w);
	}
}

void pidtab_free(void)
{
	free(tab);
	tab = NULL;
	cap = used = 0;
}
