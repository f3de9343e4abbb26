/* test_litecoind.c — a second, independent source: a real `litecoind -regtest` (Litecoin Core
 * 0.21, a Bitcoin Core fork) mines ~120 blocks and makes legacy, p2sh-segwit, p2wpkh and p2wsh
 * multisig payments (one tx spending all four input kinds, one with 5+ outputs, one needing
 * many inputs, one spending an output of its own block); sleuth then ingests the node's own
 * blk*.dat files, and every block (hash by height, header fields, size, weight, txids in
 * order), every tx (wtxid, size/vsize/weight, inputs' prevouts/values/addresses, outputs'
 * values/addresses), every fee (node prevouts minus outputs, wallet gettransaction, block
 * getblockstats totalfee) and every address (balance vs scantxoutset, received vs the node's
 * outputs and getreceivedbyaddress) must equal what the node's JSON-RPC reports. A second
 * test does the same from a copy of the blocks/ folder obfuscated with a random xor.dat key,
 * as Bitcoin Core 28+ writes it, and checks the same bytes without xor.dat are refused.
 *
 * Two conventions differ from Core and are checked explicitly: sleuth files a P2PK output
 * under its key's P2PKH address (Core 0.20+ names no address; the node derives it for us with
 * deriveaddresses), and counts the genesis coinbase as unspent (Core keeps it out of the UTXO
 * set, so scantxoutset never sees it).
 *
 * The node (start, stop, JSON-RPC through litecoin-cli) is tests/litecoind.c's.
 *
 * Needs: litecoind and litecoin-cli on PATH (scripts/install-deps.sh installs them), or
 * $LITECOIND / $LITECOIN_CLI; $SLEUTH_BIN (default build/sleuth). $SLEUTH_KEEP_TMP=1 keeps
 * the temporary folder. Run one: build/run-tests --filter litecoind/blk_files_match_rpc.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "helpers.h"
#include "litecoind.h"

/* ---------------- the scenario ---------------- */

/* Wallet txids the scenario created, to cross-check fees with the wallet's own accounting. */
typedef struct scenario {
    char txids[32][65];
    int ntx;
} scenario;

static void remember(scenario *sc, const char *txid)
{
    cr_assert(sc->ntx < 32 && strlen(txid) == 64, "unexpected txid '%s'", txid);
    snprintf(sc->txids[sc->ntx++], 65, "%s", txid);
}

static void send_to(scenario *sc, const char *addr, const char *amount)
{
    char *t = ltc_rpc_str(true, "sendtoaddress", addr, amount, NULL);
    remember(sc, t);
    free(t);
}


/* Signs a raw tx with the wallet and broadcasts it. */
static void sign_send(scenario *sc, const char *ins, const char *outs)
{
    char *raw = ltc_rpc_str(true, "createrawtransaction", ins, outs, NULL), *txid;
    cJSON *signed_ = ltc_rpc_json(true, "signrawtransactionwithwallet", raw, NULL);
    cr_assert(cJSON_IsTrue(ltc_get(signed_, "complete")), "wallet could not sign %s", ins);
    txid = ltc_rpc_str(false, "sendrawtransaction", ltc_gets(signed_, "hex"), NULL);
    remember(sc, txid);
    free(txid);
    free(raw);
    cJSON_Delete(signed_);
}

/* Builds the chain: ~120 blocks mined to a legacy and a bech32 address, then payments of every
 * standard kind. All amounts are fixed so every run checks the same shapes. */
