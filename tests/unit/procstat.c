/* procstat.c: unit test of proc_stat_parse (lib/proc.c), the /proc/PID/stat
 * reader that replaced sscanf: command names holding ") " and spaces, negative
 * fields, short and garbled texts, and agreement with this process's own
 * stat as the kernel writes it. Prints TAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/proc.h"

#include "tap.h"

int main(void)
{
	long long f[21];
	char st = 0;
	const char *line = "1234 (a) b (c) d) S 1 1234 1234 0 -1 4194560 100 0 0 0 3 4 0 0 20 0 1 0 98765 4096 77\n";
	ok(proc_stat_parse(line, &st, f, 21) == 0 && st == 'S' && f[0] == 1 && f[1] == 1234 && f[4] == -1 &&
	       f[18] == 98765 && f[20] == 77,
	   "a command name holding ') ' and spaces: fields resume after the last ')'; negative tpgid read");
	ok(proc_stat_parse("1 (x) R 0 1", &st, f, 3) == -1, "a text with fewer fields than asked: refused");
	ok(proc_stat_parse("1 (x) R 0 a 1", &st, f, 3) == -1, "a field that is not a number: refused");
	ok(proc_stat_parse("1 x R 0 1 1", &st, f, 3) == -1, "no command name: refused");
	ok(proc_stat_parse("1 (x)", &st, f, 1) == -1 && proc_stat_parse("1 (x) ", &st, f, 1) == -1,
	   "nothing after the command name: refused");

	struct proc_stat ps = {0};
	int rc = proc_stat(getpid(), &ps);
	ok(rc == 0 && ps.ppid == getppid() && ps.pgrp == getpgrp() && ps.state == 'R' &&
	       ps.starttime > 0,
	   "our own stat: parent %d, group %d, running, a start time", (int)ps.ppid, (int)ps.pgrp);
	ok(proc_stat(999999999, &ps) == -1, "a pid that cannot exist: -1");
	printf("1..%d\n", tests);
	return failures != 0;
}
