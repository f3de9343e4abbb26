/* cmd_info.c — `sleuth info`: its options; the report of what the store holds, chain by
 * chain, as text or one JSON document (docs/JSON.md), is the library's
 * (sleuth/report.h, src/report/info.c). */
#include "cli.h"

int cmd_info(int argc, char **argv)
{
    cli_lookup l;
    int rc = cli_lookup_open(&l, argc, argv, "sleuth info --store DIR [--json]", false, NULL);
    if (rc) return rc > 0 ? EXIT_OK : -rc;
    return cli_report(&l, SL_REPORT_ANY, sl_report_info_text, sl_report_info_json);
}
