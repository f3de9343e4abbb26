/* json.c — strict JSON reading for every input (include/sleuth/json.h): cJSON parses, then
 * an iterative walk refuses any object that repeats a key and names the key's JSON path.
 *
 * The walk keeps its own stack of (container, child being visited) frames, so the path of
 * a repeated key is rebuilt from the stack only when there is one to report; nothing is
 * formatted on the way. Objects of up to HASHED keys (records have a few dozen) go through a
 * small table on the stack; larger ones are sorted by key, so an object with 100k keys costs
 * O(k log k), not O(k^2), and no choice of keys can make the table slow.
 */
#include "sleuth/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/util.h"

#define HASHED 64    /* objects with at most this many keys are checked through a hash table */
#define KEY_SHOWN 64 /* bytes of a key shown in a path */

typedef struct kv {
    const char *k;
    size_t i;
} kv;

static int cmp_kv(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The earliest repeat among kvs[0..n) (sorted in place): *again = n when none. */
static void repeat_sorted(kv *kvs, size_t n, size_t *first, size_t *again)
{
    *first = *again = n;
    qsort(kvs, n, sizeof *kvs, cmp_kv);
    for (size_t j = 1; j < n; j++)
        /* in a run of equal keys the first two entries are the first two occurrences */
        if (!strcmp(kvs[j - 1].k, kvs[j].k) && (j < 2 || strcmp(kvs[j - 2].k, kvs[j].k)) && kvs[j].i < *again)
            *first = kvs[j - 1].i, *again = kvs[j].i;
}

int sl_json_first_repeat(const char *const *keys, size_t n, size_t *first, size_t *again)
{
    kv *kvs;
    *first = *again = n;
    if (n < 2) return SL_OK;
    if (n > SIZE_MAX / sizeof *kvs || !(kvs = sl_realloc(NULL, n * sizeof *kvs))) return SL_ENOMEM;
    for (size_t i = 0; i < n; i++) kvs[i].k = keys[i], kvs[i].i = i;
    repeat_sorted(kvs, n, first, again);
    sl_free(kvs);
    return SL_OK;
}

/* ---------- messages ---------- */
typedef struct frame {
    const cJSON *node, *cur; /* container, and the child being visited (NULL: none yet) */
    size_t idx;              /* cur's position */
} frame;

/* A bounded string being built: appends stop at cap - 1 bytes and remember they did. */
typedef struct text {
    char *p;
    size_t len, cap;
    bool cut;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->len + n > t->cap - 1) n = t->cap - 1 - t->len, t->cut = true;
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

/* .key for identifier-like keys, otherwise ["key"] with JSON escapes (control bytes as
 * \u00XX, so a hostile key cannot drive a terminal), cut with "..." past KEY_SHOWN bytes. */
static void put_key(text *t, const char *k)
{
    size_t n = strlen(k), shown = n < KEY_SHOWN ? n : KEY_SHOWN;
    bool ident = n > 0 && n <= KEY_SHOWN && !(k[0] >= '0' && k[0] <= '9');
    for (size_t i = 0; i < n && ident; i++)
        ident = (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') ||
                k[i] == '_' || k[i] == '$';
    if (ident) {
        put(t, ".", 1);
        put(t, k, n);
        return;
    }
    put(t, "[\"", 2);
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)k[i];
        char esc[8];
        if (c == '"' || c == '\\') esc[0] = '\\', esc[1] = (char)c, put(t, esc, 2);
        else if (c < 0x20 || c == 0x7f) snprintf(esc, sizeof esc, "\\u%04x", c), put(t, esc, 6);
        else put(t, (const char *)&c, 1);
    }
    if (shown < n) put(t, "...", 3);
    put(t, "\"]", 2);
}

/* "name: $.a[2].key: duplicate key (...)". A path too long to show is cut in the middle:
 * its start, "...", then always the repeated key itself. */
