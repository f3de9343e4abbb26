/* eth_ingest.c — Ethereum-family ingest: files and folders (JSON-RPC responses, JSON
 * lines, ethereum-etl / GraphSense exports in JSON or CSV, .zst compressed), and a live
 * node's JSON-RPC over HTTP (libcurl) for a block range.
 *
 * Order of work, as for Bitcoin: (1) read and parse every input into typed records;
 * (2) merge them and derive the flows, checking that the records agree; (3) only then
 * write the blocks not yet stored, committing every batch. Any error before (3) leaves
 * the store as it was; (3) is crash-safe per batch.
 *
 * Live ingest asks for each block: eth_getBlockByNumber (full transactions); receipts by
 * eth_getBlockReceipts, else eth_getTransactionReceipt per transaction; traces by
 * trace_block, else debug_traceBlockByNumber with callTracer, else (ganache)
 * debug_traceTransaction's opcode-level structLogs, from which the value-carrying CALL,
 * CALLCODE, CREATE and CREATE2 steps and their success are recovered. The methods a node
 * lacks are detected on the first block and not asked again. Every answer is read strictly
 * (sleuth/json.h): malformed JSON or a key given twice is an error, not a missing method.
 */
#include "sleuth/ingest.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sleuth/eth_store.h"
#include "sleuth/json.h"
#include "sleuth/util.h"

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int parse_file(sl_eth_set *set, const char *path, sl_error *e)
{
    sl_file f;
    int rc = sl_file_open(&f, path, e);
    char base[PATH_MAX];
    if (rc) return rc;
    snprintf(base, sizeof base, "%s", path);
    if (ends_with(base, ".zst")) base[strlen(base) - 4] = 0;
    if (ends_with(base, ".csv")) rc = sl_eth_parse_csv(set, path, (const char *)f.data, f.len, e);
    else rc = sl_eth_parse_json(set, path, (const char *)f.data, f.len, e);
    sl_file_close(&f);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool wanted(const char *name)
{
    char b[NAME_MAX + 1];
    snprintf(b, sizeof b, "%s", name);
    if (ends_with(b, ".zst")) b[strlen(b) - 4] = 0;
    return ends_with(b, ".json") || ends_with(b, ".jsonl") || ends_with(b, ".ndjson") || ends_with(b, ".csv");
}

/* A folder: every .json/.jsonl/.csv (optionally .zst) file below it, in name order. */
static int parse_dir(sl_eth_set *set, const char *dir, int depth, uint64_t *files, sl_error *e)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = SL_OK;
    if (!d) return sl_err(e, SL_EIO, "%s: cannot open folder: %s", dir, strerror(errno));
    if (depth > 8) { closedir(d); return sl_err(e, SL_EUSAGE, "%s: folders nested too deeply", dir); }
    while ((de = readdir(d))) {
        void *q = names;
        if (de->d_name[0] == '.') continue;
        if (sl_grow(&q, &cap, n + 1, sizeof *names)) { rc = sl_err(e, SL_ENOMEM, "out of memory"); break; }
        names = q;
        if (!(names[n] = malloc(strlen(dir) + strlen(de->d_name) + 2))) { rc = sl_err(e, SL_ENOMEM, "out of memory"); break; }
        sprintf(names[n++], "%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (!rc) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && !rc; i++) {
        struct stat st;
        const char *b = strrchr(names[i], '/') + 1;
        if (stat(names[i], &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) rc = parse_dir(set, names[i], depth + 1, files, e);
        else if (S_ISREG(st.st_mode) && wanted(b)) { (*files)++; rc = parse_file(set, names[i], e); }
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

/* Writes the model's blocks that are not stored yet. */
static int write_model(sl_store *s, const sl_eth_set *set, const sl_eth_model *m, const sl_eth_ingest_opts *o,
                       sl_eth_ingest_report *r, sl_error *e)
{
    sl_eth_chain *c;
    int rc;
    uint64_t in_batch = 0, batch = o->batch_flows ? o->batch_flows : 4000000;
    bool open = false;
    const char *crash = getenv("SLEUTH_TEST_KILL_AFTER_COMMITS");
    sl_progress pg; /* blocks/s, tx/s and ETA on a terminal; quiet otherwise */
    if ((rc = sl_eth_chain_open(s, set->chain->name, &c, e))) return rc;
    /* A stored block is a whole: its transactions and flows are written once. An input
     * that gives an already-stored block other records (its logs or traces in a later
     * command than its transactions) would otherwise be skipped without a word and its
     * transfers lost; it is refused before anything is written. */
    for (size_t bi = 0; bi < m->n_blocks; bi++) {
        uint32_t idx;
        const sl_eth_mblock *mb = &m->blocks[bi];
        const sl_eth_blockrec *br;
        uint64_t flows = 0, given = 0; /* the transactions' flows (block-level rewards aside) */
        if (sl_eth_block_by_number(c, mb->number, &idx) != SL_OK) continue;
        br = sl_eth_block_at(c, idx);
        for (uint32_t t = 0; t < br->n_tx; t++) flows += sl_eth_tx_at(c, br->first_tx + t)->n_flows;
        for (uint32_t t = 0; t < mb->n_tx; t++) given += m->txs[mb->first_tx + t].n_flows;
        if (br->n_tx != mb->n_tx || flows != given)
            return sl_err(e, SL_ECONFLICT,
                          "%s block %llu is already stored with %u transactions and %llu flows; this input gives it %u "
                          "and %llu. A block's files (blocks, receipts or logs, traces) must be ingested together in one "
                          "command; nothing was written",
                          set->chain->name, (unsigned long long)mb->number, br->n_tx, (unsigned long long)flows,
                          mb->n_tx, (unsigned long long)given);
    }
    sl_progress_start(&pg, m->n_blocks, "blocks", o->quiet);
    for (size_t bi = 0; bi < m->n_blocks; bi++) {
        uint32_t idx;
        const sl_eth_mblock *mb = &m->blocks[bi];
        sl_progress_update(&pg, bi, r->txs_added);
        r->blocks_seen++;
        if (sl_eth_block_by_number(c, mb->number, &idx) == SL_OK) { r->blocks_known++; continue; }
        if (!open) {
            if ((rc = sl_eth_begin(c, e))) return rc;
            open = true;
        }
        if ((rc = sl_eth_append_block(c, m, bi, e))) { sl_eth_abort(c); return rc; }
        r->blocks_added++;
        r->txs_added += mb->n_tx;
        r->flows_added += mb->n_flows;
        in_batch += mb->n_flows + mb->n_tx + 1;
        if (in_batch >= batch) {
            if ((rc = sl_eth_commit(c, e))) return rc;
            open = false;
            in_batch = 0;
            r->commits++;
            if (crash && r->commits >= (uint64_t)atoll(crash)) raise(SIGKILL); /* crash-safety test hook */
        }
    }
    if (open) {
        if ((rc = sl_eth_commit(c, e))) return rc;
        r->commits++;
    }
    sl_progress_update(&pg, m->n_blocks, r->txs_added);
    sl_progress_end(&pg);
    return SL_OK;
}

static void count_kinds(const sl_eth_model *m, sl_eth_ingest_report *r)
{
    r->internal = m->n_internal;
    r->token = m->n_token;
}

int sl_ingest_eth(sl_store *s, const char *const *paths, int npaths, const sl_eth_ingest_opts *o,
                  sl_eth_ingest_report *r, sl_error *e)
{
    sl_eth_set set;
    sl_eth_model m;
    int rc = SL_OK;
    double t0 = sl_now();
    const sl_eth_chain_info *ci = sl_eth_chain_by_name(o->chain ? o->chain : "ethereum");
    memset(r, 0, sizeof *r);
    memset(&m, 0, sizeof m);
    if (!ci) return sl_err(e, SL_EUSAGE, "unknown chain '%s'", o->chain);
    sl_eth_set_init(&set, ci);
    for (int i = 0; i < npaths && !rc; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) rc = sl_err(e, SL_EIO, "%s: %s", paths[i], strerror(errno));
        else if (S_ISDIR(st.st_mode)) rc = parse_dir(&set, paths[i], 0, &r->files, e);
        else { r->files++; rc = parse_file(&set, paths[i], e); }
    }
    r->bytes = set.bytes_read;
    r->parse_seconds = sl_now() - t0;
    if (!rc) rc = sl_eth_model_build(&m, &set, e);
    if (!rc) {
        count_kinds(&m, r);
        rc = write_model(s, &set, &m, o, r, e);
    }
    sl_eth_model_free(&m);
    sl_eth_set_free(&set);
    r->seconds = sl_now() - t0;
    return rc;
}

/* ---------------- live JSON-RPC ---------------- */
typedef struct rpc {
    CURL *curl;
    const char *url;
    sl_buf body;
    int id;
    bool no_block_receipts, no_trace_block, no_debug_block, no_debug_tx;
} rpc;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    sl_buf *b = ud;
    if (b->len + sz * n > ((size_t)1 << 31)) return 0; /* refuse answers above 2 GiB */
    return sl_buf_append(b, p, sz * n) ? 0 : sz * n;
}

/* Calls method(params) and leaves the raw answer in r->body. SL_EIO when the node cannot
 * be reached or answers HTTP >= 400. */
static int rpc_call(rpc *r, const char *method, const char *params, sl_error *e)
{
    char *req;
    long code = 0;
    CURLcode cc;
    struct curl_slist *h = NULL;
    size_t n = strlen(method) + strlen(params) + 80;
    if (!(req = malloc(n))) return sl_err(e, SL_ENOMEM, "out of memory");
    snprintf(req, n, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":%s}", ++r->id, method, params);
    r->body.len = 0;
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(r->curl, CURLOPT_URL, r->url);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(r->curl, CURLOPT_TIMEOUT, 300L);
    cc = curl_easy_perform(r->curl);
    curl_slist_free_all(h);
    free(req);
    if (cc != CURLE_OK) return sl_err(e, SL_EIO, "%s: %s: %s", r->url, method, curl_easy_strerror(cc));
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 400 && code != 500)
        return sl_err(e, SL_EIO, "%s: %s: HTTP status %ld", r->url, method, code);
    if (sl_buf_append(&r->body, "", 1)) return sl_err(e, SL_ENOMEM, "out of memory");
    r->body.len--;
    return SL_OK;
}

/* Parses the node's answer to `what` strictly (sl_json_parse: malformed JSON or a repeated
 * key is an error naming the call); *out is owned by the caller. */
static int rpc_json(cJSON **out, const rpc *r, const char *what, sl_error *e)
{
    char name[200];
    snprintf(name, sizeof name, "%s answer to %s", r->url, what);
    return sl_json_parse(out, (const char *)r->body.p, r->body.len, name, e);
}

/* Sets *err when the answer is a JSON-RPC error (e.g. method not found) or has no result. */
static int rpc_is_error(const rpc *r, const char *what, bool *err, sl_error *e)
{
    cJSON *j;
    int rc = rpc_json(&j, r, what, e);
    if (rc) return rc;
    *err = cJSON_GetObjectItemCaseSensitive(j, "error") != NULL || cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "result"));
    cJSON_Delete(j);
    return SL_OK;
}

