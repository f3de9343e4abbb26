/* watch.h — watchlists and alerts, and the watcher that follows the chains' tips.
 *
 * A watchlist entry names what to watch: an address, a cluster, one output (txid:n), or
 * the taint set of an incident ("any output reached by the DMM theft under haircut above
 * 0.1 BTC"), on one chain or all, with a threshold and a label. The watcher (sl_watch_run)
 * follows Bitcoin Core-compatible and Ethereum-style nodes over JSON-RPC, ingests new
 * blocks into the store incrementally, keeps an undo log of the last K blocks so that a
 * reorg rolls the store back to the fork, and raises an alert when watched funds move or
 * reach a tagged service — exactly once per event across reorgs and restarts: the alert's
 * idempotency key is (watch, chain, block hash, tx, event, index) plus how many times
 * that event was retracted before, under a UNIQUE constraint, and alerts are committed in
 * the same transaction as the block cursor; a reorg that removes a block that raised an
 * alert raises one retraction. Alerts are stored (STORE/watch.db, SQLite), printed as JSON
 * lines, and POSTed to a webhook with retries and an HMAC-SHA256 signature of the body
 * (printing and POSTing are at least once, with the key: docs/WATCH.md). The protocol of
 * the two commits (store, then watch.db) and the recovery after a kill -9: docs/WATCH.md.
 * JSON of entries and alerts: docs/JSON.md, "sleuth watchlist".
 *
 * Threads: one sl_watch handle per thread; several processes may read while the watcher
 * writes (SQLite WAL; writers wait up to 10 s for each other).
 */
#ifndef SLEUTH_WATCH_H
#define SLEUTH_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sleuth/err.h"
#include "sleuth/store.h"

typedef struct sl_watch sl_watch;

enum { SL_WATCH_RDONLY = 0, SL_WATCH_WRITE = 1 };
/* Opens STORE/watch.db (created by a writer when missing). Errors: SL_ENOTFOUND (no
 * watch data, read-only), SL_ESTORE/SL_EIO with the path, SL_ENOMEM. */
int sl_watch_open(sl_watch **w, const char *store_dir, int mode, sl_error *e) SL_MUST_USE;
void sl_watch_close(sl_watch *w);

/* A watchlist entry as the CLI and the API give it. */
typedef struct sl_watch_spec {
    const char *kind;      /* "address", "cluster", "output", "incident" */
    const char *target;    /* the address, "chain:id" cluster, "txid:n", incident name */
    const char *chain;     /* NULL: every chain */
    const char *policy;    /* incident taint sets: the policy (NULL: haircut) */
    const char *asset;     /* account chains: "ETH" (the coin, or "native"), a bundled token's
                            * symbol ("USDT") or a token contract (0x...); NULL: every asset */
    const char *min_amount;/* decimal text in the asset's unit: the chain's coin without an
                            * asset, a token's own unit (its base units when sleuth does not
                            * know its decimals) with one (NULL: any amount) */
    const char *label;     /* the user's words (NULL: none) */
} sl_watch_spec;

/* Parses {"kind":..,"target":..,"chain":..,"policy":..,"asset":..,"min_amount":..,"label":..} (the
 * API body) into spec, whose strings point into j. SL_EUSAGE naming the member. */
int sl_watch_spec_from_json(const cJSON *j, sl_watch_spec *spec, sl_error *e) SL_MUST_USE;
/* Adds an entry after checking it against the store s (may be NULL when there is no store
 * yet: addresses and outputs only). An address or output the store does not hold is still
 * accepted — funds may arrive later — but a malformed one is SL_EUSAGE; an unknown incident
 * or cluster is SL_ENOTFOUND, and so is an incident none of whose theft txs / exploiter
 * addresses the store holds. An incident entry computes its taint set here (as `sleuth
 * detect` traces it; needs the store's tag db). One SQLite transaction: the entry and its
 * set, or nothing. *out gets the entry as JSON (with its id; owned by the caller). Writer
 * handle. */
int sl_watchlist_add(sl_watch *w, sl_store *s, const char *store_dir, const sl_watch_spec *spec,
                     cJSON **out, sl_error *e) SL_MUST_USE;
/* Removes entry id (SL_ENOTFOUND when there is none). Writer handle. */
int sl_watchlist_remove(sl_watch *w, int64_t id, sl_error *e) SL_MUST_USE;
/* The entries as a JSON document {"watchlist":[...]}. */
int sl_watchlist_json(sl_watch *w, cJSON **out, sl_error *e) SL_MUST_USE;

/* Alerts with id > since_id (0: all), at most limit (0: 1000), oldest first, as a JSON
 * document {"alerts":[...], "next": id}; since_time > 0 keeps those raised at or after it
 * (unix seconds). */
