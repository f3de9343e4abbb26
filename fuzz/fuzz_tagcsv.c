/* fuzz_tagcsv.c — libFuzzer target for the label-CSV importer (src/knowledge/import_csv.c):
 * the first input byte picks one of five headers (the four known shapes and one read by column names), the rest is the body, imported
 * with sl_tags_import_mem into a real tag db with a small line cap (4 KiB, so the cap's path
 * is reached). Properties: no crash, leak or sanitizer report; a failed import changes
 * nothing; a successful one stores at most one tag per line. Seeds: fuzz/corpus/tagcsv.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/tags.h"
#include "sleuth/util.h"

static const char *const HEADERS[] = {
    "chain,address,category,label,actor,dprk_related,confidence,source_file\n",
    "chain,address,name_tag,etherscan_labels,category\n",
    "chain,address,label,name_tag\n",
    "asset,address,sdn_uid,sdn_name,party_subtype,programs,listing_date,aliases,status\n",
    "chain,address,role,label,in_fbi_psa_250226,actor,incident,sources\n", /* by column names */
};

static sl_tags *T;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_tags_import_stats st;
    sl_tags_import_opts o = {.max_line = 4096};
    sl_error e = {0};
    uint64_t n0, s0, n1, s1, lines = 1;
    char *buf;
    size_t hl;
    if (!size) return 0;
    if (!T) {
        char dir[] = "/tmp/sleuth-fuzz-tagcsvXXXXXX";
        setenv("SLEUTH_DATA", "/nonexistent", 1);
        if (!mkdtemp(dir) || sl_tags_open(&T, dir, SL_TAGS_CREATE, &e)) abort();
    }
    const char *h = HEADERS[data[0] % 5];
    hl = strlen(h);
    if (!(buf = sl_malloc(hl + size))) return 0;
    memcpy(buf, h, hl);
    memcpy(buf + hl, data + 1, size - 1);
    if (sl_tags_count(T, &n0, &s0, &e)) abort();
    int rc = sl_tags_import_mem(T, "fuzz.csv", buf, hl + size - 1, &o, &st, &e);
    if (sl_tags_count(T, &n1, &s1, &e)) abort();
    for (size_t i = 0; i < hl + size - 1; i++) lines += buf[i] == '\n';
    if (rc && n1 != n0) abort();
    if (!rc && st.tags > lines) abort();
    sl_free(buf);
    return 0;
}