static void build_chain(scenario *sc)
{
    char *mine_l, *mine_w, *l1, *l2, *p1, *w1, *w2, *k1, *k2, *ms;
    char buf[1024], ins[1024], in_l[80], in_p[80], in_w[80], in_m[80];
    cJSON *j, *blocks;
    memset(sc, 0, sizeof *sc);
    j = ltc_rpc_json(false, "createwallet", "w", NULL);
    cJSON_Delete(j);
    mine_l = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    mine_w = ltc_rpc_str(true, "getnewaddress", "", "bech32", NULL);
    l1 = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    l2 = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    p1 = ltc_rpc_str(true, "getnewaddress", "", "p2sh-segwit", NULL);
    w1 = ltc_rpc_str(true, "getnewaddress", "", "bech32", NULL);
    w2 = ltc_rpc_str(true, "getnewaddress", "", "bech32", NULL);
    k1 = ltc_rpc_str(true, "getnewaddress", "", "bech32", NULL);
    k2 = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    /* a 2-of-2 p2wsh multisig whose keys are both in the wallet, so it can spend it */
    snprintf(buf, sizeof buf, "[\"%s\",\"%s\"]", k1, k2);
    j = ltc_rpc_json(true, "addmultisigaddress", "2", buf, "", "bech32", NULL);
    ms = strdup(ltc_gets(j, "address"));
    cJSON_Delete(j);
    cr_assert(!strncmp(mine_l, "m", 1) || !strncmp(mine_l, "n", 1), "legacy address %s", mine_l);
    cr_assert(!strncmp(mine_w, "rltc1q", 6) && !strncmp(ms, "rltc1q", 6) && strlen(ms) == 64, "bech32: %s %s", mine_w, ms);
    cr_assert(p1[0] == 'Q', "p2sh-segwit address %s (Litecoin regtest p2sh prefix 0x3a)", p1);

    blocks = ltc_rpc_json(false, "generatetoaddress", "60", mine_l, NULL);
    cJSON_Delete(blocks);
    blocks = ltc_rpc_json(false, "generatetoaddress", "55", mine_w, NULL);
    cJSON_Delete(blocks);

    /* single payments of each kind, then one tx with many outputs, then one needing many inputs
     * (every spendable coin is a 50 LTC coinbase or change below that) */
    send_to(sc, l1, "1.5");
    send_to(sc, p1, "2.25");
    send_to(sc, w1, "3.125");
    send_to(sc, ms, "4.0");
    snprintf(buf, sizeof buf, "{\"%s\":0.1,\"%s\":0.2,\"%s\":0.3,\"%s\":0.4,\"%s\":0.5}", l1, p1, w1, ms, l2);
    {
        char *t = ltc_rpc_str(true, "sendmany", "", buf, NULL);
        remember(sc, t);
        free(t);
    }
    send_to(sc, w2, "120");
    blocks = ltc_rpc_json(false, "generatetoaddress", "1", mine_w, NULL);
    cJSON_Delete(blocks);

    /* one tx spending a p2pkh, a p2sh-p2wpkh, a p2wpkh and a p2wsh multisig output at once,
     * paying three outputs of three kinds; fee 0.0001 */
    snprintf(in_l, sizeof in_l, "%s", sc->txids[0]);
    snprintf(in_p, sizeof in_p, "%s", sc->txids[1]);
    snprintf(in_w, sizeof in_w, "%s", sc->txids[2]);
    snprintf(in_m, sizeof in_m, "%s", sc->txids[3]);
    snprintf(ins, sizeof ins,
             "[{\"txid\":\"%s\",\"vout\":%d},{\"txid\":\"%s\",\"vout\":%d},{\"txid\":\"%s\",\"vout\":%d},"
             "{\"txid\":\"%s\",\"vout\":%d}]",
             in_l, ltc_vout_to(in_l, l1), in_p, ltc_vout_to(in_p, p1), in_w, ltc_vout_to(in_w, w1), in_m, ltc_vout_to(in_m, ms));
    /* in: 1.5 + 2.25 + 3.125 + 4.0 = 10.875 */
    snprintf(buf, sizeof buf, "{\"%s\":4.0,\"%s\":3.0,\"%s\":3.8749}", l2, w1, p1);
    sign_send(sc, ins, buf);

    /* a chain inside one block: pay w2, then spend that still unconfirmed output to l1 */
    send_to(sc, w2, "7.0");
    snprintf(ins, sizeof ins, "[{\"txid\":\"%s\",\"vout\":%d}]", sc->txids[sc->ntx - 1],
             ltc_vout_to(sc->txids[sc->ntx - 1], w2));
    snprintf(buf, sizeof buf, "{\"%s\":6.9998}", l1);
    sign_send(sc, ins, buf);
    blocks = ltc_rpc_json(false, "generatetoaddress", "1", mine_l, NULL);
    cJSON_Delete(blocks);

    /* spend the multisig's second output (from the sendmany) to a legacy address, mined later */
    snprintf(ins, sizeof ins, "[{\"txid\":\"%s\",\"vout\":%d}]", sc->txids[4], ltc_vout_to(sc->txids[4], ms));
    snprintf(buf, sizeof buf, "{\"%s\":0.3999}", l2);
    sign_send(sc, ins, buf);
    blocks = ltc_rpc_json(false, "generatetoaddress", "2", mine_l, NULL);
    cJSON_Delete(blocks);
    {
        cJSON *mp = ltc_rpc_json(false, "getrawmempool", NULL);
        cr_assert_eq(cJSON_GetArraySize(mp), 0, "mempool not empty after mining");
        cJSON_Delete(mp);
    }
    free(mine_l), free(mine_w), free(l1), free(l2), free(p1), free(w1), free(w2), free(k1), free(k2), free(ms);
}

/* ---------------- what the node reports ---------------- */

