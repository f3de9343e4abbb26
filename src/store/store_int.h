/* store_int.h — private to the store layer: what the per-chain stores (eth_store.c) need
 * from the shared sl_store handle (its LMDB environment, the long-lived read transaction,
 * the directory, and one slot for their own state, freed by sl_store_close). */
#ifndef SLEUTH_STORE_INT_H
#define SLEUTH_STORE_INT_H

#include <lmdb.h>
#include <stdbool.h>

#include "sleuth/store.h"

struct sl_eth_state;

MDB_env *sl_store_env(sl_store *s);
MDB_txn *sl_store_rtxn(sl_store *s);
const char *sl_store_dir(const sl_store *s);
bool sl_store_writable(const sl_store *s);
/* The slot holding the Ethereum-family state (NULL until first used). */
struct sl_eth_state **sl_store_eth_slot(sl_store *s);
/* Records that a chain committed data through this handle (the store is then kept). */
void sl_store_mark_written(sl_store *s);
/* Renews the read transaction so this process sees what it just committed. */
int sl_store_renew(sl_store *s, sl_error *e) SL_MUST_USE;
/* The error for a store of another format version (version 1: how to rebuild it). */
int sl_store_version_error(sl_error *e, const char *dir, uint32_t version);
/* Defined in eth_store.c; called by sl_store_close. */
void sl_eth_state_free(struct sl_eth_state *st);

#endif
