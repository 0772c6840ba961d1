/* flood: a guest that prints as fast as it can, forever. */
#include <string.h>
#include <unistd.h>

int main(void)
{
	static char line[4096];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (;;)
		if (write(1, line, sizeof(line)) < 0)
			return 1;
}
