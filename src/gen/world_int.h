/* world_int.h — the services of the generated world (world.c, tron_world.c) as the recipes
 * (recipes.c) use them: their addresses, their queues (THORChain outbounds, Tornado notes
 * waiting for withdrawal, CoinJoin premix outputs, the USDT bridge's releases) and the
 * actions that write their transactions.
 * Prices of the world: 1 BTC = 18.5 ETH, 1 ETH = 2,700 USDT (on Ethereum and Tron alike);
 * THORChain keeps 0.3-0.5%; the bridge keeps 0.1% + 1 USDT.
 */
#ifndef SLEUTH_GEN_WORLD_INT_H
#define SLEUTH_GEN_WORLD_INT_H

#include "gen_int.h"

#define PRICE_BTC_ETH 18.5
#define PRICE_ETH_USDT 2700.0
#define CJ_DENOM 50000000ULL     /* the CoinJoin pool: 0.5 BTC */
#define CJ_PREMIX_FEE 5000ULL    /* each premix output's share of the round's mining fee */
#define CJ_COORD_FEE 1750000ULL  /* the coordinator's fee, paid in tx0 */
#define N_BX 3                   /* Bitcoin exchanges (in dmm, exchange 0 is the victim) */
#define N_EX 3                   /* Ethereum exchanges */
#define N_RELAYER 3
#define N_WHALES 40              /* Ethereum users rich enough for the 100 ETH Tornado pool */
#define BRIDGE_FEE_BPS 10        /* the USDT bridge keeps 0.1% of a deposit ... */
#define BRIDGE_FEE_UNITS 1000000ULL /* ... plus 1 USDT */
#define BRIDGE_MIN 10000000ULL   /* and takes deposits of 10 USDT or more */
#define SUN_PER_TRX 1000000ULL

struct gen_swap {
    uint64_t due;
    int dir; /* 0 BTC -> ETH, 1 ETH -> BTC */
    uint8_t in_id[32]; /* inbound txid (Bitcoin, internal order) or hash (Ethereum) */
    uint32_t dest, refund_to;
    u128 out;
    uint64_t usdt_out, refund_amount;
    int parts;
    bool refund;
    const char *stage; /* the thief's swap: its truth stage; NULL for background */
};

typedef struct tc_note {
    int pool;
    uint8_t commitment[32], dep_tx[32];
} tc_note;
typedef struct tc_pending {
    tc_note note;
    uint64_t due, gas;
} tc_pending;

typedef struct world_services {
    const char *bx_name[N_BX], *ex_name[N_EX], *bx_dep_role[N_BX], *ex_dep_role[N_EX];
    uint32_t bx_hot[N_BX], btc_vault, coord;
    addr_list bdep[N_BX];
    utxo_list bdep_utxo[N_BX], bhot_utxo[N_BX], vault_utxo, premix, premix_thief;
    uint32_t *busers;
    size_t n_busers, cap_busers;
    uint32_t ex_hot[N_EX], eth_vault, router, usdt, pool, router_v2, tether, tc[4], relayer[N_RELAYER], otc;
    addr_list edep[N_EX];
    uint32_t whales[N_WHALES];
    uint32_t *eusers;
    size_t n_eusers, cap_eusers;
    u128 pool_eth;
    uint64_t pool_usdt;
    uint64_t tc_leaf[4];
    gen_swap *swaps;
    size_t n_swaps, cap_swaps;
    tc_pending *tcq;
    size_t n_tcq, cap_tcq;
    bool streamed;
    struct gb_out *pm;
    size_t cap_pm;
    sl_buf scratch;
    uint8_t t_transfer[32], t_swap_v2[32], t_tc_deposit[32], t_tc_withdrawal[32], t_thor_deposit[32],
        t_thor_transfer_out[32];
    uint8_t sel_transfer[4], sel_transfer_out[4], sel_deposit_exp[4], sel_tc_withdraw[4];
    /* Tron (tron_world.c) and the USDT bridge Ethereum -> Tron */
    uint32_t t_usdt, t_tether, t_hot, t_otc, bridge_dep /* Ethereum */, bridge_rel /* Tron */;
    addr_list tdep;
    uint32_t *tusers;
    size_t n_tusers, cap_tusers;
    struct bridge_release { uint32_t to; uint64_t amount, dep_amount; const char *stage; uint8_t dep[32]; } *bq;
    size_t n_bq, cap_bq;
} world_services;

