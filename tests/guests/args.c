/* args: prints argc, every argv[i], every environment string and a few
 * auxv-derived facts, so tests can check the initial stack. */
#include <stdio.h>
#include <sys/auxv.h>

extern char **environ;

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	for (char **e = environ; *e; e++)
		printf("env=%s\n", *e);
	printf("pagesz=%lu\n", getauxval(AT_PAGESZ));
	printf("random=%s\n", getauxval(AT_RANDOM) ? "yes" : "no");
	printf("vdso=%s\n", getauxval(AT_SYSINFO_EHDR) ? "yes" : "no");
	return 0;
}
