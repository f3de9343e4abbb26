/* fuzz_tagpack.c — libFuzzer target for the tag importers' YAML side (GraphSense TagPacks
 * and ActorPacks, src/knowledge/import_tagpack.c and yaml_tree.c) through the public entry
 * point sl_tags_import_mem, against a real tag db in a scratch folder. Properties: no
 * crash, leak or sanitizer report; an input that fails imports nothing (the db's tag count
 * is what it was before); one that succeeds stores at most as many tags as it has lines.
 * Seeds: fuzz/corpus/tagpack (tests/data/tags packs and the malformed cases).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/tags.h"

static sl_tags *T;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_tags_import_stats st;
    sl_error e = {0};
    uint64_t n0, s0, n1, s1, lines = 1;
    if (!T) {
        char dir[] = "/tmp/sleuth-fuzz-tagsXXXXXX";
        setenv("SLEUTH_DATA", "/nonexistent", 1);
        if (!mkdtemp(dir) || sl_tags_open(&T, dir, SL_TAGS_CREATE, &e)) abort();
    }
    if (sl_tags_count(T, &n0, &s0, &e)) abort();
    int rc = sl_tags_import_mem(T, "fuzz.yaml", (const char *)data, size, NULL, &st, &e);
    if (sl_tags_count(T, &n1, &s1, &e)) abort();
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    /* a failed import changes nothing; the file's earlier import (same name) stays */
    if (rc && n1 != n0) abort();
    if (!rc && st.tags > lines) abort();
    return 0;
}
