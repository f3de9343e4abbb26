/* eth_ingest.c — Ethereum-family ingest: files and folders (JSON-RPC responses, JSON
 * lines, ethereum-etl / GraphSense exports in JSON or CSV, .zst compressed), and a live
 * node's JSON-RPC over HTTP (sleuth/jsonrpc.h) for a block range.
 *
 * Files stream in block-range segments (docs/ETH.md, "Streaming ingest"): the inputs'
 * documents are merged by block number (each file in ascending block order) into segments
 * of about 64 MiB of input. Pass 1 parses each segment, merges its records, derives and
 * checks its flows and spools the checked model to an unlinked temporary file; only when
 * every segment has passed does pass 2 write them, committing each segment. Any input error
 * leaves the store as it was; pass 2 is crash-safe per commit. Memory holds one segment's
 * records (plus one pending document per open file), not the input.
 *
 * Live ingest asks for each block: eth_getBlockByNumber (full transactions); receipts by
 * eth_getBlockReceipts, else eth_getTransactionReceipt per transaction; traces by
 * trace_block, else debug_traceBlockByNumber with callTracer, else (ganache)
 * debug_traceTransaction's opcode-level structLogs, from which the value-carrying CALL,
 * CALLCODE, CREATE and CREATE2 steps and their success are recovered. The methods a node
 * lacks are detected on the first block and not asked again. Every answer is read strictly
 * (sleuth/json.h): malformed JSON or a key given twice is an error, not a missing method.
 *
 * Annotations (annot.h): the model carries each transaction's known event logs and text
 * input (through the spool too); they are put into the annotation batch as the block is
 * written, keyed by the tx ids the store gives, and committed just before the store's
 * commit of the same blocks (a kill between the two leaves rows past the committed
 * counts, which readers ignore and the next writer deletes).
 */
#include "sleuth/ingest.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sleuth/annot.h"
#include "sleuth/chains.h"
#include "sleuth/eth_store.h"
#include "sleuth/json.h"
#include "sleuth/jsonrpc.h"
#include "sleuth/util.h"

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool wanted(const char *name)
{
    char b[NAME_MAX + 1];
    snprintf(b, sizeof b, "%s", name);
    if (ends_with(b, ".zst")) b[strlen(b) - 4] = 0;
    return ends_with(b, ".json") || ends_with(b, ".jsonl") || ends_with(b, ".ndjson") || ends_with(b, ".csv");
}

/* ---------------- inputs: one stream of documents per file ---------------- */
typedef struct input {
    char *path;
    bool csv;
    uint64_t first;          /* lowest block of its first document (prescan); UINT64_MAX none */
    bool open, done;
    sl_file f;
    sl_eth_reader rd;
    sl_eth_set pend;         /* its next document's records, not yet in a segment */
    uint64_t lo, hi;         /* their block range */
} input;

typedef struct inputs {
    input *v;
    size_t n, cap;
} inputs;

static int add_input(inputs *in, const char *path, sl_error *e)
{
    void *q = in->v;
    char base[PATH_MAX];
    if (sl_grow(&q, &in->cap, in->n + 1, sizeof *in->v)) return sl_err(e, SL_ENOMEM, "out of memory");
    in->v = q;
    memset(&in->v[in->n], 0, sizeof *in->v);
    if (!(in->v[in->n].path = sl_strdup(path))) return sl_err(e, SL_ENOMEM, "out of memory");
    snprintf(base, sizeof base, "%s", path);
    if (ends_with(base, ".zst")) base[strlen(base) - 4] = 0;
    in->v[in->n].csv = ends_with(base, ".csv");
    in->n++;
    return SL_OK;
}

/* A folder: every .json/.jsonl/.csv (optionally .zst) file below it, in name order. */
static int list_dir(inputs *in, const char *dir, int depth, sl_error *e)
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
        if (!(names[n] = sl_malloc(strlen(dir) + strlen(de->d_name) + 2))) { rc = sl_err(e, SL_ENOMEM, "out of memory"); break; }
        sprintf(names[n++], "%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (!rc) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && !rc; i++) {
        struct stat st;
        const char *b = strrchr(names[i], '/') + 1;
        if (stat(names[i], &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) rc = list_dir(in, names[i], depth + 1, e);
        else if (S_ISREG(st.st_mode) && wanted(b)) rc = add_input(in, names[i], e);
    }
    for (size_t i = 0; i < n; i++) sl_free(names[i]);
    sl_free(names);
    return rc;
}

