/* tap.h: the unit tests' tiny TAP producer: ok() prints one line and counts;
 * main() prints the plan "1..N" at the end and exits non-zero on a failure. */
#ifndef IS_TAP_H
#define IS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tests, failures;

__attribute__((format(printf, 2, 3), unused))
static bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	tests++;
	if (!cond)
		failures++;
	printf("%sok %d - ", cond ? "" : "not ", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

#endif