static int dup_error(sl_error *e, const char *name, const char *root, const frame *st, size_t top, const char *key,
                     size_t first, size_t again)
{
    char buf[440];
    text t = {buf, 0, 200, false}; /* the ancestors get 200 bytes, the key the rest */
    buf[0] = 0;
    put(&t, root, strlen(root));
    for (size_t i = 0; i < top && !t.cut; i++) {
        if (cJSON_IsObject(st[i].node)) {
            put_key(&t, st[i].cur->string ? st[i].cur->string : "");
        } else {
            char ix[24];
            snprintf(ix, sizeof ix, "[%zu]", st[i].idx);
            put(&t, ix, strlen(ix));
        }
    }
    t.cap = sizeof buf;
    if (t.cut) put(&t, "...", 3);
    put_key(&t, key);
    sl_err_file(e, name);
    sl_err_path(e, buf);
    return sl_err(e, SL_ECORRUPT, "%s%s%s: duplicate key (members %zu and %zu of the object; JSON parsers disagree "
                  "on which one counts)", name ? name : "", name ? ": " : "", buf, first + 1, again + 1);
}

/* ---------- the walk ---------- */
static bool container(const cJSON *v) { return (cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child; }

/* FNV-1a: small objects only (at most HASHED keys), so a flood of colliding keys costs
 * HASHED^2 comparisons at worst, and needs no seed. */
static uint64_t key_hash(const char *k)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *k; k++) h = (h ^ (unsigned char)*k) * 0x100000001b3ULL;
    return h;
}

/* The earliest repeated key of object o: *again = SIZE_MAX when none. Objects of up to
 * HASHED keys (nearly all records) use a table on the stack; larger ones are sorted in
 * *scratch. */
static int object_repeat(const cJSON *o, kv **scratch, size_t *cap, size_t *first, size_t *again, const char **key)
{
    size_t n = 0, i = 0;
    const cJSON *c;
    *first = *again = SIZE_MAX;
    for (c = o->child; c; c = c->next) n++;
    if (n < 2) return SL_OK;
    if (n <= HASHED) {
        uint8_t slot[2 * HASHED]; /* key index + 1, 0 = empty */
        uint64_t hs[HASHED];
        const char *ks[HASHED];
        memset(slot, 0, sizeof slot);
        for (c = o->child; c; c = c->next, i++) {
            const char *k = c->string ? c->string : "";
            uint64_t h = key_hash(k);
            size_t at = (size_t)h & (2 * HASHED - 1);
            for (; slot[at]; at = (at + 1) & (2 * HASHED - 1)) {
                size_t j = slot[at] - 1u;
                if (hs[j] == h && !strcmp(ks[j], k)) {
                    *first = j, *again = i, *key = k;
                    return SL_OK;
                }
            }
            slot[at] = (uint8_t)(i + 1);
            hs[i] = h, ks[i] = k;
        }
        return SL_OK;
    }
    {
        void *q = *scratch;
        if (sl_grow(&q, cap, n, sizeof **scratch)) return SL_ENOMEM;
        *scratch = q;
        for (c = o->child; c; c = c->next, i++) (*scratch)[i].k = c->string ? c->string : "", (*scratch)[i].i = i;
        repeat_sorted(*scratch, n, first, again);
        if (*again == n) {
            *first = *again = SIZE_MAX;
        } else {
            for (c = o->child, i = 0; i < *again; i++) c = c->next;
            *key = c->string;
        }
    }
    return SL_OK;
}