typedef struct addr_truth {
    char addr[100];
    char pubkey[140];   /* hex key when P2PK outputs pay it (sleuth files them under the P2PKH address) */
    int64_t received, coinbase_received; /* sum of outputs paying it, of them in coinbases */
    int64_t genesis;    /* of them in the genesis block, which Core keeps out of its UTXO set */
    int64_t n_out;
    bool mine;          /* the wallet's: getreceivedbyaddress applies */
} addr_truth;

typedef struct truth {
    int64_t height;
    char best[65];
    cJSON *blocks;       /* array by height of getblock verbosity 2 */
    cJSON *prevtx;       /* object txid -> getrawtransaction verbose, for every spent output */
    cJSON *fees;         /* object txid -> fee in satoshi (node's prevouts minus outputs) */
    cJSON *wallet_fee;   /* object txid -> -gettransaction.fee in satoshi */
    cJSON *stats;        /* array by height of getblockstats totalfee (null at 0) */
    addr_truth *addrs;
    int naddr;
    cJSON *balance;      /* object addr -> scantxoutset total_amount in satoshi */
    cJSON *received;     /* object addr -> getreceivedbyaddress(addr, 0) ltc_sat (wallet addrs) */
    int64_t ntx;
} truth;

static addr_truth *addr_slot(truth *t, const char *a)
{
    for (int i = 0; i < t->naddr; i++)
        if (!strcmp(t->addrs[i].addr, a)) return &t->addrs[i];
    t->addrs = realloc(t->addrs, (size_t)(t->naddr + 1) * sizeof *t->addrs);
    cr_assert(t->addrs != NULL);
    memset(&t->addrs[t->naddr], 0, sizeof *t->addrs);
    snprintf(t->addrs[t->naddr].addr, sizeof t->addrs->addr, "%s", a);
    return &t->addrs[t->naddr++];
}

/* Litecoin Core 0.21 (like Bitcoin Core 0.20+) names no address for a P2PK output; sleuth
 * files P2PK under the key's P2PKH address, as explorers do. Asks the node to derive that
 * address (deriveaddresses "pkh(KEY)") and writes it into the vout as "addresses", with the
 * key in "sleuth_pubkey", so the comparisons below treat it like any other address. */
static void annotate_p2pk(cJSON *tx)
{
    cJSON *vout;
    cJSON_ArrayForEach(vout, cJSON_GetObjectItemCaseSensitive(tx, "vout")) {
        cJSON *spk = cJSON_GetObjectItemCaseSensitive(vout, "scriptPubKey"), *di, *da;
        char key[140], desc[200];
        const char *asm_;
        if (!spk || strcmp(ltc_gets(spk, "type"), "pubkey") != 0 || ltc_vout_addr(vout)) continue;
        asm_ = ltc_gets(spk, "asm");
        cr_assert(sscanf(asm_, "%139[0-9a-f] OP_CHECKSIG", key) == 1, "P2PK asm %s", asm_);
        snprintf(desc, sizeof desc, "pkh(%s)", key);
        di = ltc_rpc_json(false, "getdescriptorinfo", desc, NULL);
        da = ltc_rpc_json(false, "deriveaddresses", ltc_gets(di, "descriptor"), NULL);
        cr_assert(cJSON_IsArray(da) && cJSON_GetArraySize(da) == 1 && cJSON_IsString(da->child));
        cJSON_AddItemToObject(spk, "addresses", cJSON_CreateStringArray((const char *const[]){da->child->valuestring}, 1));
        cJSON_AddStringToObject(spk, "sleuth_pubkey", key);
        cJSON_Delete(di);
        cJSON_Delete(da);
    }
}

