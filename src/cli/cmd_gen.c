/* cmd_gen.c — `sleuth gen` (issue 12). Placeholder until its implementation lands: says so
 * and exits 2 (usage), so no caller mistakes it for a result. */
#include <stdio.h>

#include "cli.h"

int cmd_gen(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "sleuth gen: not built yet in this checkout\n");
    return 2;
}