/* helpers and actions of world.c */
u128 eth_amount(gen_world *w, double lo, double hi);
uint64_t gas_habit(gen_world *w, uint32_t acct);
uint32_t btc_user_addr(gen_world *w);
uint32_t btc_deposit_addr(gen_world *w, int ex);
uint32_t eth_deposit_addr(gen_world *w, int ex);
void utxo_push(gen_world *w, utxo_list *l, const gb_utxo *u);
/* Adds outputs of l to the open transaction until they cover need; returns their sum. */
uint64_t utxo_spend(gen_world *w, utxo_list *l, uint64_t need);
uint64_t btc_fee(gen_world *w, size_t nin, size_t nout);
void usdt_transfer_log(gen_world *w, uint32_t from, uint32_t to, uint64_t amount);
void usdt_send(gen_world *w, uint32_t from, uint32_t to, uint64_t amount, uint64_t gas_price);
uint64_t dex_eth_to_usdt(gen_world *w, uint32_t who, u128 wei, uint64_t gas_price);
u128 dex_usdt_to_eth(gen_world *w, uint32_t who, uint64_t usdt, uint64_t gas_price);
u128 tc_denom(int pool);
void tc_deposit(gen_world *w, uint32_t who, int pool, uint64_t gas_price, tc_note *note);
u128 tc_withdraw(gen_world *w, const tc_note *note, uint32_t to, uint32_t relayer, uint64_t gas_price);
/* The open transaction (inputs worth in_sum added) becomes a THORChain inbound: amount to
 * the vault, the memo (form 0 "=:ETH.ETH", 1 "SWAP:ETH.ETH", 2 "s:e"; usdt: the USDT pool;
 * parts > 1: streaming), change. stage != NULL: the thief's (truth), the outbound credits
 * dest_eth. */
void thor_btc_inbound(gen_world *w, uint64_t in_sum, uint64_t amount, uint32_t change_addr, uint32_t dest_eth,
                      int form, bool usdt, int parts, bool refund, uint32_t refund_to, const char *stage);
/* A deposit through the router; the Bitcoin outbound, when it is the thief's (stage), puts
 * its output in w->loot_utxo and credits dest_btc. */
void thor_eth_inbound(gen_world *w, uint32_t who, u128 wei, uint32_t dest_btc, uint64_t gas_price, const char *stage);
void cj_tx0(gen_world *w, const gb_utxo *u, uint32_t premix_addr, uint32_t change_addr, bool thief);
bool cj_round(gen_world *w, size_t mine, uint32_t *thief_out, size_t *n_thief_out);

/* tron_world.c: Tron's services, block 0, background traffic, and the USDT bridge */
void tron_setup(gen_world *w);
void tron_premine(gen_world *w, uint64_t n_users, double loot_usdt);
/* The end of a tick on Tron: the bridge's releases of the deposits made this tick, n
 * background transactions, the block (5 minutes after the tick's Bitcoin block). */
void tron_tick_end(gen_world *w, uint64_t n);
void tron_free(gen_world *w);
/* who (an Ethereum account) pays amount USDT to the bridge's deposit address; the bridge
 * releases amount less its fee to `to` (a Tron account) in this tick's Tron block. stage
 * != NULL: the thief's (the release is a thief transaction of that stage). Returns the
 * amount released. The deposit is the last Ethereum transaction. */
uint64_t bridge_deposit(gen_world *w, uint32_t who, uint64_t amount, uint32_t to, uint64_t gas_price,
                        const char *stage);
uint32_t tron_user(gen_world *w, bool fresh);

/* recipes.c */
void recipe_init(gen_world *w);        /* loot, the clock's start, the first Ethereum block */
void recipe_setup(gen_world *w);       /* the victim and the thief's first addresses */
void recipe_premine_eth(gen_world *w); /* the victim's Ethereum funds (withdrawals of block 0) */
void recipe_tick(gen_world *w);        /* the thief's actions of this tick */
void recipe_finish(gen_world *w);      /* where the loot is: truth's final entries */
void recipe_free(gen_world *w);

#endif