/* Asks the node everything sleuth will be compared against (before it is stopped). */
static void snapshot(truth *t, const scenario *sc)
{
    cJSON *bc = ltc_rpc_json(false, "getblockcount", NULL);
    char *best = ltc_rpc_str(false, "getbestblockhash", NULL), hbuf[24];
    memset(t, 0, sizeof *t);
    cr_assert(cJSON_IsNumber(bc));
    t->height = (int64_t)bc->valuedouble;
    cJSON_Delete(bc);
    snprintf(t->best, sizeof t->best, "%s", best);
    free(best);
    t->blocks = cJSON_CreateArray();
    t->prevtx = cJSON_CreateObject();
    t->fees = cJSON_CreateObject();
    t->wallet_fee = cJSON_CreateObject();
    t->stats = cJSON_CreateArray();
    t->balance = cJSON_CreateObject();
    t->received = cJSON_CreateObject();
    for (int64_t h = 0; h <= t->height; h++) {
        char *hash;
        cJSON *b;
        const cJSON *tx;
        snprintf(hbuf, sizeof hbuf, "%lld", (long long)h);
        hash = ltc_rpc_str(false, "getblockhash", hbuf, NULL);
        b = ltc_rpc_json(false, "getblock", hash, "2", NULL);
        cr_assert_str_eq(ltc_gets(b, "hash"), hash);
        cr_assert_eq(ltc_geti(b, "height"), h);
        free(hash);
        cJSON_AddItemToArray(t->blocks, b);
        if (h == 0) cJSON_AddItemToArray(t->stats, cJSON_CreateNull());
        else {
            cJSON *st = ltc_rpc_json(false, "getblockstats", hbuf, "[\"totalfee\"]", NULL);
            cJSON_AddItemToArray(t->stats, cJSON_CreateNumber((double)ltc_geti(st, "totalfee")));
            cJSON_Delete(st);
        }
        cJSON_ArrayForEach(tx, ltc_get(b, "tx")) {
            const cJSON *vin, *vout;
            bool cb = false;
            int64_t in_sum = 0, out_sum = 0;
            t->ntx++;
            annotate_p2pk((cJSON *)tx);
            cJSON_ArrayForEach(vin, ltc_get(tx, "vin")) {
                const char *pt;
                const cJSON *ptx, *pv;
                int64_t n;
                if (cJSON_GetObjectItemCaseSensitive(vin, "coinbase")) { cb = true; continue; }
                pt = ltc_gets(vin, "txid");
                n = ltc_geti(vin, "vout");
                if (!(ptx = cJSON_GetObjectItemCaseSensitive(t->prevtx, pt))) {
                    cJSON *r = ltc_rpc_json(false, "getrawtransaction", pt, "true", NULL);
                    annotate_p2pk(r);
                    cJSON_AddItemToObject(t->prevtx, pt, r);
                    ptx = r;
                }
                pv = cJSON_GetArrayItem(ltc_get(ptx, "vout"), (int)n);
                cr_assert(pv != NULL, "prevout %s:%lld missing", pt, (long long)n);
                in_sum += ltc_sat(ltc_get(pv, "value"));
            }
            cJSON_ArrayForEach(vout, ltc_get(tx, "vout")) {
                const char *a = ltc_vout_addr(vout);
                int64_t v = ltc_sat(ltc_get(vout, "value"));
                out_sum += v;
                if (a) {
                    addr_truth *at = addr_slot(t, a);
                    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(ltc_get(vout, "scriptPubKey"), "sleuth_pubkey");
                    at->received += v;
                    at->n_out++;
                    if (cb) at->coinbase_received += v;
                    if (h == 0) at->genesis += v;
                    if (pk) snprintf(at->pubkey, sizeof at->pubkey, "%s", pk->valuestring);
                }
            }
            if (!cb) cJSON_AddItemToObject(t->fees, ltc_gets(tx, "txid"), cJSON_CreateNumber((double)(in_sum - out_sum)));
        }
    }
    for (int i = 0; i < sc->ntx; i++) {
        cJSON *wt = ltc_rpc_json(true, "gettransaction", sc->txids[i], NULL);
        cJSON_AddNumberToObject(t->wallet_fee, sc->txids[i], (double)-ltc_sat(ltc_get(wt, "fee")));
        cJSON_Delete(wt);
    }
    for (int i = 0; i < t->naddr; i++) {
        char desc[400];
        cJSON *sc_, *info;
        if (t->addrs[i].pubkey[0]) /* its P2PK outputs too */
            snprintf(desc, sizeof desc, "[\"addr(%s)\",\"pk(%s)\"]", t->addrs[i].addr, t->addrs[i].pubkey);
        else
            snprintf(desc, sizeof desc, "[\"addr(%s)\"]", t->addrs[i].addr);
        sc_ = ltc_rpc_json(false, "scantxoutset", "start", desc, NULL);
        cr_assert(cJSON_IsTrue(ltc_get(sc_, "success")));
        cJSON_AddNumberToObject(t->balance, t->addrs[i].addr, (double)ltc_sat(ltc_get(sc_, "total_amount")));
        cJSON_Delete(sc_);
        info = ltc_rpc_json(true, "getaddressinfo", t->addrs[i].addr, NULL);
        t->addrs[i].mine = cJSON_IsTrue(ltc_get(info, "ismine"));
        cJSON_Delete(info);
        if (t->addrs[i].mine) {
            cJSON *r = ltc_rpc_json(true, "getreceivedbyaddress", t->addrs[i].addr, "0", NULL);
            cJSON_AddNumberToObject(t->received, t->addrs[i].addr, (double)ltc_sat(r));
            cJSON_Delete(r);
        }
    }
}

