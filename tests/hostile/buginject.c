/*
 * buginject: makes the hypercall that a bug-injection build of the VMM
 * (aivisor-vmm-buginject) turns into a host system call outside its
 * seccomp allowlist.  The filter must end that VMM; this guest never
 * prints its second line.
 */
#include <stdio.h>
#include <unistd.h>

#include "aivisor_guest.h"

int main(void)
{
	printf("triggering the injected VMM bug\n");
	fflush(stdout);
	syscall(AIVISOR_SYS_BASE + 0xff);
	printf("still running after the injected bug\n");
	return 0;
}
