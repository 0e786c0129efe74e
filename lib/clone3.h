/* clone3.h: clone3(2) with the child running a function on a stack of its
 * own (as the C libraries' posix_spawn do), for lib/spawn.c. */
#ifndef IS_CLONE3_H
#define IS_CLONE3_H

#include <stdint.h>

#define INTO_CGROUP 0x200000000ull  /* CLONE_INTO_CGROUP (5.7) */

/* The kernel's struct clone_args (up to its cgroup field). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

/* The child starts on ca->stack (or, with no stack and no CLONE_VM, on a
 * copy of ours, as fork), runs fn(arg) and exits with its value: it never
 * returns into the caller's frame. The parent gets the pid or -errno;
 * -ENOSYS where the kernel has no clone3, or there is no code for this
 * architecture here (x86-64 and aarch64 have). */
long clone3_run(struct clone3_args *ca, int (*fn)(void *), void *arg);

#endif
