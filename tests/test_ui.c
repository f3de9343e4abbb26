/* test_ui.c — the web UI's browser end-to-end test (issue 14) inside `make test`: runs
 * `node tests/ui/e2e.mjs` (Debian's chromium driven by playwright-core against `sleuth serve`
 * on 127.0.0.1 with the store of tests/ui/fixture.sh) and asserts it passes. The test itself,
 * its steps and what each compares with the API are described in tests/ui/e2e.mjs; its
 * screenshots and the server's log land in build/test-ui/.
 *
 * On a machine without node, the UI's node modules, /usr/bin/chromium or a built UI
 * (build/web/index.html, `make web`), the test is skipped with a message naming what is
 * missing, so `make test` passes there; .ci/run installs all of them, so CI runs it. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The last n bytes of s (the end of a long log says what failed). */
static const char *tail(const char *s, size_t n)
{
    size_t len = s ? strlen(s) : 0;
    return len > n ? s + len - n : (s ? s : "");
}

Test(ui, browser_end_to_end, .timeout = 900)
{
    run_result nodev = run_sh("command -v node");
    bool have_node = nodev.status == 0;
    run_free(&nodev);
    const char *lack = !have_node ? "node (apt-get install nodejs npm)"
                       : access("web/node_modules/playwright-core/index.mjs", R_OK) != 0
                           ? "web/node_modules/playwright-core (cd web && npm ci, or make web)"
                       : access("/usr/bin/chromium", X_OK) != 0 ? "/usr/bin/chromium (apt-get install chromium)"
                       : access("build/web/index.html", R_OK) != 0 ? "build/web/index.html (make web)"
                                                                   : NULL;
    if (lack) {
        cr_skip_test("the web UI's browser test needs %s; skipped", lack);
        return;
    }
    run_result r = run_sh("env -u SLEUTH_UI_ONLY SLEUTH_BIN='%s' node tests/ui/e2e.mjs 2>&1", sleuth_bin());
    if (r.status == 77) {
        static char why[512];
        snprintf(why, sizeof why, "%s", tail(r.out, 400));
        run_free(&r);
        cr_skip_test("%s", why);
        return;
    }
    cr_assert_eq(r.status, 0, "node tests/ui/e2e.mjs exited %d; its output ends:\n%s", r.status, tail(r.out, 3000));
    cr_assert(strstr(r.out, "PASS:"), "tests/ui/e2e.mjs exited 0 without its PASS line:\n%s", tail(r.out, 3000));
    run_free(&r);
}

/* The trace view's model (web/src/trace/model.js: the graph built from the API's answer,
 * hops, collapsed hubs, the Sankey's columns) under node's own test runner: no browser. */
Test(ui, trace_model_units, .timeout = 120)
{
    run_result nodev = run_sh("command -v node");
    bool have_node = nodev.status == 0;
    run_free(&nodev);
    if (!have_node || access("web/node_modules/graphology", R_OK) != 0) {
        cr_skip_test("the trace view's unit tests need node and web/node_modules (make web); skipped");
        return;
    }
    run_result r = run_sh("cd web && node --test test/ 2>&1");
    cr_assert_eq(r.status, 0, "node --test web/test exited %d:\n%s", r.status, tail(r.out, 3000));
    cr_assert(strstr(r.out, "# fail 0"), "no '# fail 0' in:\n%s", tail(r.out, 3000));
    run_free(&r);
}
