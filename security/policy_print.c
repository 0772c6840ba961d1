/* policy_print.c - the human-readable form of an allowlist. */
#include "policy.h"

#include <stdio.h>

void policy_print(const char *who, const struct sandbox_syscall *p, size_t n)
{
	printf("%s: %zu allowed system calls (anything else stops the process)\n", who, n);
	for (size_t i = 0; i < n; i++) {
		char filter[64] = "any arguments";
		if (p[i].arg_index >= 0)
			snprintf(filter, sizeof(filter), "arg%d in %zu value%s", p[i].arg_index,
				 p[i].nvalues, p[i].nvalues == 1 ? "" : "s");
		printf("  %-16s %-18s %s\n", p[i].name, filter, p[i].why);
	}
}
