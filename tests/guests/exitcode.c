/* exitcode: exits with the status given as argv[1] (through exit() or,
 * with argv[2] == "raw", the exit_group system call directly). */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int code = argc > 1 ? atoi(argv[1]) : 3;
	if (argc > 2 && strcmp(argv[2], "raw") == 0)
		syscall(SYS_exit_group, code);
	exit(code);
}
