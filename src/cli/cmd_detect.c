/* cmd_detect.c — `sleuth detect` (issue 12). Placeholder until its implementation lands: says so
 * and exits 2 (usage), so no caller mistakes it for a result. */
#include <stdio.h>

#include "cli.h"

int cmd_detect(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "sleuth detect: not built yet in this checkout\n");
    return 2;
}
