/* fuzz_labeljson.c — libFuzzer target for the Etherscan-family label JSON importer
 * (src/knowledge/import_json.c: the whole document through cJSON, one tag per address key,
 * the chain from the file name) by sl_tags_import_mem into a real tag db. That importer is
 * reached only under a scanner's file name, which fuzz_tagpack ("fuzz.yaml") never gives, so
 * the first input byte picks the name: one of the nine scanner prefixes or an unknown one
 * (which must be refused); the rest is the file. Properties: no crash, leak or sanitizer
 * report; a JSON input goes to this importer; a failed import changes nothing and says why;
 * a successful one stores at most one tag per ':' of the text (one per object member).
 * Seeds: fuzz/corpus/labeljson (cuts of tests/data/tags/json, hand-made shapes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/tags.h"
#include "fuzz_tagdb.h"

static const char *const NAMES[] = {
    "etherscan_combinedAllLabels.json", "bscscan_combinedAllLabels.json", "polygonscan_combinedAllLabels.json",
    "arbiscan_combinedAllLabels.json",  "optimism_combinedAllLabels.json", "ftmscan_combinedAllLabels.json",
    "avalanche_combinedAllLabels.json", "snowtrace_combinedAllLabels.json", "basescan_combinedAllLabels.json",
    "combinedAllLabels.json", /* no scanner: refused */
};
#define NNAMES (sizeof NAMES / sizeof *NAMES)

static sl_tags *T;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_tags_import_stats st;
    sl_error e = {0};
    uint64_t n0, s0, n1, s1, colons = 0;
    size_t i = 0;
    if (size < 2) return 0;
    T = fuzz_tagdb_get("labeljson");
    const char *name = NAMES[data[0] % NNAMES], *d = (const char *)data + 1;
    size_t n = size - 1;
    if (n >= 3 && !memcmp(d, "\xef\xbb\xbf", 3)) i = 3;
    while (i < n && i < 512 && (d[i] == ' ' || d[i] == '\n' || d[i] == '\r' || d[i] == '\t')) i++;
    bool json = i < n && i < 512 && d[i] == '{';
    if (sl_tags_count(T, &n0, &s0, &e)) abort();
    int rc = sl_tags_import_mem(T, name, d, n, NULL, &st, &e);
    if (sl_tags_count(T, &n1, &s1, &e)) abort();
    for (size_t k = 0; k < n; k++) colons += d[k] == ':';
    if (json && strcmp(st.kind, "json:etherscan_labels")) abort();
    if (json && data[0] % NNAMES == NNAMES - 1 && !rc) abort();
    if (rc && n1 != n0) abort();
    if (rc && !e.msg[0]) abort();
    if (!rc && json && st.tags > colons) abort();
    return 0;
}