static void input_close(input *f)
{
    if (f->open) sl_file_close(&f->f);
    f->open = false;
    sl_eth_set_free(&f->pend);
}

/* Reads f's next non-empty document into f->pend (a CSV file is one document); sets
 * f->done at its end. *unknown is set when a record names no block. */
static int input_next(input *f, const sl_eth_chain_info *ci, bool *unknown, sl_error *e)
{
    int rc = SL_OK;
    sl_eth_set_free(&f->pend);
    sl_eth_set_init(&f->pend, ci);
    if (!f->open) {
        if ((rc = sl_file_open(&f->f, f->path, e))) return rc;
        f->open = true;
        sl_eth_reader_init(&f->rd, f->path, (const char *)f->f.data, f->f.len);
    }
    for (;;) {
        bool end = false;
        if (f->csv) {
            if (f->rd.pos) end = true;
            else if (!(rc = sl_eth_parse_csv(&f->pend, f->path, (const char *)f->f.data, f->f.len, e))) f->rd.pos = f->f.len + 1;
        } else {
            size_t before = f->rd.pos;
            rc = sl_eth_reader_next(&f->rd, &f->pend, &end, e);
            /* pages already read are dropped from memory: a mapped file would otherwise
             * count whole in the resident size by its end */
            if (!rc && f->f.map && f->rd.pos - before > 0 && f->rd.pos > (1u << 22))
                madvise(f->f.map, (f->rd.pos - (1u << 21)) & ~(size_t)4095, MADV_DONTNEED);
        }
        if (rc) return rc;
        if (end) {
            f->done = true;
            input_close(f);
            return SL_OK;
        }
        if (!sl_eth_set_range(&f->pend, &f->lo, &f->hi)) *unknown = true;
        if (f->lo != UINT64_MAX) return SL_OK; /* else a document without records: the next */
    }
}

/* ---------------- writing a model ---------------- */
/* A stored block is a whole: its transactions and flows are written once. An input that
 * gives an already-stored block other records (its logs or traces in a later command than
 * its transactions) would otherwise be skipped without a word and its transfers lost; it
 * is refused before anything is written. */
static int check_stored(const sl_eth_chain *c, const char *chain, const sl_eth_model *m, sl_error *e)
{
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
                          chain, (unsigned long long)mb->number, br->n_tx, (unsigned long long)flows,
                          mb->n_tx, (unsigned long long)given);
    }
    return SL_OK;
}

/* Puts the annotations of model block bi (its first tx has store id first_tx) into the
 * open annotation batch, each with its tx's gas price. */
static int annot_block(sl_annot *an, uint16_t chain, const sl_eth_model *m, size_t bi, uint64_t first_tx, sl_error *e)
{
    const sl_eth_mblock *mb = &m->blocks[bi];
    sl_annot_row r;
    for (uint32_t j = 0; mb->first_tx != SL_ETH_NONE32 && j < mb->n_tx; j++) {
        const sl_eth_mtx *t = &m->txs[mb->first_tx + j];
        for (uint32_t k = 0; k < t->n_annots; k++) {
            const sl_eth_mannot *a = &m->annots[t->first_annot + k];
            int rc;
            memset(&r, 0, sizeof r);
            r.chain = chain, r.kind = a->kind, r.event = a->event, r.tx = first_tx + j, r.idx = a->idx;
            memcpy(r.contract, a->contract.b, 20);
            r.n_topics = a->n_topics;
            memcpy(r.topics, a->topics, sizeof r.topics);
            r.data = m->abytes.p ? m->abytes.p + a->data_off : (const uint8_t *)"";
            r.len = a->data_len;
            r.text = "";
            if (sl_u256_fits(&t->gas_price, 128))
                for (int b = 0; b < 16; b++) r.gas_price[b] = (uint8_t)(t->gas_price.w[b / 8] >> (8 * (b % 8)));
            if ((rc = sl_annot_put(an, &r, e))) return rc;
        }
    }
    return SL_OK;
}

/* Writes the model's blocks that are not stored yet, committing every o->batch_flows
 * flows and at the end; their annotations go to an (committed first). */
