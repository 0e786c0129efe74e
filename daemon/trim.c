/* trim.c: give back the memory that start-up used and the running
 * supervisor does not. The binary is one read-only segment that the kernel
 * maps 64 KiB around each fault; the registry's parser, mini-XML and the
 * client applets run only at start-up (and at a reload), and the code the
 * running supervisor needs is gathered in one section just before the
 * read-only data (mk/hot.ld, bench/hotlayout.py). Dropping the segment's
 * pages once the servers are up leaves that section and the data mapped
 * again at the next turn: about half of the segment. The pages stay in the
 * page cache; a later reload maps what it needs again, and the trim after it
 * drops it again. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/proc.h"

extern char __executable_start[], etext[];  /* from the default linker script */

void mem_trim(void)
{
	uintptr_t pg = (uintptr_t)proc_page_size();
	uintptr_t a = (uintptr_t)__executable_start & ~(pg - 1);
	uintptr_t b = ((uintptr_t)etext + pg - 1) & ~(pg - 1);
	/* syscall(), not madvise(): the C library's wrapper is cold code */
	if (b > a && syscall(SYS_madvise, a, b - a, MADV_DONTNEED) != 0)
		trace(TRACE_DEBUG, NULL, "madvise of the code: %s", strerror(errno));
}
