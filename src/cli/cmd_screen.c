/* cmd_screen.c — TEMPORARY: `sleuth exposure` and `sleuth screen` (the screening branch
 * replaces this file). */
#include "cli.h"
int cmd_exposure(int argc, char **argv) { (void)argc; (void)argv; return cli_usage("exposure: not built yet"); }
int cmd_screen(int argc, char **argv) { (void)argc; (void)argv; return cli_usage("screen: not built yet"); }