int sl_alerts_json(sl_watch *w, int64_t since_id, uint64_t since_time, uint64_t limit, cJSON **out,
                   sl_error *e) SL_MUST_USE;
/* Marks alert id acknowledged (SL_ENOTFOUND when there is none). Writer handle. */
int sl_alert_ack(sl_watch *w, int64_t id, const char *by, sl_error *e) SL_MUST_USE;

/* A confirmation depth of one chain (sl_watch_opts.conf). */
typedef struct sl_watch_conf {
    char chain[16];            /* the store's chain name: "btc" (any Bitcoin-family network),
                                * "ethereum", "bsc", ... */
    uint32_t n;                /* 1..10000 */
} sl_watch_conf;

typedef struct sl_watch_opts {
    const char *store_dir;
    const char *btc_rpc;       /* http://user:pass@127.0.0.1:port (NULL: not followed) */
    const char *eth_rpc;       /* http://127.0.0.1:port (NULL: not followed) */
    const char *eth_chain;     /* the store's name of that chain (NULL: "ethereum") */
    const char *network;       /* the Bitcoin-family network (NULL: the store's, else the node's:
                                * getblockchaininfo, Litecoin told apart by its user agent) */
    uint32_t confirmations;    /* every chain without its own depth in conf: the block is judged
                                * once it has this many confirmations (0: 1, the tip) */
    sl_watch_conf conf[8];     /* per-chain depths (sl_watch_confirmations_parse) */
    size_t n_conf;
    uint32_t undo_blocks;      /* K, the reorg depth handled (0: 100) */
    double poll_seconds;       /* (0: 2) */
    const char *webhook;       /* URL to POST alerts to (NULL: none) */
    const char *webhook_secret;/* the HMAC key (NULL: $SLEUTH_WEBHOOK_SECRET) */
    int webhook_retries;       /* with once: rounds of retries of failed deliveries before
                                * returning, 1, 2, 4 ... s apart (0: 4; negative: none) */
    bool once;                 /* catch up to the tips once, then return */
    bool quiet;
} sl_watch_opts;

/* Reads a --confirmations argument into o: "N" (every chain without its own depth),
 * "CHAIN=N" or a comma-separated list of both ("6,ethereum=12"); called once per flag,
 * later values win. CHAIN is a chain name as elsewhere ("btc", "bitcoin", "litecoin", any
 * Bitcoin-family network: the store's Bitcoin-family chain; "ethereum", "bsc", ...). N is
 * 1..10000. SL_EUSAGE naming the bad part. sl_watch_run refuses a depth for a chain it is
 * not told to follow. */
int sl_watch_confirmations_parse(sl_watch_opts *o, const char *text, sl_error *e) SL_MUST_USE;

/* Judges, after `sleuth ingest` committed them, the blocks of account chain `chain` that
 * the ingest added (block indexes first.. in ingest order; from the one after the last
 * judged block when that is earlier: an ingest that failed after a commit) against the
 * watchlist: the
 * alerts are stored and queued for the webhook (not printed: `sleuth alerts`, or printed
 * by the next `sleuth watch` run), exactly once per block hash as the watcher does; a
 * judged block the store no longer holds under its hash (a rollback by hand, then another
 * block at its height) has its alerts retracted first. This is how Tron, which the watcher
 * does not follow, is watched. Nothing to do (SL_OK) when the store has no watch.db.
 * *raised: alerts and retractions newly raised. s: the writer's handle. Errors: SQLite's,
 * SL_ECONFLICT (the fork is below the undo log). */
int sl_watch_after_ingest(sl_store *s, const char *store_dir, const char *chain, uint64_t first, bool quiet,
                          uint64_t *raised, sl_error *e) SL_MUST_USE;

/* Follows the tips until SIGINT/SIGTERM (or once caught up, with o->once), printing
 * each alert as one JSON line on stdout. Opens the store for writing (SL_ECONFLICT while
 * another writer holds it). Every alert is queued for the webhook; with o->webhook the
 * queue is delivered in alert order, those raised by earlier runs first. Errors: SL_EUSAGE
 * (nothing to follow, --webhook without a secret, an unknown network or chain, a
 * confirmation depth for a chain not followed), SL_EIO (a node unreachable after the retries,
 * said with its URL without credentials), SL_ECORRUPT (a node's answer that does not
 * parse), SL_ECONFLICT (the store holds another chain than the node's; a reorg deeper
 * than the undo log), the store's and SQLite's errors. A kill -9 at any point leaves
 * store, cursor and alerts consistent; the test hook $SLEUTH_TEST_KILL_AT =
 * watch-after-store-commit | watch-before-alert-commit | watch-after-alert-commit |
 * watch-after-retract-commit kills it at those points. Installs SIGINT/SIGTERM handlers.
 * Threads: call from one thread. */
int sl_watch_run(const sl_watch_opts *o, sl_error *e) SL_MUST_USE;

#endif
