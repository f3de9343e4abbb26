/* cmd_serve.c — TEMPORARY: `sleuth serve`, `sleuth token` (the server branch replaces
 * this file). */
#include "cli.h"
int cmd_serve(int argc, char **argv) { (void)argc; (void)argv; return cli_usage("serve: not built yet"); }
int cmd_token(int argc, char **argv) { (void)argc; (void)argv; return cli_usage("token: not built yet"); }
