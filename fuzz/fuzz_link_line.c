/* fuzz_link_line.c — libFuzzer target for the line parser of `sleuth link @FILE` address
 * lists (sl_link_parse_line, src/knowledge/link.c). The input is cut into lines at LF (at
 * most 511 bytes, up to a NUL: the CLI refuses longer lines and NUL bytes), each copied
 * into an exactly-sized heap buffer (so ASan sees any read past its NUL) and parsed.
 * Properties: no crash or sanitizer report; a line without an address is blank or a
 * comment (nothing but blanks before the first '#', CR or LF: the line's end); the fields
 * lie inside the line before its end, hold no separator (blank, tab, CR, LF, comma) and no
 * '#', and the chain comes before the address; the address is empty only when the line
 * holds separators only, and then no chain is named; printing the fields back as
 * "chain,address" (or "address") and parsing that gives the same fields.
 * Seeds: fuzz/corpus/link_line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/link.h"

static bool clean(const char *s) { return !s[strcspn(s, " \t\r\n,#")]; }

static void one(const char *text, size_t n)
{
    char *line = malloc(n + 1), *copy = malloc(n + 1), *again = malloc(2 * n + 4);
    const char *c, *a, *c2, *a2;
    if (!line || !copy || !again) abort();
    memcpy(line, text, n);
    line[n] = 0;
    memcpy(copy, line, n + 1);
    bool has = sl_link_parse_line(line, &c, &a);
    size_t pre = strcspn(copy, "#\r\n"); /* the line ends at a comment, CR or LF */
    if (!has) {
        if (strspn(copy, " \t") < pre) abort();
        goto done;
    }
    if (a < line || a > line + n || (c && (c < line || c >= a))) abort();
    if (!clean(a) || (c && !clean(c))) abort();
    if (a + strlen(a) > line + pre || (c && c + strlen(c) > line + pre)) abort();
    if (!*a && c) abort();
    if (!*a && strspn(copy, " \t,") < pre) abort();
    if (!*a) goto done;
    snprintf(again, 2 * n + 4, "%s%s%s\n", c ? c : "", c ? "," : "", a);
    if (!sl_link_parse_line(again, &c2, &a2) || strcmp(a, a2) || !c != !c2 || (c && strcmp(c, c2))) abort();
done:
    free(line), free(copy), free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (n > 511) n = 511;
        /* the CLI refuses a line with a NUL; up to it is what a C string holds */
        const char *z = memchr(p, 0, n);
        one(p, z ? (size_t)(z - p) : n);
        p += n;
    }
    return 0;
}
