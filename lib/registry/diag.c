/* diag.c: the loader's messages, one "FILE:LINE: text" line each, and the
 * byte offset to line number map they are located with. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* The offsets of every '\n', so that a line is a binary search away. */
void lines_index(struct rctx *c)
{
	size_t cap = 64;
	c->nl = xmalloc(cap * sizeof *c->nl);
	c->nnl = 0;
	for (size_t i = 0; i < c->len; i++)
		if (c->text[i] == '\n') {
			if (c->nnl == cap)
				c->nl = xrealloc(c->nl, (cap *= 2) * sizeof *c->nl);
			c->nl[c->nnl++] = i;
		}
}

/* Line number (1-based) of a byte offset. */
int line_of(const struct rctx *c, size_t off)
{
	size_t lo = 0, hi = c->nnl;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->nl[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)lo + 1;
}

__attribute__((format(printf, 4, 0)))
static void diag_add(struct rctx *c, int line, bool warning, const char *fmt, va_list ap)
{
	struct buf *t = &c->d->text;
	if (line > 0)
		buf_printf(t, "%s:%d: ", c->file, line);
	else
		buf_printf(t, "%s: ", c->file);
	if (warning)
		buf_puts(t, "warning: ");
	char msg[600];
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* One message, one line: a value or a mini-XML message quoting the file
	 * may hold a newline or another control character (all valid XML in a
	 * value); show it as \xNN so that it cannot forge a line of its own. */
	for (const char *m = msg; *m; m++) {
		if ((unsigned char)*m < 0x20 || *m == 0x7f)
			buf_printf(t, "\\x%02x", (unsigned char)*m);
		else
			buf_add(t, m, 1);
	}
	buf_puts(t, "\n");
	if (warning)
		c->d->warnings++;
	else
		c->d->errors++;
}

void reg_err(struct rctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_add(c, line, false, fmt, ap);
	va_end(ap);
}

void reg_warn(struct rctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_add(c, line, true, fmt, ap);
	va_end(ap);
}

void diag_free(struct diag *d)
{
	buf_free(&d->text);
	d->errors = d->warnings = 0;
}
