/* deposit.h — deposit-address clustering on account chains (the Ethereum family, Tron):
 * Victor, "Address Clustering Heuristics for Ethereum" (FC 2020, Algorithm 1), as Tutela
 * (pareto-xyz/tutela-app, src/cluster/deposit.py) implements it, with the guards that let
 * it run without a list of known exchanges. docs/DEPOSIT.md states the rule, its
 * constants with their sources, the confidence formula and what the store cannot see.
 *
 * The pattern: an exchange gives each customer a deposit address. A customer pays it
 * (flow u -> d, amount a1, block b1); the exchange sweeps it to its hot wallet in a
 * transaction of its own (flow d -> h, amount a2, block b2) with b2 - b1 <= tau blocks and
 * 0 <= a1 - a2 <= alpha (the sweep pays the gas out of the deposit). A hot wallet is fed
 * by many deposit addresses: only an h swept into by at least k deposit addresses counts.
 * Deposit addresses belong to the exchange: each gives one merge edge deposit -> hot wallet
 * (SL_H_DEPOSIT, knowledge.h). Their senders are the exchange's *customers*: reported as
 * customer links, never merged with the exchange.
 *
 * Streaming: one pass over the chain's flows in store order (flows.col), reading the
 * eth_store columns. Memory holds the receipts of the last 2 tau blocks (two generations of
 * a window table) plus one record per candidate deposit address: it does not grow with
 * the number of flows.
 *
 * Threads: a scan uses the store handle (one thread at a time, as store.h); callbacks run
 * on the caller's thread. Nothing here keeps state between calls.
 */
#ifndef SLEUTH_DEPOSIT_H
#define SLEUTH_DEPOSIT_H

#include <stdbool.h>
#include <stdint.h>

#include "sleuth/chains.h"
#include "sleuth/err.h"
#include "sleuth/flow.h"
#include "sleuth/knowledge.h"
#include "sleuth/store.h"

/* Victor (FC 2020) and Tutela: a sweep within 3,200 blocks of the payment it forwards. */
#define SL_DEPOSIT_TAU 3200
/* Victor (FC 2020) and Tutela (a_max = 0.01 ether): the sweep may be up to 0.01 of the
 * native coin smaller than the payment (its gas), in base units per chain (ETH 10^16 wei). */
#define SL_DEPOSIT_ALPHA_ETH 10000000000000000ULL
/* Tron (our choice, docs/DEPOSIT.md): 2 TRX in sun — a transfer without free bandwidth
 * burns 0.1-0.35 TRX, activating the destination 1.1 TRX. */
#define SL_DEPOSIT_ALPHA_TRX 2000000ULL
/* Tokens (our choice): the gas is paid in the native coin, so a sweep forwards the whole
 * payment; alpha for tokens is a fraction of the payment, in millionths (0: exact). */
#define SL_DEPOSIT_ALPHA_TOKEN_PPM 0
/* k: a hot wallet is swept into by at least this many deposit addresses (our choice). */
#define SL_DEPOSIT_MIN_DEPOSITS 3
/* An exchange's hot wallet pays withdrawals to its many customers: one that received k
 * sweeps but paid fewer distinct addresses than this (after its first sweep) is a merchant
 * or a sink that relaying users pay, not an exchange (our choice, docs/DEPOSIT.md). */
#define SL_DEPOSIT_MIN_PAYEES 3
#define SL_DEPOSIT_PAYEES_MAX 16
/* A deposit address serves one customer (a few wallets of theirs): one paid by more
 * distinct senders is a service (a router, a relay), not a deposit (our choice). */
#define SL_DEPOSIT_MAX_SENDERS 8
/* Compile-time caps of what a deposit record keeps (counts go on past them). */
#define SL_DEPOSIT_EVIDENCE_MAX 8
#define SL_DEPOSIT_SENDERS_MAX 16
#define SL_DEPOSIT_ASSETS_MAX 4

typedef struct sl_deposit_params {
    uint64_t tau;               /* blocks from payment to sweep (>= 0) */
    sl_u256 alpha;              /* native coin: a1 - a2 at most this, base units */
    uint32_t alpha_token_ppm;   /* tokens: a1 - a2 at most a1 * ppm / 10^6 */
    uint32_t min_deposits;      /* k, >= 1 */
    uint32_t max_senders;       /* 1 .. SL_DEPOSIT_SENDERS_MAX */
    uint32_t min_payees;        /* a hot wallet pays this many distinct addresses (0: no test) */
    bool tokens;                /* follow ERC-20/TRC-20 flows too (default true) */
} sl_deposit_params;

/* The defaults above for chain ("ethereum", "tron", ...: alpha per its coin); false for a
 * name that is not an account chain (p is then set for Ethereum). Pure. */
bool sl_deposit_params_init(sl_deposit_params *p, const char *chain);

