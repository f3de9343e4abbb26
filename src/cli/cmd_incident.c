/* cmd_incident.c — `sleuth incident` (issue 12). Placeholder until its implementation lands: says so
 * and exits 2 (usage), so no caller mistakes it for a result. */
#include <stdio.h>

#include "cli.h"

int cmd_incident(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "sleuth incident: not built yet in this checkout\n");
    return 2;
}