static int write_blocks(sl_eth_chain *c, sl_annot *an, const sl_eth_model *m, const sl_eth_ingest_opts *o,
                        sl_eth_ingest_report *r, sl_progress *pg, sl_error *e)
{
    int rc;
    uint64_t in_batch = 0, batch = o->batch_flows ? o->batch_flows : 4000000;
    bool open = false;
    const char *crash = getenv("SLEUTH_TEST_KILL_AFTER_COMMITS");
    const sl_chain_def *def = sl_chain_by_name(sl_eth_chain_info_get(c)->name);
    uint16_t chain = def ? def->id : 0;
    for (size_t bi = 0; bi < m->n_blocks; bi++) {
        uint32_t idx;
        const sl_eth_mblock *mb = &m->blocks[bi];
        uint64_t first_tx;
        sl_progress_update(pg, r->blocks_seen, r->txs_added);
        r->blocks_seen++;
        if (sl_eth_block_by_number(c, mb->number, &idx) == SL_OK) { r->blocks_known++; continue; }
        if (!open) {
            if ((rc = sl_annot_begin(an, e))) return rc;
            if ((rc = sl_eth_begin(c, e))) { sl_annot_abort(an); return rc; }
            open = true;
        }
        first_tx = sl_eth_meta_get(c)->n_tx;
        if ((rc = sl_eth_append_block(c, m, bi, e)) || (rc = annot_block(an, chain, m, bi, first_tx, e))) {
            sl_eth_abort(c);
            sl_annot_abort(an);
            return rc;
        }
        r->blocks_added++;
        r->txs_added += mb->n_tx;
        r->flows_added += mb->n_flows;
        in_batch += mb->n_flows + mb->n_tx + 1;
        if (in_batch >= batch || bi + 1 == m->n_blocks) {
            /* the annotations first: the store's commit is what makes them visible */
            if ((rc = sl_annot_commit(an, e))) { sl_eth_abort(c); return rc; }
            if (crash && getenv("SLEUTH_TEST_KILL_BETWEEN") && r->commits + 1 >= (uint64_t)atoll(crash))
                raise(SIGKILL); /* crash-safety test hook: annotations committed, the store not */
            if ((rc = sl_eth_commit(c, e))) return rc;
            open = false;
            in_batch = 0;
            r->commits++;
            if (crash && r->commits >= (uint64_t)atoll(crash)) raise(SIGKILL); /* crash-safety test hook */
        }
    }
    if (open) {
        if ((rc = sl_annot_commit(an, e))) { sl_eth_abort(c); return rc; }
        if ((rc = sl_eth_commit(c, e))) return rc;
        r->commits++;
    }
    return SL_OK;
}

/* Writes a whole model (live ingest: one range, fetched and checked first). */
static int write_model(sl_store *s, const sl_eth_set *set, const sl_eth_model *m, const sl_eth_ingest_opts *o,
                       sl_eth_ingest_report *r, sl_error *e)
{
    sl_eth_chain *c;
    sl_annot *an;
    sl_progress pg; /* blocks/s, tx/s and ETA on a terminal; quiet otherwise */
    int rc;
    if ((rc = sl_eth_chain_open(s, set->chain->name, &c, e)) || (rc = check_stored(c, set->chain->name, m, e)) ||
        (rc = sl_annot_open(&an, s, e)))
        return rc;
    sl_progress_start(&pg, m->n_blocks, "blocks", o->quiet);
    rc = write_blocks(c, an, m, o, r, &pg, e);
    sl_progress_update(&pg, r->blocks_seen, r->txs_added);
    sl_progress_end(&pg);
    sl_annot_close(an);
    return rc;
}

static void count_kinds(const sl_eth_model *m, sl_eth_ingest_report *r)
{
    r->internal += m->n_internal;
    r->token += m->n_token;
}

/* ---------------- the spool: checked segment models between the two passes ---------------- */
typedef struct spool_hdr {
    uint64_t n_blocks, n_txs, n_flows, n_internal, n_token, n_annots, n_abytes;
} spool_hdr;

