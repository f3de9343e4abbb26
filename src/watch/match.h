/* match.h — the per-block matcher of the watcher (match.c): its context, the block being
 * judged, and the rollback of what blocks above a fork decided. Private to src/watch/. */
#ifndef SLEUTH_WATCH_MATCH_H
#define SLEUTH_WATCH_MATCH_H

#include "watch_int.h"

#include "sleuth/cluster.h"
#include "sleuth/eth_store.h"
#include "sleuth/tags.h"

/* A watchlist entry as the matcher reads it. */
typedef struct wentry {
    int64_t id;
    char kind[16], target[160], chain[32], policy[16], min[48], label[208];
    char asset[48];       /* "" every asset of the chain, "native" its coin, "0x…" a token */
} wentry;

/* The block being judged. */
typedef struct wblock {
    const char *chain;    /* "btc" or the account chain's name */
    const char *network;  /* the Bitcoin network, or the account chain's name */
    const char *unit;     /* "sat", "wei", ... (the unit of "amount") */
    uint64_t height, time;
    char hash[67];        /* as the chain prints it (Bitcoin: reversed hex; EVM: 0x hex) */
} wblock;

typedef struct wmatch {
    sl_watch *w;
    sl_store *s;
    const sl_btc_net *net;   /* the store's Bitcoin network (NULL: none) */
    sl_eth_chain *ec;        /* the followed account chain (NULL: none) */
    sl_tags *tags;           /* service tags (NULL: the store has none) */
    sl_cluster *cl_btc;      /* the Bitcoin-family clustering (NULL: none built) */
    wentry *ent;
    size_t n_ent, cap_ent;
    uint64_t raised;         /* alerts and retractions newly inserted */
} wmatch;

/* Reads the watchlist into m->ent. */
int wm_init(wmatch *m, sl_error *e) SL_MUST_USE;
void wm_free(wmatch *m);
/* Judges block bidx of the store (already ingested) as b: alerts, set changes. Inside the
 * caller's transaction. */
int wm_eval_btc(wmatch *m, const wblock *b, uint32_t bidx, sl_error *e) SL_MUST_USE;
int wm_eval_eth(wmatch *m, const wblock *b, uint32_t bidx, sl_error *e) SL_MUST_USE;
/* Takes back what blocks of chain above height fork decided: a retraction for every alert
 * they raised that has none yet, the set items they added or spent, their undo-log rows.
 * why: the retraction's reason. Inside the caller's transaction (which also moves the
 * cursor to the fork). */
int wm_rollback(wmatch *m, const char *chain, uint64_t fork, const char *why, sl_error *e) SL_MUST_USE;

#endif
