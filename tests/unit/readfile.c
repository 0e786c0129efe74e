/* readfile.c: unit test of read_file (lib/util.c) where a failure can only be
 * staged: fstat failing on an open file (EIO on a broken network mount, or
 * EOVERFLOW) must give its own error, not one guessed from an uninitialised
 * struct stat. This program defines fstat itself, ahead of the C library's,
 * so that it fails on demand. Prints TAP. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

static int fstat_error;  /* errno for fstat to fail with, or 0 */

int fstat(int fd, struct stat *st)
{
	if (fstat_error) {
		/* What a caller that ignores the failure would read. */
		memset(st, 0xff, sizeof *st);
		errno = fstat_error;
		return -1;
	}
	return fstatat(fd, "", st, AT_EMPTY_PATH);
}

static int n, failed;

static void ok(bool cond, const char *what)
{
	n++;
	failed += !cond;
	printf("%sok %d - %s\n", cond ? "" : "not ", n, what);
}

int main(void)
{
	char path[] = "/tmp/is-readfile.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, "data\n", 5) != 5 || close(fd) != 0) {
		printf("Bail out! cannot write a temporary file\n");
		return 1;
	}
	char *text = NULL;
	size_t len = 0;
	int e = read_file(path, 1024, &text, &len);
	ok(e == 0 && len == 5 && text && strcmp(text, "data\n") == 0, "read_file reads a regular file");
	free(text);
	e = read_file("/", 1024, &text, &len);
	ok(e == -EISDIR, "read_file refuses a directory with EISDIR");

	static const int errs[] = {EIO, EOVERFLOW, ENOMEM};
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		fstat_error = errs[i];
		e = read_file(path, 1024, &text, &len);
		fstat_error = 0;
		char what[128];
		snprintf(what, sizeof what, "fstat failing with %s: read_file returns that error (got %s)",
			 strerror(errs[i]), e ? strerror(-e) : "success");
		ok(e == -errs[i], what);
	}
	unlink(path);
	printf("1..%d\n", n);
	return failed != 0;
}
