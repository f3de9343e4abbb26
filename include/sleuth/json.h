/* json.h — the one way sleuth reads JSON: cJSON's parser, then a check that no object
 * repeats a key. JSON leaves duplicate keys undefined and parsers disagree (cJSON's look-up
 * returns the first, JavaScript and Python keep the last), so a document with
 * {"operation": 0, "operation": 1} means one thing to sleuth and another to a wallet. Every
 * JSON input sleuth verifies or ingests goes through here, and a repeated key is an error
 * naming the key's JSON path ("$.results[0].operation: duplicate key ...").
 *
 * Cost: linear in the input (the key check sorts each object's keys, O(k log k) for k
 * keys) and iterative, so neither wide nor deep documents can make it slow or overflow
 * the stack; depth is bounded by cJSON's nesting limit (CJSON_NESTING_LIMIT, 1000).
 *
 * Threads: the functions keep no state of their own; they are as thread-safe as cJSON's
 * parser (which writes a global error pointer that sleuth never reads).
 */
#ifndef SLEUTH_JSON_H
#define SLEUTH_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "sleuth/err.h"

/* Parses text[0..len) as exactly one JSON value (whitespace may follow, nothing else) and
 * checks that no object in it repeats a key. name (a file name, or NULL for none) starts
 * every message. On success *out is the tree, owned by the caller (cJSON_Delete).
 * Errors (then *out is NULL): SL_ECORRUPT "name: byte offset N: malformed JSON",
 * "name: byte offset N: text after the JSON value", or the duplicate-key message of
 * sl_json_check_keys; SL_ENOMEM. */
int sl_json_parse(cJSON **out, const char *text, size_t len, const char *name, sl_error *e) SL_MUST_USE;

/* Checks the tree under v (iteratively) for an object that repeats a key, comparing keys
 * byte for byte as cJSON decoded them. path names v ("$"; NULL means "$"), name as above.
 * Error: SL_ECORRUPT "name: $.a[2].key: duplicate key (members 3 and 7 of the object;
 * JSON parsers disagree on which one counts)", the earliest repeat in document order;
 * SL_ENOMEM. v is not modified. */
int sl_json_check_keys(const cJSON *v, const char *name, const char *path, sl_error *e) SL_MUST_USE;

/* Finds the earliest repeat among n strings (the one whose second occurrence comes
 * first): returns SL_OK and sets *first < *again to its two positions, or *again to n
 * when all differ; SL_ENOMEM. O(n log n) string comparisons; keys are not modified. Used
 * for anything keyed by name that is not a cJSON object (CSV headers). */
int sl_json_first_repeat(const char *const *keys, size_t n, size_t *first, size_t *again) SL_MUST_USE;

/* A JSON text sequence: one value or several one after another (JSON lines, or values
 * simply concatenated), read one document at a time with sl_json_seq_next. The text is
 * borrowed and must outlive the sequence. */
typedef struct sl_json_seq {
    const char *name;  /* starts messages (may be NULL) */
    const char *note;  /* NULL, or appended to syntax-error messages ("offsets after ...") */
    char path[32];     /* after a read: the document's JSON path, "$" for a lone document,
                          "$<doc 3>" when there are several (1-based) */
    /* private */
    const char *base, *p, *end;
    int doc;
} sl_json_seq;

/* Starts reading text[0..len); name as for sl_json_parse. */
void sl_json_seq_init(sl_json_seq *s, const char *name, const char *text, size_t len);
/* Reads the next document into *out (owned by the caller) with s->path naming it, after
 * the duplicate-key check. At the end (only whitespace left) returns SL_OK with *out NULL.
 * Errors as sl_json_parse, with byte offsets counted from the start of the text; after an
 * error the sequence must not be read further. */
int sl_json_seq_next(sl_json_seq *s, cJSON **out, sl_error *e) SL_MUST_USE;

#endif
