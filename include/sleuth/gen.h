/* gen.h — the world generator behind `sleuth gen world` (issue 12): a deterministic
 * synthetic three-chain world (Bitcoin regtest blocks, Ethereum JSON-RPC dumps, a Tron
 * export in GraphSense's schema) with background traffic of ordinary users and services
 * (exchanges, a DEX pool, THORChain, a CoinJoin coordinator, Tornado Cash pools, a USDT
 * bridge from Ethereum to Tron, OTC desks) and one theft laundered after
 * a recipe modelled on a real case (dmm: DMM Bitcoin 2024; bybit: Bybit 2025), with the
 * ground truth written beside it for scoring. The folder layout, the truth format and the
 * recipes are documented in docs/WORLDS.md.
 */
#ifndef SLEUTH_GEN_H
#define SLEUTH_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "sleuth/err.h"

typedef struct sl_gen_opts {
    const char *recipe;      /* "dmm" or "bybit" */
    uint64_t seed;           /* same seed, same options: byte-identical output */
    const char *out;         /* output folder; created if missing, must be empty if it exists */
    uint64_t background_txs; /* background transactions over the three chains (0: 20,000) */
    double scale;            /* multiplies the stolen amount (0: 1.0) */
    bool quiet;              /* no progress line on stderr */
} sl_gen_opts;

typedef struct sl_gen_stats {
    uint64_t btc_blocks, btc_txs, eth_blocks, eth_txs, thief_txs, addresses;
    uint64_t tron_blocks, tron_txs;
} sl_gen_stats;

/* Writes the world of opts into opts->out (btc/, eth/, tron/, tags/, incidents.yaml, truth.json,
 * truth-addresses.csv) and fills *st (may be NULL). Memory stays bounded by the live
 * state (unspent outputs, addresses), not the output: blocks are streamed to disk.
 * Errors: SL_EUSAGE (unknown recipe, a folder that is not empty), SL_EIO (cannot write,
 * with the path), SL_ENOMEM. Thread-safe: all state
 * is per call. */
int sl_gen_world(const sl_gen_opts *opts, sl_gen_stats *st, sl_error *e) SL_MUST_USE;

#endif