/* An unlinked temporary file (TMPDIR, else /tmp): gone with the process, even on a kill. */
static int spool_open(FILE **out, sl_error *e)
{
    const char *dir = getenv("TMPDIR");
    char p[PATH_MAX];
    int fd;
    snprintf(p, sizeof p, "%s/sleuth-eth-XXXXXX", dir && *dir ? dir : "/tmp");
    if ((fd = mkstemp(p)) < 0) return sl_err(e, SL_EIO, "%s: cannot create a temporary file: %s", p, strerror(errno));
    unlink(p);
    if (!(*out = fdopen(fd, "w+b"))) { close(fd); return sl_err(e, SL_EIO, "temporary file: %s", strerror(errno)); }
    return SL_OK;
}

/* fwrite of n records; none (and a NULL array) is fine. */
static bool put_n(FILE *f, const void *p, size_t sz, size_t n) { return n == 0 || fwrite(p, sz, n, f) == n; }

static int spool_put(FILE *f, const sl_eth_model *m, sl_error *e)
{
    spool_hdr h = {m->n_blocks, m->n_txs, m->n_flows, m->n_internal, m->n_token, m->n_annots, m->abytes.len};
    if (!put_n(f, &h, sizeof h, 1) || !put_n(f, m->blocks, sizeof *m->blocks, m->n_blocks) ||
        !put_n(f, m->txs, sizeof *m->txs, m->n_txs) || !put_n(f, m->flows, sizeof *m->flows, m->n_flows) ||
        !put_n(f, m->annots, sizeof *m->annots, m->n_annots) || !put_n(f, m->abytes.p, 1, m->abytes.len))
        return sl_err(e, SL_EIO, "temporary file (TMPDIR): cannot write: %s", strerror(errno));
    return SL_OK;
}

/* Reads the next model; *got false at the end. m is owned by the caller (sl_eth_model_free). */
static int spool_get(FILE *f, sl_eth_model *m, bool *got, sl_error *e)
{
    spool_hdr h;
    memset(m, 0, sizeof *m);
    *got = false;
    if (fread(&h, sizeof h, 1, f) != 1) return feof(f) ? SL_OK : sl_err(e, SL_EIO, "temporary file: cannot read");
    m->blocks = sl_malloc((h.n_blocks + 1) * sizeof *m->blocks);
    m->txs = sl_malloc((h.n_txs + 1) * sizeof *m->txs);
    m->flows = sl_malloc((h.n_flows + 1) * sizeof *m->flows);
    m->annots = sl_malloc((h.n_annots + 1) * sizeof *m->annots);
    m->abytes.p = sl_malloc(h.n_abytes + 1);
    if (!m->blocks || !m->txs || !m->flows || !m->annots || !m->abytes.p) return sl_err(e, SL_ENOMEM, "out of memory");
    m->n_blocks = h.n_blocks, m->n_txs = h.n_txs, m->n_flows = m->cap_flows = h.n_flows;
    m->n_internal = h.n_internal, m->n_token = h.n_token;
    m->n_annots = m->cap_annots = h.n_annots;
    m->abytes.len = h.n_abytes, m->abytes.cap = h.n_abytes + 1;
    if (fread(m->blocks, sizeof *m->blocks, h.n_blocks, f) != h.n_blocks || fread(m->txs, sizeof *m->txs, h.n_txs, f) != h.n_txs ||
        fread(m->flows, sizeof *m->flows, h.n_flows, f) != h.n_flows ||
        fread(m->annots, sizeof *m->annots, h.n_annots, f) != h.n_annots ||
        fread(m->abytes.p, 1, h.n_abytes, f) != h.n_abytes)
        return sl_err(e, SL_EIO, "temporary file: cannot read");
    *got = true;
    return SL_OK;
}

/* ---------------- pass 1: parse, merge and check segment by segment ---------------- */
typedef struct pass1 {
    const sl_eth_chain_info *ci;
    const sl_eth_chain *c;   /* the stored chain (for the already-stored check), or NULL */
    FILE *spool;
    size_t limit;            /* input bytes per segment */
    sl_eth_set seg;          /* the open segment's records */
    uint64_t seg_hi, closed_hi; /* highest block in it; in the segments closed before */
    bool any_closed;
    uint64_t blocks, segments;
    sl_eth_ingest_report *r;
} pass1;

enum { RESTART = 100 }; /* the inputs cannot be cut in block ranges: read them as one segment */

