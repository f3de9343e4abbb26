/* fuzz_screen_rules.c — libFuzzer target for the screening rules parser (src/screen/rules.c
 * over the YAML tree of knowledge/yaml_tree.c): each input is parsed from memory with
 * sl_rules_parse. Properties: no crash, leak or sanitizer report; an error is SL_ECORRUPT
 * (or SL_ENOMEM) with a message that names the input and leaves no rules; on success every
 * rule has a level in range, at least one category, a direction and an exposure kind, and
 * shares and amounts in range.
 * Seeds: fuzz/corpus/screen_rules (data/screen/rules.yaml and small shapes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "screen/screen_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_rules r;
    sl_error e = {0};
    int rc = sl_rules_parse(&r, "fuzz.yaml", (const char *)data, size, &e);
    if (rc) {
        if (rc != SL_ECORRUPT && rc != SL_ENOMEM) abort();
        if (r.n || r.v || (rc == SL_ECORRUPT && !strstr(e.msg, "fuzz.yaml"))) abort();
        return 0;
    }
    for (size_t i = 0; i < r.n; i++) {
        const sl_rule *x = &r.v[i];
        if (x->level < SL_LEVEL_NONE || x->level > SL_LEVEL_SEVERE || !x->cats || !x->dirs || !x->exposure) abort();
        if (!(x->min_share >= 0 && x->min_share <= 1) || !(x->min_amount >= 0) || x->max_hops > 255) abort();
    }
    sl_rules_free(&r);
    return 0;
}