static void truth_free(truth *t)
{
    cJSON_Delete(t->blocks), cJSON_Delete(t->prevtx), cJSON_Delete(t->fees), cJSON_Delete(t->wallet_fee);
    cJSON_Delete(t->stats), cJSON_Delete(t->balance), cJSON_Delete(t->received);
    free(t->addrs);
}

/* ---------------- sleuth ---------------- */

/* `sleuth ingest btc --network litecoin-regtest --store STORE DIR`; exit status, stderr in *err. */
static int sleuth_ingest(const char *store, const char *dir, char **err)
{
    char *argv[] = {(char *)sleuth_bin(), "ingest", "btc", "--network", "litecoin-regtest", "--store", (char *)store,
                    "--quiet", (char *)dir, NULL};
    char *out = NULL;
    int rc = ltc_run(&out, err, argv);
    free(out);
    return rc;
}

/* `sleuth CMD --store STORE ARG --json`, parsed; fails the test on error. */
static cJSON *sleuth_get(const char *store, const char *cmd, const char *arg)
{
    char *argv[] = {(char *)sleuth_bin(), (char *)cmd, "--store", (char *)store, "--json", "--limit", "1000",
                    (char *)arg, NULL}, *out = NULL, *err = NULL;
    int rc;
    cJSON *j;
    if (!arg) argv[5] = NULL; /* info takes no argument nor --limit */
    rc = ltc_run(&out, &err, argv);
    cr_assert_eq(rc, 0, "sleuth %s %s failed (exit %d): %s", cmd, arg ? arg : "", rc, err);
    j = cJSON_Parse(out);
    cr_assert(j != NULL, "sleuth %s %s: not JSON: %.200s", cmd, arg ? arg : "", out);
    free(out);
    free(err);
    return j;
}

static bool json_null_or_missing(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return !v || cJSON_IsNull(v);
}

