/*
 * libFuzzer target build/fuzz/domxml: arbitrary bytes as domain XML.  Any
 * document the mapper accepts must format back to XML that parses to the
 * same definition (and formats identically), so the fuzzer checks the
 * round trip, not just the absence of crashes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lv_domxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tenant_def *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char err[512];
	char *x1 = NULL, *x2 = NULL;
	if (!a || !b)
		goto out;
	if (lv_domxml_parse((const char *)data, size, a, err, sizeof(err)))
		goto out;
	if (lv_domxml_format(a, -1, &x1, err, sizeof(err)) ||
	    lv_domxml_parse(x1, strlen(x1), b, err, sizeof(err)) ||
	    lv_domxml_format(b, -1, &x2, err, sizeof(err)))
		abort();	/* an accepted definition must survive its own XML */
	if (strcmp(x1, x2) != 0)
		abort();
out:
	free(x1);
	free(x2);
	free(a);
	free(b);
	return 0;
}
