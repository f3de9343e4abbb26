/* cmd_watch.c — TEMPORARY: `sleuth watch`, `watchlist`, `alerts` (the watch branch
 * replaces this file). */
#include "cli.h"
int cmd_watch(int argc, char **argv) { (void)argc; (void)argv; return cli_usage("watch: not built yet"); }
int cmd_watchlist(int argc, char **argv) { (void)argc; (void)argv; return cli_usage("watchlist: not built yet"); }
int cmd_alerts(int argc, char **argv) { (void)argc; (void)argv; return cli_usage("alerts: not built yet"); }
