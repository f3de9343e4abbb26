/* fuzz_thornames.c — libFuzzer target for the THORNames file reader (src/laundering/thornames.c
 * over the YAML tree of knowledge/yaml_tree.c): each input is written to one scratch file
 * (/dev/shm when there is one) and read with sl_thornames_read into a list that already holds
 * one entry. Properties: no crash, leak or sanitizer report; an error is located (its message
 * names the file, or is SL_ENOMEM) and adds nothing (the list keeps its one entry); on success
 * every new entry has a name of THORName syntax in lower case, an upper-case chain of 2 or more
 * letters and digits, an address of printable ASCII without spaces, no (name, chain) twice in
 * the file, and sl_thornames_find finds it again. Seeds: fuzz/corpus/thornames.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_scratch.h"
#include "sleuth/xchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_thornames t = {0};
    sl_error e = {0};
    if (!(t.v = calloc(1, sizeof *t.v))) abort();
    t.n = t.cap = 1;
    snprintf(t.v[0].name, sizeof t.v[0].name, "kept");
    snprintf(t.v[0].chain, sizeof t.v[0].chain, "ZZ");
    const char *path = fuzz_scratch_write("thornames", data, size);
    int rc = sl_thornames_read(path, &t, &e);
    if (rc) {
        if (t.n != 1 || strcmp(t.v[0].name, "kept")) abort();
        if (rc != SL_ENOMEM && !strstr(e.msg, path)) abort();
    }
    for (size_t i = 1; i < t.n; i++) {
        const sl_thorname *x = &t.v[i];
        if (!sl_thorname_syntax(x->name) || strlen(x->chain) < 2 || !x->address[0]) abort();
        for (const char *p = x->name; *p; p++)
            if (isupper((unsigned char)*p)) abort();
        for (const char *p = x->chain; *p; p++)
            if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p)) abort();
        for (const char *p = x->address; *p; p++)
            if (*p <= 0x20 || *p > 0x7e) abort();
        for (size_t k = 1; k < i; k++)
            if (!strcmp(t.v[k].name, x->name) && !strcmp(t.v[k].chain, x->chain)) abort();
        if (sl_thornames_find(&t, x->name, x->chain) != x) abort();
    }
    sl_thornames_free(&t);
    return 0;
}