/* Compares everything in the store with the node's answers. */
static void compare(const char *store, const truth *t, const scenario *sc)
{
    cJSON *info = sleuth_get(store, "info", NULL);
    const cJSON *b = ltc_get(info, "btc"), *blk;
    int64_t h = 0, checked_fees = 0, checked_wallet = 0, n_mine = 0, n_p2pk = 0, max_in = 0, max_out = 0;
    static const char *const kinds[] = {"p2pkh", "p2sh", "p2wpkh", "p2wsh"};
    int seen_in[4] = {0}, seen_out[4] = {0}, same_block = 0;
    cr_assert_str_eq(ltc_gets(b, "network"), "litecoin-regtest");
    cr_assert_eq(ltc_geti(b, "blocks"), t->height + 1, "blocks: sleuth %lld, node %lld", (long long)ltc_geti(b, "blocks"),
                 (long long)t->height + 1);
    cr_assert_eq(ltc_geti(b, "txs"), t->ntx);
    cr_assert_eq(ltc_geti(b, "tip_height"), t->height);
    cr_assert_str_eq(ltc_gets(b, "tip_hash"), t->best);
    cr_assert_eq(ltc_geti(b, "linked_tip_height"), t->height);
    cr_assert_str_eq(ltc_gets(b, "linked_tip_hash"), t->best);
    cr_assert_eq(ltc_geti(b, "addresses"), t->naddr, "addresses: sleuth %lld, node %d", (long long)ltc_geti(b, "addresses"), t->naddr);
    cJSON_Delete(info);

    cJSON_ArrayForEach(blk, t->blocks) {
        char hb[24];
        cJSON *sb;
        const cJSON *ids, *tx, *prev = cJSON_GetObjectItemCaseSensitive(blk, "previousblockhash");
        int64_t fee_sum = 0;
        int i = 0;
        snprintf(hb, sizeof hb, "%lld", (long long)h);
        sb = sleuth_get(store, "block", hb);
        cr_assert_str_eq(ltc_gets(sb, "hash"), ltc_gets(blk, "hash"), "block hash at height %lld", (long long)h);
        cr_assert_eq(ltc_geti(sb, "height"), h);
        cr_assert_str_eq(ltc_gets(sb, "prev_hash"),
                         prev ? prev->valuestring : "0000000000000000000000000000000000000000000000000000000000000000");
        cr_assert_str_eq(ltc_gets(sb, "merkle_root"), ltc_gets(blk, "merkleroot"));
        cr_assert_eq(ltc_geti(sb, "time"), ltc_geti(blk, "time"));
        cr_assert_eq(ltc_geti(sb, "version"), ltc_geti(blk, "version"));
        cr_assert_eq(ltc_geti(sb, "nonce"), ltc_geti(blk, "nonce"));
        cr_assert_eq(ltc_geti(sb, "bits"), strtoll(ltc_gets(blk, "bits"), NULL, 16));
        cr_assert_eq(ltc_geti(sb, "size"), ltc_geti(blk, "size"), "block %lld size", (long long)h);
        cr_assert_eq(ltc_geti(sb, "weight"), ltc_geti(blk, "weight"), "block %lld weight", (long long)h);
        cr_assert_eq(ltc_geti(sb, "tx_count"), cJSON_GetArraySize(ltc_get(blk, "tx")));
        ids = ltc_get(sb, "txids");
        cr_assert_eq(cJSON_GetArraySize(ids), cJSON_GetArraySize(ltc_get(blk, "tx")));
        cJSON_ArrayForEach(tx, ltc_get(blk, "tx")) {
            const char *txid = ltc_gets(tx, "txid");
            const cJSON *nf = cJSON_GetObjectItemCaseSensitive(t->fees, txid),
                        *wf = cJSON_GetObjectItemCaseSensitive(t->wallet_fee, txid), *o, *vin, *vout;
            cJSON *st;
            int k;
            cr_assert_str_eq(cJSON_GetArrayItem(ids, i)->valuestring, txid, "block %lld tx %d", (long long)h, i);
            st = sleuth_get(store, "tx", txid);
            cr_assert_str_eq(ltc_gets(st, "txid"), txid);
            cr_assert_str_eq(ltc_gets(st, "wtxid"), ltc_gets(tx, "hash"), "wtxid of %s", txid);
            cr_assert_str_eq(ltc_gets(st, "block_hash"), ltc_gets(blk, "hash"));
            cr_assert_eq(ltc_geti(st, "size"), ltc_geti(tx, "size"), "size of %s", txid);
            cr_assert_eq(ltc_geti(st, "vsize"), ltc_geti(tx, "vsize"), "vsize of %s", txid);
            cr_assert_eq(ltc_geti(st, "weight"), ltc_geti(tx, "weight"), "weight of %s", txid);
            cr_assert_eq(cJSON_IsTrue(ltc_get(st, "coinbase")), i == 0);
            if (i == 0) {
                cr_assert_null(nf);
                cr_assert_eq(ltc_geti(st, "fee"), 0);
            } else {
                cr_assert_not_null(nf);
                cr_assert(!json_null_or_missing(st, "fee"), "sleuth does not know the fee of %s", txid);
                cr_assert_eq(ltc_geti(st, "fee"), (int64_t)nf->valuedouble, "fee of %s: sleuth %lld, node %lld", txid,
                             (long long)ltc_geti(st, "fee"), (long long)nf->valuedouble);
                fee_sum += ltc_geti(st, "fee");
                checked_fees++;
            }
            if (wf) {
                cr_assert_eq(ltc_geti(st, "fee"), (int64_t)wf->valuedouble, "fee of %s vs wallet gettransaction", txid);
                checked_wallet++;
            }
            cr_assert_eq(cJSON_GetArraySize(ltc_get(st, "inputs")), cJSON_GetArraySize(ltc_get(tx, "vin")));
            k = 0;
            cJSON_ArrayForEach(vin, ltc_get(tx, "vin")) {
                o = cJSON_GetArrayItem(ltc_get(st, "inputs"), k++);
                if (i == 0) { cr_assert_str_eq(ltc_gets(o, "type"), "coinbase"); continue; }
                {
                    const cJSON *ptx = ltc_get(t->prevtx, ltc_gets(vin, "txid"));
                    const cJSON *pv = cJSON_GetArrayItem(ltc_get(ptx, "vout"), (int)ltc_geti(vin, "vout"));
                    const char *pa = ltc_vout_addr(pv);
                    cr_assert_str_eq(ltc_gets(o, "prev_txid"), ltc_gets(vin, "txid"));
                    cr_assert_eq(ltc_geti(o, "prev_vout"), ltc_geti(vin, "vout"));
                    cr_assert_eq(ltc_geti(o, "value"), ltc_sat(ltc_get(pv, "value")), "input %d of %s", k - 1, txid);
                    if (pa) cr_assert_str_eq(ltc_gets(o, "address"), pa, "input %d of %s", k - 1, txid);
                    else cr_assert(json_null_or_missing(o, "address"), "input %d of %s", k - 1, txid);
                    for (int q = 0; q < 4; q++) seen_in[q] += !strcmp(ltc_gets(o, "type"), kinds[q]);
                    for (int q = 0; q < i; q++) same_block += !strcmp(cJSON_GetArrayItem(ids, q)->valuestring, ltc_gets(vin, "txid"));
                }
            }
            cr_assert_eq(cJSON_GetArraySize(ltc_get(st, "outputs")), cJSON_GetArraySize(ltc_get(tx, "vout")));
            k = 0;
            cJSON_ArrayForEach(vout, ltc_get(tx, "vout")) {
                const char *a = ltc_vout_addr(vout);
                o = cJSON_GetArrayItem(ltc_get(st, "outputs"), k++);
                cr_assert_eq(ltc_geti(o, "value"), ltc_sat(ltc_get(vout, "value")), "output %d of %s", k - 1, txid);
                if (a) cr_assert_str_eq(ltc_gets(o, "address"), a, "output %d of %s", k - 1, txid);
                else cr_assert(json_null_or_missing(o, "address"), "output %d of %s has no address at the node", k - 1, txid);
                for (int q = 0; q < 4; q++) seen_out[q] += !strcmp(ltc_gets(o, "type"), kinds[q]);
                if (cJSON_GetObjectItemCaseSensitive(ltc_get(vout, "scriptPubKey"), "sleuth_pubkey")) {
                    cr_assert_str_eq(ltc_gets(o, "type"), "p2pk", "output %d of %s", k - 1, txid);
                    n_p2pk++;
                }
            }
            if (i > 0 && k > max_out) max_out = k;
            if (cJSON_GetArraySize(ltc_get(tx, "vin")) > max_in) max_in = cJSON_GetArraySize(ltc_get(tx, "vin"));
            cJSON_Delete(st);
            i++;
        }
        if (h > 0)
            cr_assert_eq(fee_sum, (int64_t)cJSON_GetArrayItem(t->stats, (int)h)->valuedouble,
                         "block %lld: sleuth's fees sum to %lld, getblockstats totalfee differs", (long long)h,
                         (long long)fee_sum);
        cJSON_Delete(sb);
        h++;
    }
    cr_assert_geq(checked_fees, 10, "too few fees compared (%lld)", (long long)checked_fees);
    /* the scenario really exercised what it claims */
    for (int q = 0; q < 4; q++)
        cr_assert(seen_in[q] && seen_out[q], "no %s %s seen", kinds[q], seen_in[q] ? "output" : "input");
    cr_assert_geq(max_in, 4, "no tx with 4+ inputs");
    cr_assert_geq(max_out, 5, "no tx with 5+ outputs");
    cr_assert_geq(same_block, 1, "no input spends an output of its own block");
    cr_assert_eq(checked_wallet, sc->ntx, "every wallet tx must be in a block");

    for (int i = 0; i < t->naddr; i++) {
        const addr_truth *at = &t->addrs[i];
        cJSON *sa = sleuth_get(store, "address", at->addr);
        /* the genesis coinbase is not in Core's UTXO set (unspendable); sleuth counts it as an
         * unspent receipt, as block explorers do */
        int64_t bal = (int64_t)ltc_get(t->balance, at->addr)->valuedouble + at->genesis;
        cr_assert_str_eq(ltc_gets(sa, "address"), at->addr);
        cr_assert_eq(ltc_geti(sa, "balance"), bal, "%s: sleuth balance %lld, scantxoutset (+ genesis) %lld", at->addr,
                     (long long)ltc_geti(sa, "balance"), (long long)bal);
        if (at->pubkey[0]) cr_assert_str_eq(ltc_gets(sa, "type"), "p2pkh");
        cr_assert_eq(ltc_geti(sa, "received"), at->received, "%s: received", at->addr);
        if (at->mine) { /* getreceivedbyaddress leaves coinbase outputs out */
            int64_t rcv = (int64_t)ltc_get(t->received, at->addr)->valuedouble;
            cr_assert_eq(ltc_geti(sa, "received"), rcv + at->coinbase_received, "%s: sleuth received %lld, "
                         "getreceivedbyaddress %lld + coinbase %lld", at->addr, (long long)ltc_geti(sa, "received"),
                         (long long)rcv, (long long)at->coinbase_received);
            n_mine++;
        }
        cr_assert_eq(ltc_geti(sa, "outputs_received"), at->n_out, "%s: outputs received", at->addr);
        cJSON_Delete(sa);
    }
    cr_assert_geq(n_mine, 8, "too few wallet addresses compared (%lld)", (long long)n_mine);
    cr_assert_eq(n_p2pk, 1, "the genesis P2PK output");
}

