/* loop: prints a line, then spins forever (for --timeout). */
#include <stdio.h>

int main(void)
{
	printf("spinning\n");
	fflush(stdout);
	for (volatile unsigned long i = 0;; i++)
		;
}