/* What the store knows of an account (docs/DEPOSIT.md, "what it cannot see"). */
typedef enum sl_deposit_kind {
    SL_DEPOSIT_KIND_UNKNOWN = 0,
    SL_DEPOSIT_KIND_EOA = 1,        /* it signed a transaction of the store */
    SL_DEPOSIT_KIND_CONTRACT = 2,   /* it sent an internal (trace) transfer, or was created */
} sl_deposit_kind;
const char *sl_deposit_kind_name(sl_deposit_kind k);   /* "unknown", "eoa", "contract" */

/* One sweep and the payment it forwards (the evidence). */
typedef struct sl_deposit_forward {
    sl_tx_ref in_tx, out_tx;    /* the customer's payment, the exchange's sweep */
    uint64_t in_flow, out_flow; /* their flow ids (flow.h, accounts) */
    uint64_t in_block, out_block;  /* block numbers */
    uint32_t sender, asset;     /* address id of the customer; asset id (0: native coin) */
    sl_u128 received, forwarded;
} sl_deposit_forward;

/* One detected deposit address. */
typedef struct sl_deposit {
    sl_addr_ref deposit, hot;
    uint32_t n_forwards;        /* matched sweeps to hot */
    uint32_t n_other;           /* flows the deposit sent elsewhere, or unmatched (after its first sweep) */
    uint32_t n_senders;         /* distinct customers (senders of matched payments) */
    uint64_t first_block, last_block;  /* of the sweeps */
    uint8_t kind;               /* sl_deposit_kind of the deposit address */
    uint8_t confidence;         /* 0..100, docs/DEPOSIT.md */
    uint32_t n_assets;          /* assets swept (totals kept for the first SL_DEPOSIT_ASSETS_MAX) */
    uint32_t asset[SL_DEPOSIT_ASSETS_MAX];
    sl_u128 forwarded[SL_DEPOSIT_ASSETS_MAX];
    uint32_t n_evidence;        /* the first sweeps, in chain order */
    sl_deposit_forward evidence[SL_DEPOSIT_EVIDENCE_MAX];
} sl_deposit;

/* A customer of an exchange: paid a deposit address a payment that was swept. NOT a merge. */
typedef struct sl_deposit_customer {
    sl_addr_ref customer, deposit, hot;
    sl_tx_ref first_tx;         /* its first matched payment */
    uint32_t n_payments;
    uint8_t kind;               /* sl_deposit_kind of the customer */
} sl_deposit_customer;

typedef struct sl_deposit_stats {
    uint64_t flows;             /* flows read */
    uint64_t considered;        /* value transfers between two addresses (no fees, sinks, rewards, zeros) */
    uint64_t matches;           /* sweeps matched to a payment */
    uint64_t same_tx;           /* forwards in the payment's own transaction (pass-through: ignored) */
    uint64_t candidates;        /* addresses with a matched sweep or a pass-through */
    uint64_t rejected_passthru; /* passed a payment on in its own transaction: a router, a forwarder */
    uint64_t rejected_senders;  /* more than max_senders customers: a service */
    uint64_t rejected_split;    /* swept to more than one destination, or sent elsewhere */
    uint64_t rejected_token;    /* swept into a token contract of the store (a call, not a wallet) */
    uint64_t rejected_k;        /* their destination had fewer than k deposit addresses */
    uint64_t rejected_payees;   /* their destination paid fewer than min_payees addresses */
    uint64_t deposits, hot_wallets, customers;
    uint64_t window_peak;       /* most window entries held at once */
} sl_deposit_stats;

/* Where the results go: any callback may be NULL. Returning anything but SL_OK stops the
 * scan, which returns that code. Order: hot wallets by address id; for each, its deposit
 * addresses by id; for each deposit, `deposit`, then `edge`, then its `customer` links.
 * Pointers passed are valid during the call only. */
typedef struct sl_deposit_out {
    sl_edge_sink edge;
    int (*deposit)(void *ctx, const sl_deposit *d);
    int (*customer)(void *ctx, const sl_deposit_customer *c);
    void *ctx;
} sl_deposit_out;

/* Scans account chain `chain` of s (p NULL: sl_deposit_params_init's). st (may be NULL)
 * gets the counts. Errors: SL_EUSAGE (not an account chain, bad parameters),
 * SL_ENOTFOUND (the store holds no block of it), SL_ENOMEM, the store's, or a callback's
 * code. Threads: s's. */
int sl_deposit_scan(sl_store *s, const char *chain, const sl_deposit_params *p, const sl_deposit_out *out,
                    sl_deposit_stats *st, sl_error *e) SL_MUST_USE;
/* The merge edges only (deposit -> hot wallet, SL_H_DEPOSIT): sl_deposit_scan with just
 * an edge sink. */
int sl_deposit_edges(sl_store *s, const char *chain, const sl_deposit_params *p, sl_edge_sink sink, void *ctx,
                     sl_deposit_stats *st, sl_error *e) SL_MUST_USE;

#endif