static int close_segment(pass1 *p, sl_error *e)
{
    sl_eth_model m;
    int rc;
    if (!p->seg.bytes_read && !p->seg.n_blocks && !p->seg.n_txs) return SL_OK;
    if (!(rc = sl_eth_model_build(&m, &p->seg, e)) && (!p->c || !(rc = check_stored(p->c, p->ci->name, &m, e)))) {
        count_kinds(&m, p->r);
        p->blocks += m.n_blocks;
        p->segments++;
        rc = spool_put(p->spool, &m, e);
    }
    sl_eth_model_free(&m);
    sl_eth_set_free(&p->seg);
    sl_eth_set_init(&p->seg, p->ci);
    p->any_closed = true;
    p->closed_hi = p->seg_hi;
    return rc;
}

/* Pass 1 over every input. A segment takes documents in block order (always the input
 * whose next document starts lowest) and is closed once it holds `limit` input bytes and
 * no input's next document starts at or below its highest block: each input's documents
 * are taken to be in ascending block order (dumps, exports and node answers are), so the
 * segment then holds every record of its blocks. A document that starts at or below a
 * closed segment's blocks, or a record without a block, breaks that: RESTART. */
static int pass_one(pass1 *p, inputs *in, sl_error *e)
{
    int rc = SL_OK;
    for (;;) {
        input *best = NULL;
        bool unknown = false;
        for (size_t i = 0; i < in->n; i++) {
            input *f = &in->v[i];
            uint64_t k = f->open ? f->lo : f->first;
            if (!f->done && (!best || k < (best->open ? best->lo : best->first))) best = f;
        }
        if (!best) break;
        if (!best->open) {
            if ((rc = input_next(best, p->ci, &unknown, e))) return rc;
            if (unknown && p->limit != SIZE_MAX) return RESTART;
            continue; /* its first document's start may differ from the prescan's (it should not) */
        }
        if (p->seg.bytes_read >= p->limit && best->lo > p->seg_hi && (rc = close_segment(p, e))) return rc;
        if (p->any_closed && best->lo <= p->closed_hi && p->limit != SIZE_MAX) return RESTART;
        if ((rc = sl_eth_set_append(&p->seg, &best->pend, e))) return rc;
        if (best->hi > p->seg_hi || !p->seg_hi) p->seg_hi = best->hi;
        p->r->bytes += best->pend.bytes_read;
        if ((rc = input_next(best, p->ci, &unknown, e))) return rc;
        if (unknown && p->limit != SIZE_MAX) return RESTART;
    }
    return close_segment(p, e);
}

/* The lowest block of each input's first document, to open inputs only when the segments
 * reach them (at most the inputs whose ranges overlap are open at once). */
static int prescan(inputs *in, const sl_eth_chain_info *ci, bool *unknown, sl_error *e)
{
    int rc = SL_OK;
    for (size_t i = 0; i < in->n && !rc; i++) {
        input *f = &in->v[i];
        if (!(rc = input_next(f, ci, unknown, e))) f->first = f->done ? UINT64_MAX : f->lo;
        input_close(f);
        f->done = false;
        memset(&f->rd, 0, sizeof f->rd);
    }
    return rc;
}

static void inputs_reset(inputs *in)
{
    for (size_t i = 0; i < in->n; i++) {
        input_close(&in->v[i]);
        in->v[i].done = false;
        memset(&in->v[i].rd, 0, sizeof in->v[i].rd);
    }
}

static size_t segment_limit(void)
{
    const char *v = getenv("SLEUTH_ETH_SEGMENT_BYTES"); /* tests cut tiny inputs into many segments */
    long long n = v ? atoll(v) : 0;
    return n > 0 ? (size_t)n : (size_t)64 << 20;
}