static int feed(sl_eth_set *set, rpc *r, const char *what, sl_error *e)
{
    char name[200];
    snprintf(name, sizeof name, "%s answer to %s", r->url, what);
    return sl_eth_parse_json(set, name, (const char *)r->body.p, r->body.len, e);
}

static bool stack_word(const cJSON *stack, int from_top, uint8_t out[32])
{
    int n = cJSON_GetArraySize(stack);
    const cJSON *v = cJSON_GetArrayItem(stack, n - 1 - from_top);
    const char *s;
    size_t len;
    char buf[65];
    if (from_top >= n || !cJSON_IsString(v)) return false;
    s = v->valuestring;
    if (s[0] == '0' && s[1] == 'x') s += 2;
    len = strlen(s);
    if (len > 64) return false;
    memset(buf, '0', 64);
    memcpy(buf + 64 - len, s, len);
    buf[64] = 0;
    return sl_hex_decode(out, 32, buf, 64);
}

/* Opcode-level trace (ganache's debug_traceTransaction) -> call traces with parity-style
 * trace addresses; success of a call is the word it pushed when its frame returned. */
static int structlogs_to_traces(sl_eth_set *set, const cJSON *res, const sl_eth_tx *tx, const char *what, sl_error *e)
{
    const cJSON *logs = cJSON_GetObjectItemCaseSensitive(res, "structLogs"), *it;
    struct frame { sl_eth_addr self; size_t trace; uint32_t next_child; bool pending; bool create; } fr[1100];
    int depth_prev = 1;
    size_t k = 0;
    if (!cJSON_IsArray(logs)) return sl_err(e, SL_ECORRUPT, "%s: $.result.structLogs: expected an array", what);
    memset(&fr[1], 0, sizeof fr[1]);
    fr[1].self = tx->to; /* a creation's own address is not known here; its inner calls are rare */
    cJSON_ArrayForEach(it, logs) {
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(it, "op"), *dv = cJSON_GetObjectItemCaseSensitive(it, "depth");
        const cJSON *stack = cJSON_GetObjectItemCaseSensitive(it, "stack");
        int d;
        k++;
        if (!cJSON_IsString(op) || !cJSON_IsNumber(dv) || dv->valuedouble < 1 || dv->valuedouble > 1024)
            return sl_err(e, SL_ECORRUPT, "%s: $.result.structLogs[%zu]: expected op and depth", what, k - 1);
        d = (int)dv->valuedouble;
        if (d < depth_prev) {
            /* returned from frame depth_prev to d: the caller's pending call result is on the stack */
            struct frame *p = &fr[d];
            if (p->pending) {
                uint8_t w[32];
                sl_eth_trace *t = &set->traces[p->trace];
                bool ok = cJSON_IsArray(stack) && stack_word(stack, 0, w);
                bool nz = false;
                for (int i = 0; i < 32; i++) nz |= w[i] != 0;
                if (ok && !nz) t->failed = true;
                if (ok && p->create && nz) { memcpy(t->to.b, w + 12, 20); t->has_to = true; }
                p->pending = false;
            }
        }
        if (d > depth_prev + 1) return sl_err(e, SL_ECORRUPT, "%s: $.result.structLogs[%zu]: depth jumps", what, k - 1);
        depth_prev = d;
        if (fr[d].pending && d == depth_prev) {
            /* a call to an account without code returns at once: result on this step's stack */
        }
        {
            const char *o = op->valuestring;
            bool call = !strcmp(o, "CALL"), callcode = !strcmp(o, "CALLCODE"), dcall = !strcmp(o, "DELEGATECALL"),
                 scall = !strcmp(o, "STATICCALL"), create = !strcmp(o, "CREATE") || !strcmp(o, "CREATE2");
            if (fr[d].pending) { /* the previous call at this depth returned without a deeper step */
                sl_eth_trace *t = &set->traces[fr[d].trace];
                uint8_t w[32];
                bool nz = false;
                if (cJSON_IsArray(stack) && stack_word(stack, 0, w)) {
                    for (int i = 0; i < 32; i++) nz |= w[i] != 0;
                    if (!nz) t->failed = true;
                    if (fr[d].create && nz) { memcpy(t->to.b, w + 12, 20); t->has_to = true; }
                }
                fr[d].pending = false;
            }
            if (call || callcode || dcall || scall || create) {
                sl_eth_trace *t;
                uint8_t w[32], v[32];
                uint32_t path[1100];
                void *q = set->traces;
                if (!cJSON_IsArray(stack)) return sl_err(e, SL_ECORRUPT, "%s: $.result.structLogs[%zu]: no stack (do not disable it)", what, k - 1);
                if (d >= 1023) return sl_err(e, SL_ECORRUPT, "%s: calls nested too deeply", what);
                if (sl_grow(&q, &set->cap_traces, set->n_traces + 1, sizeof *set->traces)) return sl_err(e, SL_ENOMEM, "out of memory");
                set->traces = q;
                t = &set->traces[set->n_traces];
                memset(t, 0, sizeof *t);
                t->tx_hash = tx->hash, t->has_tx = true, t->block = tx->block;
                t->tx_index = tx->index, t->has_tx_index = true;
                t->order = (uint32_t)set->n_traces;
                t->from = fr[d].self;
                t->type = create ? SL_TRACE_CREATE : SL_TRACE_CALL;
                t->call_type = call ? SL_CALL_CALL : callcode ? SL_CALL_CALLCODE : dcall ? SL_CALL_DELEGATECALL : scall ? SL_CALL_STATICCALL : 0;
                if (create) {
                    if (!stack_word(stack, 0, v)) return sl_err(e, SL_ECORRUPT, "%s: $.result.structLogs[%zu].stack: too short", what, k - 1);
                } else {
                    if (!stack_word(stack, 1, w)) return sl_err(e, SL_ECORRUPT, "%s: $.result.structLogs[%zu].stack: too short", what, k - 1);
                    memcpy(t->to.b, w + 12, 20);
                    t->has_to = true;
                    if ((call || callcode) && !stack_word(stack, 2, v)) return sl_err(e, SL_ECORRUPT, "%s: $.result.structLogs[%zu].stack: too short", what, k - 1);
                    if (dcall || scall) memset(v, 0, 32);
                }
                sl_u256_from_be(&t->value, v);
                /* trace address: the chain of child numbers down to this frame */
                {
                    size_t n = 0;
                    for (int j = 1; j < d; j++) path[n++] = fr[j].next_child ? fr[j].next_child - 1 : 0;
                    path[n++] = fr[d].next_child++;
                    while (set->arena.len % 4) if (sl_buf_append(&set->arena, "", 1)) return sl_err(e, SL_ENOMEM, "out of memory");
                    t->addr_off = (uint32_t)set->arena.len;
                    t->addr_len = (uint32_t)n;
                    if (sl_buf_append(&set->arena, path, n * 4)) return sl_err(e, SL_ENOMEM, "out of memory");
                }
                fr[d].pending = true;
                fr[d].create = create;
                fr[d].trace = set->n_traces++;
                memset(&fr[d + 1], 0, sizeof fr[d + 1]);
                fr[d + 1].self = (call || scall) ? t->to : fr[d].self; /* CALLCODE/DELEGATECALL keep the context */
            }
        }
    }
    return SL_OK;
}

