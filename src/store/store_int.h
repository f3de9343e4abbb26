/* store_int.h — private to the store layer: the store handle shared by the generic core
 * (store.c: folder, lock, LMDB commit record, snapshots) and the chain backends
 * (btc_store.c, eth_store.c), and the hooks between them. */
#ifndef SLEUTH_STORE_INT_H
#define SLEUTH_STORE_INT_H

#include <lmdb.h>
#include <stdbool.h>

#include "sleuth/store.h"

struct sl_eth_state;
struct sl_btc_state;

struct sl_store {
    char dir[400];
    int mode, lockfd;
    bool fresh;     /* writer: the store held no committed data when this handle opened it */
    bool wrote;     /* writer: this handle committed data (a chain's records) */
    bool made_dir;  /* writer: this handle created DIR itself */
    bool nolock;    /* reader without write access to LMDB's lock file (MDB_NOLOCK + LOCK_SH) */
    size_t mapsize; /* LMDB map size in force (writers grow it between batches) */
    MDB_env *env;
    MDB_txn *rtxn;
    MDB_dbi db_meta;
    struct sl_btc_state *btc; /* Bitcoin-family chain (btc_store.c) */
    struct sl_eth_state *eth; /* Ethereum-family chains (eth_store.c), made on first use */
};

MDB_env *sl_store_env(sl_store *s);
MDB_txn *sl_store_rtxn(sl_store *s);
const char *sl_store_dir(const sl_store *s);
bool sl_store_writable(const sl_store *s);
/* Whether another process has a reader slot in the index's reader table: a reader handle
 * open there, whose snapshot (and mappings of the columns) may reach past the counts a
 * rollback committed. A writer closing then leaves its columns' length as it is (no trim):
 * truncating them under that reader's mapping would crash it (SIGBUS) before its next
 * snapshot. */
bool sl_store_shared(sl_store *s);
/* The slot holding the Ethereum-family state (NULL until first used). */
struct sl_eth_state **sl_store_eth_slot(sl_store *s);
/* Records that a chain committed data through this handle (the store is then kept). */
void sl_store_mark_written(sl_store *s);
/* A chain whose last records were removed (a rollback to nothing) no longer counts as data
 * written by this handle when no other chain wrote (so a refused first ingest that was
 * rolled back leaves no store). */
void sl_store_mark_unwritten(sl_store *s);
/* Renews the read transaction so this process sees what it just committed. */
int sl_store_renew(sl_store *s, sl_error *e) SL_MUST_USE;
/* The error for a store of another format version (how to rebuild it). */
int sl_store_version_error(sl_error *e, const char *dir, uint32_t version);
/* An LMDB error in words (disk full, map full, ...). */
int sl_store_mdb_fail(sl_error *e, const char *what, int rc);
/* ---- the Ethereum-family backend (eth_store.c), driven by the core ---- */
/* Frees the chains' handles (a writer's maps are checkpointed first); sl_store_close. */
void sl_eth_state_free(struct sl_eth_state *st);
/* Moves every open chain's view (no batch open) to the commit the core's read
 * transaction sees. */
int sl_eth_state_renew(sl_store *s, sl_error *e) SL_MUST_USE;
/* Removes the backend's files from DIR (a store that was never committed to). */
void sl_eth_state_remove_files(const char *dir);
/* Whether a chain's commit record (v[0..n)) is of this sleuth's Ethereum layout; the error
 * for one that is not (with the command that rebuilds it). */
bool sl_eth_layout_ok(const void *v, size_t n);
int sl_eth_layout_error(sl_error *e, const char *dir, const char *chain);

/* ---- the Bitcoin backend (btc_store.c), driven by the core ---- */
/* Opens the backend inside the core's opening transaction (creates its databases and
 * files for a writer; a reader of a store without Bitcoin data gets empty columns). */
int sl_btc_state_open(sl_store *s, MDB_txn *txn, sl_error *e) SL_MUST_USE;
/* Moves the backend's view to the commit the core's read transaction sees. */
int sl_btc_state_renew(sl_store *s, sl_error *e) SL_MUST_USE;
/* Readers: true when the view is torn — addr.map was mapped after a writer moved its
 * addresses into a cold run this view's commit does not name yet (the writer starts
 * addr.map anew only after that commit, so a newer snapshot mends it). */
bool sl_btc_torn(const sl_store *s);
/* Writers: checkpoints the writer's tables; then frees everything. */
void sl_btc_state_close(sl_store *s);
/* Removes the backend's files from DIR (a store that was never committed to). */
void sl_btc_state_remove_files(const char *dir);

/* ---- annotations (annot.c) ---- */
/* Deletes the annotation rows of chain with tx id >= first_tx when the store has an
 * annot.db (a rollback, after its commit: a failure leaves rows past the committed counts,
 * which readers ignore and the next writer deletes). Writer handle. */
int sl_annot_cut_store(sl_store *s, uint16_t chain, uint64_t first_tx, sl_error *e) SL_MUST_USE;
/* Removes DIR/annot.db and its journal files (a store that was never committed to). */
void sl_annot_remove_files(const char *dir);

#endif
