/* hello: the smallest guest; prints a greeting and exits 0. */
#include <stdio.h>

int main(void)
{
	printf("Hello from an aivisor microVM!\n");
	return 0;
}