int sl_ingest_eth_rpc(sl_store *s, const sl_eth_ingest_opts *o, sl_eth_ingest_report *r, sl_error *e)
{
    sl_eth_set set;
    sl_eth_model m;
    rpc c;
    int rc = SL_OK;
    double t0 = sl_now();
    const sl_eth_chain_info *ci = sl_eth_chain_by_name(o->chain ? o->chain : "ethereum");
    memset(r, 0, sizeof *r);
    memset(&m, 0, sizeof m);
    memset(&c, 0, sizeof c);
    if (!ci) return sl_err(e, SL_EUSAGE, "unknown chain '%s'", o->chain);
    if (o->from > o->to) return sl_err(e, SL_EUSAGE, "--from %llu is above --to %llu", (unsigned long long)o->from, (unsigned long long)o->to);
    sl_eth_set_init(&set, ci);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(c.curl = curl_easy_init())) return sl_err(e, SL_EIO, "libcurl cannot start");
    c.url = o->rpc_url;
    for (uint64_t n = o->from; n <= o->to && !rc; n++) {
        char p[256], what[128];
        size_t tx0 = set.n_txs;
        snprintf(p, sizeof p, "[\"0x%llx\",true]", (unsigned long long)n);
        snprintf(what, sizeof what, "eth_getBlockByNumber(0x%llx)", (unsigned long long)n);
        if ((rc = rpc_call(&c, "eth_getBlockByNumber", p, e)) || (rc = feed(&set, &c, what, e))) break;
        /* receipts */
        if (!c.no_block_receipts) {
            snprintf(p, sizeof p, "[\"0x%llx\"]", (unsigned long long)n);
            if ((rc = rpc_call(&c, "eth_getBlockReceipts", p, e)) ||
                (rc = rpc_is_error(&c, "eth_getBlockReceipts", &c.no_block_receipts, e)) ||
                (!c.no_block_receipts && (rc = feed(&set, &c, "eth_getBlockReceipts", e))))
                break;
        }
        if (c.no_block_receipts)
            for (size_t i = tx0; i < set.n_txs && !rc; i++) {
                char hx[67];
                hx[0] = '0', hx[1] = 'x';
                sl_hex_encode(hx + 2, set.txs[i].hash.b, 32);
                snprintf(p, sizeof p, "[\"%s\"]", hx);
                snprintf(what, sizeof what, "eth_getTransactionReceipt(%s)", hx);
                if (!(rc = rpc_call(&c, "eth_getTransactionReceipt", p, e))) rc = feed(&set, &c, what, e);
            }
        if (rc) break;
        if (tx0 == set.n_txs) continue; /* no transactions: nothing to trace */
        /* traces: parity, then geth callTracer, then opcode-level */
        if (!c.no_trace_block) {
            snprintf(p, sizeof p, "[\"0x%llx\"]", (unsigned long long)n);
            if ((rc = rpc_call(&c, "trace_block", p, e)) || (rc = rpc_is_error(&c, "trace_block", &c.no_trace_block, e))) break;
            if (!c.no_trace_block) { rc = feed(&set, &c, "trace_block", e); continue; }
        }
        if (!c.no_debug_block) {
            snprintf(p, sizeof p, "[\"0x%llx\",{\"tracer\":\"callTracer\"}]", (unsigned long long)n);
            if ((rc = rpc_call(&c, "debug_traceBlockByNumber", p, e)) ||
                (rc = rpc_is_error(&c, "debug_traceBlockByNumber", &c.no_debug_block, e)))
                break;
            if (!c.no_debug_block) {
                /* callTracer results without txHash are placed by position in this block */
                cJSON *j, *res;
                if ((rc = rpc_json(&j, &c, "debug_traceBlockByNumber", e))) break;
                res = cJSON_GetObjectItemCaseSensitive(j, "result");
                if (cJSON_IsArray(res)) {
                    cJSON *w = cJSON_CreateObject();
                    cJSON_AddNumberToObject(w, "block_number", (double)n);
                    cJSON_AddItemReferenceToObject(w, "transaction_traces", res);
                    {
                        char *txt = cJSON_PrintUnformatted(w);
                        if (txt) rc = sl_eth_parse_json(&set, "debug_traceBlockByNumber", txt, strlen(txt), e);
                        free(txt);
                    }
                    cJSON_Delete(w);
                }
                cJSON_Delete(j);
                continue;
            }
        }
        for (size_t i = tx0; i < set.n_txs && !rc; i++) {
            char hx[67];
            cJSON *j, *res;
            hx[0] = '0', hx[1] = 'x';
            sl_hex_encode(hx + 2, set.txs[i].hash.b, 32);
            snprintf(p, sizeof p, "[\"%s\",{\"disableStorage\":true,\"disableMemory\":true}]", hx);
            snprintf(what, sizeof what, "debug_traceTransaction(%s)", hx);
            if ((rc = rpc_call(&c, "debug_traceTransaction", p, e)) || (rc = rpc_json(&j, &c, what, e))) break;
            snprintf(what, sizeof what, "%s debug_traceTransaction(%s)", c.url, hx);
            res = cJSON_GetObjectItemCaseSensitive(j, "result");
            if (!cJSON_IsObject(res)) {
                const cJSON *er = cJSON_GetObjectItemCaseSensitive(j, "error");
                const cJSON *msg = cJSON_GetObjectItemCaseSensitive(er, "message");
                rc = sl_err(e, SL_EUNSUPPORTED, "%s: the node traces no transactions (%s); internal transfers cannot be read",
                            what, cJSON_IsString(msg) ? msg->valuestring : "no result");
            } else {
                rc = structlogs_to_traces(&set, res, &set.txs[i], what, e);
            }
            cJSON_Delete(j);
        }
    }
    r->bytes = set.bytes_read;
    r->parse_seconds = sl_now() - t0;
    if (!rc) rc = sl_eth_model_build(&m, &set, e);
    if (!rc) {
        count_kinds(&m, r);
        rc = write_model(s, &set, &m, o, r, e);
    }
    if (c.curl) curl_easy_cleanup(c.curl);
    sl_buf_free(&c.body);
    sl_eth_model_free(&m);
    sl_eth_set_free(&set);
    r->seconds = sl_now() - t0;
    return rc;
}
