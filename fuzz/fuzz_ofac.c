/* fuzz_ofac.c — libFuzzer target for the OFAC SDN advanced XML importer
 * (src/knowledge/import_ofac.c: libxml2's streaming reader, plain and through libbz2) by
 * the public entry point sl_tags_import_mem, against a real tag db in a scratch folder
 * (fuzz_tagdb.h).
 * Each input is imported three ways when it reads as XML (its first non-blank byte is '<';
 * other inputs are left to fuzz_tagpack and fuzz_tagcsv):
 *   1. as it is (the plain XML path);
 *   2. bzip2-compressed by the harness: the .bz2 path must give the same result (status
 *      and number of tags) as the plain one;
 *   3. that bzip2 stream cut short by 1 to 64 bytes (picked from the input): it must fail
 *      (the stream ends early) and change nothing.
 * Properties besides: no crash, leak or sanitizer report; a failed import leaves the db's
 * tag count as it was; a successful one stores at most one tag per "Feature" in the text.
 * Seeds: fuzz/corpus/ofac (SDN excerpts cut from tests/data/tags/ofac/sdn_advanced_*.xml.bz2).
 */
#include <bzlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/tags.h"
#include "sleuth/util.h"
#include "fuzz_tagdb.h"

static sl_tags *T;

static uint64_t count(const uint8_t *d, size_t n, const char *s)
{
    size_t l = strlen(s);
    uint64_t c = 0;
    for (size_t i = 0; i + l <= n; i++) c += !memcmp(d + i, s, l);
    return c;
}

/* Imports d as name; checks the invariants shared by every way. */
static int import(const char *d, size_t n, uint64_t max_tags, sl_tags_import_stats *st)
{
    sl_error e = {0};
    uint64_t n0, s0, n1, s1;
    if (sl_tags_count(T, &n0, &s0, &e)) abort();
    int rc = sl_tags_import_mem(T, "fuzz.xml", d, n, NULL, st, &e);
    if (sl_tags_count(T, &n1, &s1, &e)) abort();
    if (rc && n1 != n0) abort();                   /* a failed import changes nothing */
    if (rc && !e.msg[0]) abort();                  /* and says why */
    if (!rc && st->tags > max_tags) abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_tags_import_stats st, sb;
    size_t i = 0;
    T = fuzz_tagdb_get("ofac");
    if (size >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf) i = 3;
    while (i < size && i < 512 && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) i++;
    if (i >= size || i >= 512 || data[i] != '<') return 0;

    uint64_t max_tags = count(data, size, "Feature");
    int rc = import((const char *)data, size, max_tags, &st);
    if (strcmp(st.kind, "ofac-sdn-xml")) abort();

    /* the same document through libbz2 */
    unsigned int bl = (unsigned int)(size + size / 100 + 600);
    char *bz = malloc(bl);
    if (!bz) return 0;
    if (BZ2_bzBuffToBuffCompress(bz, &bl, (char *)data, (unsigned int)size, 1, 0, 0) != BZ_OK) abort();
    int rb = import(bz, bl, max_tags, &sb);
    if ((rb == 0) != (rc == 0) || (!rc && sb.tags != st.tags)) {
        fprintf(stderr, "plain: rc %d, %llu tags; bzip2: rc %d, %llu tags\n", rc, (unsigned long long)st.tags, rb,
                (unsigned long long)sb.tags);
        abort();
    }
    /* cut short: the bzip2 stream ends early, so the import must fail */
    size_t cut = 1 + data[size / 2] % 64;
    if (cut + 4 <= bl && import(bz, bl - cut, max_tags, &sb) == 0) {
        fprintf(stderr, "a bzip2 stream cut by %zu bytes imported\n", cut);
        abort();
    }
    free(bz);
    return 0;
}
