/* sleepy: touches argv[1] MiB, prints "ready", sleeps argv[2] ms: lets a
 * benchmark look at the VMM process's memory while the guest is alive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	long ms = argc > 2 ? strtol(argv[2], NULL, 10) : 500;
	char *p = mib ? malloc(mib << 20) : NULL;
	if (p)
		memset(p, 1, mib << 20);
	printf("ready\n");
	fflush(stdout);
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
	return p ? p[0] - 1 : 0;
}
