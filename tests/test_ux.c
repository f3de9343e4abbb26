/* test_ux.c — what a new user trips over, checked through the real `sleuth` binary on the
 * bundled fixtures (tests/data): the version and the help, the source a trace takes, text
 * that fits a 100-column terminal, true dates on Tron, `info` over every chain, one JSON
 * document per command, the Safe verdict of a file with several transactions, and graph
 * exports that carry units, times and status. Suite `ux`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sleuth/store.h"
#include "sleuth/text.h"
#include "sleuth/version.h"

/* The first line of text wider than 100 columns (UTF-8 characters), or NULL. */
static const char *wide_line(const char *text, size_t *width)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p), w = sl_text_width_n(p, n);
        if (w > SL_TEXT_COLS) { *width = w; return p; }
        p += n + (nl != NULL);
    }
    return NULL;
}

/* Asserts every line of a command's stdout fits 100 columns. */
static void assert_fits(const run_result *r, const char *what)
{
    size_t w = 0;
    const char *l = wide_line(r->out, &w);
    if (l) cr_assert_fail("%s: a line of %zu columns: %.*s", what, w, (int)strcspn(l, "\n"), l);
}

Test(ux, version_names_release_and_store_format)
{
    run_result r = run_sleuth("--version");
    char want[64];
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(want, sizeof want, "sleuth %s\n", SLEUTH_VERSION);
    cr_assert_eq(strncmp(r.out, want, strlen(want)), 0, "%s", r.out);
    snprintf(want, sizeof want, "store format %d\n", SL_STORE_VERSION);
    cr_assert(strstr(r.out, want), "%s", r.out);
    run_free(&r);
}

Test(ux, help_explains_policies_sources_and_stop_at)
{
    static const char *const cmd[] = {"--help", "trace --help"};
    static const char *const need[] = {"\n    poison ", "\n    haircut ", "\n    fifo ", "\n    lifo ", "\n    tiho ",
                                       "--stop-at", "nothing is tagged", "ALL the outputs"};
    for (size_t i = 0; i < 2; i++) {
        run_result r = run_sleuth("%s", cmd[i]);
        cr_assert_eq(r.status, 0, "%s", r.err);
        for (size_t k = 0; k < sizeof need / sizeof *need; k++)
            cr_assert(strstr(r.out, need[k]), "`sleuth %s` does not say '%s':\n%s", cmd[i], need[k], r.out);
        assert_fits(&r, cmd[i]);
        run_free(&r);
    }
}
