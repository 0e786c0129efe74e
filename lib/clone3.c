/* clone3.c: the clone3 system call with the child on a stack of its own,
 * which no C library wraps: a few lines of assembly per architecture,
 * -ENOSYS elsewhere (the caller then falls back to the C library's clone). */
#include "clone3.h"

#include <errno.h>
#include <sys/syscall.h>

#ifndef SYS_clone3
#define SYS_clone3 435  /* the same on every architecture */
#endif

long clone3_run(struct clone3_args *ca, int (*fn)(void *), void *arg)
{
#if defined(__x86_64__)
	register long rax __asm__("rax") = SYS_clone3;
	register struct clone3_args *rdi __asm__("rdi") = ca;
	register long rsi __asm__("rsi") = sizeof *ca;
	register int (*r12)(void *) __asm__("r12") = fn;
	register void *r13 __asm__("r13") = arg;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "and $-16, %%rsp\n\t"
			 "call *%%r12\n\t"
			 "mov %%eax, %%edi\n\t"
			 "mov $60, %%eax\n\t" /* SYS_exit */
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "+r"(rax)
			 : "r"(rdi), "r"(rsi), "r"(r12), "r"(r13)
			 : "rcx", "r11", "memory");
	return rax;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = SYS_clone3;
	register long x0 __asm__("x0") = (long)ca;
	register long x1 __asm__("x1") = sizeof *ca;
	register int (*x19)(void *) __asm__("x19") = fn;
	register void *x20 __asm__("x20") = arg;
	__asm__ volatile("svc #0\n\t"
			 "cbnz x0, 1f\n\t"
			 "mov x29, xzr\n\t"
			 "mov x0, x20\n\t"
			 "blr x19\n\t"
			 "mov x8, #93\n\t" /* SYS_exit */
			 "svc #0\n"
			 "1:"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x19), "r"(x20)
			 : "x30", "memory");
	return x0;
#else
	(void)ca;
	(void)fn;
	(void)arg;
	return -ENOSYS;
#endif
}
