/* Placeholder entry point until the CLI wiring lands (issue 2). */
#include <stdio.h>

#include "report.h"
#include "tlsscope_version.h"

int main(void)
{
    printf("tlsscope %s\n", TLSSCOPE_VERSION);
    return 0;
}