int sl_json_check_keys(const cJSON *v, const char *name, const char *path, sl_error *e)
{
    frame *st = NULL;
    kv *scratch = NULL;
    size_t cap = 0, scap = 0, top = 0, first, again;
    const char *key = NULL;
    int rc = SL_OK;
    const cJSON *next = container(v) ? v : NULL; /* the container to enter */
    if (!path) path = "$";
    while (next || top) {
        if (next) {
            void *q = st;
            if (cJSON_IsObject(next)) {
                if ((rc = object_repeat(next, &scratch, &scap, &first, &again, &key))) break;
                if (again != SIZE_MAX) {
                    rc = dup_error(e, name, path, st, top, key ? key : "", first, again);
                    break;
                }
            }
            if (sl_grow(&q, &cap, top + 1, sizeof *st)) { rc = SL_ENOMEM; break; }
            st = q;
            st[top].node = next, st[top].cur = NULL, st[top].idx = 0;
            top++;
            next = NULL;
        }
        {
            frame *f = &st[top - 1];
            const cJSON *c = f->cur ? f->cur->next : f->node->child;
            if (!c) { top--; continue; }
            if (f->cur) f->idx++;
            f->cur = c;
            if (container(c)) next = c;
        }
    }
    if (rc == SL_ENOMEM) sl_err(e, SL_ENOMEM, "%s%sout of memory", name ? name : "", name ? ": " : "");
    sl_free(st);
    sl_free(scratch);
    return rc;
}

/* ---------- parsing ---------- */
static bool ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* One value from *pp (after whitespace), leaving *pp after it and the whitespace that
 * follows; *out NULL with SL_OK when only whitespace is left. */
static int read_value(cJSON **out, const char *base, const char **pp, const char *end, const char *name,
                      const char *note, sl_error *e)
{
    const char *p = *pp, *ret = NULL;
    uint64_t fails;
    *out = NULL;
    while (p < end && ws(*p)) p++;
    *pp = p;
    if (p >= end) return SL_OK;
    fails = sl_alloc_failures();
    *out = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &ret, false);
    if (!*out) {
        size_t off = (size_t)((ret && ret >= p && ret <= end ? ret : p) - base);
        /* cJSON says NULL for running out of memory too: that is no fault of the input */
        if (sl_alloc_failures() != fails)
            return sl_err(e, SL_ENOMEM, "%s%sout of memory parsing the JSON at byte offset %zu", name ? name : "",
                          name ? ": " : "", off);
        sl_err_file(e, name);
        sl_err_offset(e, off);
        return sl_err(e, SL_ECORRUPT, "%s%sbyte offset %zu: malformed JSON%s%s", name ? name : "", name ? ": " : "", off,
                      note ? " " : "", note ? note : "");
    }
    while (ret < end && ws(*ret)) ret++;
    *pp = ret;
    return SL_OK;
}

int sl_json_parse(cJSON **out, const char *text, size_t len, const char *name, sl_error *e)
{
    const char *p = text, *end = text + len;
    int rc = read_value(out, text, &p, end, name, NULL, e);
    if (rc) return rc;
    if (!*out) return sl_err(e, SL_ECORRUPT, "%s%sbyte offset %zu: no JSON value", name ? name : "", name ? ": " : "", len);
    if (p < end)
        rc = sl_err(e, SL_ECORRUPT, "%s%sbyte offset %zu: text after the JSON value", name ? name : "", name ? ": " : "",
                    (size_t)(p - text));
    else
        rc = sl_json_check_keys(*out, name, "$", e);
    if (rc) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return rc;
}

void sl_json_seq_init(sl_json_seq *s, const char *name, const char *text, size_t len)
{
    memset(s, 0, sizeof *s);
    s->name = name;
    s->base = s->p = text;
    s->end = text + len;
    strcpy(s->path, "$");
}

int sl_json_seq_next(sl_json_seq *s, cJSON **out, sl_error *e)
{
    int rc = read_value(out, s->base, &s->p, s->end, s->name, s->note, e);
    if (rc || !*out) return rc;
    /* a lone document is "$"; one of several is named by its number */
    if (s->doc > 0 || s->p < s->end) snprintf(s->path, sizeof s->path, "$<doc %d>", s->doc + 1);
    else strcpy(s->path, "$");
    s->doc++;
    if ((rc = sl_json_check_keys(*out, s->name, s->path, e))) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return rc;
}
