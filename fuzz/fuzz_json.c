/* fuzz_json.c — libFuzzer target for sleuth's strict JSON entry point (sleuth/json.h), the
 * one every JSON input goes through. The input is read three ways and the answers must
 * agree with a plain reference:
 *   - sl_json_parse: succeeds exactly when cJSON reads one value followed by whitespace
 *     only and no object in it repeats a key (checked here by a naive pairwise search);
 *     a refusal names "duplicate key" exactly when the reference finds a repeat;
 *   - sl_json_seq over the same bytes: the documents it returns, each key-checked;
 *   - sl_json_first_repeat on the keys of the first object, against the naive search.
 * Any crash, leak, sanitizer report or disagreement aborts. Seeds: fuzz/corpus/json.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/json.h"

/* Reference: does any object under v repeat a key? (recursive and quadratic: fine for the
 * fuzzer's small inputs, and independent of the iterative walk it checks) */
static bool naive_dup(const cJSON *v, int depth)
{
    if (depth > CJSON_NESTING_LIMIT + 1) abort();
    for (const cJSON *a = v->child; a; a = a->next) {
        if (cJSON_IsObject(v))
            for (const cJSON *b = a->next; b; b = b->next)
                if (!strcmp(a->string, b->string)) return true;
        if (naive_dup(a, depth + 1)) return true;
    }
    return false;
}

static bool only_ws(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1); /* exact size: ASan sees any overread */
    const char *end = NULL;
    cJSON *ref, *got = NULL;
    sl_error e = {0};
    sl_json_seq seq;
    int rc;
    if (!copy) return 0;
    memcpy(copy, data, size);

    ref = cJSON_ParseWithLengthOpts(copy, size, &end, false);
    rc = sl_json_parse(&got, copy, size, "fuzz.json", &e);
    if (rc == SL_OK) {
        if (!got || !ref || !only_ws(end, copy + size) || naive_dup(ref, 0)) abort();
    } else {
        bool dup = strstr(e.msg, "duplicate key") != NULL;
        if (got || !e.msg[0] || (rc != SL_ECORRUPT && rc != SL_ENOMEM)) abort();
        if (rc == SL_ECORRUPT && ref && only_ws(end, copy + size) && (!dup || !naive_dup(ref, 0))) abort();
        if (dup && (!ref || !naive_dup(ref, 0))) abort();
    }
    cJSON_Delete(got);

    /* the first object's keys through sl_json_first_repeat */
    if (ref && cJSON_IsObject(ref)) {
        const char *keys[64];
        size_t n = 0, f, a, nf = 0, na = 0;
        for (const cJSON *c = ref->child; c && n < 64; c = c->next) keys[n++] = c->string;
        na = n;
        for (size_t j = 1; j < n && na == n; j++)
            for (size_t i = 0; i < j; i++)
                if (!strcmp(keys[i], keys[j])) { nf = i, na = j; break; }
        if (sl_json_first_repeat(keys, n, &f, &a) == SL_OK && (a != na || (a < n && f != nf))) abort();
    }
    cJSON_Delete(ref);

    /* as a sequence of documents */
    sl_json_seq_init(&seq, NULL, copy, size);
    for (int docs = 0;; docs++) {
        cJSON *d = NULL;
        sl_error se = {0};
        if (sl_json_seq_next(&seq, &d, &se) != SL_OK) {
            if (d || !se.msg[0]) abort();
            break;
        }
        if (!d) break;
        if (naive_dup(d, 0) || seq.path[0] != '$') abort();
        cJSON_Delete(d);
        if (docs > (int)size) abort(); /* every document takes at least one byte */
    }
    free(copy);
    return 0;
}
