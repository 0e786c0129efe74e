/* fmtbytes.c: unit test of fmt_bytes (lib/util.c), which formats a byte
 * count with one decimal in integers: every result must be what printf's
 * "%.1f" gives for the same quotient (exact in a double below 2^53), ties
 * rounded to even included. Prints TAP. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "tap.h"

/* The reference: the formatting fmt_bytes had before, through a double. */
static void by_double(char *out, size_t n, uint64_t b)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	size_t u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%llu B", (unsigned long long)b);
	else
		snprintf(out, n, "%.1f %s", v, unit[u]);
}

static long mismatches;
static char first[200];

static void check(uint64_t b)
{
	char got[64], want[64];
	fmt_bytes(got, sizeof got, b);
	by_double(want, sizeof want, b);
	if (strcmp(got, want) != 0 && mismatches++ == 0)
		snprintf(first, sizeof first, "%llu: got '%s', printf gives '%s'", (unsigned long long)b, got, want);
}

int main(void)
{
	char s[64];
	fmt_bytes(s, sizeof s, 1280);  /* 1.25 KiB: a tie, to the even 1.2 */
	ok(strcmp(s, "1.2 KiB") == 0, "1280 bytes is '1.2 KiB' (got '%s')", s);
	fmt_bytes(s, sizeof s, 1408);  /* 1.375 KiB */
	ok(strcmp(s, "1.4 KiB") == 0, "1408 bytes is '1.4 KiB' (got '%s')", s);
	fmt_bytes(s, sizeof s, 1023);
	ok(strcmp(s, "1023 B") == 0, "1023 bytes is '1023 B' (got '%s')", s);
	fmt_bytes(s, sizeof s, 1024 * 1024 - 1);  /* rounds up to the next whole */
	ok(strcmp(s, "1024.0 KiB") == 0, "1 MiB - 1 is '1024.0 KiB' as with printf (got '%s')", s);
	fmt_bytes(s, sizeof s, UINT64_MAX);
	ok(strcmp(s, "16777216.0 TiB") == 0, "UINT64_MAX is '16777216.0 TiB' (got '%s')", s);

	for (uint64_t b = 0; b < 200000; b++)
		check(b);
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check((x >> 11) >> (x % 40));  /* below 2^53, every magnitude */
	}
	for (unsigned u = 1; u <= 4; u++)  /* around every tie and unit boundary */
		for (uint64_t k = 1; k < 1024; k++) {
			uint64_t unit = UINT64_C(1) << (10 * u);
			check(k * unit / 20);
			check(k * unit / 20 + 1);
			check(k * unit / 20 - 1);
			check(k * unit - 1);
		}
	ok(mismatches == 0, "600,000 sizes match printf's %%.1f (%ld differ%s%s)", mismatches,
	   mismatches ? "; first: " : "", first);
	printf("1..%d\n", tests);
	return failures != 0;
}