int sl_ingest_eth(sl_store *s, const char *const *paths, int npaths, const sl_eth_ingest_opts *o,
                  sl_eth_ingest_report *r, sl_error *e)
{
    inputs in = {0};
    pass1 p;
    sl_eth_chain *c = NULL;
    sl_annot *an = NULL;
    int rc = SL_OK;
    bool unknown = false;
    double t0 = sl_now();
    const sl_eth_chain_info *ci = sl_eth_chain_by_name(o->chain ? o->chain : "ethereum");
    memset(r, 0, sizeof *r);
    memset(&p, 0, sizeof p);
    if (!ci) return sl_err(e, SL_EUSAGE, "unknown chain '%s'", o->chain);
    for (int i = 0; i < npaths && !rc; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) rc = sl_err(e, SL_EIO, "%s: %s", paths[i], strerror(errno));
        else if (S_ISDIR(st.st_mode)) rc = list_dir(&in, paths[i], 0, e);
        else rc = add_input(&in, paths[i], e);
    }
    r->files = in.n;
    if (!rc) rc = prescan(&in, ci, &unknown, e);
    if (!rc) rc = sl_eth_chain_open(s, ci->name, &c, e);
    if (!rc) rc = spool_open(&p.spool, e);
    p.ci = ci, p.c = c, p.r = r;
    p.limit = unknown ? SIZE_MAX : segment_limit();
    sl_eth_set_init(&p.seg, ci);
    /* pass 1: everything is parsed and checked (and the checked models spooled) before
     * anything is written, so bad input leaves the store as it was */
    while (!rc) {
        rc = pass_one(&p, &in, e);
        if (rc != RESTART) break;
        inputs_reset(&in);
        sl_eth_set_free(&p.seg);
        sl_eth_set_init(&p.seg, ci);
        rewind(p.spool);
        if (ftruncate(fileno(p.spool), 0) != 0) { rc = sl_err(e, SL_EIO, "temporary file: %s", strerror(errno)); break; }
        r->bytes = r->internal = r->token = 0;
        p.blocks = p.segments = 0;
        p.seg_hi = p.closed_hi = 0, p.any_closed = false;
        p.limit = SIZE_MAX;
        rc = SL_OK;
    }
    r->parse_seconds = sl_now() - t0;
    /* pass 2: segment by segment, each committed */
    if (!rc) rc = sl_annot_open(&an, s, e);
    if (!rc && fflush(p.spool) == 0 && fseek(p.spool, 0, SEEK_SET) == 0) {
        sl_progress pg;
        sl_progress_start(&pg, p.blocks, "blocks", o->quiet);
        for (bool got = true; !rc && got;) {
            sl_eth_model m;
            if (!(rc = spool_get(p.spool, &m, &got, e)) && got) rc = write_blocks(c, an, &m, o, r, &pg, e);
            sl_eth_model_free(&m);
        }
        sl_progress_update(&pg, r->blocks_seen, r->txs_added);
        sl_progress_end(&pg);
    }
    sl_annot_close(an);
    if (p.spool) fclose(p.spool);
    sl_eth_set_free(&p.seg);
    inputs_reset(&in);
    for (size_t i = 0; i < in.n; i++) sl_free(in.v[i].path);
    sl_free(in.v);
    r->seconds = sl_now() - t0;
    return rc;
}

/* ---------------- live JSON-RPC ---------------- */
typedef struct rpc {
    sl_jsonrpc *c;
    const char *body; /* the last answer (the client's buffer) */
    size_t len;
    bool no_block_receipts, no_trace_block, no_debug_block, no_debug_tx;
} rpc;

/* Calls method(params) and leaves the raw answer in r->body (sleuth/jsonrpc.h). */
static int rpc_call(rpc *r, const char *method, const char *params, sl_error *e)
{
    return sl_jsonrpc_call(r->c, method, params, &r->body, &r->len, e);
}

/* Parses the node's answer to `what` strictly (sl_json_parse: malformed JSON or a repeated
 * key is an error naming the call); *out is owned by the caller. */
static int rpc_json(cJSON **out, const rpc *r, const char *what, sl_error *e)
{
    char name[200];
    snprintf(name, sizeof name, "%s answer to %s", sl_jsonrpc_url(r->c), what);
    return sl_json_parse(out, r->body, r->len, name, e);
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
    snprintf(name, sizeof name, "%s answer to %s", sl_jsonrpc_url(r->c), what);
    return sl_eth_parse_json(set, name, r->body, r->len, e);
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
    {
        /* a block with its traces can be large and slow to answer: 2 GiB, 300 s */
        const sl_jsonrpc_opts ro = {.max_answer = (size_t)1 << 31, .timeout_s = 300, .tries = 1};
        if ((rc = sl_jsonrpc_open(&c.c, o->rpc_url, &ro, e))) return rc;
    }
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
                        sl_free(txt);
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
            snprintf(what, sizeof what, "%s debug_traceTransaction(%s)", sl_jsonrpc_url(c.c), hx);
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
    sl_jsonrpc_close(c.c);
    sl_eth_model_free(&m);
    sl_eth_set_free(&set);
    r->seconds = sl_now() - t0;
    return rc;
}