/* Stops the node so every block is flushed, and returns DATADIR/regtest/blocks. */
static void blocks_dir(char *out, size_t n)
{
    ltc_node_stop();
    snprintf(out, n, "%s/regtest/blocks", LTC.datadir);
}

static void store_path(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", LTC.tmp, name); }

TestSuite(litecoind, .timeout = 180);

Test(litecoind, blk_files_match_rpc, .fini = ltc_fini)
{
    scenario sc;
    truth t;
    char dir[PATH_MAX + 32], store[PATH_MAX + 16], *err = NULL;
    int rc;
    ltc_node_start(); /* in the body, not .init: Criterion runs .fini only after the body */
    build_chain(&sc);
    snapshot(&t, &sc);
    cr_assert_geq(t.height, 118);
    cr_assert_geq(t.naddr, 9);
    blocks_dir(dir, sizeof dir);
    store_path(store, sizeof store, "store");
    rc = sleuth_ingest(store, dir, &err);
    cr_assert_eq(rc, 0, "sleuth ingest %s failed (exit %d): %s", dir, rc, err);
    free(err);
    compare(store, &t, &sc);
    /* a second ingest of the same folder adds nothing and changes nothing */
    rc = sleuth_ingest(store, dir, &err);
    cr_assert_eq(rc, 0, "re-ingest failed: %s", err);
    free(err);
    compare(store, &t, &sc);
    truth_free(&t);
}

/* Copies src/blk*.dat to dst obfuscated with key (over any key src already has), writes
 * dst/xor.dat unless key is NULL (then dst holds obfuscated bytes with no key). */
static void xor_copy(const char *src, const char *dst, const uint8_t key[8], const uint8_t real[8])
{
    uint8_t old[8] = {0};
    char p[PATH_MAX + 32];
    size_t len;
    char *k;
    cr_assert(mkdir(dst, 0700) == 0, "mkdir %s: %s", dst, strerror(errno));
    snprintf(p, sizeof p, "%s/xor.dat", src);
    if ((k = ltc_slurp(p, &len))) {   /* the node obfuscates already (0.21 should not) */
        cr_assert_eq(len, 8, "%s: %zu bytes", p, len);
        memcpy(old, k, 8);
        free(k);
    }
    for (int f = 0;; f++) {
        char *d;
        FILE *o;
        snprintf(p, sizeof p, "%s/blk%05d.dat", src, f);
        if (!(d = ltc_slurp(p, &len))) { cr_assert_gt(f, 0, "no %s", p); break; }
        for (size_t i = 0; i < len; i++) d[i] = (char)((uint8_t)d[i] ^ old[i % 8] ^ real[i % 8]);
        snprintf(p, sizeof p, "%s/blk%05d.dat", dst, f);
        cr_assert((o = fopen(p, "wb")) != NULL);
        cr_assert_eq(fwrite(d, 1, len, o), len);
        fclose(o);
        free(d);
    }
    if (key) {
        FILE *o;
        snprintf(p, sizeof p, "%s/xor.dat", dst);
        cr_assert((o = fopen(p, "wb")) != NULL);
        cr_assert_eq(fwrite(key, 1, 8, o), 8);
        fclose(o);
    }
}

Test(litecoind, xor_obfuscated_copy_matches_rpc, .fini = ltc_fini)
{
    scenario sc;
    truth t;
    uint8_t key[8];
    char dir[PATH_MAX + 32], xdir[PATH_MAX + 16], ndir[PATH_MAX + 16], store[PATH_MAX + 16], *err = NULL;
    int rc;
    ltc_node_start(); /* in the body, not .init: Criterion runs .fini only after the body */
    build_chain(&sc);
    snapshot(&t, &sc);
    blocks_dir(dir, sizeof dir);
    cr_assert_eq(getrandom(key, sizeof key, 0), (ssize_t)sizeof key);
    key[0] |= 1; /* the magic must change, so the no-key ingest below cannot succeed */
    cr_log_info("xor.dat key %02x%02x%02x%02x%02x%02x%02x%02x", key[0], key[1], key[2], key[3], key[4], key[5],
                key[6], key[7]);
    store_path(xdir, sizeof xdir, "xblocks");
    xor_copy(dir, xdir, key, key);
    store_path(store, sizeof store, "xstore");
    rc = sleuth_ingest(store, xdir, &err);
    cr_assert_eq(rc, 0, "sleuth ingest of the obfuscated copy failed (exit %d): %s", rc, err);
    free(err);
    compare(store, &t, &sc);

    /* the same bytes without xor.dat must be refused (proves the key is what made it work) */
    store_path(ndir, sizeof ndir, "nokey");
    xor_copy(dir, ndir, NULL, key);
    store_path(store, sizeof store, "nstore");
    rc = sleuth_ingest(store, ndir, &err);
    cr_assert_neq(rc, 0, "obfuscated blk files without xor.dat were accepted");
    /* a located error: sleuth sees no blk framing and reads the file as one raw block */
    cr_assert(strstr(err, "nokey/blk00000.dat: byte offset 0") != NULL, "unexpected error: %s", err);
    free(err);
    truth_free(&t);
}
