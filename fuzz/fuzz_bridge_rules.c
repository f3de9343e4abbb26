/* fuzz_bridge_rules.c — libFuzzer target for the bridge pairing rules reader
 * (src/laundering/bridges.c over the YAML tree of knowledge/yaml_tree.c): each input is
 * written to one scratch file (/dev/shm when there is one) and read with
 * sl_bridge_rules_read into a list that already holds one rule. Properties: no crash, leak
 * or sanitizer report; an error is located (its message names the file, or is SL_ENOMEM)
 * and adds nothing (the list keeps its one rule); on success every new rule has a name,
 * both chains and addresses, a fee of at most 10000 bps and a window of at most a year.
 * Seeds: fuzz/corpus/bridge_rules (tests/data/bridge/rules.yaml and small shapes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_scratch.h"
#include "sleuth/xchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_bridge_rules r = {0};
    sl_error e = {0};
    if (!(r.v = calloc(1, sizeof *r.v))) abort();
    r.n = r.cap = 1;
    snprintf(r.v[0].name, sizeof r.v[0].name, "kept");
    const char *path = fuzz_scratch_write("bridges", data, size);
    int rc = sl_bridge_rules_read(path, &r, &e);
    if (rc) {
        if (r.n != 1 || strcmp(r.v[0].name, "kept")) abort();
        if (rc != SL_ENOMEM && !strstr(e.msg, path)) abort();
    }
    for (size_t i = 1; i < r.n; i++) {
        const sl_bridge_rule *x = &r.v[i];
        if (!x->name[0] || !x->from_chain[0] || !x->to_chain[0] || !x->from_address[0] || !x->to_address[0]) abort();
        if (x->max_fee_bps > 10000 || x->window_s > 366ull * 86400) abort();
    }
    sl_bridge_rules_free(&r);
    return 0;
}
